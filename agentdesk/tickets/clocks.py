"""The one home of the SLA clock rules (no textual import, no database).

Which statuses are open, which clocks run in each, when each starts, how much of it is used
and at what level, the countdown, and the running clock that falls due first. The queue
rows (:mod:`agentdesk.tickets.service`), the escalation scan
(:mod:`agentdesk.tickets.escalation`), the ticket view (:mod:`agentdesk.tickets.view`) and
the monitor's SQL (:mod:`agentdesk.monitor.states`, built from the ``sql_*`` helpers here)
all derive from these tables, so they cannot drift apart.

A clock runs from its start to its deadline and stops when the workflow passes its step:
first response when the ticket leaves 受理, arrival at 到场, resolution at 回单, call-back
at 回访. It starts at creation; after a reopening (回访 不满意) at the latest reopening; the
call-back at resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from agentdesk.tickets.workflow import UNSATISFIED

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

CLOCKS = ("first_response", "arrival", "resolution", "callback")
# The clocks still running in each open status, in the order they fall due. A status not
# named here is closed: no clock runs in it.
RUNNING: dict[str, tuple[str, ...]] = {
    "accepted": ("first_response", "arrival", "resolution"),
    "dispatched": ("arrival", "resolution"),
    "on_site": ("resolution",),
    "resolved": ("callback",),
}
OPEN: tuple[str, ...] = tuple(RUNNING)
FROM_RESOLUTION = ("callback",)  # clocks that start when the ticket is resolved
PAUSING = ("first_response", "arrival", "resolution")  # clocks a pause stops (and resume moves)
# Statuses before 回单 (the resolution clock still runs): a pause is possible only here,
# and a new call about the same fault is a duplicate of these.
UNRESOLVED: tuple[str, ...] = tuple(s for s, names in RUNNING.items() if "resolution" in names)
CALLBACK_OWED: tuple[str, ...] = tuple(s for s, names in RUNNING.items() if "callback" in names)
HALF, WARN, BREACH = 0.5, 0.8, 1.0
LEVELS = ("ok", "half", "warn", "breached")


def running_in(name: str) -> tuple[str, ...]:
    """The statuses in which clock ``name`` runs."""
    return tuple(s for s, names in RUNNING.items() if name in names)


def level(used: float) -> str:
    """ok / half / warn / breached for the share of a clock used (0.8 = 80 %)."""
    if used >= BREACH:
        return "breached"
    if used >= WARN:
        return "warn"
    return "half" if used >= HALF else "ok"


@dataclass(frozen=True)
class ClockState:
    name: str
    due: datetime
    used: float  # fraction of the clock used: 0.8 = 80 %
    left_s: float  # seconds to the deadline; negative once breached
    start: datetime | None = None

    @property
    def level(self) -> str:
        """ok / half / warn / breached: colours and symbols of the queue."""
        return level(self.used)


def used_share(start: datetime, due: datetime, now: datetime) -> float:
    """The share of a clock used by ``now`` (0.8 = 80 %)."""
    span = (due - start).total_seconds()
    if span > 0:
        return (now - start).total_seconds() / span
    return 1.0 if now >= due else 0.0


def clock_state(name: str, start: datetime, due: datetime, now: datetime) -> ClockState:
    return ClockState(name, due, used_share(start, due, now), (due - now).total_seconds(),
                      start)


def clock_start(name: str, created_at: datetime, resolved_at: datetime | None,
                reopened_at: datetime | None = None) -> datetime:
    """When clock ``name`` started: resolution for the call-back, else the latest
    reopening, else creation."""
    if name in FROM_RESOLUTION and resolved_at is not None:
        return resolved_at
    return reopened_at or created_at


def running(status: str, dues: Mapping[str, datetime | None], created_at: datetime,
            resolved_at: datetime | None, now: datetime,
            reopened_at: datetime | None = None) -> list[ClockState]:
    """Every clock running in ``status`` that has a deadline, in the order of RUNNING."""
    states = []
    for name in RUNNING.get(status, ()):
        due = dues.get(name)
        if due is not None:
            start = clock_start(name, created_at, resolved_at, reopened_at)
            states.append(clock_state(name, start, due, now))
    return states


def next_clock(status: str, dues: Mapping[str, datetime | None], created_at: datetime,
               resolved_at: datetime | None, now: datetime,
               reopened_at: datetime | None = None) -> ClockState | None:
    """The running clock that falls due first (None: no clock runs)."""
    states = running(status, dues, created_at, resolved_at, now, reopened_at)
    return min(states, key=lambda s: s.due) if states else None


def countdown(left_s: float) -> str:
    """``01:02:03`` to go, ``-00:04:12`` once breached."""
    sign = "-" if left_s < 0 else ""
    total = int(abs(left_s))
    return f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


# --- the same rules as SQL (aggregate queries over many tickets) -------------------------

def sql_list(values: tuple[str, ...]) -> str:
    """``'a','b'`` for ``IN (...)`` (the values are this module's constants, not input)."""
    return ",".join(f"'{v}'" for v in values)


def sql_open(alias: str = "t") -> str:
    return f"{alias}.status IN ({sql_list(OPEN)})"


def sql_reopened(alias: str = "t") -> str:
    """The latest reopening of ticket ``alias`` (NULL: never reopened). An unsatisfied
    call-back or the caller's word reopens a ticket and the row counts its reopenings
    (``reopen_count``; an unsatisfied one keeps its satisfaction too), so the events are
    read for those tickets alone."""
    return (f"(CASE WHEN {alias}.reopen_count > 0 OR {alias}.satisfaction = '{UNSATISFIED}' "
            "THEN "
            f"(SELECT max(r.at) FROM ticket_event r WHERE r.ticket_id = {alias}.id "
            "AND r.kind = 'reopen') END)")


def sql_next_due(alias: str = "t", none: str = "~") -> str:
    """The first deadline among the clocks running in the status (``none`` if no clock)."""
    cases = []
    for status, names in RUNNING.items():
        dues = [f"coalesce({alias}.due_{n}, '{none}')" for n in names]
        first = dues[0] if len(dues) == 1 else f"min({', '.join(dues)})"
        cases.append(f"WHEN '{status}' THEN {first}")
    return f"CASE {alias}.status {' '.join(cases)} ELSE '{none}' END"


def sql_clock_name(due: str, none: str = "~", status: str = "status",
                   column: str = "due_{}") -> str:
    """Which clock the deadline ``due`` (from :func:`sql_next_due`) belongs to; '' none.
    Ties go to the first clock, as :func:`next_clock` has it."""
    cases = [f"WHEN {due} = '{none}' THEN ''"]
    for name in CLOCKS:
        cases.append(f"WHEN {status} IN ({sql_list(running_in(name))}) "
                     f"AND {due} = {column.format(name)} THEN '{name}'")
    return f"CASE {' '.join(cases)} ELSE '' END"


def sql_clock_start(clock: str, created: str, resolved: str, reopened: str) -> str:
    """:func:`clock_start` over SQL expressions."""
    return (f"CASE WHEN {clock} IN ({sql_list(FROM_RESOLUTION)}) AND {resolved} IS NOT NULL "
            f"THEN {resolved} ELSE coalesce({reopened}, {created}) END")


def sql_us(column: str, dialect: str = "sqlite") -> str:
    """SQL for a stored instant as whole microseconds since 1970: exact integer
    arithmetic, so 80 % of a clock in SQL is 80 % as in :func:`clock_state`. SQLite keeps
    instants as fixed-width UTC text; PostgreSQL (the centre) as timestamptz."""
    if dialect == "postgresql":
        return f"(extract(epoch from {column}) * 1000000)::bigint"
    return (f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000 "
            f"+ CAST(substr({column}, 21, 6) AS INTEGER))")


def sql_warn(now_us: str, due_us: str, start_us: str) -> str:
    """``used >= WARN`` in exact integer arithmetic over whole microseconds:
    d (now - start) >= n (due - start) for WARN = n/d."""
    share = Fraction(WARN).limit_denominator(100)
    n, d = share.numerator, share.denominator
    return f"{d} * {now_us} >= {n} * {due_us} + {d - n} * {start_us}"
