"""Reading tickets (no textual import): the open-ticket lists as queue rows (each with its
running clock, from :mod:`agentdesk.tickets.clocks`), and a ticket's events in order.
The ticket service (:mod:`agentdesk.tickets.service`) names all of these too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import text

from agentdesk.tickets import clocks

if TYPE_CHECKING:
    from sqlmodel import Session

    from agentdesk.core.models import TicketEvent


@dataclass(frozen=True)
class QueueRow:
    ticket_id: str
    number: str
    caller: str  # the customer's name; for an unknown caller, the number they called from
    category: str
    priority: str
    status: str
    next_due: datetime | None  # the running clock that falls due first
    clock: str = ""  # its name: first_response / arrival / resolution / callback
    clock_start: datetime | None = None  # when it started (for the share used)
    paused: bool = False
    owner: str = ""  # the owner's name (team and all-tickets views)
    owner_code: str = ""
    utility: str = ""  # the customer's (for categories that belong to both)
    reply_due: datetime | None = None  # the department's expected fix time (issue 17)
    reply: str = ""  # and its answer
    text: str = ""  # the start of the description (the queue's text column)


_QUEUE_SELECT = """
SELECT t.id, t.number, coalesce(c.name, ct.number, '') AS caller, t.category, t.priority,
       t.status,
       t.due_first_response, t.due_arrival, t.due_resolution, t.due_callback,
       t.created_at, t.resolved_at, t.paused_at, {reopened} AS reopened,
       coalesce(o.name, '') AS owner, coalesce(o.code, '') AS owner_code,
       coalesce(c.utility, '') AS utility, t.reply_due, t.reply,
       substr(t.description, 1, 120) AS text
FROM ticket t
LEFT JOIN customer c ON c.id = t.customer_id
LEFT JOIN contact ct ON ct.id = t.contact_id AND t.customer_id IS NULL
LEFT JOIN agent o ON o.id = t.owner_id
""".format(reopened=clocks.sql_reopened("t"))
_OPEN = clocks.sql_open("t")
LIST_LIMIT = 5000  # one queue list; more is a report's job, not a screen's


def _queue_rows(session: Session, where: str, params: dict[str, object]) -> list[QueueRow]:
    from agentdesk.core import clock
    from agentdesk.core.models import UTCDateTime

    load = UTCDateTime().process_result_value
    now = clock.now()
    result = []
    for r in session.connection().execute(text(f"{_QUEUE_SELECT} WHERE {where}"),
                                          params).mappings():
        created = load(r["created_at"], None)
        dues = {name: load(r[f"due_{name}"], None) for name in clocks.CLOCKS}
        state = clocks.next_clock(r["status"], dues, created, load(r["resolved_at"], None),
                                  now, load(r["reopened"], None))
        result.append(QueueRow(
            r["id"], r["number"], r["caller"], r["category"], r["priority"], r["status"],
            state.due if state else None, state.name if state else "",
            state.start if state else created,
            r["paused_at"] is not None, r["owner"], r["owner_code"], r["utility"],
            load(r["reply_due"], None), r["reply"], r["text"] or ""))
    # Soonest deadline first; tickets with no running clock last.
    return sorted(result, key=lambda q: (q.next_due is None, q.next_due or 0))


def open_for_owner(session: Session, agent_code: str, limit: int = 500) -> list[QueueRow]:
    return _queue_rows(
        session, f"t.owner_id = (SELECT id FROM agent WHERE code = :code) AND {_OPEN} "
        "LIMIT :limit", {"code": agent_code, "limit": limit})


def open_for_team(session: Session, agent_code: str, limit: int = 500) -> list[QueueRow]:
    """The agent's and their team-mates' open tickets (an agent with no team: their own)."""
    return _queue_rows(
        session, "t.owner_id IN (SELECT id FROM agent WHERE code = :code OR (team != '' AND "
        f"team = (SELECT team FROM agent WHERE code = :code))) AND {_OPEN} LIMIT :limit",
        {"code": agent_code, "limit": limit})


def open_all(session: Session, limit: int = 500) -> list[QueueRow]:
    return _queue_rows(session, f"{_OPEN} LIMIT :limit", {"limit": limit})


def open_for_customer(session: Session, customer_id: str, limit: int = 50) -> list[QueueRow]:
    return _queue_rows(session, f"t.customer_id = :cid AND {_OPEN} LIMIT :limit",
                       {"cid": customer_id, "limit": limit})



def owned_off_shift(session: Session) -> list[QueueRow]:
    """Open tickets whose owner is off shift: the supervisor's list (nobody watches them)."""
    return _queue_rows(session, f"t.owner_id IN (SELECT id FROM agent WHERE NOT on_shift) "
                       f"AND {_OPEN}", {})


def events(session: Session, ticket_id: str) -> list[TicketEvent]:
    """The ticket's events in the central store's order (the same on every desk; desk
    clocks do not matter), then those not yet synced in the order they were made."""
    from sqlmodel import select

    from agentdesk.core.models import SyncEventSeq, SyncOutbox, TicketEvent

    local = (select(SyncOutbox.seq).where(SyncOutbox.entity == "ticket_event",
                                          SyncOutbox.row_id == TicketEvent.id)
             .limit(1).scalar_subquery())
    return list(session.exec(
        select(TicketEvent).outerjoin(SyncEventSeq, SyncEventSeq.event_id == TicketEvent.id)
        .where(TicketEvent.ticket_id == ticket_id)
        .order_by(SyncEventSeq.seq.is_(None), SyncEventSeq.seq, local.is_(None), local,
                  TicketEvent.at, TicketEvent.id)))


def rebuilt(session: Session, ticket_id: str) -> dict[str, object]:
    """The ticket's state replayed from its events alone (checks, repairs, sync)."""
    from agentdesk.tickets import workflow

    return workflow.rebuild([(e.kind, e.to_status, e.data, e.at)
                             for e in events(session, ticket_id)])
