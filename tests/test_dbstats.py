"""``agentdesk db stats``: where a desk file's bytes go, by table and index (issue 21,
item 2: measure before cutting)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentdesk import cli
from agentdesk.core import store
from agentdesk.demo import generate


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    path = tmp_path / "desk.db"
    desk = store.open_desk(path)
    generate.generate(desk, 500, 20, 1)
    desk.dispose()
    return path


def test_stats_name_every_table_and_index_with_bytes_per_customer(demo_db: Path,
                                                                  capsys) -> None:
    before = demo_db.read_bytes()
    assert cli.main(["db", "stats", "--json", "--db", str(demo_db)]) == 0
    found = json.loads(capsys.readouterr().out)
    assert demo_db.read_bytes() == before  # read-only
    parts = {p["name"]: p for p in found["parts"]}
    assert found["customers"] == 500
    assert parts["customer"]["rows"] == 500 and parts["customer"]["kind"] == "table"
    assert parts["customer_key"]["rows"] > 500  # several keys per customer
    assert parts["ix_customer_name"]["kind"] == "index" and parts["ix_customer_name"]["rows"] \
        is None
    assert sum(p["bytes"] for p in found["parts"]) <= found["file_bytes"]
    assert found["bytes_per_customer"] == pytest.approx(found["file_bytes"] / 500)
    assert [p["bytes"] for p in found["parts"]] == sorted((p["bytes"] for p in found["parts"]),
                                                          reverse=True)


def test_stats_as_a_table_in_english(demo_db: Path, capsys) -> None:
    assert cli.main(["--lang", "en", "db", "stats", "--db", str(demo_db)]) == 0
    out = capsys.readouterr().out
    assert "500 customers" in out and "bytes per customer" in out
    assert "customer_key" in out and "B/customer" in out


@pytest.mark.parametrize("content", [None, b"not a database at all, just text" * 40])
def test_a_missing_or_broken_file_is_a_clear_error(tmp_path: Path, capsys,
                                                   content: bytes | None) -> None:
    path = tmp_path / "x.db"
    if content is not None:
        path.write_bytes(content)
    assert cli.main(["--lang", "en", "db", "stats", "--db", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and ("no such database file" in err or "cannot be read" in err)
