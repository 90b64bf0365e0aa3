"""The wallboard's live SLA figures (no textual import): every open ticket's state, the
breach list, off-shift owners, open incidents and notices with their calls, agent load.

The state of a ticket is the queue's own clock: the SQL below is generated from the tables
of :mod:`agentdesk.tickets.clocks` (open statuses, the clocks of each status, their starts,
the 80 % mark), so the wall and the queue cannot disagree. Definitions are in
:mod:`agentdesk.monitor.figures`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from agentdesk.core import areas, clock
from agentdesk.monitor.db import Source, connection, load, stamp
from agentdesk.monitor.periods import day_start
from agentdesk.tickets import clocks

LEVELS = ("ok", "warn", "breached", "paused")
LIST_LIMIT = 200  # rows kept for a list on the wall (the counts are always complete)


@dataclass(frozen=True)
class BreachRow:
    number: str
    owner_code: str
    owner_name: str
    clock: str
    overdue_s: float
    escalated: bool  # a desk already recorded the 督办 event


@dataclass(frozen=True)
class OffShiftRow:
    number: str
    owner_code: str
    owner_name: str
    status: str


@dataclass(frozen=True)
class EventRow:
    kind: str  # incident / notice
    title: str
    area: str
    since: datetime
    calls: int


@dataclass(frozen=True)
class AgentRow:
    code: str
    name: str
    on_shift: bool
    open: int
    breached: int
    resolved_today: int
    callbacks_due: int
    status: str = ""  # the latest agent_status row's (ready / break / acw / off); "": none
    status_since: datetime | None = None


@dataclass(frozen=True)
class OutreachCounts:
    due: int  # open calls not yet past their time
    done: int  # reached, or needing help (a ticket opened)
    breached: int  # open calls past their time


_NONE = "~"  # sorts after every timestamp text: "no such clock"


_us = clocks.sql_us  # whole microseconds: 80 % here is 80 % as in clocks.clock_state
_OPEN_SQL = clocks.sql_list(clocks.OPEN)
_NEXT_DUE = f"""
WITH o AS (
  SELECT t.id, t.number, t.owner_id, t.status, t.paused_at, t.created_at, t.resolved_at,
         {clocks.sql_reopened("t")} AS reopened,
         t.due_first_response, t.due_arrival, t.due_resolution, t.due_callback,
         {clocks.sql_next_due("t", _NONE)} AS due
  FROM ticket t WHERE {clocks.sql_open("t")}
), c AS (
  SELECT o.*, {clocks.sql_clock_name("due", _NONE)} AS clock FROM o
), s AS (
  SELECT c.*, {clocks.sql_clock_start("clock", "created_at", "resolved_at", "reopened")}
              AS start
  FROM c
)
SELECT id, number, owner_id, clock, due,
       CASE WHEN paused_at IS NOT NULL THEN 'paused'
            WHEN clock = '' THEN 'ok'
            WHEN :now >= due THEN 'breached'
            WHEN {clocks.sql_warn(":now_us", _us("due"), _us("start"))} THEN 'warn'
            ELSE 'ok' END AS level
