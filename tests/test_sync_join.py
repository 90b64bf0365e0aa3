"""Desks with a past join a centre: two desks that ran standalone, each with the same
customer file imported and tickets of their own (numbered alike, before either had a desk
number), then pointed at one central store (PostgreSQL and the SQLite centre), in both
orders. No traceback; one customer per account everywhere; every ticket on every desk;
a renumbered ticket keeps its old number findable. Demo data never leaves its desk."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sync_helpers import centre_rows, desk_rows, new_desk

HEAD = ("account_no,name,phones,district,street,community,building,unit,room,utility,"
        "customer_class,meter_no,credit_list,arrears_yuan,tags")
ROWS = ["3100000001,张三,13812345678,金水区,花园路街道,阳光小区,3号楼,2单元,501,water,居民,"
        "M001,,0,",
        "3100000002,李四,13812345679,金水区,花园路街道,阳光小区,3号楼,2单元,502,water,居民,"
        "M002,,0,吸氧",
        "WX-0003,王五,13812345670,惠济区,古荥镇,岗李村,,,,water,居民,M003,,0,"]


def _standalone(path: Path, csv: Path, who: str, accounts: tuple[str, ...]):
    """A desk that ran on its own: the CSV imported, a ticket per account (and one with
    no caller), all numbered before it had a desk number."""
    from sqlmodel import select

    from agentdesk.core.models import Customer
    from agentdesk.customers.csvio import import_customers
    from agentdesk.tickets import service as tickets

    desk = new_desk(path)
    assert not import_customers(desk, csv).errors
    with desk.session() as s:
        by_account = {c.account_no: c.id for c in s.exec(select(Customer))}
        for account in accounts:
            tickets.create(s, tickets.Draft(category="water.burst",
                                            description=f"{who} 漏水 {account}",
                                            customer_id=by_account[account]), "A1001")
        tickets.create(s, tickets.Draft(category="water.burst", description=f"{who} 无名",
                                        location="花园路"), "A1002")
    return desk


@pytest.mark.parametrize("first,batch", [("a", 500), ("b", 500), ("b", 1)])
def test_two_desks_with_a_past_join_in_either_order(tmp_path: Path, centre, first: str,
                                                     batch: int) -> None:
    """``batch`` 1: every change its own push and pull (a ticket arrives before the
    customer it names; a desk pulls a number its own unsent ticket holds)."""
    from agentdesk.sync import engine
    from agentdesk.tickets import service as tickets

    csv = tmp_path / "c.csv"
    csv.write_text("\n".join([HEAD, *ROWS]) + "\n", encoding="utf-8")
    a = _standalone(tmp_path / "a.db", csv, "甲", ("3100000001", "WX-0003"))
    b = _standalone(tmp_path / "b.db", csv, "乙", ("3100000001", "3100000002"))
    numbers_a = {r[0] for r in desk_rows(a, "SELECT number FROM ticket")}
    numbers_b = {r[0] for r in desk_rows(b, "SELECT number FROM ticket")}
    assert numbers_a & numbers_b  # the collision the join must survive
    order = (a, b) if first == "a" else (b, a)
    for _round in range(2):
        for desk in order:
            engine.sync_once(desk, centre, push_batch=batch, pull_batch=batch)  # no traceback
    for desk in (a, b):
        engine.sync_once(desk, centre, push_batch=batch, pull_batch=batch)
    # Every ticket everywhere, numbers unique, each desk's own description kept.
    everywhere = sorted(desk_rows(a, "SELECT id, number, customer_id FROM ticket"))
    assert len(everywhere) == 6
    assert sorted(desk_rows(b, "SELECT id, number, customer_id FROM ticket")) == everywhere
    assert sorted(centre_rows(centre, "SELECT id, number, customer_id FROM ticket")) == \
        everywhere
    assert len({n for _i, n, _c in everywhere}) == 6
    # One customer per account, the same id on both desks and at the centre, and every
    # ticket points at a customer that exists there.
    for where in (lambda q: desk_rows(a, q), lambda q: desk_rows(b, q),
                  lambda q: centre_rows(centre, q)):
        assert sorted(where("SELECT account_no, count(*) FROM customer GROUP BY account_no")) \
            == [("3100000001", 1), ("3100000002", 1), ("WX-0003", 1)]
        assert where("SELECT count(*) FROM ticket t WHERE t.customer_id IS NOT NULL AND "
                     "NOT EXISTS (SELECT 1 FROM customer c WHERE c.id = t.customer_id)") \
            == [(0,)]
    ids = [sorted(desk_rows(d, "SELECT account_no, id FROM customer")) for d in (a, b)]
    assert ids[0] == ids[1] == sorted(centre_rows(centre, "SELECT account_no, id FROM customer"))
    # The desk that came second had its colliding tickets renumbered: an event says so, and
    # its old number still finds them.
    renamed = desk_rows(a, "SELECT ticket_id, data FROM ticket_event WHERE kind = 'renumbered'")
    assert renamed and sorted(renamed) == sorted(desk_rows(
        b, "SELECT ticket_id, data FROM ticket_event WHERE kind = 'renumbered'"))
    import json

    second = b if first == "a" else a
    for ticket_id, data in renamed:
        old = json.loads(data)["old_number"]
        with second.session() as s:
            found = tickets.find(s, old)
            assert ticket_id in [t.id for t in found]
            assert tickets.get(s, json.loads(data)["number"]).id == ticket_id
    for desk in (a, b):
        assert desk_rows(desk, "SELECT count(*) FROM sync_outbox") == [(0,)]
        assert desk_rows(desk, "SELECT count(*) FROM sync_quarantine") == [(0,)]
        desk.dispose()


def test_a_demo_desk_refuses_to_join(tmp_path: Path, centre) -> None:
    from agentdesk.core.store import open_desk
    from agentdesk.demo.generate import generate
    from agentdesk.sync import central, engine, outbox

    path = tmp_path / "demo.db"
    plain = open_desk(path)
    generate(plain, 50, 10, 1)
    plain.dispose()
    desk = outbox.open_syncing_desk(path)
    with pytest.raises(central.CentralError) as refused:
        engine.sync_once(desk, centre)
    message = str(refused.value)
    assert "demo" in message and "\n" not in message and "--db" in message
    assert refused.value.kind == "demo"
    assert centre_rows(centre, "SELECT count(*) FROM ticket") == [(0,)]
    assert centre_rows(centre, "SELECT count(*) FROM desk") == [(0,)]
    assert desk_rows(desk, "SELECT count(*) FROM sync_meta WHERE key = 'desk_no'") == [(0,)]
    desk.dispose()


def _contact(desk, note: str) -> None:
    from agentdesk.core.models import Contact

    with desk.session() as s:
        s.add(Contact(number="13812345678", note=note))
        s.commit()


def test_a_change_the_centre_refuses_is_quarantined_and_the_sync_goes_on(
        tmp_path: Path, centre) -> None:
    """A row the centre's constraints refuse (here: a check a centre added) is set aside
    with the reason, counted in the report; the rest of the batch goes through, the desk's
    outbox empties, and the next sync does not fail again."""
    import sqlalchemy as sa

    from agentdesk.sync import engine

    if centre.dialect == "sqlite":
        pytest.skip("SQLite cannot add a CHECK to a table: the PostgreSQL variant covers it")
    with centre.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE contact ADD CONSTRAINT no_bad CHECK (note <> 'bad')"))
    desk = new_desk(tmp_path / "d.db")
    engine.sync_once(desk, centre)
    for note in ("ok 1", "bad", "ok 2"):
        _contact(desk, note)
    report = engine.sync_once(desk, centre)
    assert [q["entity"] for q in report.quarantined] == ["contact"]
    assert "no_bad" in report.quarantined[0]["reason"]
    assert report.as_json()["quarantined"] == report.quarantined
    assert sorted(centre_rows(centre, "SELECT note FROM contact")) == [("ok 1",), ("ok 2",)]
    assert centre_rows(centre, "SELECT entity, reason LIKE '%no_bad%' FROM quarantine") == \
        [("contact", True)]
    assert desk_rows(desk, "SELECT count(*) FROM sync_outbox") == [(0,)]
    assert engine.sync_once(desk, centre).quarantined == []
    desk.dispose()


def test_a_pulled_change_the_desk_refuses_is_quarantined_and_the_sync_goes_on(
        tmp_path: Path, centre) -> None:
    """The same on the desk: a pulled row its constraints refuse goes to sync_quarantine
    with the reason; the other rows of the batch arrive and the cursor moves past it."""
    from agentdesk.sync import engine

    sender, receiver = new_desk(tmp_path / "s.db"), new_desk(tmp_path / "r.db")
    for desk in (sender, receiver):
        engine.sync_once(desk, centre)
    with receiver.engine.begin() as conn:  # a desk whose schema refuses one row
        conn.exec_driver_sql("CREATE TRIGGER no_bad BEFORE INSERT ON contact WHEN "
                             "NEW.note = 'bad' BEGIN SELECT RAISE(ABORT, 'bad contact'); END")
    for note in ("ok 1", "bad", "ok 2"):
        _contact(sender, note)
    engine.sync_once(sender, centre)
    report = engine.sync_once(receiver, centre)
    assert [(q["entity"], q["reason"]) for q in report.quarantined] == [("contact",
                                                                          "bad contact")]
    assert sorted(desk_rows(receiver, "SELECT note FROM contact")) == [("ok 1",), ("ok 2",)]
    assert desk_rows(receiver, "SELECT entity, reason FROM sync_quarantine") == \
        [("contact", "bad contact")]
    assert engine.sync_once(receiver, centre).quarantined == []
    for desk in (sender, receiver):
        desk.dispose()
