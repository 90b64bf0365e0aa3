"""The supervisor's wallboard figures (no textual import): queue health, breaches, agent
load, the ticket mix, hot spots, KPIs and a 24-hour trend, as plain values.

Every figure is one aggregate query (or a few) over the desk database, run by SQLite, not
by loading rows into Python: a refresh over 100,000 tickets stays well under a second
(``agentdesk bench monitor``). The functions only read; the monitor opens the database with
``mode=ro`` (:func:`agentdesk.core.store.open_readonly`) so nothing here could write anyway.

Definitions (the wallboard, the CSV report and the tests use these):

* **SLA state** of an open ticket (受理 / 派单 / 到场 / 回单): its running clock that falls due
  first (as the queue shows it, :func:`agentdesk.tickets.clocks.next_clock`), started at
  creation (at the last reopening for a reopened ticket; at resolution for the call-back).
  *breached*: now at or past the deadline; *warn*: 80 % of the clock used; *paused*: the
  clock is paused; *ok*: anything else, including tickets with no running clock.
* **Breach list (督办)**: open, unpaused tickets whose running clock is past its deadline,
  most overdue first, with the owner and whether a desk already recorded the escalation.
* **督办 list**: every 督办 of the open tickets (the SLA scan's at a breach, a
  supervisor's with a reason), raised / acknowledged / overdue with who and when
  (:mod:`agentdesk.monitor.duban`): overdue when the owner has not acknowledged it
  within half an hour (:data:`agentdesk.tickets.duban.ACK_WITHIN`).
* **Met** times of a clock: first response when the ticket first leaves 受理, arrival when it
  first reaches 到场 (or 回单 straight away), resolution at ``resolved_at``, call-back at the
  回访 event (the first of each). The ticket row carries them (``responded_at``,
  ``arrived_at``, ``called_back_at``: :data:`agentdesk.tickets.workflow.MET`, projected from the
  events like ``resolved_at``), so events are read only for a few tickets (the reopening
  of an unsatisfied one, escalations on the breach list, reports linked onto an open
  incident's tickets). A clock *breached in an hour* of the trend is one whose
  deadline fell in that hour and that was not met by then (a clock paused at its deadline
  is not counted).
* **KPIs** take the tickets *created* in the window. First response (resolution) on time:
  met by the deadline, out of the clocks decided (met, or past the deadline unmet).
  Average first response: creation to first response, over the tickets answered. Call-back
  done: tickets with a satisfaction recorded, out of those that owe a call-back
  (``due_callback`` set). Answered from the knowledge base: tickets with a linked article.
* **Mix** and **hot spots** count tickets created in the window; hot spots by the caller's
  street and community; repeat callers are numbers with two or more contacts in the window.
* **Incidents**: open incidents, with the calls they drew (their tickets plus the reports
  linked onto those tickets). **Notices**: outage notices in force, with the calls received
  since they started from customers living inside their area.
* **Outreach** (主动服务): the calls of notices not withdrawn and not over. *due*: not yet
  made (or no answer yet) and before their time; *done*: reached, or needing help;
  *breached*: not made (or no answer yet) at or past their time, as the queue shows them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from agentdesk.core import clock
from agentdesk.monitor.db import Source, connection
from agentdesk.monitor.duban import DubanRow, duban_rows
from agentdesk.monitor.kpis import Review, review_set
from agentdesk.tickets import complaint_classes

# The figures by job, named here too: callers read every figure as figures.<name>.
from agentdesk.monitor.periods import (  # noqa: F401
    AREAS, PERIODS, REPEAT_CALLS, TOP, HotSpots, Kpi, Mix, Trend, day_start, hot_spots,
    kpi_set, kpis, mix, mixes, trend, windows)
from agentdesk.monitor.states import (  # noqa: F401
    LEVELS, LIST_LIMIT, AgentRow, BreachRow, EventRow, OffShiftRow, OutreachCounts,
    agent_rows, agents_by_id, breach_rows, events, off_shift, open_levels, outreach_counts)

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable

    from agentdesk.core.store import Store
    from agentdesk.tickets.complaint_classes import Classes


@dataclass(frozen=True)
class Wallboard:
    now: datetime
    states: dict[str, int]
    breaches: list[BreachRow]
    breach_count: int
    off_shift: list[OffShiftRow]
    off_shift_count: int
    events: list[EventRow]
    agents: list[AgentRow]
    mix: dict[str, Mix]
    kpis: dict[str, Kpi]
    hot: HotSpots
    trend: Trend
    seconds: float = 0.0  # how long the figures took
    outreach: OutreachCounts = OutreachCounts(0, 0, 0)
    dubans: list[DubanRow] = field(default_factory=list)
    duban_counts: dict[str, int] = field(default_factory=dict)  # by state
    # issue 17: satisfaction rate, FCR, reopen and on-time rates, complaint class x area,
    # channel mix, per period (agentdesk.monitor.kpis has the definitions)
    more: dict[str, Review] = field(default_factory=dict)
    classes: Classes | None = None  # the complaint class lists in force (their labels)
    # years of open tickets' deadlines with no holiday data (agentdesk.tickets.coverage)
    calendar_gaps: list[int] = field(default_factory=list)


# --- everything at once ------------------------------------------------------------------

LIVE_PERIODS = ("today",)  # read on every refresh, with the SLA states and the trend
REVIEW_PERIODS = ("7d", "30d")  # the period figures: the monitor reads them less often


def live(source: Source, now: datetime | None = None) -> dict[str, object]:
    """What changes minute by minute: SLA states, breaches, off-shift owners, incidents and
    notices, agent load, the trend, today's mix and KPIs. Fields of :class:`Wallboard`."""
    conn = connection(source)
    now = now or clock.now()
    spans = windows(now)
    part = now_part(conn, now)
    periods = {p: spans[p] for p in LIVE_PERIODS}
    part["mix"], part["kpis"] = mixes(conn, periods), kpi_set(conn, periods, now)
    part["more"] = review_set(conn, periods, now)
    from agentdesk.tickets import coverage

    part["calendar_gaps"] = coverage.open_gaps(conn, now)
    return part


