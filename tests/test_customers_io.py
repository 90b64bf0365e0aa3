"""Customer CSV import / export: validation by physical line, all-or-nothing writes,
idempotent re-imports, encodings, and a literal round trip."""

from __future__ import annotations

import csv
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from agentdesk.core import clock, search_keys
from agentdesk.customers import csvio as customers_io
from agentdesk.customers.csv_columns import OPTIONAL
from agentdesk.customers.csvio import HEADER, ImportFileError, export_customers, import_customers
from agentdesk.core.models import AuditLog, Customer, CustomerKey, CustomerPhone
from agentdesk.core.store import Store, StoreError, open_desk

HEAD = ",".join(HEADER)


def row(account: str, name: str = "张三", phones: str = "138 1234 5678", **kw: str) -> str:
    """One CSV line; keyword arguments override columns (values are written as given)."""
    values = {"district": "金水区", "street": "花园路街道", "community": "阳光小区",
              "building": "3号楼", "unit": "2单元", "room": "501", "utility": "water",
              "customer_class": "居民", "meter_no": "M001", "credit_list": "",
              "arrears_yuan": "0", "tags": "", **kw}
    return ",".join([account, name, phones, *(values[c] for c in HEADER[3:])])


def write(path: Path, *lines: str, bom: bool = False, encoding: str = "utf-8",
          newline: str = "\n") -> Path:
    text = newline.join([HEAD, *lines]) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    desk = open_desk(tmp_path / "t.db")
    yield desk
    desk.dispose()


def customers(store: Store) -> dict[str, Customer]:
    with store.session() as s:
        return {c.account_no: c for c in s.exec(select(Customer))}


def phone_rows(store: Store) -> list[tuple[str, str, str, int, str]]:
    with store.session() as s:
        rows = s.exec(select(CustomerPhone, Customer.account_no).join(Customer)).all()
    return sorted((acct, p.e164, p.kind, p.position, p.id) for p, acct in rows)


def audits(store: Store) -> list[AuditLog]:
    with store.session() as s:
        return list(s.exec(select(AuditLog).order_by(AuditLog.at, AuditLog.id)))


# --- good files ---------------------------------------------------------------------


def test_good_file(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv",
                 row("0100000001", phones="138 1234 5678;0371-6123 4567;13812345678",
                     arrears_yuan="12.5", tags="吸氧; 独居老人;;吸氧", credit_list="红"),
                 row("0100000002", "李四", phones="", utility="电", customer_class="",
                     arrears_yuan="1234567.89"),
                 row("0100000003", "王五", phones="+86 139-0000-1111", utility="供水",
                     credit_list="grey"))
    report = import_customers(store, path, agent="A001")
    assert (report.inserted, report.updated, report.unchanged, report.errors) == (3, 0, 0, [])
    got = customers(store)
    one, two, three = got["0100000001"], got["0100000002"], got["0100000003"]
    assert one.name == "张三" and one.utility == "water" and one.credit_list == "red"
    assert one.arrears_fen == 1250 and one.tag_list == ["吸氧", "独居老人"]
    assert one.address == "金水区花园路街道阳光小区3号楼2单元501"
    assert one.area_class == "urban" and one.status == "active"  # model defaults
    assert two.utility == "power" and two.customer_class == "居民" and two.arrears_fen == 123456789
    assert three.utility == "water" and three.credit_list == "grey"
    assert one.updated_at.tzinfo is not None  # raw SQL wrote the model's UTC text
    phones = [(a, e, k, pos) for a, e, k, pos, _ in phone_rows(store)]
    # the duplicate written twice counts once; order is the file's
    assert phones == [("0100000001", "+8613812345678", "mobile", 0),
                      ("0100000001", "+8637161234567", "landline", 1),
                      ("0100000003", "+8613900001111", "mobile", 0)]
    [log] = audits(store)
    assert (log.action, log.entity, log.agent_id) == ("import", "customer", "A001")
    assert json.loads(log.detail) == {"file": str(path), "inserted": 3, "updated": 0,
                                      "unchanged": 0, "errors": 0, "strict": False,
                                      "rejected": False}


@pytest.mark.parametrize("bom", [True, False])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_bom_and_line_endings(store: Store, tmp_path: Path, bom: bool, newline: str) -> None:
    path = write(tmp_path / "c.csv", row("1"), row("2", phones="12345"), bom=bom,
                 newline=newline)
    report = import_customers(store, path)
    assert report.inserted == 1
    assert [(e.line, e.account_no) for e in report.errors] == [(3, "2")]


