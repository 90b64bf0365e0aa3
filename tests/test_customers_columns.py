"""The customer CSV's optional columns (issue 17, item 10): ``area_class``, ``key_level``,
``meter_type``, ``arrears_periods``, for ``agentdesk import customers`` and ``agentdesk
central load customers``; each cell checked by line like the rest, nothing lost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from agentdesk import cli
from agentdesk.core.models import Customer
from agentdesk.core.store import Store, open_desk
from agentdesk.customers.csvio import HEADER, import_customers
from agentdesk.sync import engine, load
from agentdesk.tickets import service as tickets
from tests.sync_helpers import centre_rows, new_desk

OPTIONAL = ("area_class", "key_level", "meter_type", "arrears_periods")


def line(account: str, *optional: str, name: str = "张三") -> str:
    base = [account, name, "138 1234 5678", "金水区", "花园路街道", "阳光小区", "3号楼",
            "2单元", "501", "power", "居民", "M001", "", "0", ""]
    return ",".join([*base, *optional])


def write(path: Path, header: tuple[str, ...], *lines: str) -> Path:
    path.write_text("\n".join([",".join(header), *lines]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    desk = open_desk(tmp_path / "t.db")
    yield desk
    desk.dispose()


def rows(store: Store) -> dict[str, tuple]:
    with store.session() as s:
        return {c.account_no: (c.area_class, c.key_level, c.meter_type, c.arrears_periods)
                for c in s.exec(select(Customer))}


def test_the_columns_are_read_in_english_and_chinese(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", (*HEADER, *OPTIONAL),
                 line("A1", "rural", "2", "smart", "3"),
                 line("A2", "偏远", "0", "预付费表", "0"),
                 line("A3", "城区", "", "", ""),
                 line("A4", "农村", "3", "机械表", "12"))
    report = import_customers(store, path)
    assert (report.inserted, report.errors) == (4, [])
    assert rows(store) == {"A1": ("rural", 2, "smart", 3), "A2": ("remote", 0, "prepaid", 0),
                           "A3": ("urban", 0, "", 0), "A4": ("rural", 3, "mechanical", 12)}


def test_columns_in_any_order_and_only_some(store: Store, tmp_path: Path) -> None:
    header = (*HEADER[:5], "key_level", *HEADER[5:], "area_class")
    base = line("A1").split(",")
    path = tmp_path / "c.csv"
    path.write_text(",".join(header) + "\n" + ",".join([*base[:5], "1", *base[5:], "remote"])
                    + "\n", encoding="utf-8")
    assert import_customers(store, path).errors == []
    assert rows(store)["A1"] == ("remote", 1, "", 0)


@pytest.mark.parametrize("optional, words", [
    (("郊区", "0", "", "0"), "郊区"),
    (("urban", "4", "", "0"), "4"),
    (("urban", "一级", "", "0"), "一级"),
    (("urban", "1", "water-cooled", "0"), "water-cooled"),
    (("urban", "1", "smart", "-1"), "-1"),
    (("urban", "1", "smart", "2.5"), "2.5"),
])
def test_a_bad_cell_rejects_its_line_only(store: Store, tmp_path: Path, optional: tuple,
                                          words: str) -> None:
    path = write(tmp_path / "c.csv", (*HEADER, *OPTIONAL), line("A1", "rural", "1", "", "0"),
                 line("A2", *optional), line("A3", "remote", "0", "", "0"))
    report = import_customers(store, path)
    assert report.inserted == 2 and [e.line for e in report.errors] == [3]
    assert report.errors[0].account_no == "A2" and words in report.errors[0].reason
    assert "line 3 (account A2)" in report.format()
    assert set(rows(store)) == {"A1", "A3"}


def test_area_class_suburb_is_refused_with_its_line_by_the_cli(tmp_path: Path,
                                                                capsys) -> None:
    path = write(tmp_path / "c.csv", (*HEADER, "area_class"), line("A1", "urban"),
                 line("A2", "郊区"))
    db = tmp_path / "d.db"
    assert cli.main(["import", "customers", str(path), "--db", str(db)]) == 1
    out = capsys.readouterr()
    said = out.out + out.err
    assert "line 3 (account A2)" in said and "'郊区'" in said
    assert "urban / rural / remote" in said and "城区 / 农村 / 偏远" in said


def test_a_file_without_the_columns_leaves_them_alone(store: Store, tmp_path: Path) -> None:
    import_customers(store, write(tmp_path / "a.csv", (*HEADER, *OPTIONAL),
                                  line("A1", "remote", "2", "smart", "4")))
    again = import_customers(store, write(tmp_path / "b.csv", HEADER,
                                          line("A1", name="张三丰"), line("A9")))
    assert (again.inserted, again.updated) == (1, 1)
    assert rows(store)["A1"] == ("remote", 2, "smart", 4)  # not reset to the defaults
    assert rows(store)["A9"] == ("urban", 0, "", 0)
    same = import_customers(store, write(tmp_path / "c.csv", (*HEADER, "key_level"),
                                         line("A1", "0", name="张三丰")))
    assert same.updated == 1 and rows(store)["A1"] == ("remote", 0, "smart", 4)


def test_an_unknown_column_is_still_refused(english, store: Store, tmp_path: Path) -> None:
    from agentdesk.customers.csvio import ImportFileError

    with pytest.raises(ImportFileError, match="unknown columns: 'area'.*optional: area_class"):
        import_customers(store, write(tmp_path / "c.csv", (*HEADER, "area"), line("A1", "x")))


def test_an_imported_rural_key_customer_gets_its_clocks(store: Store, tmp_path: Path) -> None:
    import_customers(store, write(tmp_path / "c.csv", (*HEADER, *OPTIONAL),
                                  line("A1", "农村", "0", "", "0"),
                                  line("A2", "农村", "1", "", "0")))
    with store.session() as s:
        ids = dict(s.connection().execute(text("SELECT account_no, id FROM customer")).all())
        rural = tickets.preview(s, "power.fault", ids["A1"])
        key = tickets.preview(s, "power.fault", ids["A2"])
    assert rural.area_class == "rural"
    assert (rural.due["arrival"] - rural.due["first_response"]).seconds == 90 * 60
    assert (key.due["arrival"] - key.due["first_response"]).seconds == 30 * 60


def test_the_centre_load_takes_the_columns_and_the_desk_gets_them(tmp_path: Path,
                                                                  centre) -> None:
    path = write(tmp_path / "c.csv", (*HEADER, *OPTIONAL),
                 line("4100000001", "remote", "3", "prepaid", "2"),
                 line("4100000002", "郊区", "0", "", "0"),
                 line("4100000003", "城区", "9", "", "0"))
    report = load.customers(centre, path)
    assert report.inserted == 1
    assert [(e.line, e.account_no) for e in report.errors] == [(3, "4100000002"),
                                                               (4, "4100000003")]
    assert centre_rows(centre, "SELECT account_no, area_class, key_level, meter_type, "
                               "arrears_periods FROM customer") == [
        ("4100000001", "remote", 3, "prepaid", 2)]
    desk = new_desk(tmp_path / "d.db")
    engine.sync_once(desk, centre, hook=lambda name: None)
    assert rows(desk) == {"4100000001": ("remote", 3, "prepaid", 2)}


def test_a_centre_reload_without_the_columns_keeps_them(tmp_path: Path, centre) -> None:
    load.customers(centre, write(tmp_path / "a.csv", (*HEADER, *OPTIONAL),
                                 line("4100000001", "rural", "2", "smart", "5")))
    again = load.customers(centre, write(tmp_path / "b.csv", (*HEADER, "key_level"),
                                         line("4100000001", "1", name="李四")))
    assert (again.inserted, again.updated) == (0, 1)
    assert centre_rows(centre, "SELECT name, area_class, key_level, meter_type, "
                               "arrears_periods FROM customer") == [
        ("李四", "rural", 1, "smart", 5)]
