"""CSV injection (issue 20): text cells that a spreadsheet would run as a formula are
written with a leading quote, in every CSV agentdesk writes, and read back exactly."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import given, strategies as st

from agentdesk.core import csvsafe

FORMULAS = ["=HYPERLINK(\"http://x\",\"点我\")", "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3",
            "\tlead tab", "\rlead cr"]


def test_formula_cells_become_text() -> None:
    for value in FORMULAS:
        assert csvsafe.cell(value) == "'" + value
    for value in ("张三", "0371 6123 4567", "a=b", "", "'plain", "1-2"):
        assert csvsafe.cell(value) == value
    # numbers the program computed stay numbers (a spreadsheet must add them up)
    assert csvsafe.row([-3, 2.5, None, "+86 138"]) == [-3, 2.5, None, "'+86 138"]


@given(st.text(alphabet=st.sampled_from(["'", "=", "+", "-", "@", "\t", "\r", "a", "张", " "]),
               max_size=8))
def test_unescape_undoes_cell(value: str) -> None:
    written = csvsafe.cell(value)
    assert not written.lstrip("'").startswith(csvsafe.TRIGGERS) or written.startswith("'")
    assert csvsafe.unescape(written) == value


def test_export_writes_formulas_as_text_and_imports_them_back(tmp_path: Path) -> None:
    from agentdesk.core.store import open_desk
    from agentdesk.customers.csvio import HEADER, export_customers, import_customers

    source = tmp_path / "in.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for n, name in enumerate(["=HYPERLINK(\"http://x\")", "@SUM(1)", "+cmd", "-1"]):
            out.writerow([f"-A{n}", name, "+86 138 1234 567" + str(n), "金水区", "", "",
                          "", "", "", "water", "", "=1+1", "", "0", "@tag"])
    desk = open_desk(tmp_path / "d.db")
    try:
        assert not import_customers(desk, source).errors
        target = tmp_path / "out.csv"
        export_customers(desk, target)
        with target.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))[1:]
        for r in rows:  # no cell of the file starts a formula
            assert not any(c.startswith(csvsafe.TRIGGERS) for c in r), r
        assert sorted(r[1] for r in rows) == sorted(
            ["'=HYPERLINK(\"http://x\")", "'@SUM(1)", "'+cmd", "'-1"])
        assert rows[0][0] == "'-A0" and rows[0][11] == "'=1+1" and rows[0][14] == "'@tag"
        # and the file imports back to the same values
        report = import_customers(desk, target)
        assert (report.unchanged, report.errors) == (4, [])
    finally:
        desk.dispose()


def test_report_cells_from_data_are_written_as_text(tmp_path: Path, monkeypatch) -> None:
    """A street or a caller's name from the customer file reaches the report's CSVs."""
    from datetime import date

    from agentdesk.monitor import report

    hostile = {"hot_streets.csv": [["district", "street", "tickets"],
                                   ["=cmd|'/C calc'!A0", "@SUM(A1)", 7]],
               "repeat_callers.csv": [["caller", "name", "contacts"],
                                      ["+8613812345678", "-杨伟", 2]]}
    monkeypatch.setattr(report, "tables", lambda *args: hostile)
    report.write_csv(None, tmp_path, date(2026, 11, 1), date(2026, 11, 30))  # type: ignore[arg-type]

    def rows(name: str) -> list[list[str]]:
        with (tmp_path / name).open(encoding="utf-8-sig", newline="") as f:
            return list(csv.reader(f))

    assert rows("hot_streets.csv")[1] == ["'=cmd|'/C calc'!A0", "'@SUM(A1)", "7"]
    assert rows("repeat_callers.csv")[1] == ["'+8613812345678", "'-杨伟", "2"]
