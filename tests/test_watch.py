"""The centre's escalation watch (``agentdesk central watch``): warnings and 督办 of every
ticket of the centre, whether or not the owner's desk runs, each exactly once: two
watches at once, a watch killed -9 and restarted, a desk and the watch firing the same
alert. Every test runs against a SQLite central file and a throw-away PostgreSQL database
(the ``centre`` fixture), as tests/test_sync.py does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from agentdesk.core import clock
from agentdesk.sync import engine
from agentdesk.sync.central import watch as watch_mod
from agentdesk.tickets import escalation, service as tickets
from tests.conftest import FROZEN, wait_until
from tests.sync_helpers import centre_rows, desk_rows, new_desk

ROOT = Path(__file__).resolve().parents[1]
LATER = clock.parse_instant(FROZEN) + timedelta(minutes=20)  # burst: first response breached


def _sync(desk, centre) -> engine.SyncReport:
    return engine.sync_once(desk, centre, hook=lambda name: None)


def _burst(desk, agent: str = "A1001") -> str:
    """A burst main (first response 15 min, arrival 30 min), made at FROZEN; its number."""
    with desk.session() as s:
        return tickets.create(s, tickets.Draft(category="water.burst", description="爆管",
                                               location="花园路"), agent).number


def _alerts(rows: list[tuple]) -> Counter:
    """(number, kind, clock) -> how many events, from (number, kind, data) rows."""
    return Counter((n, kind, json.loads(data).get("clock")) for n, kind, data in rows)


ALERT_SQL = ("SELECT t.number, e.kind, e.data FROM ticket_event e JOIN ticket t ON "
             "t.id = e.ticket_id WHERE e.kind IN ('warning', 'escalation')")


def test_watch_escalates_once_though_the_owner_desk_never_scans(tmp_path: Path,
                                                                 centre) -> None:
    desk = new_desk(tmp_path / "d.db")
    number = _burst(desk)
    _sync(desk, centre)  # the owner's desk never runs its scan
    watch = watch_mod.Watch(centre)
    assert watch.acquire() is None
    first = watch.run_pass(LATER)
    assert [(a.number, a.kind, a.clock) for a in first.alerts] == [
        (number, "escalation", "first_response")]
    assert watch.run_pass(LATER).alerts == []  # the same pass again: nothing new
    # a new watch (nothing in memory) reads what was given from the events
    again = watch_mod.Watch(centre)
    watch.release()
    assert again.acquire() is None
    assert again.run_pass(LATER).owed == 0
    assert _alerts(centre_rows(centre, ALERT_SQL)) == {
        (number, "escalation", "first_response"): 1}
    assert centre_rows(centre, "SELECT DISTINCT origin FROM change_log WHERE entity = "
                               "'ticket_event' AND row_id IN (SELECT id FROM ticket_event "
                               "WHERE kind = 'escalation')") == [("watch",)]
    # the desk pulls it; its own scan then finds the alert given
    _sync(desk, centre)
    assert _alerts(desk_rows(desk, ALERT_SQL)) == {(number, "escalation", "first_response"): 1}
    clock.freeze(LATER)
    with desk.session() as s:
        assert escalation.scan(s, LATER, owner="A1001") == []
    desk.dispose()


def test_a_desk_and_the_watch_firing_one_alert_keep_one_event(tmp_path: Path,
                                                             centre) -> None:
    """Offline, the desk escalates on its own while the watch does the same at the
    centre: both give the alert the same id, so the centre and the desk keep one."""
    desk = new_desk(tmp_path / "d.db")
    number = _burst(desk)
    _sync(desk, centre)
    clock.freeze(LATER)
    with desk.session() as s:
        mine = escalation.scan(s, LATER, owner="A1001")
    watch = watch_mod.Watch(centre)
    assert watch.acquire() is None
    theirs = watch.run_pass(LATER).alerts
    assert [a.event_id for a in mine] == [a.event_id for a in theirs]
    report = _sync(desk, centre)
    assert report.quarantined == []
    for rows in (centre_rows(centre, ALERT_SQL), desk_rows(desk, ALERT_SQL)):
        assert _alerts(rows) == {(number, "escalation", "first_response"): 1}
    desk.dispose()


def test_a_reopened_ticket_is_escalated_anew_and_old_escalations_count(tmp_path: Path,
                                                                        centre) -> None:
    """A 督办 written before alerts had ids (a random id) is given all the same; a ticket
    reopened after an unsatisfied call-back has a new clock, escalated once more."""
    desk = new_desk(tmp_path / "d.db")
    old, again = _burst(desk), _burst(desk)
    clock.freeze(LATER)
    with desk.session() as s:
        tickets.append_event(s, tickets.get(s, old), "escalation", None, note="超时督办",
                             clock="first_response")  # an older desk's: a random id
        for step in ("dispatched", "on_site"):
            tickets.advance(s, again, "A1001", step, department="抢修班")
        tickets.advance(s, again, "A1001", "resolved")
        tickets.call_back(s, again, "A1001", "不满意")  # reopened: resolution due in 30 min
    _sync(desk, centre)
    watch = watch_mod.Watch(centre)
    assert watch.acquire() is None
    assert watch.run_pass(LATER).alerts == []
    later = LATER + timedelta(minutes=40)
    assert sorted((a.number, a.kind, a.clock) for a in watch.run_pass(later).alerts) == [
        (old, "escalation", "arrival"), (again, "escalation", "resolution")]
    assert watch.run_pass(later).alerts == []
    assert _alerts(centre_rows(centre, ALERT_SQL)) == {
        (old, "escalation", "first_response"): 1, (old, "escalation", "arrival"): 1,
        (again, "escalation", "resolution"): 1}
    desk.dispose()


def test_two_writers_at_once_write_each_alert_once(tmp_path: Path, centre) -> None:
    """Below the lease: two transactions recording the same alerts at the same moment
    (as two watches that both thought they held the lease would) leave one event each."""
    desk = new_desk(tmp_path / "d.db")
    numbers = [_burst(desk) for _ in range(5)]
    _sync(desk, centre)
    with centre.reading() as conn:
        _open, keys = watch_mod.owed(conn, LATER)
        _given, todo = watch_mod.given(conn, keys)
    owed = [alert for _key, alert in todo]
    assert len(owed) == 5
    start = threading.Barrier(2)
    written: list[int] = []

    def write() -> None:
        start.wait()
        with centre.writing() as conn:
            written.append(len(watch_mod.record(conn, owed, LATER)))

    workers = [threading.Thread(target=write) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert sorted(written) == [0, 5]
    assert _alerts(centre_rows(centre, ALERT_SQL)) == {
        (n, "escalation", "first_response"): 1 for n in numbers}
    assert centre_rows(centre, "SELECT count(*) FROM change_log WHERE entity = "
                               "'ticket_event' AND origin = 'watch'") == [(5,)]
    desk.dispose()


def test_one_watch_holds_the_lease_another_waits_then_takes_over(tmp_path: Path,
                                                                 centre) -> None:
    desk = new_desk(tmp_path / "d.db")
    number = _burst(desk)
    _sync(desk, centre)
    first = watch_mod.Watch(centre, every=0.1, lease_s=1.0)
    second = watch_mod.Watch(centre, every=0.1, lease_s=1.0)
    first.prepare()
    assert first.acquire() is None
    held = second.acquire()
    assert held is not None and held.holder == first.holder
    # the first goes silent (as a killed process would): its lease runs out
    deadline = time.monotonic() + 30
    while second.acquire() is not None:
        assert time.monotonic() < deadline, "the lease never ran out"
        time.sleep(0.1)
    # the first comes back and tries to write: refused, nothing written
    with pytest.raises(watch_mod.LeaseLost):
        first.run_pass(LATER)
    assert centre_rows(centre, ALERT_SQL) == []
    assert first.acquire() is not None  # it waits now
    assert [a.number for a in second.run_pass(LATER).alerts] == [number]
    second.release()
    assert first.acquire() is None  # let go: taken at once
    desk.dispose()


def test_desks_leave_the_scan_to_a_watch_whose_heartbeat_is_recent(tmp_path: Path,
                                                                    centre) -> None:
    desk = new_desk(tmp_path / "d.db")
    _sync(desk, centre)
    now = clock.parse_instant(FROZEN)
    with desk.session() as s:
        assert not escalation.watched(s, now)  # no watch ever ran
    watch = watch_mod.Watch(centre)
    assert watch.acquire() is None
    watch.heartbeat(now)
    _sync(desk, centre)
    with desk.session() as s:
        assert escalation.watched(s, now)
        assert escalation.watched(s, now + timedelta(seconds=escalation.FRESH_S))
        assert not escalation.watched(s, now + timedelta(seconds=escalation.FRESH_S + 1))
    watch.release(now)  # a watch that stops says so: desks scan again at once
    _sync(desk, centre)
    with desk.session() as s:
        assert not escalation.watched(s, now)
    desk.dispose()


# --- the service as processes ---------------------------------------------------------------

def _start(url: str, *extra: str, log: Path | None = None) -> subprocess.Popen:
    """A watch process; with ``log``, what it says goes there unbuffered, so a test can
    read it while the process runs (a pipe is read only once it ends)."""
    env = {**os.environ, "AGENTDESK_NOW": LATER.isoformat(), "PYTHONUNBUFFERED": "1"}
    out = log.open("w") if log else subprocess.PIPE
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "agentdesk", "central", "watch", "--central", url,
             "--every", "0.2", "--lease", "2", *extra],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    finally:
        if log:
            out.close()


def _wait_said(logs: list[Path], *texts: str, timeout: float = 60) -> None:
    """Wait until one of the logs holds one of the texts (a loaded machine may take
    seconds to start a process)."""
    deadline = time.monotonic() + timeout
    while not any(t in p.read_text() for p in logs for t in texts):
        assert time.monotonic() < deadline, f"never said: {texts}"
        time.sleep(0.1)


def _wait_escalated(centre, numbers: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        found = {n for (n, kind, _data) in centre_rows(centre, ALERT_SQL)
                 if kind == "escalation"}
        if set(numbers) <= found:
            return
        assert time.monotonic() < deadline, f"not escalated: {set(numbers) - found}"
        time.sleep(0.1)


def _stop(proc: subprocess.Popen) -> tuple[int, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    return proc.returncode, out or ""


def test_two_watch_processes_at_once_escalate_each_clock_once(tmp_path: Path,
                                                              centre) -> None:
    desk = new_desk(tmp_path / "d.db")
    numbers = [_burst(desk, agent) for agent in ("A1001", "A1002", "A1001")]
    _sync(desk, centre)
    logs = [tmp_path / "watch1.log", tmp_path / "watch2.log"]
    procs = [_start(centre.url, log=log) for log in logs]
    try:
        _wait_escalated(centre, numbers)
        numbers.append(_burst(desk, "A1002"))  # more work while both run
        _sync(desk, centre)
        _wait_escalated(centre, numbers)
        # both must have met before they stop: the one that waits says so
        _wait_said(logs, "另一个督办监控正在运行", "another watch runs")
    finally:
        outcomes = [_stop(p) for p in procs]
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    said = [log.read_text() for log in logs]
    assert sum("watch running" in s or "督办监控已启动" in s for s in said) >= 1
    assert any("另一个督办监控正在运行" in s or "another watch runs" in s for s in said)
    alerts = _alerts(centre_rows(centre, ALERT_SQL))
    assert alerts == {(n, "escalation", "first_response"): 1 for n in numbers}
    desk.dispose()


def test_a_watch_killed_9_and_restarted_still_escalates_once(tmp_path: Path,
                                                             centre) -> None:
    desk = new_desk(tmp_path / "d.db")
    numbers = [_burst(desk), _burst(desk, "A1002")]
    _sync(desk, centre)
    first = _start(centre.url)
    try:
        _wait_escalated(centre, numbers)
    finally:
        first.kill()  # SIGKILL: no goodbye, the lease stays until it runs out
        first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL
    second = _start(centre.url)
    try:
        numbers.append(_burst(desk))
        _sync(desk, centre)
        _wait_escalated(centre, numbers)  # taken over once the dead one's lease ran out
    finally:
        code, said = _stop(second)
    assert code == 0, said
    assert _alerts(centre_rows(centre, ALERT_SQL)) == {
        (n, "escalation", "first_response"): 1 for n in numbers}
    holder = centre_rows(centre, "SELECT holder FROM watch_lease")[0][0]
    assert f":{second.pid}:" in holder
    # the stopped watch told the desks: they scan on their own again
    _sync(desk, centre)
    with desk.session() as s:
        assert not escalation.watched(s, LATER)
    desk.dispose()


def test_cli_once_is_one_pass_and_steps_aside_for_a_running_watch(tmp_path: Path,
                                                                  centre) -> None:
    desk = new_desk(tmp_path / "d.db")
    number = _burst(desk)
    _sync(desk, centre)
    run = subprocess.run(
        [sys.executable, "-m", "agentdesk", "central", "watch", "--central", centre.url,
         "--once", "--lang", "en"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "AGENTDESK_NOW": LATER.isoformat()})
    assert run.returncode == 0, run.stderr
    assert "1 fired now" in run.stdout
    assert _alerts(centre_rows(centre, ALERT_SQL)) == {(number, "escalation",
                                                        "first_response"): 1}
    # cron runs it again in a minute: desks go on leaving the scan to it meanwhile
    assert escalation.beat_age(centre.setting(escalation.WATCH_SETTING), LATER) == 0
    holder = watch_mod.Watch(centre)
    assert holder.acquire() is None  # --once let the lease go
    run = subprocess.run(
        [sys.executable, "-m", "agentdesk", "central", "watch", "--central", centre.url,
         "--once", "--lang", "en"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "another watch runs" in run.stdout, run
    holder.release()
    desk.dispose()


async def test_a_desk_that_syncs_leaves_the_scan_to_the_watch_and_tells_the_owner(
        tmp_path: Path) -> None:
    """The desk's own job fires nothing while the watch's heartbeat is recent; what the
    watch fires reaches the owner's desk with the sync, and the owner is told once."""
    from agentdesk.apps.factory import create_app
    from agentdesk.core.config import Config
    from agentdesk.core.i18n import t
    from agentdesk.sync import central

    url = f"sqlite:///{tmp_path / 'central.db'}"
    centre = central.connect(url)
    centre.init_schema()
    path = tmp_path / "desk.db"
    desk = new_desk(path, (("A1001", "王芳"),))
    number = _burst(desk)
    watch = watch_mod.Watch(centre)
    assert watch.acquire() is None
    watch.heartbeat(LATER)
    _sync(desk, centre)  # the ticket goes up, the heartbeat comes down
    desk.dispose()
    clock.freeze(LATER)  # the first response is breached
    app = create_app(Config(lang="en", agent_id="A1001", agent_name="王芳", central_url=url,
                            sync_interval=3600), db_path=path)
    told = t("queue.alert.escalation", number=number, clock=t("sla.first_response"))
    async with app.run_test(size=(140, 30)) as pilot:
        assert await wait_until(pilot, lambda: app.sync_state.startswith("synced"), 15)
        runs = app.jobs.scan.runs
        app.jobs.data_changed()
        assert await wait_until(pilot, lambda: app.jobs.scan.runs > runs
                                and not app.jobs.scan.running)
        assert desk_rows(app.store, ALERT_SQL) == []  # left to the watch
        assert [a.number for a in watch.run_pass(LATER).alerts] == [number]
        await pilot.press("f9")
        assert await wait_until(pilot, lambda: told in [n.message for n in app._notifications],
                                15)
        assert _alerts(desk_rows(app.store, ALERT_SQL)) == {
            (number, "escalation", "first_response"): 1}
        runs = app.jobs.scan.runs
        app.jobs.data_changed()
        assert await wait_until(pilot, lambda: app.jobs.scan.runs > runs
                                and not app.jobs.scan.running)
        assert [n.message for n in app._notifications].count(told) == 1
    watch.release()
    centre.dispose()


def test_a_desk_without_a_centre_scans_whatever_the_setting_says(desk) -> None:
    """A standalone desk keeps escalating: only a desk that syncs defers to a watch."""
    from agentdesk.apps.jobs import DeskJobs
    from agentdesk.core.config import Config

    with desk.session() as s:
        s.connection().exec_driver_sql(
            "INSERT INTO central_setting (name, body, updated_at) VALUES (?, ?, ?)",
            (escalation.WATCH_SETTING, escalation.watch_body("elsewhere", LATER, 30),
             "2026-11-25 01:50:00.000000"))
        assert escalation.watched(s, LATER)
    clock.freeze(LATER)

    class Host:  # what the jobs use of the app
        store, agent_code, sync_state = desk, "A1001", ""
        options = type("Options", (), {"config": Config(agent_id="A1001")})()
        posted: list = []

        def post_message(self, message: object) -> bool:
            self.posted.append(message)
            return True

    jobs = DeskJobs(Host())  # type: ignore[arg-type]
    jobs.scan.body()
    assert _alerts(desk_rows(desk, ALERT_SQL)) == {
        ("GD2026112500001", "escalation", "first_response"): 1}
