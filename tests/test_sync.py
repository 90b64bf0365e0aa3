"""Sync: outbox capture, push/pull, conflicts, and the faults that must lose nothing.

Every test that needs a central store runs twice: against a SQLite central file and
against a throw-away PostgreSQL database on 127.0.0.1:5432 (``-m postgres`` selects
those; without PostgreSQL they fail when CI is set and skip loudly otherwise)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from agentdesk.core import clock
from agentdesk.tickets import service as tickets
from agentdesk.sync import central, engine
from tests.sync_helpers import (EVENT_SQL, TICKET_SQL, DroppingProxy, central_url,
                                centre_rows, checksum, desk_rows, new_desk, require_pg,
                                seed_customers, stop_after)


def _sync(desk, centre, **kw) -> engine.SyncReport:
    kw.setdefault("hook", lambda name: None)
    return engine.sync_once(desk, centre, **kw)


def _ticket(desk, customer_id: str | None, agent: str = "A1001", text: str = "漏水") -> str:
    with desk.session() as s:
        return tickets.create(s, tickets.Draft(category="water.burst", description=text,
                                               customer_id=customer_id,
                                               location="" if customer_id else "花园路"),
                              agent).number


# --- capture -----------------------------------------------------------------------------


def test_outbox_is_written_in_the_same_transaction(tmp_path: Path) -> None:
    desk = new_desk(tmp_path / "d.db")
    before = desk_rows(desk, "SELECT count(*) FROM sync_outbox")[0][0]
    with pytest.raises(RuntimeError), desk.session() as s:
        tickets.create(s, tickets.Draft(category="water.burst", description="x",
                                        location="花园路"), "A1001")
        raise RuntimeError("the agent's transaction fails")
    assert desk_rows(desk, "SELECT count(*) FROM sync_outbox")[0][0] == before
    number = _ticket(desk, None)
    kinds = desk_rows(desk, "SELECT entity, op FROM sync_outbox ORDER BY seq")[before:]
    assert kinds == [("ticket", "insert"), ("ticket_event", "insert")]
    with desk.session() as s:
        tickets.add_note(s, number, "A1001", "回电")
    assert desk_rows(desk, "SELECT entity FROM sync_outbox ORDER BY seq DESC LIMIT 1") == [
        ("ticket_event",)]
    desk.dispose()


def test_customer_edit_is_captured_with_old_and_new(tmp_path: Path) -> None:
    from agentdesk.core.models import Customer, CustomerPhone

    desk = new_desk(tmp_path / "d.db")
    with desk.session() as s:
        c = Customer(account_no="1", name="张三", utility="water")
        s.add(c)
        s.flush()
        s.add(CustomerPhone(customer_id=c.id, e164="+8613800000000"))
    with desk.session() as s:
        c = s.get(Customer, c.id)
        c.name = "张三丰"
        s.add(c)
    rows = desk_rows(desk, "SELECT entity, op, payload FROM sync_outbox WHERE entity = "
                           "'customer' ORDER BY seq")
    assert [r[1] for r in rows] == ["insert", "phones", "edit"]
    assert json.loads(rows[2][2])["fields"]["name"] == "张三丰"
    assert json.loads(rows[2][2])["old"]["name"] == "张三"
    desk.dispose()


def test_pulled_changes_are_not_captured_again(tmp_path: Path, centre) -> None:
    seed_customers(centre, 3)
    desk = new_desk(tmp_path / "d.db")
    _sync(desk, centre)
    assert desk_rows(desk, "SELECT count(*) FROM sync_outbox") == [(0,)]
    assert desk_rows(desk, "SELECT count(*) FROM customer") == [(3,)]
    desk.dispose()


# --- the round trip ----------------------------------------------------------------------


def test_tickets_flow_both_ways_and_reference_data_down(tmp_path: Path, centre) -> None:
    from agentdesk.customers import lookup

    ids = seed_customers(centre, 5)
    a, b = new_desk(tmp_path / "a.db"), new_desk(tmp_path / "b.db")
    _sync(a, centre), _sync(b, centre)
    number = _ticket(a, ids[0])
    assert number.startswith("GD20261125001")  # desk 1's own number range
    _sync(a, centre)
    report = _sync(b, centre)
    assert report.pulled > 0
    with b.session() as s:
        t = tickets.get(s, number)
        assert t.customer_id == ids[0]
        assert [e.kind for e in tickets.events(s, t.id)] == ["created"]
        assert [m.name for m in lookup.search(s, "张一0")]  # search keys built on pull
    assert checksum(desk_rows(a, TICKET_SQL)) == checksum(desk_rows(b, TICKET_SQL)) == \
        checksum(centre_rows(centre, TICKET_SQL))
    a.dispose(), b.dispose()


def test_customer_edits_later_receipt_wins_and_old_value_is_audited(tmp_path: Path,
                                                                      centre) -> None:
    from agentdesk.core.models import Customer

    (cid,) = seed_customers(centre, 1)
    a, b = new_desk(tmp_path / "a.db"), new_desk(tmp_path / "b.db")
    _sync(a, centre), _sync(b, centre)
    for desk, name in ((b, "李四"), (a, "王五")):  # b edits first but a reaches the centre first
        with desk.session() as s:
            c = s.get(Customer, cid)
            c.name = name
            s.add(c)
    _sync(a, centre), _sync(b, centre), _sync(a, centre)
    for desk in (a, b):
        assert desk_rows(desk, f"SELECT name FROM customer WHERE id = '{cid}'") == [("李四",)]
    audit = [json.loads(d) for (d,) in centre_rows(
        centre, "SELECT detail FROM audit_log WHERE action = 'sync_overwrite' ORDER BY at")]
    assert [(x["old"], x["new"]) for x in audit if x["field"] == "name"] == [
        ("张一0", "王五"), ("王五", "李四")]
    a.dispose(), b.dispose()


# --- faults ------------------------------------------------------------------------------


def test_offline_double_claim_one_owner_conflict_recorded_no_event_lost(tmp_path: Path,
                                                                       centre) -> None:
    ids = seed_customers(centre, 2)
    origin = new_desk(tmp_path / "o.db", (("A1000", "张班长"),))
    a = new_desk(tmp_path / "a.db", (("A1001", "王芳"),))
    b = new_desk(tmp_path / "b.db", (("A1002", "李强"),))
    for desk in (origin, a, b):
        _sync(desk, centre)
    number = _ticket(origin, ids[0], agent="A1000")
    _sync(origin, centre), _sync(a, centre), _sync(b, centre)
    # both offline: each claims, and writes a note afterwards
    with a.session() as s:
        tickets.claim(s, number, "A1001", "原负责人下班")
        tickets.add_note(s, number, "A1001", "王芳已联系用户")
    with b.session() as s:
        tickets.claim(s, number, "A1002", "原负责人下班")
        tickets.add_note(s, number, "A1002", "李强已联系用户")
    _sync(a, centre)
    report = _sync(b, centre)
    _sync(a, centre)
    winner = centre_rows(centre, "SELECT id FROM agent WHERE code = 'A1001'")[0][0]
    for desk in (a, b):
        with desk.session() as s:
            t = tickets.get(s, number)
            assert t.owner_id == winner
            assert tickets.rebuilt(s, t.id)["owner_id"] == winner  # same order everywhere
            notes = {e.note for e in tickets.events(s, t.id) if e.kind == "note"}
            assert notes == {"王芳已联系用户", "李强已联系用户"}
            kinds = [e.kind for e in tickets.events(s, t.id)]
            assert kinds.count("claim") == 2 and kinds.count("conflict") == 1
    assert [c["ticket_number"] for c in report.conflicts] == [number]
    assert report.conflicts[0]["winner_name"] == "王芳"
    assert [c["ticket_number"] for c in engine.conflicts(b)] == [number]
    assert engine.conflicts(a) == []
    assert checksum(desk_rows(a, EVENT_SQL)) == checksum(desk_rows(b, EVENT_SQL)) == \
        checksum(centre_rows(centre, EVENT_SQL))
    for desk in (origin, a, b):
        desk.dispose()


@pytest.mark.parametrize("fast_first", [True, False])
def test_desk_clocks_an_hour_off_change_no_outcome(tmp_path: Path, centre,
                                                   fast_first: bool) -> None:
    ids = seed_customers(centre, 1)
    a = new_desk(tmp_path / "a.db", (("A1001", "王芳"), ("A1000", "张班长")))
    b = new_desk(tmp_path / "b.db", (("A1002", "李强"),))
    _sync(a, centre), _sync(b, centre)
    number = _ticket(a, ids[0], agent="A1000")
    _sync(a, centre), _sync(b, centre)
    base = clock.now()
    first, second = (a, b) if fast_first else (b, a)
    codes = {id(a): "A1001", id(b): "A1002"}
    for desk, offset in ((first, timedelta(hours=1)), (second, timedelta(hours=-1))):
        clock.freeze(base + offset)
        with desk.session() as s:
            tickets.claim(s, number, codes[id(desk)], "接手")
    clock.freeze(base)
    _sync(first, centre), _sync(second, centre), _sync(first, centre)
    winner_code = codes[id(first)]  # the first the centre received, whatever the clocks say
    orders = []
    for desk in (a, b):
        with desk.session() as s:
            t = tickets.get(s, number)
            assert desk_rows(desk, f"SELECT code FROM agent WHERE id = '{t.owner_id}'") == [
                (winner_code,)]
            orders.append([e.id for e in tickets.events(s, t.id)])
    assert orders[0] == orders[1]
    assert len(engine.conflicts(second)) == 1 and engine.conflicts(first) == []
    a.dispose(), b.dispose()


def test_centre_unreachable_desk_keeps_working_and_changes_arrive_later(english, tmp_path: Path,
                                                                        centre) -> None:
    ids = seed_customers(centre, 2)
    desk = new_desk(tmp_path / "d.db")
    _sync(desk, centre)
    if centre.dialect == "postgresql":
        down = central.connect("postgresql://postgres@127.0.0.1:9/none")  # closed port
    else:
        down = None
    made = [_ticket(desk, ids[0]) for _ in range(3)]  # offline work
    with pytest.raises(central.CentralUnavailable) as err:
        if down is not None:
            _sync(desk, down)
        else:
            central.connect(f"sqlite:///{tmp_path}/gone/central.db")
    assert "\n" not in str(err.value) and "central store" in str(err.value)
    assert engine.waiting(desk) == 6  # 3 tickets, 3 created events
    made.append(_ticket(desk, ids[1]))
    _sync(desk, centre)
    assert engine.waiting(desk) == 0
    assert {n for (n,) in centre_rows(centre, "SELECT number FROM ticket")} == set(made)
    desk.dispose()


@pytest.mark.parametrize("where", ["central.before_commit", "push.after_central_commit"])
def test_connection_dropped_mid_batch_loses_nothing(tmp_path: Path, centre,
                                                   where: str) -> None:
    """A push whose connection dies inside the central transaction (rolled back) or
    just after its commit (applied, but the desk never heard): both retried, once."""
    ids = seed_customers(centre, 1)
    desk = new_desk(tmp_path / "d.db")
    _sync(desk, centre)
    made = {_ticket(desk, ids[0]) for _ in range(4)}
    proxy = None
    if centre.dialect == "postgresql":
        proxy = DroppingProxy()
        via = central.connect(centre.url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"))

        def hook(name: str) -> None:
            if name == where:
                proxy.cut()  # every connection through the proxy dies now
                if where == "push.after_central_commit":  # the answer never reached us
                    raise ConnectionResetError("connection reset after the commit")
    else:
        via = centre

        def hook(name: str) -> None:
            if name == where:
                raise ConnectionResetError("connection reset mid-batch")
    with pytest.raises((central.CentralUnavailable, ConnectionResetError)):
        engine.sync_once(desk, via, hook=hook, push_batch=3)
    assert engine.waiting(desk) > 0
    if proxy:
        proxy.restore()
    report = _sync(desk, via)
    assert report.repeated == (3 if where == "push.after_central_commit" else 0)
    assert engine.waiting(desk) == 0
    assert {n for (n,) in centre_rows(centre, "SELECT number FROM ticket")} == made
    assert centre_rows(centre, "SELECT count(*) FROM ticket_event") == [(4,)]
    via.dispose()
    if proxy:
        proxy.close()


_SYNC_SCRIPT = """
import sys
from agentdesk.sync import central, engine, outbox
desk = outbox.open_syncing_desk(sys.argv[1])
engine.sync_once(desk, central.connect(sys.argv[2]), push_batch=2, pull_batch=3)
"""


def test_sigkill_at_twenty_points_then_rerun_applies_every_change_once(tmp_path: Path,
                                                                        centre) -> None:
    ids = seed_customers(centre, 4)
    path = tmp_path / "d.db"
    desk = new_desk(path)
    _sync(desk, centre)
    made: set[str] = set()
    crashes: list[str] = []
    env = {**os.environ}
    for point in range(1, 23):
        number = _ticket(desk, ids[point % 4])
        with desk.session() as s:
            tickets.add_note(s, number, "A1001", f"第{point}次")
        made |= {r[0] for r in desk_rows(desk, "SELECT change_id FROM sync_outbox")}
        env[engine.CRASH_ENV] = str(point)
        run = subprocess.run([sys.executable, "-c", _SYNC_SCRIPT, str(path), centre.url],
                             env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == -signal.SIGKILL, run.stderr
        crashes.append(run.stderr.strip().rsplit(": ", 1)[-1])
    env.pop(engine.CRASH_ENV)
    run = subprocess.run([sys.executable, "-c", _SYNC_SCRIPT, str(path), centre.url], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert len(set(crashes)) >= 6, crashes  # push, central commit, pull, apply ... points
    print("crash points:", crashes)
    assert engine.waiting(desk) == 0
    applied = {r[0] for r in centre_rows(centre, "SELECT change_id FROM applied_change")}
    assert made <= applied
    # exactly once: no change id logged the same row twice, every event once
    assert centre_rows(centre, "SELECT change_id, entity, row_id FROM change_log WHERE "
                               "change_id IS NOT NULL GROUP BY change_id, entity, row_id "
                               "HAVING count(*) > 1") == []
    assert centre_rows(centre, "SELECT count(*) FROM ticket_event WHERE kind = 'note'") == [
        (22,)]
    assert checksum(desk_rows(desk, TICKET_SQL)) == checksum(centre_rows(centre, TICKET_SQL))
    assert checksum(desk_rows(desk, EVENT_SQL)) == checksum(centre_rows(centre, EVENT_SQL))
    desk.dispose()


def test_twenty_desks_at_once_end_with_the_centre_ticket_set(tmp_path: Path, centre) -> None:
    ids = seed_customers(centre, 10)
    desks = [new_desk(tmp_path / f"d{i}.db", ((f"B{i:03d}", f"坐席{i}"),)) for i in range(20)]
    links = [central.connect(centre.url, pool_size=1) for _ in desks]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            _sync(desks[i], links[i], pull_batch=7)  # registers, pulls the customers
            for round_ in range(3):
                _ticket(desks[i], ids[(i + round_) % 10], agent=f"B{i:03d}",
                        text=f"desk {i} round {round_}")
                _sync(desks[i], links[i], push_batch=2, pull_batch=7)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for i, desk in enumerate(desks):
        _sync(desk, links[i])
    expected_t = checksum(centre_rows(centre, TICKET_SQL))
    expected_e = checksum(centre_rows(centre, EVENT_SQL))
    assert centre_rows(centre, "SELECT count(*) FROM ticket") == [(60,)]
    seqs = sorted(s for (s,) in centre_rows(
        centre, "SELECT seq FROM change_log WHERE entity = 'ticket_event'"))
    for desk in desks:
        assert desk_rows(desk, "SELECT count(*) FROM ticket") == [(60,)]
        assert checksum(desk_rows(desk, TICKET_SQL)) == expected_t
        assert checksum(desk_rows(desk, EVENT_SQL)) == expected_e
        assert sorted(s for (s,) in desk_rows(desk, "SELECT seq FROM sync_event_seq")) == seqs
    for desk, link in zip(desks, links):
        desk.dispose()
        link.dispose()


def test_out_of_order_commit_a_held_transaction_still_arrives(tmp_path: Path, centre) -> None:
    """Hold one central transaction open, let a later one try to commit, pull, commit the
    first, pull again: the first arrives (the cursor never skips it). On PostgreSQL the
    later push does not wait for the held one (no lock is held before commit); on SQLite
    it waits (BEGIN IMMEDIATE). Either way seq order is commit order."""
    ids = seed_customers(centre, 2)
    a, b, c = (new_desk(tmp_path / f"{n}.db") for n in "abc")
    for desk in (a, b, c):
        _sync(desk, centre)
    first, later = _ticket(a, ids[0], text="先开始的事务"), _ticket(b, ids[1], text="后开始的事务")
    la, lb = central.connect(centre.url), central.connect(centre.url)
    holding, release = threading.Event(), threading.Event()

    def hold(name: str) -> None:
        if name == "central.before_commit" and not release.is_set():
            holding.set()
            assert release.wait(30)

    ta = threading.Thread(target=engine.sync_once, args=(a, la), kwargs={"hook": hold})
    ta.start()
    assert holding.wait(30)
    tb = threading.Thread(target=_sync, args=(b, lb))
    tb.start()
    if centre.dialect == "postgresql":
        tb.join(timeout=8)  # the later push is not held up by the held transaction
        assert not tb.is_alive()
    else:
        tb.join(timeout=0.5)  # SQLite: BEGIN IMMEDIATE makes it wait
    _sync(c, centre)  # pull while the first is held
    seen = {n for (n,) in desk_rows(c, "SELECT number FROM ticket")}
    assert first not in seen
    assert (later in seen) == (centre.dialect == "postgresql")
    release.set()
    ta.join(30), tb.join(30)
    _sync(c, centre)
    seen = {n for (n,) in desk_rows(c, "SELECT number FROM ticket")}
    assert {first, later} <= seen
    seq = dict(centre_rows(centre, "SELECT t.number, min(l.seq) FROM change_log l JOIN ticket t "
                                   "ON t.id = l.row_id WHERE l.entity = 'ticket' GROUP BY "
                                   "t.number"))
    if centre.dialect == "postgresql":
        assert seq[later] < seq[first]  # committed first, numbered first
    else:
        assert seq[first] < seq[later]
    for x in (a, b, c):
        x.dispose()
    la.dispose(), lb.dispose()


@pytest.mark.postgres
def test_pg_raw_writer_bypassing_the_project_still_gets_commit_order(tmp_path: Path) -> None:
    """A transaction that writes the change log with plain SQL (no lock, its own seq),
    commits late: the database numbers it at commit, after what committed before, so a
    desk that pulled in between does not skip it."""
    require_pg()
    import psycopg

    url, cleanup = central_url("postgres", tmp_path)
    try:
        c = central.connect(url)
        c.init_schema()
        t1, t2 = psycopg.connect(url), psycopg.connect(url)
        t1.execute("INSERT INTO change_log (seq, entity, row_id, op) VALUES (1, 'x', '1', 'i')")
        t2.execute("INSERT INTO change_log (entity, row_id, op) VALUES ('x', '2', 'i')")
        t2.commit()
        pulled = c.pull(0, 10)
        assert [(p.row_id, p.seq) for p in pulled] == [("2", 1)]
        cursor = pulled[-1].seq
        t1.commit()  # the early writer commits late
        assert [(p.row_id, p.seq) for p in c.pull(cursor, 10)] == [("1", 2)]
        # seq cannot be set or changed afterwards either
        with pytest.raises(psycopg.errors.RaiseException):
            t1.execute("UPDATE change_log SET seq = 0 WHERE row_id = '1'")
        t1.rollback()
        t1.close(), t2.close()
        c.dispose()
    finally:
        cleanup()


def test_pg_numbering_a_big_transaction_and_one_numbered_midway(tmp_path: Path) -> None:
    """Every row of a big transaction is numbered once, in insertion order; rows written
    after a mid-transaction numbering (SET CONSTRAINTS ALL IMMEDIATE) are numbered too.
    (The firings after the first return on the transaction's own note: a probe of the
    table made a 40,000-row commit take a minute; ``/tmp`` timings are in the note.)"""
    require_pg()
    import psycopg

    url, cleanup = central_url("postgres", tmp_path)
    try:
        c = central.connect(url)
        c.init_schema()
        with psycopg.connect(url) as conn:
            conn.execute("INSERT INTO change_log (entity, row_id, op) SELECT 'x', 'a' || g, "
                         "'i' FROM generate_series(1, 20000) g")
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
            conn.execute("SET CONSTRAINTS ALL DEFERRED")
            conn.execute("INSERT INTO change_log (entity, row_id, op) SELECT 'x', 'b' || g, "
                         "'i' FROM generate_series(1, 5) g")
            conn.commit()
            rows = conn.execute("SELECT row_id FROM change_log ORDER BY seq").fetchall()
            assert conn.execute("SELECT min(seq), max(seq), count(DISTINCT seq) FROM "
                                "change_log").fetchone() == (1, 20005, 20005)
        assert [r[0] for r in rows] == [f"a{i}" for i in range(1, 20001)] + \
            [f"b{i}" for i in range(1, 6)]
        c.dispose()
    finally:
        cleanup()


def test_old_schema_desk_migrates_then_syncs(tmp_path: Path, centre) -> None:
    from agentdesk.core import migrations
    from agentdesk.sync import outbox

    path = tmp_path / "old.db"
    engine_ = sa.create_engine(f"sqlite:///{path}")
    migrations.upgrade(engine_, path, target="0004")
    with engine_.begin() as conn:
        conn.exec_driver_sql("INSERT INTO agent (id, code, name, role, team, on_shift, "
                             "created_at) VALUES ('ag1', 'A0900', '老坐席', 'agent', '', 1, "
                             "'2026-11-24 01:00:00.000000')")
        conn.exec_driver_sql(
            "INSERT INTO ticket (id, number, business_type, category, priority, status, "
            "description, location, area_class, first_responder_id, owner_id, department, "
            "satisfaction, created_at, updated_at) VALUES ('t1', 'GD2026112400007', "
            "'repair', 'water.burst', 'urgent', 'accepted', '旧库工单', '花园路', 'urban', "
            "'ag1', 'ag1', '', '', '2026-11-24 01:00:00.000000', '2026-11-24 01:00:00.000000')")
        conn.exec_driver_sql(
            "INSERT INTO ticket_event (id, ticket_id, at, agent_id, kind, from_status, "
            "to_status, note, data) VALUES ('e1', 't1', '2026-11-24 01:00:00.000000', 'ag1', "
            "'created', '', 'accepted', '', '{}')")
    engine_.dispose()
    desk = outbox.open_syncing_desk(path)
    assert migrations.current(desk.engine) == migrations.HEAD
    _sync(desk, centre)
    assert centre_rows(centre, "SELECT number, description FROM ticket") == [
        ("GD2026112400007", "旧库工单")]
    assert centre_rows(centre, "SELECT id FROM ticket_event") == [("e1",)]
    desk.dispose()


def _keys_exact(desk) -> bool:
    """The desk's lookup keys are exactly those its customer rows give."""
    from agentdesk.core import search_keys

    with desk.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        ids = [r[0] for r in raw.execute("SELECT id FROM customer")]
        want = search_keys.current(raw, ids)
        have = set(raw.execute("SELECT key, key_id(customer_id) FROM customer_key"))
    return want == have