def test_columns_in_another_order(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("name,account_no," + ",".join(HEADER[2:]) + "\n"
                    "张三,A1,,区,,,,,,water,,,,,\n", encoding="utf-8")
    assert import_customers(store, path).inserted == 1
    assert customers(store)["A1"].name == "张三"


# --- bad rows -----------------------------------------------------------------------


def test_bad_rows_are_reported_by_physical_line(english, store: Store, tmp_path: Path) -> None:
    lines = [
        row("A01"),                                            # 2 good
        row("A02", community='"阳光\n小区"'),                  # 3-4: newline in a field
        row("A03", phones="12345"),                            # 5
        "",                                                    # 6 blank: skipped
        row("", "无户号"),                                     # 7
        row("A05", ""),                                        # 8
        "A06,too,few,columns",                                 # 9
        row("A07", phones="138 1234 5678;abc"),                # 10: any bad phone
        row("A08", utility="gas"),                             # 11
        row("A09", credit_list="purple"),                      # 12
        row("A10", arrears_yuan="-1"),                         # 13
        row("A11", arrears_yuan="1.234"),                      # 14
        row("A12", arrears_yuan="1e3"),                        # 15
        row("A13", "名" * 101),                                # 16
        row("A14", "张\x07三"),                                # 17
        row("A01", "重复"),                                    # 18
        row("A 15"),                                           # 19
        row("A16", street="x" * 201),                          # 20
        row("A17", name="\u202e张三"),                          # 21 bidi override
        ",,,,,,,,,,,,,,",                                      # 22 spreadsheet filler
        row("A18", phones=""),                                 # 23 good: no phone is fine
    ]
    path = write(tmp_path / "c.csv", *lines)
    report = import_customers(store, path)
    got = [(e.line, e.account_no, e.reason) for e in report.errors]
    assert got == [
        (3, "A02", "community contains a control character U+000A"),
        (5, "A03", "phone '12345' is not a valid number (too short)"),
        (7, "", "account_no is missing"),
        (8, "A05", "name is empty"),
        (9, "A06", "expected 15 columns, found 4"),
        (10, "A07", "phone 'abc' is not a valid number (unexpected character 'a')"),
        (11, "A08", "utility 'gas' is not water or power (水/电/供水/供电 also work)"),
        (12, "A09", "credit_list 'purple' must be empty, red, grey or black (红/灰/黑)"),
        (13, "A10", "arrears_yuan '-1' is not an amount like 123.45 (0 or more, at most 2 "
                    "decimals)"),
        (14, "A11", "arrears_yuan '1.234' is not an amount like 123.45 (0 or more, at most "
                    "2 decimals)"),
        (15, "A12", "arrears_yuan '1e3' is not an amount like 123.45 (0 or more, at most 2 "
                    "decimals)"),
        (16, "A13", "name is 101 characters long (at most 100)"),
        (17, "A14", "name contains a control character U+0007"),
        (18, "A01", "account_no A01 is repeated (first on line 2)"),
        (19, "A 15", "account_no contains a space"),
        (20, "A16", "street is 201 characters long (at most 200)"),
        (21, "A17", "name contains a control character U+202E"),
    ]
    assert (report.inserted, report.updated) == (2, 0)
    assert sorted(customers(store)) == ["A01", "A18"]
    assert customers(store)["A01"].name == "张三"  # the first A01 wins, the repeat is refused
    text = report.format()
    assert "line 5 (account A03): phone '12345' is not a valid number (too short)" in text
    assert text.splitlines()[0].endswith("2 inserted, 0 updated, 0 unchanged, "
                                         "17 bad row(s) skipped.")


def test_open_quote_gets_a_hint(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", row("A1"), row("A2", '"张三'), row("A3"))
    report = import_customers(store, path)
    [error] = report.errors
    assert error.line == 3
    assert "runs from line 3 to 4" in error.reason and "quote" in error.reason


def test_huge_fields_are_row_errors(english, store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv",
                 row("A1", "名" * 100_000),
                 row("A2", building="楼" * 200_000),  # over csv's own field limit
                 row("A3"))
    report = import_customers(store, path)
    assert [(e.line, e.reason) for e in report.errors] == [
        (2, "name is 100000 characters long (at most 100)"),
        (3, "unreadable CSV: field larger than field limit (131072)"),
    ]
    assert sorted(customers(store)) == ["A3"]


def test_strict_imports_nothing_when_a_row_is_bad(store: Store, tmp_path: Path) -> None:
    # the bad row comes after full batches (BATCH rows each) were written: undone too
    path = write(tmp_path / "c.csv", *(row(f"A{i:03d}") for i in range(1200)),
                 row("BAD", phones="12345"))
    report = import_customers(store, path, strict=True)
    assert report.rejected and (report.inserted, report.updated) == (0, 0)
    assert [e.line for e in report.errors] == [1202]
    assert customers(store) == {}
    assert "nothing imported" in report.format()
    [log] = audits(store)
    assert json.loads(log.detail)["rejected"] is True


# --- all or nothing -----------------------------------------------------------------


def test_database_failure_mid_import_leaves_nothing(store: Store, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import_customers(store, write(tmp_path / "old.csv", row("A1", "旧名")))
    before_phones = phone_rows(store)
    monkeypatch.setattr(customers_io, "BATCH", 2)
    real = customers_io.write_batch
    calls = []

    def failing(*args: object) -> tuple[int, int, int]:
        calls.append(1)
        if len(calls) == 3:  # two batches are written, then the disk "fails"
            raise sqlite3.OperationalError("disk I/O error")
        return real(*args)

    monkeypatch.setattr(customers_io, "write_batch", failing)
    path = write(tmp_path / "c.csv", row("A1", "新名", phones="139 0000 1111"),
                 *(row(f"B{i}") for i in range(9)))
    with pytest.raises(StoreError, match="disk I/O error"):
        import_customers(store, path)
    assert len(calls) == 3
    got = customers(store)
    assert sorted(got) == ["A1"] and got["A1"].name == "旧名"  # the update went too
    assert phone_rows(store) == before_phones
    assert len(audits(store)) == 1  # only the first import's


def test_gbk_file_is_explained_then_imported(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "gbk.csv", row("A1", "杨伟", building="1号楼"), encoding="gbk")
    with pytest.raises(ImportFileError) as caught:
        import_customers(store, path)
    message = str(caught.value)
    assert "is not UTF-8" in message and "GBK" in message and "--encoding gbk" in message
    assert customers(store) == {} and audits(store) == []
    for encoding in ("gbk", "GB18030"):
        report = import_customers(store, path, encoding=encoding)
        assert report.inserted + report.unchanged == 1
    assert customers(store)["A1"].name == "杨伟"


def test_utf8_file_is_not_read_as_gbk(english, store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", row("A1", "杨伟"))
    with pytest.raises(ImportFileError, match="is UTF-8, not gbk"):
        import_customers(store, path, encoding="gbk")


def test_non_utf8_non_gbk_bytes(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes((HEAD + "\n" + row("A1") + "\n").encode() + b"A2,\xff\xff\n")
    with pytest.raises(ImportFileError, match=r"is not UTF-8 \(first bad byte on line 3\)"):
        import_customers(store, path)
    assert customers(store) == {}


def test_unknown_encoding(english, store: Store, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="unknown encoding"):
        import_customers(store, write(tmp_path / "c.csv", row("A1")), encoding="klingon")


# --- whole-file errors --------------------------------------------------------------


def test_wrong_header_names_the_columns(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(HEAD.replace("phones", "phone").replace(",tags", "") + "\n" + row("A1"),
                    encoding="utf-8")
    with pytest.raises(ImportFileError) as caught:
        import_customers(store, path)
    message = str(caught.value)
    assert "missing columns: phones, tags" in message and "unknown columns: 'phone'" in message
    assert customers(store) == {}


@pytest.mark.parametrize("content, expected", [
    (b"", "is empty"),
    (b"\xef\xbb\xbf", "is empty"),
    (b"\n\n", "line 1 is blank"),
])
def test_empty_file(english, store: Store, tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=expected):
        import_customers(store, path)


def test_header_only_is_an_empty_import(store: Store, tmp_path: Path) -> None:
    report = import_customers(store, write(tmp_path / "c.csv"))
    assert (report.inserted, report.errors) == (0, [])


def test_missing_file(english, store: Store, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="file not found"):
        import_customers(store, tmp_path / "nope.csv")
    with pytest.raises(ImportFileError, match="is a folder"):
        import_customers(store, tmp_path)


# --- re-import ----------------------------------------------------------------------


def test_reimport_is_idempotent(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", row("A1", phones="138 1234 5678;0371-6123 4567"),
                 row("A2", phones=""), row("A3", tags="吸氧"))
    import_customers(store, path)
    ids = {a: c.id for a, c in customers(store).items()}
    phones = phone_rows(store)
    report = import_customers(store, path)
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 3)
    assert {a: c.id for a, c in customers(store).items()} == ids
    assert phone_rows(store) == phones  # same rows, same ids: nothing rewritten
    assert len(audits(store)) == 2


def test_reimport_updates_a_changed_row(store: Store, tmp_path: Path) -> None:
    clock.freeze("2026-03-01T09:00:00+08:00")
    try:
        import_customers(store, write(tmp_path / "a.csv", row("A1", "张三"), row("A2")))
        first = customers(store)["A1"]
        clock.freeze("2026-03-02T09:00:00+08:00")
        report = import_customers(store, write(
            tmp_path / "b.csv", row("A1", "张叁", phones="0371-6123 4567;139 0000 1111"),
            row("A2")))
    finally:
        clock.unfreeze()
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    now = customers(store)["A1"]
    assert now.id == first.id and now.name == "张叁"
    assert now.created_at == first.created_at and now.updated_at > first.updated_at
    assert [(a, e, k, p) for a, e, k, p, _ in phone_rows(store) if a == "A1"] == [
        ("A1", "+8613900001111", "mobile", 1), ("A1", "+8637161234567", "landline", 0)]


def test_lookup_keys_follow_the_import(store: Store, tmp_path: Path) -> None:
    import_customers(store, write(tmp_path / "a.csv", row("A1", "张三", phones="138 1234 5678")))
    key = search_keys.phone_key("+8613812345678")
    new_key = search_keys.phone_key("+8613900001111")

    def keys() -> set[str]:
        with store.session() as s:
            return set(s.exec(select(CustomerKey.key)))

    assert key in keys() and "yzs" in keys()
    import_customers(store, write(tmp_path / "b.csv", row("A1", "李四", phones="139 0000 1111")))
    assert new_key in keys() and "yls" in keys()
    assert key not in keys() and "yzs" not in keys()


# --- export -------------------------------------------------------------------------


def _snapshot(store: Store) -> dict:
    got = {}
    for account, c in customers(store).items():
        got[account] = c.model_dump(exclude={"id", "created_at", "updated_at"})
    for account, e164, kind, position, _ in phone_rows(store):
        got[account].setdefault("phones", []).append((position, e164, kind))
    return got


def test_export_import_round_trip(store: Store, tmp_path: Path) -> None:
    lines = [row("B2", "[/]杨[bold]伟", building="1号[red]楼",
                 phones="0371-6123 4567;+1 212 555 0123;138 1234 5678", tags="吸氧;独居老人",
                 credit_list="黑", arrears_yuan="0.05"),
             row("A1", '"带""引号"",和逗号"', phones="", utility="电", customer_class="非居民"),
             row("C3", "=1+1", meter_no="0012", arrears_yuan="99999.99")]
    import_customers(store, write(tmp_path / "in.csv", *lines))
    out = tmp_path / "out.csv"
    assert export_customers(store, out, agent="A007") == 3
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # spreadsheet programs see UTF-8
    text = raw.decode("utf-8-sig")
    assert "[/]杨[bold]伟" in text and "1号[red]楼" in text  # literal, not markup
    records = list(csv.reader(text.splitlines()))
    assert records[0] == [*HEADER, *OPTIONAL]  # the optional columns written too
    assert records[1][-4:] == ["urban", "0", "", "0"]
    assert [r[0] for r in records[1:]] == ["A1", "B2", "C3"]  # ordered by account_no
    assert records[2][2] == "0371 6123 4567;+1 212-555-0123;138 1234 5678"
    assert records[2][13] == "0.05"
    # the same desk: nothing changes
    report = import_customers(store, out)
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 3)
    # a fresh desk: the same customers
    other = open_desk(tmp_path / "other.db")
    try:
        import_customers(other, out)
        assert _snapshot(other) == _snapshot(store)
        assert customers(other)["B2"].name == "[/]杨[bold]伟"
        assert customers(other)["A1"].name == '带"引号",和逗号'
    finally:
        other.dispose()
    log = [a for a in audits(store) if a.action == "export"]
    assert len(log) == 1 and log[0].agent_id == "A007"
    assert json.loads(log[0].detail) == {"file": str(out), "rows": 3}


def test_export_of_an_empty_desk(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    assert export_customers(store, out) == 0
    assert out.read_text(encoding="utf-8-sig").splitlines() == [",".join((*HEADER,
                                                                          *OPTIONAL))]


def test_failed_export_leaves_the_old_file(store: Store, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import_customers(store, write(tmp_path / "in.csv", row("A1"), row("A2")))
    out = tmp_path / "out.csv"
    out.write_text("previous export\n", encoding="utf-8")
    calls = []

    def failing(e164: str, region: str = "CN") -> str:
        calls.append(e164)
        if len(calls) == 2:
            raise RuntimeError("crash half-way")
        return e164

    monkeypatch.setattr(customers_io.phones, "display", failing)
    with pytest.raises(RuntimeError):
        export_customers(store, out)
    assert out.read_text(encoding="utf-8") == "previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir() if "out" in p.name) == ["out.csv"]
    assert [a.action for a in audits(store)] == ["import"]


@pytest.mark.slow
def test_hundred_thousand_rows(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(100_000):
            writer.writerow([f"01{i:08d}", f"用户{i}", f"13{8 + i % 2}{i:08d}", "金水区",
                             "花园路街道", "阳光小区", f"{i % 30}号楼", "2单元", str(i % 900),
                             "water", "居民", f"M{i}", "", f"{i % 500}.{i % 100:02d}", "吸氧"])
    started = time.perf_counter()
    report = import_customers(store, path)
    elapsed = time.perf_counter() - started
    assert (report.inserted, report.errors) == (100_000, [])
    assert elapsed < 120, elapsed  # seconds on a laptop; the bound only catches O(n²)
    assert export_customers(store, tmp_path / "out.csv") == 100_000
    report = import_customers(store, tmp_path / "out.csv")
    assert report.unchanged == 100_000


# --- the centre's load reads through the same reader ---------------------------------------


def test_the_centre_load_reads_the_file_as_the_desk_import_does(tmp_path: Path) -> None:
    from agentdesk.customers.csvio import CustomerReader, ImportReport
    from agentdesk.sync import central, load

    path = write(tmp_path / "c.csv", row("A1", "王芳"), row("A2", phones="12"), row("A1"),
                 row("A3", "李强", phones="139 0000 1111;138 1234 5678"))
    report = ImportReport(file=str(path))
    with CustomerReader(path, report) as reader:
        rows = [(r.line, r.account, len(r.numbers)) for r in reader]
    assert rows == [(2, "A1", 1), (5, "A3", 2)]
    desk_errors = [(e.line, e.account_no) for e in report.errors]
    assert desk_errors == [(3, "A2"), (4, "A1")]
    centre = central.connect(f"sqlite:///{tmp_path / 'central.db'}")
    try:
        centre.init_schema()
        loaded = load.customers(centre, path, batch=1)
        assert (loaded.inserted, loaded.updated) == (2, 0)
        assert [(e.line, e.account_no) for e in loaded.errors] == desk_errors
        assert [e.reason for e in loaded.errors] == [e.reason for e in report.errors]
        again = load.customers(centre, path)
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    finally:
        centre.dispose()


def test_the_reader_refuses_a_bad_header_on_entering(tmp_path: Path) -> None:
    from agentdesk.customers.csvio import CustomerReader, ImportReport

    path = tmp_path / "h.csv"
    path.write_text("account_no,name\nA1,王芳\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="missing columns"):
        with CustomerReader(path, ImportReport(file=str(path))):
            pass


def test_first_lines_past_the_dict_answer_as_the_dict(monkeypatch) -> None:
    """A repeat names the first line however many accounts came before (issue 21: a
    ten-million-row file's accounts in arrays, not a dict)."""
    import random

    from agentdesk.customers import firstlines

    monkeypatch.setattr(firstlines, "IN_DICT", 100)
    seen, want = firstlines.FirstLines(), {}
    rng = random.Random(7)
    for line in range(2, 20_000):
        account = f"{rng.choice('AB')}{rng.randrange(12_000)}{'号' * rng.randrange(2)}"
        assert seen.first(account, line) == want.setdefault(account, line)
    assert len(seen) == len(want) > 100


def test_a_repeat_far_down_a_big_file_names_its_first_line(tmp_path: Path, monkeypatch
                                                           ) -> None:
    from agentdesk.core.i18n import t
    from agentdesk.customers import firstlines
    from agentdesk.customers.csvio import CustomerReader, ImportReport

    monkeypatch.setattr(firstlines, "IN_DICT", 10)
    path = write(tmp_path / "c.csv", *(row(f"A{i}") for i in range(50)), row("A3"))
    report = ImportReport(file=str(path))
    with CustomerReader(path, report) as reader:
        assert len(list(reader)) == 50
    assert [(e.line, e.account_no) for e in report.errors] == [(52, "A3")]
    assert report.errors[0].reason == t("msg.customers.csvio.account_no_is_repeated",
                                        account="A3", seen=5)
