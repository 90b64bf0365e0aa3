"""``central load customers`` into PostgreSQL through COPY (issue 21, item 1): the same
rows, phones, keys, errors and change-log entries as the row path a SQLite centre keeps;
a re-load of the same file writes nothing; desks pull what a COPY load changed."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentdesk.customers import rejects
from agentdesk.customers.csvio import HEADER
from agentdesk.sync import central, engine, load
from tests.sync_helpers import PgDatabase, centre_rows, desk_rows, new_desk, require_pg
from tests.test_customers_io import row, write

pytestmark = pytest.mark.postgres

CUSTOMERS = ("SELECT account_no, name, utility, customer_class, district, street, community, "
             "building, unit, room, area_class, meter_no, meter_type, credit_list, "
             "arrears_fen, arrears_periods, tags, key_level, status FROM customer "
             "ORDER BY account_no")
PHONES = ("SELECT c.account_no, p.e164, p.kind, p.position FROM customer_phone p "
          "JOIN customer c ON c.id = p.customer_id ORDER BY 1, 4")
KEYS = ("SELECT k.key, c.account_no FROM customer_key k JOIN customer c "
        "ON c.id = k.customer_id ORDER BY 1, 2")
# the desk stores the key's customer id packed (agentdesk.core.ids.packed)
DESK_KEYS = KEYS.replace("c.id = k.customer_id", "c.id = key_id(k.customer_id)")
LOGGED = "SELECT count(*) FROM change_log WHERE entity = 'customer'"


@pytest.fixture(autouse=True, params=["here", "spread"])
def checked(request, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every test twice: the row rules in this process, and spread over worker processes
    in blocks of two records (a big file's way: copyload._spread)."""
    from agentdesk.sync import copyload

    spread = copyload._spread
    used = []

    def counted(*args):
        used.append(args)
        return spread(*args)

    if request.param == "spread":
        monkeypatch.setattr(copyload, "SPREAD_BYTES", 0)
        monkeypatch.setattr(copyload, "SPREAD_ROWS", 2)
        monkeypatch.setattr(copyload, "WORKERS", 2)
        monkeypatch.setattr(copyload, "_spread", counted)
    yield request.param
    assert bool(used) == (request.param == "spread")  # the PostgreSQL loads did spread


@pytest.fixture
def both(tmp_path: Path) -> Iterator[tuple[central.Central, central.Central]]:
    """A SQLite centre (the row path) and a PostgreSQL one (COPY)."""
    require_pg()
    db = PgDatabase()
    lite = central.connect(f"sqlite:///{tmp_path / 'central.db'}")
    pg = central.connect(db.url)
    lite.init_schema(), pg.init_schema()
    yield lite, pg
    lite.dispose(), pg.dispose()
    db.drop()


def same(lite: central.Central, pg: central.Central) -> None:
    for sql in (CUSTOMERS, PHONES, KEYS):
        assert centre_rows(pg, sql) == centre_rows(lite, sql)


def outcome(report) -> tuple:
    return (report.inserted, report.updated, report.unchanged,
            [(e.line, e.account_no, e.reason) for e in report.errors])


FIRST = (row("A1", "王芳"), row("A2", phones="12"), row("A1"),  # bad phone, repeat
         row("A3", "李强", phones="139 0000 1111;138 1234 5678;0371-6123 4567"),
         row("A4", "欧阳锋", phones="", tags="独居老人;吸氧", arrears_yuan="12.50",
             credit_list="黑名单", community="(金色家园)"),
         row("A5", "单雄信", street="back\\slash街", room="7\\8室"),
         row("A6", "张三", utility="gas"),  # bad utility
         "", row("A7", "Li Lei", phones="186 0000 0001", customer_class=""))


