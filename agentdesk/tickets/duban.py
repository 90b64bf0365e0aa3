"""督办 (no textual import): a supervisor's manual 督办 of a ticket and its owner's
acknowledgement (签收), and the 督办 a ticket still owes an answer to.

A 督办 is a ticket event: ``escalation`` (the SLA scan's, at a breach) or ``duban`` (a
supervisor's, with a reason: safety, media, a group complaint, repeated chase-ups). The
owner acknowledges every 督办 not yet acknowledged with one ``duban_ack`` event and a
note; the event names the 督办 it answers (``data.acks``: their event ids), so what was
acknowledged does not depend on the clocks of the desks that wrote them. Both events sync
like any other; the centre refuses a ``duban`` whose author is not a supervisor in its
own agent table (:mod:`agentdesk.sync.central.apply`). A 督办 not acknowledged within
:data:`ACK_WITHIN` is overdue on the monitor's 督办 list (:mod:`agentdesk.monitor.duban`).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import text

from agentdesk.core.i18n import t, visible
from agentdesk.tickets import clocks

if TYPE_CHECKING:
    from sqlmodel import Session

    from agentdesk.core.models import Ticket

REASONS = ("safety", "media", "group", "chase")  # 安全隐患 / 媒体关注 / 群体投诉 / 多次催办
DUBAN_KINDS = ("escalation", "duban")  # the events that are a 督办
ACK_KIND = "duban_ack"
# A 督办 the owner has not acknowledged this long after it was raised is overdue (the
# centre's practice: an answer within half an hour, whatever the ticket's own clocks).
ACK_WITHIN = timedelta(minutes=30)
MAX_NOTE = 500


class DubanError(ValueError):
    """A 督办 or acknowledgement the service refuses, said so the agent knows why."""


def _agent(session: Session, code: str) -> str:
    agent_id = session.connection().execute(text("SELECT id FROM agent WHERE code = :c"),
                                            {"c": code}).scalar()
    if agent_id is None:
        raise DubanError(t("duban.err.agent", code=visible(code)))
    return agent_id


def _note(note: str, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise DubanError(t("duban.err.note_empty"))
    if len(note) > MAX_NOTE:
        raise DubanError(t("duban.err.note_long", n=len(note), most=MAX_NOTE))
    return note


def unanswered(session: Session, ticket_id: str) -> list[str]:
    """The event ids of the ticket's 督办 that no acknowledgement names yet."""
    rows = session.connection().execute(text(
        "SELECT id, kind, data FROM ticket_event WHERE ticket_id = :t AND kind IN "
        f"({clocks.sql_list((*DUBAN_KINDS, ACK_KIND))}) ORDER BY at, id"),
        {"t": ticket_id}).all()
    answered = {i for _id, kind, data in rows if kind == ACK_KIND
                for i in json.loads(data or "{}").get("acks", ())}
    return [i for i, kind, _data in rows if kind in DUBAN_KINDS and i not in answered]


def raise_duban(session: Session, ticket_ref: str, agent_code: str, role: str, reason: str,
                note: str = "") -> Ticket:
    """A supervisor's 督办 of an open ticket, with a reason (:data:`REASONS`). ``role``
    is the desk's (config ``role``): anyone else is refused here, and the centre checks
    its own agent table again."""
    from agentdesk.tickets import service

    if role != "supervisor":
        raise DubanError(t("duban.err.role", role=visible(role)))
    if reason not in REASONS:
        raise DubanError(t("duban.err.reason", reasons=", ".join(REASONS),
                           reason=visible(reason)))
    note = _note(note, required=False)
    ticket = service.get(session, ticket_ref)
    if ticket.status not in clocks.OPEN:
        raise DubanError(t("duban.err.closed", number=ticket.number,
                           status=t("status." + ticket.status)))
    service.append_event(session, ticket, "duban", _agent(session, agent_code), note=note,
                         reason=reason)
    return ticket


def acknowledge(session: Session, ticket_ref: str, agent_code: str, note: str) -> Ticket:
    """签收: the owner answers every 督办 of the ticket not yet acknowledged, with a note
    of what was done."""
    from agentdesk.tickets import service

    ticket = service.get(session, ticket_ref)
    agent_id = _agent(session, agent_code)
    if ticket.owner_id != agent_id:
        raise DubanError(t("duban.err.owner", number=ticket.number))
    note = _note(note, required=True)
    acks = unanswered(session, ticket.id)
    if not acks:
        raise DubanError(t("duban.err.none", number=ticket.number))
    service.append_event(session, ticket, ACK_KIND, agent_id, note=note, acks=acks)
    return ticket
