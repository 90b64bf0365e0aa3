"""SLA clocks of open tickets: which one runs, how much of it is used, warnings at 80 %
and escalation (督办) at breach, each exactly once per clock (no textual import).

A clock runs from its start (the ticket's creation; for the call-back, its resolution)
to its deadline, and stops when the workflow passes its step: first response when the
ticket leaves 受理, arrival at 到场, resolution at 回单, call-back at 回访. Warnings and
escalations are ticket events, so "once" survives restarts, and a ticket that breached
while the desk was closed is escalated by the next scan (at start or after a sync).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

# The clocks still running in each status, in the order they fall due.
RUNNING = {
    "accepted": ("first_response", "arrival", "resolution"),
    "dispatched": ("arrival", "resolution"),
    "on_site": ("resolution",),
    "resolved": ("callback",),
}
CLOCKS = ("first_response", "arrival", "resolution", "callback")
HALF, WARN, BREACH = 0.5, 0.8, 1.0
SYSTEM = "system"


@dataclass(frozen=True)
class ClockState:
    name: str
    due: datetime
    used: float  # fraction of the clock used: 0.8 = 80 %
    left_s: float  # seconds to the deadline; negative once breached

    @property
    def level(self) -> str:
        """ok / half / warn / breached: colours and symbols of the queue."""
        if self.used >= BREACH:
            return "breached"
        if self.used >= WARN:
            return "warn"
        return "half" if self.used >= HALF else "ok"


def clock_state(name: str, start: datetime, due: datetime, now: datetime) -> ClockState:
    span = (due - start).total_seconds()
    elapsed = (now - start).total_seconds()
    used = elapsed / span if span > 0 else (1.0 if now >= due else 0.0)
    return ClockState(name, due, used, (due - now).total_seconds())


def next_clock(status: str, dues: dict[str, datetime | None], created_at: datetime,
               resolved_at: datetime | None, now: datetime) -> ClockState | None:
    """The running clock that falls due first (None: no clock runs)."""
    states = []
    for name in RUNNING.get(status, ()):
        due = dues.get(name)
        if due is None:
            continue
        start = resolved_at if name == "callback" and resolved_at else created_at
        states.append(clock_state(name, start, due, now))
    return min(states, key=lambda s: s.due) if states else None


def countdown(left_s: float) -> str:
    """``01:02:03`` to go, ``-00:04:12`` once breached."""
    sign = "-" if left_s < 0 else ""
    total = int(abs(left_s))
    return f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


@dataclass(frozen=True)
class Alert:
    ticket_id: str
    number: str
    owner_id: str
    clock: str
    kind: str  # warning / escalation


_OPEN_CLOCKS = """
SELECT t.id, t.number, t.owner_id, t.status, t.created_at, t.resolved_at, t.paused_at,
       t.due_first_response, t.due_arrival, t.due_resolution, t.due_callback,
       (SELECT max(r.at) FROM ticket_event r
          WHERE r.ticket_id = t.id AND r.kind = 'reopen') AS reopened,
       (SELECT group_concat(e.kind || ':' || json_extract(e.data, '$.clock'))
          FROM ticket_event e WHERE e.ticket_id = t.id
           AND e.kind IN ('warning', 'escalation')
           -- a reopened ticket's clocks are new clocks: they may warn and escalate again
           AND e.at > coalesce((SELECT max(r.at) FROM ticket_event r
                                 WHERE r.ticket_id = t.id AND r.kind = 'reopen'), '')
       ) AS fired
