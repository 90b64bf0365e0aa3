"""Every ``--limit`` is bounded (issue 20): a usage error with a catalog message, exit 2,
never a traceback (``ticket list --limit 99999999999999999999`` overflowed SQLite)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from agentdesk import cli
from agentdesk.cli_support import LIMIT_MOST, Limit


def _limits(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
            ) -> dict[tuple[str, ...], argparse.Action]:
    found = {}
    for action in parser._actions:  # argparse offers no public walk
        if "--limit" in action.option_strings:
            found[path] = action
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.update(_limits(sub, (*path, name)))
    return found


def test_every_limit_option_is_bounded() -> None:
    from agentdesk.customers import lookup
    from agentdesk.kb import search

    found = _limits(cli.build_parser())
    assert {("lookup",), ("ticket", "list"), ("kb", "search"), ("audit",)} <= set(found)
    for path, action in found.items():
        assert isinstance(action.type, Limit), path
    # the bound is what the service would return at most, not a silent cut below it
    assert found[("lookup",)].type.most == lookup.MOST
    assert found[("kb", "search")].type.most == search.MOST
    assert found[("ticket", "list")].type.most == LIMIT_MOST


@pytest.mark.parametrize("command", [["ticket", "list"], ["lookup", "张"], ["kb", "search", "水"],
                                     ["audit"]])
@pytest.mark.parametrize("value", ["99999999999999999999", "0", "-5", "abc", "1e3"])
def test_a_limit_out_of_bounds_is_a_usage_error(command: list[str], value: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main([*command, "--db", str(tmp_path / "d.db"), "--lang", "en", "--limit", value])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "--limit: must be a whole number from 1 to" in err and "Traceback" not in err
    assert not (tmp_path / "d.db").exists()  # refused before anything was opened


def test_the_message_is_in_the_configured_language(tmp_path: Path, monkeypatch,
                                                   capsys: pytest.CaptureFixture) -> None:
    config = tmp_path / "config.toml"
    config.write_text('lang = "en"\n', encoding="utf-8")
    monkeypatch.setenv("AGENTDESK_CONFIG", str(config))
    with pytest.raises(SystemExit):
        cli.main(["ticket", "list", "--limit", "0"])
    assert "must be a whole number from 1 to 10,000 (got 0)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["ticket", "list", "--lang", "zh", "--limit", "0"])
    assert "须为 1 到 10,000 之间的整数（收到 0）" in capsys.readouterr().err


def test_a_limit_in_bounds_works(desk, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["ticket", "list", "--db", str(desk.path), "--limit", "10000",
                     "--json"]) == 0
    assert "GD2026112500001" in capsys.readouterr().out
