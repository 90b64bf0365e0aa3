"""Sync through a link that misbehaves (real PostgreSQL behind bench/netproxy.py): a desk
whose link goes silent mid-push holds no other desk up and gives up within 30 s; a link
that resets every 30 KB still delivers every change, exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench.netproxy import Proxy
from tests.sync_helpers import centre_rows, central_url, desk_rows, new_desk, require_pg

pytestmark = pytest.mark.postgres


def _tickets(desk, n: int, agent: str = "A1001", text: str = "漏水") -> None:
    from agentdesk.tickets import service as tickets

    with desk.session() as s:
        for i in range(n):
            tickets.create(s, tickets.Draft(category="water.burst", description=f"{text} {i}",
                                            location="花园路"), agent)


@pytest.fixture
def pg(tmp_path: Path):
    require_pg()
    from agentdesk.sync import central

    url, cleanup = central_url("postgres", tmp_path)
    centre = central.connect(url)
    centre.init_schema()
    yield url, centre
    centre.dispose()
    cleanup()


def test_a_silent_link_holds_no_other_desk_and_gives_up_within_30_s(tmp_path: Path, pg) -> None:
    from agentdesk.sync import central, engine

    url, centre = pg
    stalled = new_desk(tmp_path / "stalled.db")
    others = [new_desk(tmp_path / f"o{i}.db", ((f"B100{i}", f"坐席{i}"),)) for i in range(2)]
    for desk in (stalled, *others):
        engine.sync_once(desk, centre)
    _tickets(stalled, 200)  # ~400 changes: far more than 30 KB in one push
    stalled.dispose()
    with Proxy(("127.0.0.1", 5432)) as proxy:
        proxy.stall_after(30_000)
        env = {**os.environ, "CI": "", "PYTHONPATH": str(Path(__file__).parents[1])}
        started = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-m", "agentdesk", "sync", "--once", "--json", "--no-seed",
             "--db", str(tmp_path / "stalled.db"), "--central", proxy.url(url)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        # Wait until its push is under way (stuck mid-batch), then let the others push.
        for _ in range(200):
            if centre_rows(centre, "SELECT count(*) FROM pg_stat_activity WHERE "
                                   "application_name LIKE 'agentdesk-sync%' AND state <> 'idle' "
                                   "AND pid <> pg_backend_pid()")[0][0]:
                break
            time.sleep(0.05)
        latencies = []
        links = [central.connect(url, pool_size=1) for _ in others]
        while child.poll() is None and time.monotonic() - started < 40:
            for desk, link, code in zip(others, links, ("B1000", "B1001")):
                _tickets(desk, 1, agent=code)
                t0 = time.monotonic()
                report = engine.sync_once(desk, link)
                latencies.append(time.monotonic() - t0)
                assert report.pushed == 2
            time.sleep(0.2)
        out, err = child.communicate(timeout=30)
        took = time.monotonic() - started
        for link in links:
            link.dispose()
        # The proxy still holds the centre's end open and silent: the stalled backend
        # may keep its rows locked. The same desk, now on a good link, frees it itself.
        from agentdesk.sync import outbox

        stalled = outbox.open_syncing_desk(tmp_path / "stalled.db")
        report = engine.sync_once(stalled, centre)
    assert child.returncode == 3, err
    outcome = json.loads(out.strip().splitlines()[-1])
    assert outcome["ok"] is False and "没有回应" in outcome["error"]  # the catalog's zh
    assert took < 30, f"the stalled desk took {took:.1f} s to give up"
    assert latencies and max(latencies) < 5, latencies  # nobody waited on the stalled desk
    # On its good link, it delivered everything, once.
    assert report.waiting == 0
    assert centre_rows(centre, "SELECT count(*) FROM ticket WHERE description LIKE '漏水 %'") \
        == [(200 + len(latencies),)]
    stalled.dispose()
    for desk in others:
        desk.dispose()


def test_a_link_that_resets_every_30_kb_still_delivers_everything_once(tmp_path: Path,
                                                                       pg) -> None:
    from agentdesk.sync import central, engine

    url, centre = pg
    sender, receiver = new_desk(tmp_path / "a.db"), new_desk(tmp_path / "b.db")
    engine.sync_once(sender, centre)
    engine.sync_once(receiver, centre)
    before = centre_rows(centre, "SELECT count(*) FROM applied_change")[0][0]  # agents
    _tickets(sender, 1000)  # 2,000 changes waiting (a ticket and its created event each)
    assert desk_rows(sender, "SELECT count(*) FROM sync_outbox") == [(2000,)]
    with Proxy(("127.0.0.1", 5432)) as proxy:
        proxy.reset_every(30_000)
        for who in (sender, receiver):
            link = central.connect(proxy.url(url), pool_size=1)
            runs = 0
            while True:  # as the desk's schedule does: sync again after a failed run
                runs += 1
                assert runs < 200, "no progress through the resetting link"
                try:
                    report = engine.sync_once(who, link)
                except central.CentralUnavailable:
                    continue
                if report.waiting == 0:
                    break
            link.dispose()
        assert proxy.resets > 10  # the link really was cut, many times
    assert desk_rows(sender, "SELECT count(*) FROM sync_outbox") == [(0,)]
    assert centre_rows(centre, "SELECT count(*), count(DISTINCT number) FROM ticket") == \
        [(1000, 1000)]
    assert centre_rows(centre, "SELECT count(*) FROM ticket_event") == [(1000,)]
    assert centre_rows(centre, "SELECT count(*) FROM applied_change") == [(before + 2000,)]
    # every change logged once, and the other desk got every ticket once
    assert centre_rows(centre, "SELECT count(*) FROM (SELECT change_id FROM change_log WHERE "
                               "change_id IS NOT NULL GROUP BY change_id HAVING count(*) > 1) "
                               "d") == [(0,)]
    assert desk_rows(receiver, "SELECT count(*) FROM ticket") == [(1000,)]
    assert desk_rows(receiver, "SELECT count(*) FROM ticket_event") == [(1000,)]
    sender.dispose(), receiver.dispose()


def test_batch_size_halves_after_a_cut_and_grows_back(tmp_path: Path) -> None:
    from agentdesk.sync.bookkeeping import BatchSize
    from agentdesk.sync.central import CentralUnavailable

    desk = new_desk(tmp_path / "d.db")
    size = BatchSize(desk, "push_batch", 500)
    cut = CentralUnavailable("reset")
    for expected in (250, 125, 62, 31):
        size.failed(cut)
        assert size.now == expected
    size.succeeded()
    assert size.now == 46
    with pytest.raises(CentralUnavailable):  # a silent link: smaller will not help
        size.failed(CentralUnavailable("silent", stalled=True))
    assert BatchSize(desk, "push_batch", 500).now == 23  # the next sync starts there
    for _ in range(20):
        size.succeeded()
    assert size.now == 500
    desk.dispose()


def test_watchdog_cuts_a_silent_connection(tmp_path: Path, pg) -> None:
    """A query whose answer never comes is cut by the watchdog, not left waiting."""
    from agentdesk.sync.central import connection

    url, _centre = pg
    with Proxy(("127.0.0.1", 5432)) as proxy:
        from agentdesk.sync import central

        link = central.connect(proxy.url(url), pool_size=1)
        link.max_seq()
        proxy.stall_after(0)
        old = connection.OP_TIMEOUT_S
        connection.OP_TIMEOUT_S = 1.0
        try:
            started = time.monotonic()
            with pytest.raises(central.CentralUnavailable) as caught:
                link.max_seq()
            # the checkout ping's 5 s watchdog, then a reconnect that the silent link
            # lets time out (5 s): about 10 s, never the kernel's two hours
            assert time.monotonic() - started < 15
            assert caught.value.stalled or "unreachable" in str(caught.value)
        finally:
            connection.OP_TIMEOUT_S = old
            threading.Thread(target=link.dispose, daemon=True).start()


def test_a_desk_ends_its_own_session_a_silent_link_left_holding_its_rows(
        tmp_path: Path, pg, monkeypatch) -> None:
    """A link that went silent may leave the desk's backend waiting mid-message with the
    rows it wrote locked (the far side keeps the socket open: TCP never notices). The
    desk's next sync, on any link, ends that session of its own and goes through; another
    desk's session is never touched."""
    import psycopg

    from agentdesk.sync import engine
    from agentdesk.sync.central import connection

    url, centre = pg
    desk = new_desk(tmp_path / "d.db")
    other = new_desk(tmp_path / "o.db", (("B1000", "坐席0"),))
    for d in (desk, other):
        engine.sync_once(d, centre)
    me, them = engine.desk_id(desk), engine.desk_id(other)
    holders = []
    for who in (me, them):  # each desk's "stalled" session, its desk row written
        holder = psycopg.connect(url, application_name=f"agentdesk-sync {who}",
                                 options="-c idle_in_transaction_session_timeout=0")
        holder.execute("UPDATE desk SET last_seen = now() WHERE id = %s", (who,))
        holders.append(holder)
    monkeypatch.setattr(connection, "STALLED_AFTER_S", 0.5)
    time.sleep(1.0)
    _tickets(desk, 1)
    report = engine.sync_once(desk, centre)  # before: "lock timeout" on its own desk row
    assert report.pushed == 2 and report.waiting == 0
    with pytest.raises(psycopg.OperationalError):
        holders[0].execute("SELECT 1")
    assert holders[1].execute("SELECT 1").fetchone() == (1,)  # the other desk's: untouched
    holders[1].rollback()
    for holder in holders:
        holder.close()
    desk.dispose()
    other.dispose()
