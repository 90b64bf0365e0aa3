"""Tickets (no textual import). The ticket issue builds creation, workflow and SLA here;
the foundation needs the open-ticket list for the queue screen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

OPEN_STATUSES = ("accepted", "dispatched", "on_site", "resolved")


@dataclass(frozen=True)
class QueueRow:
    ticket_id: str
    number: str
    caller: str
    category: str
    priority: str
    status: str
    next_due: datetime | None


def _next_due(row) -> datetime | None:
    from agentdesk.models import UTC

    # Which clock runs depends on the status; the SLA issue refines this.
    order = {
        "accepted": ("due_first_response", "due_arrival", "due_resolution"),
        "dispatched": ("due_arrival", "due_resolution"),
        "on_site": ("due_resolution",),
        "resolved": ("due_callback",),
    }[row["status"]]
    for key in order:
        if row[key]:
            return datetime.fromisoformat(row[key]).replace(tzinfo=UTC)
    return None


_QUEUE_SELECT = """
SELECT t.id, t.number, coalesce(c.name, '') AS caller, t.category, t.priority, t.status,
       t.due_first_response, t.due_arrival, t.due_resolution, t.due_callback
FROM ticket t
LEFT JOIN customer c ON c.id = t.customer_id
"""
_OPEN = "t.status IN ('accepted', 'dispatched', 'on_site', 'resolved')"


def _queue_rows(session: Session, where: str, params: dict) -> list[QueueRow]:
    rows = session.connection().execute(text(f"{_QUEUE_SELECT} WHERE {where}"),
                                        params).mappings().all()
    result = [QueueRow(r["id"], r["number"], r["caller"], r["category"], r["priority"],
                       r["status"], _next_due(r)) for r in rows]
    # Soonest deadline first; tickets with no running clock last.
    return sorted(result, key=lambda q: (q.next_due is None, q.next_due or 0))


def open_for_owner(session: Session, agent_code: str, limit: int = 500) -> list[QueueRow]:
    return _queue_rows(
        session, f"t.owner_id = (SELECT id FROM agent WHERE code = :code) AND {_OPEN} "
        "LIMIT :limit", {"code": agent_code, "limit": limit})


def open_for_customer(session: Session, customer_id: str, limit: int = 50) -> list[QueueRow]:
    return _queue_rows(session, f"t.customer_id = :cid AND {_OPEN} LIMIT :limit",
                       {"cid": customer_id, "limit": limit})
