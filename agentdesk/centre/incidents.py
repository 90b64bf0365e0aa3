"""Incidents (突发事件): one event many people call about — a burst main, a substation
fault — opened from a ticket or from scratch over an area, with tickets and calls linked
to it, closed with a cause (no textual import).

Opening and closing are a supervisor's; anyone links a ticket or a call (the agent on
the line does, from the card or the duplicate offer). A ticket links by an event (its
row is a projection); a call by ``contact.incident_id``. Closing returns every linked
caller, so the call-backs can be made (and, when asked, are put on the outbound list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import text

from agentdesk.centre import fields
from agentdesk.core import areas as areas_mod
from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from sqlmodel import Session

    from agentdesk.core.models import Incident

MAX_TITLE = 200
MAX_ADDRESS = 200
MAX_CAUSE = 500


class IncidentError(ValueError):
    """An incident that cannot be opened, linked or closed, with what to do instead."""


@dataclass(frozen=True)
class Caller:
    """Someone who called about the incident: their ticket (if any) and their call."""

    customer_id: str | None
    number: str  # the number they called from ("" when only a ticket says who)
    ticket_id: str | None
    ticket_number: str | None
    owner_id: str | None  # the ticket's owner: a call-back is theirs


def _text(name: str, value: str, most: int, required: bool = False) -> str:
    return fields.text(IncidentError, "incident", name, value, most, required)


def _supervisor(role: str) -> None:
    fields.supervisor(IncidentError, "incident", role)


def get(session: Session, ref: str) -> Incident:
    """An incident by id, or by the first characters of its id (8 or more, unique)."""
    from agentdesk.core.models import Incident

    found = fields.by_ref(session, Incident, ref)
    if found is None:
        raise IncidentError(t("incident.err.unknown", ref=ref))
    return found


def open_incident(session: Session, agent: tuple[str, str, str], now: datetime, *,
                  title: str, category: str, where: tuple[areas_mod.Area, ...] = (),
                  address: str = "", from_ticket: str | None = None) -> Incident:
    """A new open incident. From a ticket: that ticket is linked, and without areas the
    incident covers the ticket's customer's community (or street)."""
    from agentdesk.core import agents
    from agentdesk.core.models import Customer, Incident
    from agentdesk.tickets import service as tickets, taxonomy

    code, name, role = agent
    _supervisor(role)
    try:
        cat = taxonomy.load().category(category)
    except KeyError:
        raise IncidentError(t("incident.err.category", category=category)) from None
    ticket = None
    if from_ticket:
        try:
            ticket = tickets.get(session, from_ticket)
        except tickets.TicketError as exc:
            raise IncidentError(str(exc)) from None
        customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
        if not where and customer is not None and customer.district:
            where = (areas_mod.Area(customer.district, customer.street, customer.community),)
        address = address or ticket.location
    if not where:
        raise IncidentError(t("incident.err.no_area"))
    utility = cat.utility if cat.utility in ("water", "power") else \
        (session.get(Customer, ticket.customer_id).utility
         if ticket is not None and ticket.customer_id else "water")
    opener = agents.ensure(session, code, name, role="supervisor")
    incident = Incident(title=_text(t("incident.field.title"), title, MAX_TITLE, True),
                        utility=utility, category=category, areas=areas_mod.dumps(where),
                        address=_text(t("incident.field.address"), address, MAX_ADDRESS),
                        started_at=now, opened_by=opener.id,
                        ticket_id=ticket.id if ticket is not None else None)
    session.add(incident)
    session.flush()
    if ticket is not None:
        link_ticket(session, incident.id, ticket.id, code)
    return incident


def link_ticket(session: Session, incident_ref: str, ticket_ref: str, agent_code: str
                ) -> None:
    """The ticket is about this incident (an event: who linked it, when)."""
    from agentdesk.core import agents
    from agentdesk.tickets import service as tickets

    incident = get(session, incident_ref)
    if incident.status != "open":
        raise IncidentError(t("incident.err.closed", title=incident.title))
    try:
        ticket = tickets.get(session, ticket_ref)
        tickets.append_event(session, ticket, "incident_link",
                             agents.ensure(session, agent_code, agent_code).id,
                             incident_id=incident.id)
    except tickets.TicketError as exc:
        raise IncidentError(str(exc)) from None


def link_call(session: Session, incident_ref: str, contact_id: str) -> None:
    """The call on the line is about this incident (no ticket: the caller is told and
    counted, and called back when it is closed)."""
    from agentdesk.core.models import Contact

    incident = get(session, incident_ref)
    if incident.status != "open":
        raise IncidentError(t("incident.err.closed", title=incident.title))
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise IncidentError(t("incident.err.no_call"))
    contact.incident_id = incident.id
    session.add(contact)
    session.flush()


def callers(session: Session, incident_id: str) -> list[Caller]:
    """Everyone who called about it: each linked ticket (its customer, its call's number),
    then each linked call without a ticket of its own; one entry per customer (or per
    number, for a caller nobody identified)."""
    rows = session.connection().execute(text(
        """SELECT * FROM (
             SELECT t.customer_id AS who, coalesce(c.number, '') AS number, t.id AS tid,
                    t.number AS tnum, t.owner_id AS owner, t.created_at AS at
             FROM ticket t LEFT JOIN contact c ON c.id = t.contact_id
             WHERE t.incident_id = :i
             UNION ALL
             SELECT c.customer_id, c.number, NULL, NULL, NULL, c.started_at FROM contact c
             WHERE c.incident_id = :i AND NOT EXISTS
                 (SELECT 1 FROM ticket t WHERE t.contact_id = c.id AND t.incident_id = :i))
           ORDER BY tid IS NULL, at"""), {"i": incident_id}).all()
    seen, out = set(), []
    for customer_id, number, ticket_id, ticket_number, owner_id, _at in rows:
        who = customer_id or number
        if who and who in seen:
            continue
        seen.add(who)
        out.append(Caller(customer_id, number, ticket_id, ticket_number, owner_id))
    return out


def close(session: Session, incident_ref: str, agent: tuple[str, str, str], now: datetime,
          cause: str, call_back: bool = False) -> list[Caller]:
    """Closed with its cause; returns the callers to call back. ``call_back``: each
    linked ticket gets an ``incident_closed`` event telling its owner the cause and to call
    the caller back (首问负责: the owner calls, not the supervisor)."""
    from agentdesk.core import agents

    code, name, role = agent
    _supervisor(role)
    cause = _text(t("incident.field.cause"), cause, MAX_CAUSE, required=True)
    incident = get(session, incident_ref)
    if incident.status != "open":
        raise IncidentError(t("incident.err.closed", title=incident.title))
    closer = agents.ensure(session, code, name, role="supervisor")
    incident.status, incident.closed_at = "closed", now
    incident.cause, incident.closed_by = cause, closer.id
    session.add(incident)
    session.flush()
    found = callers(session, incident.id)
    if call_back:
        from agentdesk.tickets import service as tickets

        for caller in found:
            if caller.ticket_id:
                tickets.append_event(session, tickets.get(session, caller.ticket_id),
                                     "incident_closed", closer.id,
                                     note=t("incident.call_back_note", cause=cause),
                                     call_back=True)
    return found


def listing(session: Session, open_only: bool = False, limit: int = 200) -> list[Incident]:
    from sqlmodel import select

    from agentdesk.core.models import Incident

    query = select(Incident).order_by(Incident.started_at.desc()).limit(max(1, limit))
    if open_only:
        query = query.where(Incident.status == "open")
    return list(session.exec(query).all())


def as_json(session: Session, incident: Incident) -> dict:
    from agentdesk.core import clock

    def when(value: datetime | None) -> str | None:
        return clock.local(value).isoformat(timespec="minutes") if value else None

    return {"id": incident.id, "title": incident.title, "utility": incident.utility,
            "category": incident.category, "status": incident.status,
            "areas": [str(a) for a in areas_mod.loads(incident.areas)],
            "address": incident.address, "started_at": when(incident.started_at),
            "closed_at": when(incident.closed_at), "cause": incident.cause,
            "callers": len(callers(session, incident.id))}
