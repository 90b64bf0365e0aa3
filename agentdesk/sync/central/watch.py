"""The centre's escalation watch (``agentdesk central watch``): the 80 % warnings and the
breach 督办 of every open ticket of the centre, fired at the centre whether or not the
owner's desk runs, each exactly once.

**One watch at a time.** The watch holds a lease, a row of ``watch_lease`` (holder, expiry
by the database's clock, so the watches' own clocks do not matter), renewed at every pass.
A second watch finds it held and waits; when the holder stops it lets the lease go, and
when it dies (``kill -9``, a lost machine) the lease runs out and the waiting one takes
over. Every write transaction locks the lease row and checks it is still this watch's.

**Once, even with two writers.** A fired alert is a ticket event whose id is made from
the ticket, the clock, the kind and the reopening (:func:`agentdesk.tickets.escalation.
alert_id`), the same id a desk's own scan gives it; it is inserted with ``ON CONFLICT DO
NOTHING``. So two watches that both believed they held the lease, or a watch and a desk
scanning offline, still leave one event; the centre keeps the first it receives.

The events enter the change log (origin ``watch``) with the ticket rows they touch, and
reach every desk with its next pull. Each pass also refreshes the ``watch`` central
setting (its heartbeat, logged every :data:`~agentdesk.tickets.escalation.HEARTBEAT_S`):
a desk that syncs leaves its own scan to a watch whose heartbeat is recent
(:func:`agentdesk.tickets.escalation.watched`); a desk without a centre scans as before.

A pass reads the open, unpaused tickets (one query, by the ``ix_ticket_status`` index),
works out the alerts owed by now with the desk's clock rules, and reads the events only of
tickets whose alerts it has not seen given: the ids it knows given are kept between passes
(history is append-only, so they stay true), so a pass over 100,000 open tickets reads
the ticket rows and little else (``agentdesk bench watch``).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from agentdesk.core.models import UTC
from agentdesk.sync.central.centre import Central
from agentdesk.sync.central.connection import CentralError, CentralUnavailable
from agentdesk.sync.central.rows import aware
from agentdesk.sync.central.schema import T
from agentdesk.tickets import clocks, escalation
from agentdesk.tickets.escalation import Alert

LEASE = "escalation"  # the lease row's name
AUTHOR = "watch"  # the change log's origin and the events' ``data.by``
EVERY_S = 30.0  # seconds between passes
LEASE_S = 90.0  # a lease not renewed this long is free (a dead watch's)
WRITE_BATCH = 500  # alerts per write transaction (a first pass may fire thousands)
READ_CHUNK = 1000  # ticket ids per IN list


class LeaseLost(CentralError):
    """Another watch holds the lease now: this one stops writing and waits again."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "lease")


@dataclass(frozen=True)
class Held:
    """The lease as another watch holds it."""

    holder: str
    expires_at: datetime | None


@dataclass
class PassReport:
    open: int = 0  # open, unpaused tickets read
    owed: int = 0  # alerts owed by now (given before or now)
    fired: list[Alert] = field(default_factory=list)  # given in this pass
    seconds: float = 0.0


def holder_name() -> str:
    """This process, as the lease names it: host, process id and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _instant(value: object) -> datetime | None:
    """A timestamp as either centre gives it (PostgreSQL: aware; SQLite: UTC text)."""
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.astimezone(UTC)  # type: ignore[attr-defined]


_OPEN = f"""SELECT t.id, t.number, t.owner_id, t.status, t.created_at, t.resolved_at,
       t.due_first_response, t.due_arrival, t.due_resolution, t.due_callback,
       {clocks.sql_reopened("t")} AS reopened