def test_copy_load_gives_the_rows_of_the_row_path_and_reloads_nothing(both, tmp_path: Path
                                                                      ) -> None:
    lite, pg = both
    first = write(tmp_path / "a.csv", *FIRST)
    got = [load.customers(c, first) for c in (lite, pg)]
    assert outcome(got[1]) == outcome(got[0])
    assert outcome(got[1])[:3] == (5, 0, 0)
    assert [e[0] for e in outcome(got[1])[3]] == [3, 4, 8]
    same(lite, pg)
    assert centre_rows(pg, LOGGED) == centre_rows(lite, LOGGED) == [(5,)]
    # a second file: one name changed, one customer's phones only, one new, the rest as is
    second = write(tmp_path / "b.csv", row("A1", "王芳芳"), *FIRST[3:5],
                   row("A5", "单雄信", phones="139 0000 2222", street="back\\slash街",
                       room="7\\8室"),
                   FIRST[8], row("A8", "赵六"))
    got = [load.customers(c, second) for c in (lite, pg)]
    assert outcome(got[1]) == outcome(got[0]) == (1, 2, 3, [])
    same(lite, pg)
    assert centre_rows(pg, LOGGED) == centre_rows(lite, LOGGED) == [(8,)]
    created = "SELECT account_no, created_at < updated_at FROM customer ORDER BY 1"
    assert centre_rows(pg, created) == centre_rows(lite, created)
    # the same file again: every row unchanged, nothing written or logged
    before = centre_rows(pg, "SELECT id, updated_at FROM customer ORDER BY id")
    got = [load.customers(c, second) for c in (lite, pg)]
    assert outcome(got[1]) == outcome(got[0]) == (0, 0, 6, [])
    assert centre_rows(pg, LOGGED) == centre_rows(lite, LOGGED) == [(8,)]
    assert centre_rows(pg, "SELECT id, updated_at FROM customer ORDER BY id") == before


PHONE_IDS = ("SELECT c.account_no, p.id FROM customer_phone p JOIN customer c "
             "ON c.id = p.customer_id ORDER BY 1, p.position")
KEY_XMIN = ("SELECT c.account_no, k.key, k.xmin::text FROM customer_key k JOIN customer c "
            "ON c.id = k.customer_id ORDER BY 1, 2")


def test_a_billing_edit_keeps_phones_and_keys_as_they_are(both, tmp_path: Path) -> None:
    """A re-load that changes arrears only rewrites no phone (desks would rewrite every
    one they pulled with a new id) and no key; a name change rewrites keys, not phones;
    new numbers rewrite both."""
    lite, pg = both
    first = write(tmp_path / "a.csv", *FIRST)
    for c in (lite, pg):
        load.customers(c, first)
    ids = {c: centre_rows(c, PHONE_IDS) for c in (lite, pg)}
    keys_before = centre_rows(pg, KEY_XMIN)
    second = write(tmp_path / "b.csv", row("A1", "王芳芳"),  # name: keys, not phones
                   row("A3", "李强", phones="139 0000 1111;138 1234 5678;0371-6123 4567",
                       arrears_yuan="99.00"),  # arrears only
                   FIRST[4], FIRST[5],
                   row("A7", "Li Lei", phones="186 0000 0002", customer_class=""))
    got = [load.customers(c, second) for c in (lite, pg)]
    assert outcome(got[1]) == outcome(got[0]) == (0, 3, 2, [])
    same(lite, pg)
    for c in (lite, pg):
        after = centre_rows(c, PHONE_IDS)
        assert [p for p in after if p[0] != "A7"] == \
            [p for p in ids[c] if p[0] != "A7"]  # A1 and A3 kept theirs
        assert [p for p in after if p[0] == "A7"] != [p for p in ids[c] if p[0] == "A7"]
    keys_after = centre_rows(pg, KEY_XMIN)
    for account, kept in (("A3", True), ("A5", True), ("A1", False), ("A7", False)):
        mine = [k for k in keys_after if k[0] == account]
        assert mine and (mine == [k for k in keys_before if k[0] == account]) == kept, account


def test_a_bulk_first_load_puts_every_index_back(both, tmp_path: Path) -> None:
    _lite, pg = both
    index = ("SELECT indexname FROM pg_indexes WHERE tablename IN ('customer', "
             "'customer_phone', 'customer_key') ORDER BY 1")
    indexes = centre_rows(pg, index)
    assert ("customer_key_pkey",) in indexes
    load.customers(pg, write(tmp_path / "a.csv", *(row(f"B{i}") for i in range(50))))
    assert centre_rows(pg, index) == indexes
    with pytest.raises(central.CentralError):  # the primary key is there and enforced
        with pg.writing() as conn:
            conn.exec_driver_sql("INSERT INTO customer_key SELECT key, customer_id "
                                 "FROM customer_key LIMIT 1")


def test_a_load_that_wrote_rows_vacuums_the_tables_it_filled(both, tmp_path: Path) -> None:
    """Without VACUUM an index-only scan reads the table for every row just loaded (a
    seed's key copy read a table page a key): the load vacuums what it wrote."""
    _lite, pg = both
    load.customers(pg, write(tmp_path / "a.csv", *(row(f"V{i}") for i in range(30))))
    done = centre_rows(pg, "SELECT relname FROM pg_stat_user_tables WHERE last_vacuum IS "
                           "NOT NULL AND relname IN ('customer', 'customer_phone', "
                           "'customer_key') ORDER BY 1")
    assert done == [("customer",), ("customer_key",), ("customer_phone",)]
    with pg.reading() as conn:  # the session's own limits are back after it
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "15s"


