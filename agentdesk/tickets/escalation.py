"""The escalation scan (no textual import): a warning when 80 % of a running clock is used
and escalation (督办) at its breach, each exactly once per clock.

The clocks and their levels are :mod:`agentdesk.tickets.clocks`'. Warnings and escalations
are ticket events, so "once" survives restarts, and a ticket that breached while the desk
was closed is escalated by the next scan (at start or after a sync). A reopened ticket's
clocks are new clocks: they may warn and escalate again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import text

from agentdesk.tickets import clocks

if TYPE_CHECKING:
    from datetime import datetime

    from sqlmodel import Session


@dataclass(frozen=True)
class Alert:
    ticket_id: str
    number: str
    owner_id: str
    clock: str
    kind: str  # warning / escalation


_OPEN_CLOCKS = f"""
SELECT t.id, t.number, t.owner_id, t.status, t.created_at, t.resolved_at, t.paused_at,
       t.due_first_response, t.due_arrival, t.due_resolution, t.due_callback,
       {clocks.sql_reopened("t")} AS reopened,
       (SELECT group_concat(e.kind || ':' || json_extract(e.data, '$.clock'))
          FROM ticket_event e WHERE e.ticket_id = t.id
           AND e.kind IN ('warning', 'escalation')
           AND e.at > coalesce((SELECT max(r.at) FROM ticket_event r
                                 WHERE r.ticket_id = t.id AND r.kind = 'reopen'), '')
       ) AS fired
FROM ticket t
WHERE {clocks.sql_open("t")}
"""
_OWNED = " AND t.owner_id = (SELECT id FROM agent WHERE code = :owner)"
# What each level fires; past the deadline a warning is moot.
KIND_OF_LEVEL = {"warn": "warning", "breached": "escalation"}


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
        dues = {name: load(row[f"due_{name}"], None) for name in clocks.CLOCKS}
        for state in clocks.running(row["status"], dues, load(row["created_at"], None),
                                    load(row["resolved_at"], None), now,
                                    load(row["reopened"], None)):
            kind = KIND_OF_LEVEL.get(state.level)
            if kind and f"{kind}:{state.name}" not in fired:
                alerts.append(Alert(row["id"], row["number"], row["owner_id"], state.name,
                                    kind))
    return alerts


def fire(session: Session, alerts: list[Alert]) -> None:
    """Record each alert as a ticket event (督办 for escalations): once, for good."""
    from agentdesk.tickets import service as tickets

    for alert in alerts:
        ticket = tickets.get(session, alert.ticket_id)
        note = "超时督办" if alert.kind == "escalation" else "时限已用 80%"
        tickets.append_event(session, ticket, alert.kind, None, note=note, clock=alert.clock)


def scan(session: Session, now: datetime, owner: str | None = None) -> list[Alert]:
    """Find and record what is due; returns what was fired (for notifications)."""
    alerts = due_alerts(session, now, owner)
    fire(session, alerts)
    return alerts


def breach_list(session: Session) -> list[tuple[str, str, str]]:
    """(number, owner code, clock) of open tickets escalated (the supervisor's 督办 list)."""
    rows = session.connection().execute(text(
        f"""SELECT t.number, a.code, json_extract(e.data, '$.clock') FROM ticket t
           JOIN ticket_event e ON e.ticket_id = t.id AND e.kind = 'escalation'
           JOIN agent a ON a.id = t.owner_id
           WHERE {clocks.sql_open("t")}
           ORDER BY e.at"""))
    return [tuple(r) for r in rows]