def review(source: Source, now: datetime | None = None) -> dict[str, object]:
    """The period figures: mix and KPIs for 7 and 30 days, hot spots over 7 days."""
    conn = connection(source)
    now = now or clock.now()
    spans = windows(now)
    periods = {p: spans[p] for p in REVIEW_PERIODS}
    return {"mix": mixes(conn, periods), "kpis": kpi_set(conn, periods, now),
            "hot": hot_spots(conn, *spans["7d"]), "more": review_set(conn, periods, now),
            "classes": complaint_classes.for_session(conn)}


EMPTY_HOT = HotSpots([], [], [])


def read(store: Store, half: str, now: datetime) -> dict[str, object]:
    """One half (``"live"`` or ``"review"``) read on a connection of its own, closed after:
    the monitor screen's refreshes, so the screen holds no connection."""
    conn = store.raw()
    try:
        return (live if half == "live" else review)(conn, now)
    finally:
        conn.close()


def combine(now: datetime, live_part: dict, review_part: dict | None,
            seconds: float = 0.0) -> Wallboard:
    """One wallboard from the two halves (period figures empty until first read)."""
    review_part = review_part or {}
    mixed = {p: Mix({}, {}, {}) for p in PERIODS}
    kpi = {p: Kpi() for p in PERIODS}
    mixed.update(review_part.get("mix", {}))
    kpi.update(review_part.get("kpis", {}))
    mixed.update(live_part["mix"])
    kpi.update(live_part["kpis"])
    more = {p: Review() for p in PERIODS}
    more.update(review_part.get("more", {}))
    more.update(live_part.get("more", {}))
    fields = {k: v for k, v in live_part.items() if k not in ("mix", "kpis", "more")}
    return Wallboard(now=now, mix=mixed, kpis=kpi, hot=review_part.get("hot", EMPTY_HOT),
                     seconds=seconds, more=more, classes=review_part.get("classes"),
                     **fields)


def wallboard(source: Source | Store, now: datetime | None = None) -> Wallboard:
    """Every figure at once (run it in a worker thread, never on the UI thread).

    ``source`` is a session or connection (the halves read one after the other), or a
    :class:`~agentdesk.core.store.Store`: then :func:`live` and :func:`review` are read on two
    read-only connections at once (SQLite lets go of the GIL while it works). Each
    connection reads its own consistent snapshot."""
    began = time.perf_counter()
    now = now or clock.now()
    if hasattr(source, "raw"):
        from concurrent.futures import ThreadPoolExecutor

        def side(job: Callable[[sqlite3.Connection, datetime], dict[str, object]]
                 ) -> dict[str, object]:
            conn = source.raw()
            try:
                return job(conn, now)
            finally:
                conn.close()

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="monitor") as pool:
            later = pool.submit(side, review)
            live_part = side(live)
            review_part = later.result()
    else:
        live_part, review_part = live(source, now), review(source, now)
    return combine(now, live_part, review_part, time.perf_counter() - began)


def now_part(conn: sqlite3.Connection, now: datetime) -> dict[str, object]:
    levels = open_levels(conn, now)
    states = dict.fromkeys(LEVELS, 0)
    for row in levels:
        states[row[5]] += 1
    shift_rows, shift_count = off_shift(conn)
    agents = agents_by_id(conn)
    dubans, duban_counts = duban_rows(conn, now, agents)
    return dict(states=states, breaches=breach_rows(conn, levels, agents, now),
                breach_count=states["breached"], off_shift=shift_rows,
                off_shift_count=shift_count, events=events(conn, now),
                agents=agent_rows(conn, now, levels), trend=trend(conn, now),
                outreach=outreach_counts(conn, now),
                dubans=dubans, duban_counts=duban_counts)