def test_bad_rows_are_written_by_line_from_a_copy_load(both, tmp_path: Path) -> None:
    lite, pg = both
    source = write(tmp_path / "a.csv", *FIRST)
    for name, c in (("lite", lite), ("pg", pg)):
        with rejects.writing(tmp_path / f"{name}.csv", source) as on_bad:
            report = load.customers(c, source, on_bad=on_bad)
    with open(tmp_path / "pg.csv", encoding="utf-8-sig", newline="") as f:
        written = list(csv.reader(f))
    assert written[0] == ["line", "reason", *HEADER]
    assert [r[:2] for r in written[1:]] == [[str(e.line), e.reason] for e in report.errors]
    assert [r[2] for r in written[1:]] == ["A2", "A1", "A6"]
    assert (tmp_path / "pg.csv").read_bytes() == (tmp_path / "lite.csv").read_bytes()


def test_desks_pull_what_a_copy_load_changed(both, tmp_path: Path) -> None:
    _lite, pg = both
    load.customers(pg, write(tmp_path / "a.csv", *FIRST))
    desk = new_desk(tmp_path / "d.db")
    try:
        engine.sync_once(desk, pg, hook=lambda name: None)  # first sync: a copy
        load.customers(pg, write(tmp_path / "b.csv", row("A1", "王芳芳"), FIRST[3],
                                 row("A9", "钱七", phones="137 0000 9999")))
        engine.sync_once(desk, pg, hook=lambda name: None)  # then the change log
        for desk_sql, sql in ((CUSTOMERS, CUSTOMERS), (PHONES, PHONES), (DESK_KEYS, KEYS)):
            assert desk_rows(desk, desk_sql) == centre_rows(pg, sql)
        assert ("王芳芳",) in desk_rows(desk, "SELECT name FROM customer")
        assert ("p99990000731",) in desk_rows(desk, "SELECT key FROM customer_key")
    finally:
        desk.dispose()


def test_a_file_that_breaks_half_way_leaves_the_centre_as_it_was(both, tmp_path: Path
                                                                 ) -> None:
    from agentdesk.customers.csvio import ImportFileError

    _lite, pg = both
    path = write(tmp_path / "a.csv", *(row(f"C{i}") for i in range(3000)))
    path.write_bytes(path.read_bytes() + "C9,\xff\n".encode("latin-1")
                     + b"C10,\xe5\xbc\xa0\n")
    with pytest.raises(ImportFileError, match="not UTF-8"):
        load.customers(pg, path)
    assert centre_rows(pg, "SELECT count(*) FROM customer") == [(0,)]
    assert centre_rows(pg, LOGGED) == [(0,)]


def test_a_centre_that_refuses_the_load_says_so_as_a_central_error(both, tmp_path: Path
                                                                   ) -> None:
    _lite, pg = both
    with pg.writing() as conn:
        conn.exec_driver_sql("ALTER TABLE customer ADD CONSTRAINT no_b CHECK "
                             "(account_no NOT LIKE 'B%%')")
    with pytest.raises(central.CentralError, match="no_b"):
        load.customers(pg, write(tmp_path / "a.csv", row("A1"), row("B1")))
    assert centre_rows(pg, "SELECT count(*) FROM customer") == [(0,)]


def test_the_command_loads_then_seeds_and_a_reload_neither_writes_nor_seeds(
        both, tmp_path: Path, capsys) -> None:
    from agentdesk import cli

    _lite, pg = both
    source = write(tmp_path / "a.csv", *FIRST)
    errors = tmp_path / "bad.csv"
    args = ["central", "load", "customers", str(source), "--central", pg.url, "--lang", "en",
            "--errors", str(errors)]
    assert cli.main(args) == 1  # bad rows: exit 1, as before
    out = capsys.readouterr().out
    assert "5 inserted, 0 updated, 0 unchanged, 3 bad row(s) skipped" in out
    assert "line 3 (account A2)" in out and str(errors) in out
    seeds = "SELECT count(*) FROM desk_seed WHERE complete"
    assert centre_rows(pg, seeds) == [(1,)]
    assert cli.main(args) == 1
    assert "0 inserted, 0 updated, 5 unchanged, 3 bad row(s) skipped" in \
        capsys.readouterr().out
    assert centre_rows(pg, seeds) == [(1,)]
    assert centre_rows(pg, "SELECT count(*) FROM desk_seed") == [(1,)]  # none begun either
    assert centre_rows(pg, LOGGED) == [(5,)]