FROM ticket t WHERE {clocks.sql_open("t")} AND t.paused_at IS NULL"""


def owed(conn: sa.Connection, now: datetime) -> tuple[int, list[Alert],
                                                       dict[str, datetime | None]]:
    """(open unpaused tickets, the alerts they owe by ``now`` given or not, each
    ticket's latest reopening) at the centre."""
    alerts: list[Alert] = []
    reopened: dict[str, datetime | None] = {}
    rows = conn.exec_driver_sql(_OPEN).fetchall()
    for tid, number, owner, status, created, resolved, d1, d2, d3, d4, again in rows:
        dues = dict(zip(clocks.CLOCKS, (_instant(d1), _instant(d2), _instant(d3),
                                        _instant(d4))))
        again = _instant(again)
        found = escalation.candidates(tid, number, owner, status, dues, _instant(created),
                                      _instant(resolved), again, now)
        if found:
            alerts += found
            reopened[tid] = again
    return len(rows), alerts, reopened


def given(conn: sa.Connection, alerts: list[Alert],
          reopened: dict[str, datetime | None]) -> set[str]:
    """The ids of ``alerts`` already given at the centre: their own event, or (written
    before alerts had ids) a warning / escalation of the same clock after the ticket's
    latest reopening."""
    events = T["ticket_event"]
    tickets = sorted({a.ticket_id for a in alerts})
    seen: set[str] = set()
    fired: set[tuple[str, str, str]] = set()
    for start in range(0, len(tickets), READ_CHUNK):
        for eid, tid, kind, data, at in conn.execute(
                sa.select(events.c.id, events.c.ticket_id, events.c.kind, events.c.data,
                          events.c.at)
                .where(events.c.ticket_id.in_(tickets[start:start + READ_CHUNK]),
                       events.c.kind.in_(tuple(escalation.KIND_OF_LEVEL.values())))):
            seen.add(eid)
            again = reopened.get(tid)
            if again is None or at > again:
                fired.add((tid, kind, json.loads(data or "{}").get("clock", "")))
    return {a.event_id for a in alerts
            if a.event_id in seen or (a.ticket_id, a.kind, a.clock) in fired}


def record(conn: sa.Connection, alerts: list[Alert], now: datetime,
           origin: str = AUTHOR) -> list[Alert]:
    """Write ``alerts`` as ticket events inside the caller's transaction, each once
    whoever else writes it (``ON CONFLICT DO NOTHING`` on its id), with the ticket rows
    they touch, and log both for the desks. An alert whose ticket moved on meanwhile
    (closed, paused, its clock stopped) is left out. Returns the alerts written now."""
    from agentdesk.tickets import workflow

    ticket, events, log = T["ticket"], T["ticket_event"], T["change_log"]
    ids = sorted({a.ticket_id for a in alerts})
    state: dict[str, tuple[str, object]] = {}
    for start in range(0, len(ids), READ_CHUNK):
        # row locks in id order, as a desk's push takes them
        for tid, status, paused in conn.execute(
                sa.select(ticket.c.id, ticket.c.status, ticket.c.paused_at)
                .where(ticket.c.id.in_(ids[start:start + READ_CHUNK]))
                .order_by(ticket.c.id).with_for_update()):
            state[tid] = (status, paused)
    still = [a for a in alerts if a.ticket_id in state and state[a.ticket_id][1] is None
             and a.clock in clocks.RUNNING.get(state[a.ticket_id][0], ())]
    if not still:
        return []
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    rows = [{"id": a.event_id, "ticket_id": a.ticket_id, "at": now, "agent_id": None,
             "kind": a.kind, "from_status": "", "to_status": "",
             "note": escalation.NOTES[a.kind],
             "data": workflow.encode({"clock": a.clock, "by": AUTHOR})} for a in still]
    written = set(conn.execute(insert(events).values(rows)
                               .on_conflict_do_nothing(index_elements=["id"])
                               .returning(events.c.id)).scalars())
    done = [a for a in still if a.event_id in written]
    touched = sorted({a.ticket_id for a in done})
    if touched:
        # the events' projection: an alert changes no field but the row's updated_at
        conn.execute(ticket.update().where(ticket.c.id == sa.bindparam("_id"))
                     .values(updated_at=sa.bindparam("_at")),
                     [{"_id": tid, "_at": now} for tid in touched])
        conn.execute(log.insert(), [
            *({"entity": "ticket_event", "row_id": a.event_id, "op": "insert",
               "origin": origin} for a in done),
            *({"entity": "ticket", "row_id": tid, "op": "update", "origin": origin}
              for tid in touched)])
    return done


class Watch:
    """One watch process's state: its name in the lease, the alert ids it knows given,
    when it last logged its heartbeat."""

    def __init__(self, centre: Central, every: float = EVERY_S, lease_s: float = LEASE_S,
                 holder: str | None = None) -> None:
        self.centre = centre
        self.every, self.lease_s = every, lease_s
        self.holder = holder or holder_name()
        self.known: set[str] = set()
        self._beat: float | None = None  # monotonic time of the last heartbeat logged

    # --- the lease ------------------------------------------------------------------

    def prepare(self) -> None:
        """The lease table, made here when the centre was set up before there was one."""
        with self.centre.writing() as conn:
            T["watch_lease"].create(conn, checkfirst=True)

    def _now_db(self, conn: sa.Connection) -> datetime:
        return aware(conn.execute(sa.select(sa.func.current_timestamp())).scalar())

    def _row(self, conn: sa.Connection) -> sa.Row | None:
        lease = T["watch_lease"]
        return conn.execute(sa.select(lease.c.holder, lease.c.expires_at)
                            .where(lease.c.name == LEASE).with_for_update()).first()

    def acquire(self) -> Held | None:
        """Take or renew the lease: None when it is this watch's now, else who holds it."""
        lease = T["watch_lease"]
        try:
            with self.centre.writing() as conn:
                now = self._now_db(conn)
                until = now + timedelta(seconds=self.lease_s)
                row = self._row(conn)
                if row is None:
                    conn.execute(lease.insert(), {"name": LEASE, "holder": self.holder,
                                                  "taken_at": now, "expires_at": until})
                    return None
                if row.holder != self.holder and aware(row.expires_at) > now:
                    return Held(row.holder, aware(row.expires_at))
                values = {"holder": self.holder, "expires_at": until}
                if row.holder != self.holder:
                    values["taken_at"] = now
                    self._beat = None  # a new holder says so at once
                conn.execute(lease.update().where(lease.c.name == LEASE).values(**values))
                return None
        except CentralError as exc:
            if isinstance(exc.__cause__, sa.exc.IntegrityError):  # another took it first
                return Held("", None)
            raise

    def check(self, conn: sa.Connection) -> None:
        """Inside a write: the lease is still this watch's (its row locked), renewed."""
        lease = T["watch_lease"]
        now = self._now_db(conn)
        row = self._row(conn)
        if row is None or row.holder != self.holder or aware(row.expires_at) <= now:
            raise LeaseLost(f"central store {self.centre.shown}: the watch lease is "
                            f"{row.holder if row else 'gone'}'s now")
        conn.execute(lease.update().where(lease.c.name == LEASE).values(
            expires_at=now + timedelta(seconds=self.lease_s)))

    def release(self, now: datetime | None = None) -> None:
        """Let the lease go (a waiting watch takes it at once) and tell the desks to scan
        again until another watch beats."""
        lease = T["watch_lease"]
        with self.centre.writing() as conn:
            gone = conn.execute(lease.update().where(lease.c.name == LEASE,
                                                     lease.c.holder == self.holder)
                                .values(expires_at=self._now_db(conn))).rowcount
        if gone and self._beat is not None:
            self.heartbeat(now, stopped=True)

    def heartbeat(self, now: datetime | None = None, stopped: bool = False) -> None:
        """Log the ``watch`` setting for the desks when it is due (or says stopped)."""
        from agentdesk.core import clock

        if not stopped and self._beat is not None and \
                time.monotonic() - self._beat < escalation.HEARTBEAT_S:
            return
        self.centre.put_setting(escalation.WATCH_SETTING, escalation.watch_body(
            self.holder, now or clock.now(), self.every, stopped), origin=AUTHOR)
        self._beat = None if stopped else time.monotonic()

    # --- a pass -----------------------------------------------------------------------

    def run_pass(self, now: datetime) -> PassReport:
        """Fire what is owed by ``now`` and not yet given."""
        began = time.perf_counter()
        report = PassReport()
        with self.centre.reading() as conn:
            report.open, due, reopened = owed(conn, now)
            report.owed = len(due)
            unknown = [a for a in due if a.event_id not in self.known]
            if unknown:
                self.known |= given(conn, unknown, reopened)
        todo = [a for a in unknown if a.event_id not in self.known]
        for start in range(0, len(todo), WRITE_BATCH):
            with self.centre.writing() as conn:
                self.check(conn)
                done = record(conn, todo[start:start + WRITE_BATCH], now)
            report.fired += done
            self.known.update(a.event_id for a in todo[start:start + WRITE_BATCH])
        self.known &= {a.event_id for a in due}  # closed tickets' alerts: forgotten
        report.seconds = time.perf_counter() - began
        return report

    # --- the service --------------------------------------------------------------------

    def serve(self, stop: threading.Event, once: bool = False,
              say: Callable[[str], None] = print) -> int:
        """Hold the lease and pass every ``every`` seconds until ``stop`` is set (``once``:
        one pass if the lease is free, for cron). Waits while another watch holds it; an
        unreachable centre is tried again at the next pass. Exit status 0."""
        from agentdesk.core import clock
        from agentdesk.core.i18n import t, visible

        self.prepare()
        told: str | None = None
        try:
            while not stop.is_set():
                try:
                    held = self.acquire()
                    if held is not None:
                        if once:
                            say(t("watch.busy", holder=visible(held.holder)))
                            return 0
                        if told != held.holder:
                            say(t("watch.waiting", holder=visible(held.holder or "?")))
                            told = held.holder
                        stop.wait(min(self.every, self.lease_s / 3))
                        continue
                    if told != self.holder:
                        say(t("watch.holding", holder=self.holder))
                        told = self.holder
                    now = clock.now()
                    self.heartbeat(now)
                    report = self.run_pass(now)
                    if report.fired or once:
                        say(t("watch.pass", open=report.open, owed=report.owed,
                              fired=len(report.fired), ms=round(report.seconds * 1000)))
                except LeaseLost as exc:
                    say(str(exc))
                    told = None
                    continue
                except CentralUnavailable as exc:
                    if once:
                        raise
                    say(t("watch.offline", error=str(exc), every=self.every))
                if once:
                    return 0
                stop.wait(self.every)
        finally:
            try:
                self.release()
            except CentralError:
                pass  # unreachable: the lease runs out by itself
        return 0
