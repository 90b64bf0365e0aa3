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

A pass is one query: the centre works out, from the clock rules' SQL (as the monitor's
figures do), which running clocks of the open, unpaused tickets are at 80 % or past their
deadline; only those cross the network. The alerts the watch knows given are kept between
passes (history is append-only), so it reads events, by their ticket index, only for the
tickets of new alerts: a pass over 100,000 open tickets reads no event at all once the
backlog is given (``agentdesk bench watch``).
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
WRITE_BATCH = 1000  # alerts per write transaction (a first pass may fire thousands)
SLICE = 5000  # new alerts looked up (their tickets' events read) at a time
SHOWN = 100  # fired alerts a pass reports one by one (a backlog's are counted only)
READ_CHUNK = 1000  # ticket ids per IN list (more, and the planner may scan every event)


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
    open: int = 0  # open, unpaused tickets (counted)
    owed: int = 0  # alerts owed by now and not given when the pass read them
    fired: int = 0  # alerts given in this pass
    alerts: list[Alert] = field(default_factory=list)  # the first SHOWN of them
    seconds: float = 0.0


def holder_name() -> str:
    """This process, as the lease names it: host, process id and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _instant(value: object) -> datetime | None:
    """A timestamp as either centre gives it: PostgreSQL's are aware already (any zone
    compares right); SQLite's are UTC text."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value  # type: ignore[return-value]


def _owed_sql(dialect: str) -> str:
    """The alerts owed by ``now``, given or not: one row (a :data:`Key`) per running clock
    of an open, unpaused ticket at 80 % or past its deadline. Built from the clock rules'
    SQL (:mod:`agentdesk.tickets.clocks`, as the monitor's figures are): the centre works
    out the levels, so only the alerts cross the network, not every open ticket."""
    pg = dialect == "postgresql"
    now, now_us = ("%(now)s", "%(now_us)s") if pg else (":now", ":now_us")
    reopened = clocks.sql_reopened("t")
    parts = []
    for index, name in enumerate(clocks.CLOCKS):
        due = f"t.due_{name}"
        start = clocks.sql_clock_start(f"'{name}'", "t.created_at", "t.resolved_at", reopened)
        warn = clocks.sql_warn(now_us, clocks.sql_us(due, dialect),
                               clocks.sql_us(start, dialect))
        parts.append(
            f"SELECT t.id, {index}, CASE WHEN {now} >= {due} THEN 1 ELSE 0 END, {reopened} "
            f"FROM ticket t "
            f"WHERE t.status IN ({clocks.sql_list(clocks.running_in(name))}) "
            f"AND t.paused_at IS NULL AND {due} IS NOT NULL AND ({now} >= {due} OR {warn})")
    sql = " UNION ALL ".join(parts)
    return sql.replace("%s", "%%s") if pg else sql  # strftime's %s: not a parameter


# One alert of one ticket, as the query gives it and the watch keeps it: (ticket id,
# the clock's index in clocks.CLOCKS, 1 breached / 0 at 80 %, the ticket's latest
# reopening as the centre gives it). Small ints are shared objects: 100,000 keys are a
# ticket id and a tuple each.
Key = tuple[str, int, int, object]
_SQL: dict[str, str] = {}


def owed(conn: sa.Connection, now: datetime) -> tuple[int, list[Key]]:
    """(open unpaused tickets, the alerts they owe by ``now``, given or not) at the
    centre."""
    from agentdesk.core.models import utc_text

    dialect = conn.dialect.name
    sql = _SQL.get(dialect) or _SQL.setdefault(dialect, _owed_sql(dialect))
    text = utc_text(now)
    now_us = int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()) \
        * 1_000_000 + int(text[20:26])
    params = {"now": now if dialect == "postgresql" else text, "now_us": now_us}
    cur = conn.connection.dbapi_connection.cursor()
    try:
        if dialect == "postgresql":
            # The planner prices the reopening's subquery high and would JIT-compile the
            # query for about a second, to save milliseconds.
            cur.execute("SET LOCAL jit = off")
        cur.execute(sql, params)
        rows = cur.fetchall()
        cur.execute(f"SELECT count(*) FROM ticket t WHERE {clocks.sql_open('t')} "
                    "AND t.paused_at IS NULL")
        tickets = int(cur.fetchone()[0])
    finally:
        cur.close()
    return tickets, rows