FROM s
"""


def open_levels(session: Source, now: datetime
                ) -> list[tuple[str, str, str, str, str | None, str]]:
    """(ticket id, number, owner id, clock, due text, level) of every open ticket."""
    text = stamp(now)
    now_us = int(datetime.fromisoformat(text).replace(tzinfo=clock.UTC).timestamp()) \
        * 1_000_000 + int(text[20:26])
    rows = connection(session).execute(_NEXT_DUE, {"now": text, "now_us": now_us}).fetchall()
    return [(i, n, o, c, None if d == _NONE else d, lv) for i, n, o, c, d, lv in rows]


def agents_by_id(conn: sqlite3.Connection) -> dict[str, tuple[str, str, bool, str]]:
    return {r[0]: (r[1], r[2], bool(r[3]), r[4]) for r in conn.execute(
        "SELECT id, code, name, on_shift, role FROM agent")}


def breach_rows(conn: sqlite3.Connection, levels: list, agents: dict, now: datetime
                 ) -> list[BreachRow]:
    late = sorted((r for r in levels if r[5] == "breached"), key=lambda r: r[4])[:LIST_LIMIT]
    ids = [r[0] for r in late]
    escalated: set[str] = set()
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        escalated.update(r[0] for r in conn.execute(
            "SELECT DISTINCT ticket_id FROM ticket_event WHERE kind = 'escalation' AND "
            f"ticket_id IN ({','.join('?' * len(part))})", part))
    out = []
    for tid, number, owner, clock_name, due, _level in late:
        code, name, _on, _role = agents.get(owner, ("?", "", True, ""))
        out.append(BreachRow(number, code, name, clock_name,
                             (now - load(due)).total_seconds(), tid in escalated))
    return out


def off_shift(session: Source) -> tuple[list[OffShiftRow], int]:
    """Open tickets whose owner is off shift (nobody watches them), oldest first."""
    conn = connection(session)
    # the few off-shift agents first, then their open tickets by (owner, status)
    count = conn.execute(
        "SELECT count(*) FROM ticket t WHERE t.owner_id IN (SELECT id FROM agent "
        f"WHERE NOT on_shift) AND t.status IN ({_OPEN_SQL})").fetchone()[0]
    rows = [OffShiftRow(*r) for r in conn.execute(
        "SELECT t.number, a.code, a.name, t.status FROM agent a CROSS JOIN ticket t "
        f"ON t.owner_id = a.id WHERE NOT a.on_shift AND t.status IN ({_OPEN_SQL}) "
        f"ORDER BY t.created_at LIMIT {LIST_LIMIT}")]
    return rows, count


def events(session: Source, now: datetime) -> list[EventRow]:
    """Open incidents and notices in force, each with the calls it drew."""
    conn = connection(session)
    out: list[EventRow] = []
    incidents = conn.execute(
        "SELECT id, title, areas, started_at FROM incident "
        "WHERE status = 'open' ORDER BY started_at").fetchall()
    if incidents:
        marks = ",".join("?" * len(incidents))
        ids = [i[0] for i in incidents]
        calls = dict(conn.execute(
            f"SELECT incident_id, count(*) FROM ticket WHERE incident_id IN ({marks}) "
            "GROUP BY incident_id", ids).fetchall())
        for iid, n in conn.execute(
                f"SELECT t.incident_id, count(*) FROM ticket t JOIN ticket_event e "
                f"ON e.ticket_id = t.id AND e.kind = 'linked_report' "
                f"WHERE t.incident_id IN ({marks}) GROUP BY t.incident_id", ids):
            calls[iid] = calls.get(iid, 0) + n
        for iid, n in conn.execute(  # calls linked without a ticket of their own
                f"SELECT incident_id, count(*) FROM contact WHERE incident_id IN ({marks}) "
                "AND id NOT IN (SELECT contact_id FROM ticket WHERE contact_id IS NOT NULL "
                f"AND incident_id IN ({marks})) GROUP BY incident_id", ids + ids):
            calls[iid] = calls.get(iid, 0) + n
        for iid, title, where, started in incidents:
            out.append(EventRow("incident", title, areas.label(where), load(started),
                                calls.get(iid, 0)))
    now_text = stamp(now)
    covered = areas.sql_covers("?", ("u.district", "u.street", "u.community", "u.building"))
    for title, where, starts in conn.execute(
            "SELECT title, areas, starts_at FROM notice WHERE status = 'active' "
            "AND starts_at <= ? AND max(ends_at, coalesce(restore_by, '')) >= ? "
            "ORDER BY starts_at", (now_text, now_text)).fetchall():
        calls = conn.execute(
            "SELECT count(*) FROM contact k JOIN customer u ON u.id = k.customer_id "
            f"WHERE k.started_at >= ? AND k.started_at <= ? AND {covered}",
            (starts, now_text, where)).fetchone()[0]
        out.append(EventRow("notice", title, areas.label(where), load(starts), calls))
    return out


def agent_rows(session: Source, now: datetime, levels: list | None = None
               ) -> list[AgentRow]:
    """Per agent: open tickets, breaches, resolved today, call-backs due by tonight.
    Agents with nothing open, resolved or due are left out unless on shift."""
    conn = connection(session)
    levels = open_levels(conn, now) if levels is None else levels
    agents = agents_by_id(conn)
    opened: dict[str, int] = {}
    breached: dict[str, int] = {}
    for _tid, _n, owner, _c, _d, level in levels:
        opened[owner] = opened.get(owner, 0) + 1
        if level == "breached":
            breached[owner] = breached.get(owner, 0) + 1
    today = day_start(now)
    resolved = dict(conn.execute(
        "SELECT owner_id, count(*) FROM ticket WHERE resolved_at >= ? AND resolved_at <= ? "
        "GROUP BY owner_id", (stamp(today), stamp(now))).fetchall())
    tonight = stamp(today + timedelta(days=1))
    callbacks = dict(conn.execute(
        "SELECT owner_id, count(*) FROM ticket WHERE status IN "
        f"({clocks.sql_list(clocks.CALLBACK_OWED)}) "
        "AND due_callback IS NOT NULL AND due_callback < ? GROUP BY owner_id",
        (tonight,)).fetchall())
    status = latest_status(conn)
    out = []
    for aid, (code, name, on_shift, role) in agents.items():
        now_in, since = status.get(code, ("", None))
        row = AgentRow(code, name, on_shift, opened.get(aid, 0), breached.get(aid, 0),
                       resolved.get(aid, 0), callbacks.get(aid, 0), now_in, since)
        if on_shift and role != "trainer" or row.open or row.resolved_today \
                or row.callbacks_due or now_in not in ("", "off"):
            out.append(row)
    return sorted(out, key=lambda r: (-r.breached, -r.open, r.code))



def latest_status(conn: sqlite3.Connection) -> dict[str, tuple[str, datetime]]:
    """Each agent's latest status and since when, by 工号 (core/agent_status.py): the
    newest row per code, read off the (code, since) index."""
    from agentdesk.core.models import AgentStatus

    parse = AgentStatus.__table__.c.since.type.process_result_value
    return {code: (status, parse(since, None)) for code, status, since in conn.execute(
        "SELECT s.code, s.status, s.since FROM agent_status s WHERE s.id = (SELECT x.id "
        "FROM agent_status x WHERE x.code = s.code ORDER BY x.since DESC, x.id DESC "
        "LIMIT 1)")}


def outreach_counts(session: Source, now: datetime) -> OutreachCounts:
    """The outreach calls of notices in force or to come (not withdrawn, not over):
    due, done and breached, as the queue has them (a call is breached at its time)."""
    text = stamp(now)
    due, done, late = connection(session).execute(
        "SELECT coalesce(sum(o.status IN ('due', 'no_answer') AND o.due_at > ?1), 0), "
        "coalesce(sum(o.status IN ('reached', 'needs_help')), 0), "
        "coalesce(sum(o.status IN ('due', 'no_answer') AND o.due_at <= ?1), 0) "
        "FROM notice n JOIN outreach_call o ON o.notice_id = n.id WHERE n.status = 'active' "
        "AND max(n.ends_at, coalesce(n.restore_by, '')) >= ?1", (text,)).fetchone()
    return OutreachCounts(int(due), int(done), int(late))
