"""``import customers FILE --errors ERRORS.csv`` (issue 20): every bad row, not only the
first 50, with its line and reason and its fields, written atomically as CSV."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from agentdesk import cli
from agentdesk.customers.csvio import HEADER
from tests.test_customers_io import row, write


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def _import(*args: str) -> int:
    return cli.main(["import", "customers", *args])


def test_every_bad_row_is_written_with_line_reason_and_fields(tmp_path: Path,
                                                              capsys) -> None:
    lines = []
    for i in range(6000):  # every third row bad: 2,000 of them
        lines.append(row(f"A{i:05d}", utility="gas") if i % 3 == 0 else row(f"A{i:05d}"))
    source = write(tmp_path / "c.csv", *lines)
    errors = tmp_path / "bad.csv"
    assert _import(str(source), "--db", str(tmp_path / "d.db"), "--lang", "en",
                   "--errors", str(errors)) == 1
    out = capsys.readouterr().out
    assert "4000 inserted" in out and "2000 bad row(s) skipped" in out
    assert f"all 2,000 bad row(s) (line, reason, fields) written to {errors}" in out
    assert out.count("\nline ") == 50  # the summary still names the first 50
    rows = _read(errors)
    assert rows[0] == ["line", "reason", *HEADER]
    assert len(rows) == 2001
    assert [int(r[0]) for r in rows[1:]] == [2 + i for i in range(0, 6000, 3)]
    assert rows[-1][1] == "utility 'gas' is not water or power (水/电/供水/供电 also work)"
    assert rows[-1][2:] == next(csv.reader([lines[5997]]))
    assert errors.stat().st_mode & 0o077 == 0  # personal data: the owner's only
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_without_the_option_the_summary_says_how_to_get_the_rest(tmp_path: Path,
                                                                 capsys) -> None:
    source = write(tmp_path / "c.csv", *(row(f"A{i}", phones="12") for i in range(60)))
    assert _import(str(source), "--db", str(tmp_path / "d.db"), "--lang", "en") == 1
    assert "… and 10 more (--errors FILE writes every one to a file)" in capsys.readouterr().out


def test_fields_come_in_header_order_raw_rows_as_read_and_formulas_as_text(english,
        tmp_path: Path) -> None:
    columns = list(reversed(HEADER))  # the file's own column order
    good = dict(zip(HEADER, next(csv.reader([row("A1")]))))
    bad = {**good, "account_no": "A2", "name": "=HYPERLINK(\"http://x\",\"点\")",
           "utility": "gas"}
    quoted = {**good, "account_no": "A3", "name": "'@SUM(1)", "credit_list": "purple"}
    source = tmp_path / "c.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(columns)
        for values in (good, bad, quoted):
            out.writerow([values[c] for c in columns])
        out.writerow(["A4", "+cmd", "too few"])
    errors = tmp_path / "bad.csv"
    _import(str(source), "--db", str(tmp_path / "d.db"), "--errors", str(errors))
    rows = _read(errors)
    assert [r[:2] for r in rows[1:]] == [
        ["3", "utility 'gas' is not water or power (水/电/供水/供电 also work)"],
        ["4", "credit_list 'purple' must be empty, red, grey or black (红/灰/黑)"],
        ["5", "expected 15 columns, found 3"]]
    assert rows[1][2:] == ["A2", "'=HYPERLINK(\"http://x\",\"点\")", *[bad[c] for c in HEADER[2:]]]
    assert rows[2][3] == "'@SUM(1)"  # quoted against formulas once, not twice
    assert rows[3][2:] == ["A4", "'+cmd", "too few"]  # the file's own fields, as read


def test_strict_mode_writes_the_errors_too(tmp_path: Path) -> None:
    source = write(tmp_path / "c.csv", row("A1"), row("A2", phones="12"))
    errors = tmp_path / "bad.csv"
    assert _import(str(source), "--db", str(tmp_path / "d.db"), "--strict",
                   "--errors", str(errors)) == 1
    assert [r[0] for r in _read(errors)[1:]] == ["3"]


def test_a_clean_file_leaves_an_empty_errors_file(tmp_path: Path) -> None:
    source = write(tmp_path / "c.csv", row("A1"))
    errors = tmp_path / "bad.csv"
    errors.write_text("stale rows of an earlier import\n", encoding="utf-8")
    assert _import(str(source), "--db", str(tmp_path / "d.db"), "--errors", str(errors)) == 0
    assert _read(errors) == [["line", "reason", *HEADER]]


def test_the_errors_file_never_overwrites_the_import(tmp_path: Path, capsys) -> None:
    source = write(tmp_path / "c.csv", row("A1"), row("A2", phones="12"))
    before = source.read_bytes()
    assert _import(str(source), "--db", str(tmp_path / "d.db"), "--lang", "en",
                   "--errors", str(source)) == 2
    assert "is the file being imported" in capsys.readouterr().err
    assert source.read_bytes() == before
    assert not (tmp_path / "d.db").exists() or _count(tmp_path / "d.db") == 0


def _count(db: Path) -> int:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM customer").fetchone()[0]


@pytest.mark.parametrize("where", ["no-such-folder/bad.csv", "."])
def test_an_unusable_errors_path_is_a_usage_error(tmp_path: Path, where: str, capsys) -> None:
    source = write(tmp_path / "c.csv", row("A1"))
    assert _import(str(source), "--db", str(tmp_path / "d.db"), "--lang", "en",
                   "--errors", str(tmp_path / where)) == 2
    assert "errors" in capsys.readouterr().err


def test_a_refused_file_leaves_the_old_errors_file(tmp_path: Path) -> None:
    source = tmp_path / "c.csv"
    source.write_text("account_no,name\nA1,王芳\n", encoding="utf-8")  # wrong header
    errors = tmp_path / "bad.csv"
    errors.write_text("earlier\n", encoding="utf-8")
    assert _import(str(source), "--db", str(tmp_path / "d.db"), "--errors", str(errors)) == 2
    assert errors.read_text(encoding="utf-8") == "earlier\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".bad")] == []


def test_the_centre_load_writes_the_same_errors_file(tmp_path: Path) -> None:
    from agentdesk.customers import rejects
    from agentdesk.sync import central, load

    source = write(tmp_path / "c.csv", row("A1"), row("A2", phones="12"), row("A1"))
    centre = central.connect(f"sqlite:///{tmp_path / 'central.db'}")
    try:
        centre.init_schema()
        with rejects.writing(tmp_path / "bad.csv", source) as on_bad:
            report = load.customers(centre, source, on_bad=on_bad)
    finally:
        centre.dispose()
    assert [r[:2] for r in _read(tmp_path / "bad.csv")[1:]] == [
        [str(e.line), e.reason] for e in report.errors]
    assert len(report.errors) == 2