def given(conn: sa.Connection, keys: list[Key]
          ) -> tuple[set[Key], list[tuple[Key, Alert]]]:
    """Of these alerts, (those given at the centre already: an event of the alert's id,
    or, written before alerts had ids, a warning / escalation of the same clock since the
    ticket's latest reopening; the others, with the alert to fire). Reads the events of
    their tickets only, by the ticket index."""
    ticket, events = T["ticket"], T["ticket_event"]
    ids = sorted({k[0] for k in keys})
    seen: set[str] = set()
    fired: dict[str, list[tuple[str, str, datetime]]] = {}  # ticket -> (kind, clock, at)
    about: dict[str, tuple[str, str]] = {}  # ticket -> (number, owner)
    kinds = set(escalation.KIND_OF_LEVEL.values())
    for start in range(0, len(ids), READ_CHUNK):
        part = ids[start:start + READ_CHUNK]
        # By ticket id alone, and the kinds sorted out here: a filter on the kind would
        # let a planner with stale statistics scan every event of the centre instead.
        for eid, tid, kind, data, at in conn.execute(
                sa.select(events.c.id, events.c.ticket_id, events.c.kind, events.c.data,
                          events.c.at).where(events.c.ticket_id.in_(part))):
            if kind in kinds:
                seen.add(eid)
                fired.setdefault(tid, []).append(
                    (kind, json.loads(data or "{}").get("clock", ""), at))
        about.update((tid, (number, owner)) for tid, number, owner in conn.execute(
            sa.select(ticket.c.id, ticket.c.number, ticket.c.owner_id)
            .where(ticket.c.id.in_(part))))
    done: set[Key] = set()
    todo: list[tuple[Key, Alert]] = []
    for key in keys:
        tid, index, breached, raw = key
        name, again = clocks.CLOCKS[index], _instant(raw)
        kind = escalation.KIND_OF_LEVEL["breached" if breached else "warn"]
        event_id = escalation.alert_id(tid, name, kind, again)
        if event_id in seen or any(k == kind and c == name and (again is None or at > again)
                                   for k, c, at in fired.get(tid, ())):
            done.add(key)
        elif tid in about:
            todo.append((key, Alert(tid, *about[tid], name, kind, event_id)))
    return done, todo


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
    # many rows at once (SQLAlchemy's insertmanyvalues), the ids actually inserted back
    written = set(conn.execute(insert(events).on_conflict_do_nothing(index_elements=["id"])
                               .returning(events.c.id), rows).scalars())
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
    """One watch process: its name in the lease, its timing, the alerts it knows given,
    when it last logged its heartbeat."""

    def __init__(self, centre: Central, every: float = EVERY_S, lease_s: float = LEASE_S,
                 holder: str | None = None) -> None:
        self.centre = centre
        self.every, self.lease_s = every, lease_s
        self.holder = holder or holder_name()
        self.known: set[Key] = set()
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
            from agentdesk.core.i18n import t, visible

            raise LeaseLost(t("watch.lost", holder=visible(row.holder if row else "?")))
        conn.execute(lease.update().where(lease.c.name == LEASE).values(
            expires_at=now + timedelta(seconds=self.lease_s)))

    def release(self, now: datetime | None = None, stopping: bool = True) -> None:
        """Let the lease go (a waiting watch takes it at once); ``stopping``: and tell the
        desks to scan again until another watch beats (not after a ``--once`` pass: the
        next one comes from cron, and its heartbeat stays fresh until then)."""
        lease = T["watch_lease"]
        with self.centre.writing() as conn:
            gone = conn.execute(lease.update().where(lease.c.name == LEASE,
                                                     lease.c.holder == self.holder)
                                .values(expires_at=self._now_db(conn))).rowcount
        if gone and stopping and self._beat is not None:
            self.heartbeat(now, stopped=True)

    def heartbeat(self, now: datetime | None = None, stopped: bool = False) -> None:
        """Log the ``watch`` setting for the desks when it is due (or says stopped): every
        HEARTBEAT_S, and not when the centre's is that fresh already (a watch run by
        cron once a minute)."""
        from agentdesk.core import clock

        now = now or clock.now()
        if not stopped:
            if self._beat is not None:
                if time.monotonic() - self._beat < escalation.HEARTBEAT_S:
                    return
            elif escalation.beat_age(self.centre.setting(escalation.WATCH_SETTING),
                                     now) < escalation.HEARTBEAT_S:
                self._beat = time.monotonic()
                return
        self.centre.put_setting(escalation.WATCH_SETTING, escalation.watch_body(
            self.holder, now, self.every, stopped), origin=AUTHOR)
        self._beat = None if stopped else time.monotonic()

    # --- a pass -----------------------------------------------------------------------

    def run_pass(self, now: datetime) -> PassReport:
        """Fire what is owed by ``now`` and not yet given. The alerts known given are kept
        between passes (history is append-only: they stay given), so a pass reads the
        events of new alerts' tickets only, a slice at a time (a backlog of thousands
        never sits in memory at once)."""
        began = time.perf_counter()
        report = PassReport()
        with self.centre.reading() as conn:
            report.open, keys = owed(conn, now)
        fresh = [k for k in keys if k not in self.known]
        for first in range(0, len(fresh), SLICE):
            with self.centre.reading() as conn:
                done, todo = given(conn, fresh[first:first + SLICE])
            self.known |= done
            report.owed += len(todo)
            for start in range(0, len(todo), WRITE_BATCH):
                part = todo[start:start + WRITE_BATCH]
                with self.centre.writing() as conn:
                    self.check(conn)
                    written = record(conn, [alert for _key, alert in part], now)
                report.fired += len(written)
                report.alerts += written[:SHOWN - len(report.alerts)]
                self.known.update(key for key, _alert in part)
        self.known.intersection_update(keys)  # closed tickets' alerts: forgotten
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
                              fired=report.fired, ms=round(report.seconds * 1000)))
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
                self.release(stopping=not once)
            except CentralError:
                pass  # unreachable: the lease runs out by itself
        return 0