FROM ticket t
WHERE t.status IN ('accepted', 'dispatched', 'on_site', 'resolved')
"""
_OWNED = " AND t.owner_id = (SELECT id FROM agent WHERE code = :owner)"


def due_alerts(session: Session, now: datetime, owner: str | None = None) -> list[Alert]:
    """Warnings (80 % used) and escalations (breached) not yet given, one per clock.

    ``owner`` (an agent code): only that agent's tickets. A desk scans only what its agent
    owns, so desks that share tickets through the central store never escalate the same
    clock twice; ``None`` (tests, a single-desk centre) scans every open ticket."""
    from agentdesk.core.models import UTCDateTime

    load = UTCDateTime().process_result_value
    alerts: list[Alert] = []
    sql = _OPEN_CLOCKS + (_OWNED if owner else "")
    for row in session.connection().execute(text(sql), {"owner": owner}).mappings():
        if row["paused_at"]:
            continue  # a paused clock neither warns nor breaches
        fired = set((row["fired"] or "").split(","))
        created, resolved = load(row["created_at"], None), load(row["resolved_at"], None)
        reopened = load(row["reopened"], None)
        for name in RUNNING.get(row["status"], ()):
            due = load(row[f"due_{name}"], None)
            if due is None:
                continue
            start = resolved if name == "callback" and resolved else (reopened or created)
            state = clock_state(name, start, due, now)
            if state.level == "breached":  # past the deadline a warning is moot
                kind = "escalation"
            elif state.level == "warn":
                kind = "warning"
            else:
                continue
            if f"{kind}:{name}" not in fired:
                alerts.append(Alert(row["id"], row["number"], row["owner_id"], name, kind))
    return alerts


def fire(session: Session, alerts: list[Alert]) -> None:
    """Record each alert as a ticket event (督办 for escalations): once, for good."""
    from agentdesk.tickets import service as tickets

    for alert in alerts:
        ticket = tickets.get(session, alert.ticket_id)
        note = "超时督办" if alert.kind == "escalation" else "时限已用 80%"
        tickets._append(session, ticket, alert.kind, None, note=note, clock=alert.clock)


def scan(session: Session, now: datetime, owner: str | None = None) -> list[Alert]:
    """Find and record what is due; returns what was fired (for notifications)."""
    alerts = due_alerts(session, now, owner)
    fire(session, alerts)
    return alerts


def breach_list(session: Session) -> list[tuple[str, str, str]]:
    """(number, owner code, clock) of open tickets escalated (the supervisor's 督办 list)."""
    rows = session.connection().execute(text(
        """SELECT t.number, a.code, json_extract(e.data, '$.clock') FROM ticket t
           JOIN ticket_event e ON e.ticket_id = t.id AND e.kind = 'escalation'
           JOIN agent a ON a.id = t.owner_id
           WHERE t.status IN ('accepted', 'dispatched', 'on_site', 'resolved')
           ORDER BY e.at"""))
    return [tuple(r) for r in rows]


# --- what the queue screen and the header show (pure: rows in, rows out) ---------------

SCOPES = ("mine", "team", "all")
SOON_S = 15 * 60  # "due within 15 minutes" in the header


@dataclass(frozen=True)
class Filter:
    """The queue's filters; an empty value means "any"."""

    clock: str = ""  # first_response / arrival / resolution / callback
    categories: frozenset[str] = frozenset()  # category codes (from a type-ahead search)
    priority: str = ""
    utility: str = ""  # water / power
    breached: bool = False

    @property
    def active(self) -> bool:
        return bool(self.clock or self.categories or self.priority or self.utility
                    or self.breached)


def is_breached(row, now: datetime) -> bool:  # noqa: ANN001 - tickets.QueueRow
    return row.next_due is not None and not row.paused and row.next_due <= now


def matches(row, f: Filter, now: datetime, utility_of) -> bool:  # noqa: ANN001
    """``utility_of(category code) -> water/power/any`` comes from the taxonomy."""
    return ((not f.clock or row.clock == f.clock)
            and (not f.categories or row.category in f.categories)
            and (not f.priority or row.priority == f.priority)
            and (not f.utility or _utility(row, utility_of) == f.utility)
            and (not f.breached or is_breached(row, now)))


def _utility(row, utility_of) -> str:  # noqa: ANN001
    # A complaint or a consultation belongs to both trades: the caller's account decides.
    utility = utility_of(row.category)
    return row.utility if utility == "any" else utility


def apply_filter(rows: list, f: Filter, now: datetime, utility_of) -> list:  # noqa: ANN001
    if not f.active:
        return rows
    return [r for r in rows if matches(r, f, now, utility_of)]


@dataclass(frozen=True)
class Counts:
    open: int
    soon: int  # running clock due within 15 minutes, not yet breached
    breached: int


def counts(rows: list, now: datetime) -> Counts:
    """The header's summary: computed from loaded rows, so it ticks without the database."""
    soon = breached = 0
    for r in rows:
        if r.next_due is None or r.paused:
            continue
        left = (r.next_due - now).total_seconds()
        if left <= 0:
            breached += 1
        elif left <= SOON_S:
            soon += 1
    return Counts(len(rows), soon, breached)
