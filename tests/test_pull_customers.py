"""A desk pulling a centre's bulk edit of customers recomputes the lookup keys and rewrites
the phones only of the customers whose name, address, numbers or phones changed (issue 21:
a billing file's arrears used to cost every customer's pinyin twice), and ends with exactly
the keys its rows give. Against a SQLite centre and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from agentdesk.core import search_keys
from agentdesk.sync import engine, load
from agentdesk.sync.central import T
from tests.sync_helpers import centre_rows, desk_rows, new_desk
from tests.test_customers_io import row, write


def _keys(desk) -> set[tuple[str, str]]:  # noqa: ANN001
    return set(desk_rows(desk, "SELECT key, key_id(customer_id) FROM customer_key"))


def _want(desk) -> set[tuple[str, str]]:  # noqa: ANN001
    with desk.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        return search_keys.current(raw, [r[0] for r in raw.execute("SELECT id FROM customer")])


def test_a_bulk_edit_rekeys_only_the_customers_whose_keys_can_change(tmp_path: Path, centre,
                                                                      monkeypatch) -> None:
    load.customers(centre, write(tmp_path / "a.csv",
                                 row("A1", "王芳", arrears_yuan="1.00"),
                                 row("A2", "李强", phones="139 0000 1111"),
                                 row("A3", "赵六", phones="138 0000 2222"),
                                 row("A4", "钱七", phones="137 0000 3333")))
    desk = new_desk(tmp_path / "d.db")
    try:
        engine.sync_once(desk, centre, hook=lambda name: None)
        ids = dict(desk_rows(desk, "SELECT account_no, id FROM customer"))
        phones = set(desk_rows(desk, "SELECT id, customer_id, e164 FROM customer_phone"))
        assert _keys(desk) == _want(desk)

        rekeyed: list[str] = []
        current = search_keys.current

        def spy(conn, customer_ids):  # noqa: ANN001, ANN202
            rekeyed.extend(customer_ids)
            return current(conn, customer_ids)

        monkeypatch.setattr(search_keys, "current", spy)
        load.customers(centre, write(tmp_path / "b.csv",
                                     row("A1", "王芳", arrears_yuan="9.00"),  # arrears only
                                     row("A2", "李小强", phones="139 0000 1111"),  # name
                                     row("A3", "赵六", phones="138 0000 2223"),  # a number
                                     row("A4", "钱七", phones="137 0000 3333"),  # unchanged
                                     row("A5", "孙八", phones="136 0000 4444")))  # new
        report = engine.sync_once(desk, centre, hook=lambda name: None)
        monkeypatch.setattr(search_keys, "current", current)

        assert report.pulled >= 4
        # the stale keys were looked up only for the customers whose keys could change
        assert set(rekeyed) <= {ids["A2"], ids["A3"], *desk_rows(
            desk, "SELECT id FROM customer WHERE account_no = 'A5'")[0]}
        assert ids["A2"] in rekeyed and ids["A3"] in rekeyed
        assert ids["A1"] not in rekeyed and ids["A4"] not in rekeyed
        # and the desk has exactly the keys its rows give
        assert _keys(desk) == _want(desk)
        assert ("fwangfang", ids["A1"]) in _keys(desk)
        assert ("flixiaoqiang", ids["A2"]) in _keys(desk)
        assert ("fliqiang", ids["A2"]) not in _keys(desk)
        assert desk_rows(desk, "SELECT arrears_fen FROM customer WHERE account_no = 'A1'") \
            == [(900,)]
        # the phones are the centre's (its load gives a changed customer's phones new
        # ids: rewritten here; an unchanged customer's are not touched)
        sql = "SELECT id, customer_id, e164, kind, position FROM customer_phone ORDER BY id"
        assert desk_rows(desk, sql) == centre_rows(centre, sql)
        after = set(desk_rows(desk, "SELECT id, customer_id, e164 FROM customer_phone"))
        assert {p for p in phones if p[1] == ids["A4"]} <= after
        assert {p[2] for p in after if p[1] == ids["A3"]} == {"+8613800002223"}
    finally:
        desk.dispose()


def test_an_arrears_edit_rewrites_no_phone_and_new_phone_ids_recompute_no_key(
        tmp_path: Path, centre, monkeypatch) -> None:
    load.customers(centre, write(tmp_path / "a.csv",
                                 row("A1", "王芳", phones="139 0000 1111;138 0000 2222"),
                                 row("A2", "李强", phones="137 0000 3333")))
    desk = new_desk(tmp_path / "d.db")
    try:
        engine.sync_once(desk, centre, hook=lambda name: None)
        stored = "SELECT rowid, id, customer_id, e164 FROM customer_phone ORDER BY rowid"
        phones = desk_rows(desk, stored)
        load.customers(centre, write(tmp_path / "b.csv",
                                     row("A1", "王芳", phones="139 0000 1111;138 0000 2222",
                                         arrears_yuan="5.00"),
                                     row("A2", "李强", phones="137 0000 3333",
                                         arrears_yuan="6.00")))
        rekeyed: list[str] = []
        current = search_keys.current
        monkeypatch.setattr(search_keys, "current",
                            lambda conn, ids: rekeyed.extend(ids) or current(conn, ids))
        engine.sync_once(desk, centre, hook=lambda name: None)
        assert desk_rows(desk, "SELECT arrears_fen FROM customer ORDER BY account_no") \
            == [(500,), (600,)]
        assert desk_rows(desk, stored) == phones  # not one phone row written again
        assert rekeyed == []
        # the centre gives A2's phone a new id, the number as it was: the desk takes the
        # row, and makes no key again (a phone key is the number's)
        customer = T["customer"]
        with centre.reading() as conn:
            row_a2 = dict(conn.execute(sa.select(customer).where(
                customer.c.account_no == "A2")).mappings().one())
        a2 = row_a2["id"]
        centre.upsert_rows("customer", [row_a2], {a2: [{
            "id": "new-phone-id", "customer_id": a2, "e164": "+8613700003333",
            "kind": "mobile", "position": 0}]})
        engine.sync_once(desk, centre, hook=lambda name: None)
        assert ("new-phone-id", a2, "+8613700003333") in [r[1:] for r in desk_rows(desk, stored)]
        assert [r for r in desk_rows(desk, stored) if r[2] != a2] == \
            [r for r in phones if r[2] != a2]
        assert rekeyed == []
        assert _keys(desk) == _want(desk)
    finally:
        desk.dispose()


def test_applying_a_pulled_batch_finds_every_desk_row_by_its_id(tmp_path: Path) -> None:
    """No statement of the pull scans the customer or phone table: at ten million
    customers one scan a batch would be the whole pull (UPDATE ... FROM let the planner
    do just that). Without statistics SQLite's planner guesses the same for a small desk
    as for a big one, so a small desk shows the plans a big one gets."""
    import re

    from agentdesk.core import store
    from agentdesk.demo.generate import fill_if_empty
    from agentdesk.sync import codec, pulled_customers
    from agentdesk.sync.bookkeeping import writing
    from agentdesk.sync.central.changes import Pulled

    desk = store.open_desk(tmp_path / "d.db")
    fill_if_empty(desk, customers=60, tickets=0, seed=3)
    cols, pcols = codec.columns("customer"), codec.columns("customer_phone")
    rows = desk_rows(desk, f"SELECT {', '.join(cols)} FROM customer ORDER BY id LIMIT 20")
    phones = desk_rows(desk, f"SELECT {', '.join(pcols)} FROM customer_phone")
    arrears, name = cols.index("arrears_fen"), cols.index("name")
    edited = [list(r) for r in rows]
    for r in edited:
        r[arrears] += 100
    edited[0][name] = "改名[bold]"
    fresh = list(rows[1])
    fresh[0], fresh[cols.index("account_no")] = "new-customer", "NEW-1"
    edited.append(fresh)
    changes = [Pulled(0, "customer", r[0], "upsert", None, tuple(r),
                      [p for p in phones if p[1] == r[0]] if r[0] != "new-customer" else
                      [("new-phone", "new-customer", "+8613900009999", "mobile", 0)])
               for r in edited]
    ran: list[str] = []
    try:
        with writing(desk, foreign_keys=False) as conn:
            raw = conn.connection.dbapi_connection
            raw.set_trace_callback(ran.append)
            pulled_customers.apply(conn, changes, False)
            raw.set_trace_callback(None)
            asked = [re.sub(r"^CREATE TEMP TABLE \w+ AS ", "", sql) for sql in ran]
            plans = {sql: [r[3] for r in raw.execute(f"EXPLAIN QUERY PLAN {sql}")]
                     for sql in asked if re.match(r"\s*(SELECT|UPDATE|INSERT|DELETE)", sql)}
        scans = {sql[:80]: line for sql, lines in plans.items() for line in lines
                 if re.match(r"SCAN (customer|customer_phone|c|ph)\b", line)}
        assert len(plans) >= 6 and not scans, scans
        assert desk_rows(desk, "SELECT name, arrears_fen FROM customer WHERE id = "
                               f"'{rows[0][0]}'") == [("改名[bold]", rows[0][arrears] + 100)]
        assert desk_rows(desk, "SELECT e164 FROM customer_phone WHERE customer_id = "
                               "'new-customer'") == [("+8613900009999",)]
        assert _keys(desk) == _want(desk)
    finally:
        desk.dispose()


def _demo_batch(tmp_path: Path, tickets: int = 0):  # noqa: ANN202
    from agentdesk.core import store
    from agentdesk.demo.generate import fill_if_empty

    desk = store.open_desk(tmp_path / "d.db")
    fill_if_empty(desk, customers=40, tickets=tickets, seed=5)
    from agentdesk.sync import codec

    cols, pcols = codec.columns("customer"), codec.columns("customer_phone")
    rows = {r[0]: list(r) for r in desk_rows(
        desk, f"SELECT {', '.join(cols)} FROM customer ORDER BY id")}
    phones = desk_rows(desk, f"SELECT {', '.join(pcols)} FROM customer_phone")
    return desk, cols, rows, phones


def _pulled(row: list, phones: list[tuple]):  # noqa: ANN202
    from agentdesk.sync.central.changes import Pulled

    return Pulled(0, "customer", row[0], "upsert", None, tuple(row),
                  [p for p in phones if p[1] == row[0]])


def test_a_customer_of_the_batch_that_moves_off_its_account_keeps_its_tickets(
        tmp_path: Path) -> None:
    """The centre moves customer L to a new account number and gives L's old one to a new
    customer C, in one batch: C takes the number, and L's tickets stay L's (they were
    re-pointed to C before)."""
    from agentdesk.sync import pulled_customers
    from agentdesk.sync.bookkeeping import writing

    desk, cols, rows, phones = _demo_batch(tmp_path, tickets=30)
    try:
        owner, count = desk_rows(desk, "SELECT customer_id, count(*) FROM ticket WHERE "
                                       "customer_id IS NOT NULL GROUP BY 1 LIMIT 1")[0]
        account = cols.index("account_no")
        moved = list(rows[owner])
        old_account, moved[account] = moved[account], "MOVED-1"
        fresh = list(moved)
        fresh[0], fresh[account] = "centre-new", old_account
        with writing(desk, foreign_keys=False) as conn:
            pulled_customers.apply(conn, [_pulled(moved, phones), _pulled(fresh, [])], False)
        assert desk_rows(desk, "SELECT id, account_no FROM customer WHERE id IN "
                               f"('{owner}', 'centre-new') ORDER BY account_no") == sorted(
            [(owner, "MOVED-1"), ("centre-new", old_account)], key=lambda r: r[1])
        assert desk_rows(desk, f"SELECT count(*) FROM ticket WHERE customer_id = '{owner}'") \
            == [(count,)]
        assert _keys(desk) == _want(desk)
    finally:
        desk.dispose()


def test_a_pulled_customer_a_constraint_refuses_is_set_aside_and_the_rest_applied(
        tmp_path: Path) -> None:
    """Customers are written on the raw connection, so a refusal comes as the driver's
    own IntegrityError: the batch is applied again change by change and the bad one
    quarantined (it used to stop every pull of the desk)."""
    from agentdesk.sync import pull
    from agentdesk.sync.bookkeeping import SyncReport, writing

    desk, cols, rows, phones = _demo_batch(tmp_path)
    try:
        good, bad = (list(r) for r in list(rows.values())[:2])
        good[cols.index("arrears_fen")] += 700
        bad[cols.index("name")] = None  # NOT NULL
        report = SyncReport()
        with writing(desk, foreign_keys=False) as conn:
            pull.guarded(conn, [_pulled(good, phones), _pulled(bad, phones)], "me",
                         lambda name: None, False, report)
        assert desk_rows(desk, "SELECT arrears_fen FROM customer WHERE id = "
                               f"'{good[0]}'") == [(good[cols.index('arrears_fen')],)]
        assert [q["row_id"] for q in report.quarantined] == [bad[0]]
        assert "NOT NULL" in report.quarantined[0]["reason"]
        assert desk_rows(desk, "SELECT row_id FROM sync_quarantine") == [(bad[0],)]
        assert desk_rows(desk, f"SELECT name FROM customer WHERE id = '{bad[0]}'") \
            == [(rows[bad[0]][cols.index('name')],)]
    finally:
        desk.dispose()