def test_first_sync_resumes_where_it_stopped(tmp_path: Path, centre) -> None:
    from agentdesk.customers import lookup

    seed_customers(centre, 40)
    desk = new_desk(tmp_path / "d.db", ())
    with pytest.raises(KeyboardInterrupt):
        engine.sync_once(desk, centre, snapshot_batch=15, hook=stop_after(2))
    assert desk_rows(desk, "SELECT count(*) FROM customer") == [(30,)]
    assert desk_rows(desk, "SELECT count(*) FROM customer_phone") == [(30,)]
    (after,) = desk_rows(desk, "SELECT value FROM sync_meta WHERE key = 'snap_after'")[0]
    assert after == desk_rows(desk, "SELECT max(id) FROM customer")[0][0]
    seen = []
    report = _sync(desk, centre, snapshot_batch=15,
                   progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert report.pulled == 10 and not report.first
    assert desk_rows(desk, "SELECT count(*) FROM customer") == [(40,)]
    assert desk_rows(desk, "SELECT count(*) FROM customer_phone") == [(40,)]
    assert seen and seen[-1][1] == seen[-1][2]
    assert {stage for stage, _, _ in seen} >= {"customers", "search keys"}
    assert _keys_exact(desk)
    assert desk_rows(desk, "SELECT key FROM sync_meta WHERE key LIKE 'snap%' OR key = "
                           "'bulk_indexes'") == []
    assert desk_rows(desk, "SELECT count(*) FROM sqlite_master WHERE name IN "
                           "('ix_customer_name', 'ix_customer_phone_e164', "
                           "'ix_customer_phone_customer_id')") == [(3,)]
    with desk.session() as s:
        assert len(lookup.search(s, "张一30")) >= 1
        assert "张一30" in [m.name for m in lookup.search(s, "zy", limit=200)]  # initials
        assert [m.name for m in lookup.search(s, "00000030")] == ["张一30"]  # phone suffix
    desk.dispose()


def test_first_sync_interrupted_while_copying_keys_resumes(tmp_path: Path, centre) -> None:
    seed_customers(centre, 40)
    desk = new_desk(tmp_path / "d.db", ())
    with pytest.raises(KeyboardInterrupt):  # 3 customer batches, then 1 of 3 key batches
        engine.sync_once(desk, centre, snapshot_batch=15, hook=stop_after(4))
    assert desk_rows(desk, "SELECT count(*) FROM customer_key") == [(120,)]
    assert desk_rows(desk, "SELECT value FROM sync_meta WHERE key = 'snap_stage'") == [
        ("keys",)]
    report = _sync(desk, centre, snapshot_batch=15)
    assert report.pulled == 0 and _keys_exact(desk)
    assert desk_rows(desk, "SELECT count(*) FROM customer_key") == centre_rows(
        centre, "SELECT count(*) FROM customer_key")
    desk.dispose()


def test_first_sync_keys_are_packed_as_the_desk_packs_them(tmp_path: Path, centre) -> None:
    """The centre sends canonical ids packed (PostgreSQL) or as text; either way the desk
    stores 16 bytes for a uuid and the text for any other id, as key_ref does."""
    import sqlalchemy as sa

    ids = seed_customers(centre, 4)
    with centre.engine.begin() as conn:  # an id from an old hand-made file: stays text
        conn.execute(sa.text("UPDATE customer_key SET customer_id = 'C-OLD-1' "
                             "WHERE customer_id = :c"), {"c": ids[0]})
    desk = new_desk(tmp_path / "d.db", ())
    _sync(desk, centre)
    kinds = dict(desk_rows(desk, "SELECT key_id(customer_id), typeof(customer_id) "
                                 "FROM customer_key GROUP BY customer_id"))
    assert kinds == {"C-OLD-1": "text", **{i: "blob" for i in ids[1:]}}
    assert set(desk_rows(desk, "SELECT key, key_id(customer_id) FROM customer_key")) == set(
        centre_rows(centre, "SELECT key, customer_id FROM customer_key"))
    desk.dispose()


def test_centre_keys_follow_loads_and_desk_edits(tmp_path: Path, centre) -> None:
    """The centre keeps every customer's keys, computed when rows change there."""
    from agentdesk.core import search_keys
    from agentdesk.core.models import Customer

    (cid, *_) = seed_customers(centre, 3)
    desk = new_desk(tmp_path / "d.db")
    _sync(desk, centre)
    with desk.session() as s:
        c = s.get(Customer, cid)
        c.name = "欧阳锋"
        s.add(c)
    _sync(desk, centre)
    have = set(centre_rows(centre, "SELECT key, customer_id FROM customer_key"))
    with desk.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        want = search_keys.current(raw, [r[0] for r in raw.execute("SELECT id FROM customer")])
    assert have == want and ("fouyangfeng", cid) in have
    desk.dispose()


def test_customer_changed_during_and_after_first_sync_has_exact_keys(tmp_path: Path,
                                                                      centre) -> None:
    from agentdesk.customers import lookup

    ids = seed_customers(centre, 40)
    desk = new_desk(tmp_path / "d.db", ())
    first = []

    def edit_meanwhile(name: str) -> None:
        # After the first batch is copied: its first customer is renamed at the centre,
        # so the desk copies the row before and the keys after the change.
        if name == "pull.after_local_commit" and not first:
            first.append(name)
            _rename_at_centre(centre, ids[0], "司马光", "+8613999990000")

    _sync(desk, centre, snapshot_batch=15, hook=edit_meanwhile)
    assert desk_rows(desk, f"SELECT name FROM customer WHERE id = '{ids[0]}'") == [("司马光",)]
    assert _keys_exact(desk)
    _rename_at_centre(centre, ids[1], "诸葛亮", "+8613888880000")  # after: an incremental pull
    _sync(desk, centre)
    assert _keys_exact(desk)
    with desk.session() as s:
        assert [m.customer_id for m in lookup.search(s, "zgl")] == [ids[1]]
        assert [m.customer_id for m in lookup.search(s, "88880000")] == [ids[1]]
        assert ids[1] not in [m.customer_id for m in lookup.search(s, "张二1")]
    desk.dispose()


def _rename_at_centre(centre, cid: str, name: str, e164: str) -> None:
    row = dict(zip(["id", "account_no", "name"], centre_rows(
        centre, f"SELECT id, account_no, name FROM customer WHERE id = '{cid}'")[0]))
    full = centre_rows(centre, f"SELECT * FROM customer WHERE id = '{cid}'")
    cols = [c.name for c in central.T["customer"].columns]
    values = dict(zip(cols, full[0]))
    from agentdesk.sync import codec

    values = codec.to_python("customer", {k: codec.wire(v) for k, v in values.items()})
    values["name"] = name
    assert row["id"] == cid
    centre.upsert_rows("customer", [values], {cid: [
        {"id": f"p-{cid}", "customer_id": cid, "e164": e164, "kind": "mobile",
         "position": 0}]})


def test_central_init_computes_keys_of_an_older_centre(tmp_path: Path, centre) -> None:
    seed_customers(centre, 12)
    want = set(centre_rows(centre, "SELECT key, customer_id FROM customer_key"))
    with centre.engine.begin() as conn:  # a centre made before keys lived there
        conn.exec_driver_sql("DELETE FROM customer_key")
        conn.exec_driver_sql("DELETE FROM central_meta WHERE key = 'search_keys'")
    assert centre.keys_version() is None
    centre.init_schema()
    assert set(centre_rows(centre, "SELECT key, customer_id FROM customer_key")) == want
    assert centre.keys_version() == search_keys_version()


def search_keys_version() -> str:
    from agentdesk.core import search_keys

    return search_keys.version()


def test_first_sync_computes_keys_when_the_centre_has_other_rules(tmp_path: Path,
                                                                   centre) -> None:
    seed_customers(centre, 20)
    with centre.engine.begin() as conn:
        conn.execute(central.T["central_meta"].update().where(
            central.T["central_meta"].c.key == "search_keys").values(value="0/old"))
    desk = new_desk(tmp_path / "d.db", ())
    _sync(desk, centre, snapshot_batch=7)
    assert _keys_exact(desk)
    assert desk_rows(desk, "SELECT count(*) FROM customer_key")[0][0] > 20 * 5
    desk.dispose()


def test_cli_sync_once_json(tmp_path: Path, centre, capsys) -> None:
    from agentdesk import cli

    seed_customers(centre, 3)
    code = cli.main(["sync", "--once", "--json", "--db", str(tmp_path / "d.db"),
                     "--central", centre.url])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["ok"] and out["pulled"] == 3 and out["first"]
    code = cli.main(["sync", "--once", "--json", "--db", str(tmp_path / "d.db"),
                     "--central", "postgresql://postgres@127.0.0.1:9/none"])
    out = json.loads(capsys.readouterr().out)
    assert code == 3 and not out["ok"] and "unreachable" in out["error"]


def test_cli_central_init_and_load(english, tmp_path: Path, capsys) -> None:
    from agentdesk import cli

    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert cli.main(["central", "init", "--central", url]) == 0
    assert cli.main(["central", "init", "--central", url]) == 0
    assert "up to date" in capsys.readouterr().out
    csv = tmp_path / "c.csv"
    csv.write_text("account_no,name,phones,district,street,community,building,unit,room,"
                   "utility,customer_class,meter_no,credit_list,arrears_yuan,tags\n"
                   "3100000001,张三,13812345678,金水区,花园路街道,幸福小区,1栋,1单元,101室,"
                   "water,,,,,\n3100000002,,x,,,,,,,water,,,,,\n", encoding="utf-8")
    assert cli.main(["central", "load", "customers", str(csv), "--central", url]) == 1
    out = capsys.readouterr().out
    assert "1 inserted" in out and "line 3" in out
    assert cli.main(["central", "load", "kb", "agentdesk/kb/articles", "--central", url]) == 0
    c = central.connect(url)
    assert centre_rows(c, "SELECT count(*) FROM kb_article")[0][0] > 50
    c.dispose()
    assert cli.main(["central", "init", "--central", "mysql://x/y"]) == 2
    assert "only postgresql" in capsys.readouterr().err


def test_schedule_backs_off_and_jitters() -> None:
    import random

    from agentdesk.sync.schedule import Schedule

    plan = Schedule(30, rng=random.Random(1))
    normal = [plan.delay() for _ in range(50)]
    assert all(27 <= d <= 33 for d in normal) and len(set(normal)) > 1
    delays = []
    for _ in range(10):
        plan.failed()
        delays.append(plan.delay())
    assert delays[-1] <= 660 and delays[3] > delays[0]
    plan.succeeded()
    assert plan.delay() <= 33


def test_a_centre_of_schema_1_gets_the_met_times_on_init(tmp_path: Path, centre) -> None:
    """``central init`` on a centre made before the tickets' met times (schema 1) adds the
    columns and fills them from the events, as the desk's migration 0006 does."""
    desk = new_desk(tmp_path / "d.db")
    number = _ticket(desk, None)
    with desk.session() as s:
        for step in ("dispatched", "on_site", "resolved"):
            clock.advance(timedelta(minutes=10))
            tickets.advance(s, number, "A1001", step, department="抢修一队")
        tickets.call_back(s, number, "A1001", "不满意")  # reopens: a new call-back clock
        s.commit()
    _sync(desk, centre)
    met = "SELECT responded_at, arrived_at, called_back_at FROM ticket"
    want = centre_rows(centre, met)
    assert want[0][0] is not None and want[0][1] is not None and want[0][2] is None
    with centre.engine.begin() as conn:  # what a schema-1 centre looked like
        for name in ("responded_at", "arrived_at", "called_back_at"):
            conn.exec_driver_sql(f"ALTER TABLE ticket DROP COLUMN {name}")
        conn.exec_driver_sql("UPDATE central_meta SET value = '1' "
                             "WHERE key = 'schema_version'")
    with pytest.raises(central.CentralError, match="run agentdesk central init"):
        centre.check()
    centre.init_schema()
    centre.check()
    assert centre_rows(centre, met) == want
    desk.dispose()


def test_a_centre_of_schema_7_gets_the_ticket_life_columns_on_init(tmp_path: Path,
                                                                   centre) -> None:
    """``central init`` on a centre made before issue 17 (schema 7) adds the ticket's
    complaint class, channel, counts, reply and follows columns and counts the reopenings
    from the events, as the desk's migration 0013 does."""
    desk = new_desk(tmp_path / "d.db")
    number = _ticket(desk, None)
    with desk.session() as s:
        for step in ("dispatched", "on_site", "resolved"):
            clock.advance(timedelta(minutes=10))
            tickets.advance(s, number, "A1001", step, department="抢修一队")
        tickets.call_back(s, number, "A1001", "不满意")  # one reopening
        s.commit()
    _sync(desk, centre)
    assert centre_rows(centre, "SELECT reopen_count, channel FROM ticket") == [(1, "phone")]
    with centre.engine.begin() as conn:  # what a schema-7 centre looked like
        for name in ("complaint_class", "channel", "chase_count", "reopen_count", "reply",
                     "reply_due", "follows_id"):
            conn.exec_driver_sql(f"ALTER TABLE ticket DROP COLUMN {name}")
        conn.exec_driver_sql("UPDATE central_meta SET value = '7' "
                             "WHERE key = 'schema_version'")
    with pytest.raises(central.CentralError, match="run agentdesk central init"):
        centre.check()
    centre.init_schema()
    centre.check()
    assert centre_rows(centre, "SELECT reopen_count, channel, chase_count, reply FROM ticket"
                       ) == [(1, "phone", 0, "")]
    desk.dispose()


def test_a_centre_of_schema_8_gets_the_call_outcome_columns_on_init(tmp_path: Path,
                                                                    centre) -> None:
    """``central init`` on a centre from before the calls' wrap-up (schema 8) adds the
    contact's outcome, transfer and unknown-caller columns, as desk migration 0014 does;
    a wrapped-up call then syncs with its outcome."""
    from agentdesk.customers import contacts, wrapup

    with centre.engine.begin() as conn:  # what a schema-8 centre looked like
        for name in ("outcome", "transfer_to", "transfer_ref", "caller_name",
                     "caller_address", "callback_number"):
            conn.exec_driver_sql(f"ALTER TABLE contact DROP COLUMN {name}")
        conn.exec_driver_sql("UPDATE central_meta SET value = '8' "
                             "WHERE key = 'schema_version'")
    with pytest.raises(central.CentralError, match="run agentdesk central init"):
        centre.check()
    centre.init_schema()
    desk = new_desk(tmp_path / "d.db")
    with desk.session() as s:
        call = contacts.record_call(s, "13800000000", "A1001").contact_id
        wrapup.wrap_up(s, call, wrapup.Outcome("transferred", "燃气问题", "12345", "ZB-9"))
        s.commit()
    _sync(desk, centre)
    assert centre_rows(centre, "SELECT outcome, transfer_to, transfer_ref FROM contact") == [
        ("transferred", "12345", "ZB-9")]
    desk.dispose()
