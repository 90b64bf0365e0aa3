"""Issue 19, item 10: one language at a time, on the command line and in the palette."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from textual.command import CommandInput, CommandPalette

from agentdesk.core import i18n
from tests.conftest import settle, visible_text, wait_ready
from tests.test_app import SIZE, desk_app

CJK = re.compile(r"[\u3400-\u9fff]")


def _agentdesk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agentdesk", *args], capture_output=True,
                          text=True, check=False)


def test_english_help_has_no_chinese_label() -> None:
    out = _agentdesk("--lang", "en", "ticket", "--help")
    assert out.returncode == 0, out.stderr
    assert "usage:" in out.stdout and "create, show and list" not in out.stdout
    assert "open a ticket (you are its first responder)" in out.stdout
    assert not CJK.search(out.stdout), out.stdout


def test_chinese_help_is_chinese() -> None:
    out = _agentdesk("ticket", "--help")
    assert out.returncode == 0, out.stderr
    assert i18n.CATALOG["msg.tickets.cli.open_a_ticket_you"]["zh"] in out.stdout
    assert "用法：" in out.stdout and "usage:" not in out.stdout
    assert "show this help message" not in out.stdout
    top = _agentdesk("--help")
    assert i18n.CATALOG["msg.cli.terminal_workstation_for_utility"]["zh"] in top.stdout


def test_argparse_errors_speak_the_language() -> None:
    zh = _agentdesk("ticket", "create")
    assert zh.returncode == 2 and "以下参数是必需的" in zh.stderr, zh.stderr
    en = _agentdesk("--lang", "en", "ticket", "create")
    assert en.returncode == 2 and "the following arguments are required" in en.stderr


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_refused_ticket_speaks_the_chosen_language(tmp_path, lang: str) -> None:
    db = str(tmp_path / "desk.db")
    made = _agentdesk("--db", db, "demo-data", "--customers", "5", "--tickets", "0")
    assert made.returncode == 0, made.stderr
    args = ["--lang", "en"] if lang == "en" else []
    out = _agentdesk(*args, "ticket", "create", "--db", db, "--category", "no.such",
                     "--text", "漏水")
    assert out.returncode == 2
    i18n.set_lang(lang)
    assert i18n.t("msg.tickets.service.unknown_category", category="no.such") in out.stderr
    assert bool(CJK.search(out.stderr)) == (lang == "zh"), out.stderr


async def test_the_palette_speaks_the_catalog(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        assert "命令" in visible_text(app)  # the footer's palette key
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert CommandPalette.is_open(app)
        field = app.screen.query_one(CommandInput)
        assert field.placeholder == i18n.CATALOG["palette.placeholder"]["zh"]
        described = {b.binding.description for b in app.screen.active_bindings.values()
                     if b.binding.action == "escape"}  # the Keys panel reads these
        assert described == {"关闭命令面板"}
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert i18n.CATALOG["palette.quit"]["zh"] in titles and "Quit" not in titles
        await pilot.press(*"zzzz")
        await pilot.pause(0.8)
        await settle(pilot)
        assert "没有匹配的命令" in visible_text(app)
