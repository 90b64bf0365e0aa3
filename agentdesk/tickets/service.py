"""Tickets (no textual import): a draft's terms, the quality gate (a complaint's class and
the channel checked too), creation, the workflow, hand-over, pauses; every change goes
through :func:`append_event`. The open-ticket lists and a ticket's events are
:mod:`agentdesk.tickets.lists`, the duplicate check :mod:`agentdesk.tickets.duplicates`
(both named here too); the rules applied here live in clocks, workflow and sla. It passes
500 lines: the quality gate, creation and every workflow step share the private checks and
the event append.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlmodel import Session

from agentdesk.core.i18n import t
from agentdesk.core import guard
from agentdesk.tickets import clocks

# The read side lives in lists.py; named here too, where every caller looks for it.
from agentdesk.tickets.lists import (  # noqa: F401
    LIST_LIMIT, QueueRow, events, open_all, open_for_customer, open_for_owner,
    open_for_team, owned_off_shift, rebuilt)
# The duplicate check lives in duplicates.py (issue 17 made room here); named here too.
from agentdesk.tickets.duplicates import DUPLICATE_HOURS, Duplicate, duplicates  # noqa: F401

if TYPE_CHECKING:
    from agentdesk.core.models import Customer, Ticket
    from agentdesk.tickets.taxonomy import Category
    from agentdesk.tickets.sla import Policy


# --- creating and changing tickets ----------------------------------------------------
# Every change appends one event and applies it to the row in the same transaction
# (workflow.apply): the row is a projection of the events, never edited on its own.

MAX_DESCRIPTION = 4000  # a ticket is read out on the phone: longer text is a paste error
MAX_FIELD = 200


class TicketError(ValueError):
    """Input the ticket service refuses, with a message for the agent."""


@dataclass(frozen=True)
class Draft:
    category: str
    description: str
    customer_id: str | None = None
    location: str = ""  # where the problem is, when not at the account's address
    channel: str = ""  # core.channels; "": the call's (the contact's), else phone
    contact_id: str | None = None
    complained_party: str = ""  # complaints: who or what is complained about
    incident_id: str | None = None
    complaint_class: str = ""  # complaints: an item code of complaint_classes


def _agent_id(session: Session, code: str) -> str:
    # 工号 as typed: a1002 is A1002 when only one agent has it in any case (agents say it);
    # the one rule, shared with the desk's sign-in (core/agents.find)
    from agentdesk.core import agents

    found = agents.find(session, code)
    if found is None:
        raise TicketError(t("msg.tickets.service.unknown_agent", code=code))
    return found.id


def _check_text(label: str, value: str, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise TicketError(t("msg.tickets.service.is_empty", label=label))
    if len(value) > limit:
        raise TicketError(t("msg.tickets.service.is_too_long_characters", label=label,
                            count=len(value), limit=limit))
    try:  # no control character (descriptions and notes may hold tabs and line breaks)
        return guard.check(label, value, limit, lines=limit == MAX_DESCRIPTION)
    except guard.FieldError as exc:
        raise TicketError(str(exc)) from None


# The same checks for the lifecycle steps (tickets/lifecycle.py): one wording, one rule.
agent_id_of, check_text = _agent_id, _check_text


def desk_tag(desk_id: str) -> str:
    """Six letters and digits from a desk's id (Crockford's alphabet: no I, L, O, U)."""
    import hashlib

    value = int.from_bytes(hashlib.sha256(desk_id.encode()).digest()[:4], "big")
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "".join(alphabet[(value >> (5 * i)) & 31] for i in range(6))


def _number(session: Session, now: datetime) -> str:
    from agentdesk.core import clock

    prefix = "GD" + clock.local(now).strftime("%Y%m%d")
    # A desk registered with a central store numbers its tickets in its own range (its
    # desk number after the date), so desks creating tickets offline never collide. A
    # desk that syncs but has not reached the centre yet has no number: "L" and a tag
    # of its random id stand in (one chance in ~10^9 that two such desks share a tag).
    meta = dict(session.connection().execute(
        text("SELECT key, value FROM sync_meta WHERE key IN ('desk_no', 'desk_id')")).all())
    if meta.get("desk_no"):
        prefix += f"{int(meta['desk_no']):03d}"
    elif meta.get("desk_id"):
        prefix += "L" + desk_tag(meta["desk_id"])
    last = session.connection().execute(
        text("SELECT max(number) FROM ticket WHERE number >= :lo AND number < :hi"),
        {"lo": prefix, "hi": prefix + "~"}).scalar()
    serial = int(last[len(prefix):len(prefix) + 5]) + 1 if last and last[len(prefix):
                                                                       ].isdigit() else 1
    return f"{prefix}{serial:05d}"


def append_event(session: Session, ticket: Ticket, kind: str, agent_id: str | None, *,
                 to_status: str = "", note: str = "", event_id: str | None = None,
                 at: datetime | None = None, **data: object) -> None:
    """Append one event and apply it to the row: the only way a ticket changes.
    ``event_id``: an id made from what the event is (an alert's), else a new one; ``at``:
    the instant the change was decided (creation: the one its deadlines count from)."""
    from agentdesk.core import clock
    from agentdesk.core.ids import new_id
    from agentdesk.core.models import TicketEvent
    from agentdesk.tickets import workflow

    now = at or clock.now()
    state = {k: getattr(ticket, k) for k in workflow.FIELDS if hasattr(ticket, k)}
    state["status"] = ticket.status
    new = workflow.apply(state, kind, to_status, dict(data), now)
    session.add(TicketEvent(id=event_id or new_id(), ticket_id=ticket.id, at=now,
                            agent_id=agent_id, kind=kind,
                            from_status=ticket.status if to_status else "",
                            to_status=to_status, note=note, data=workflow.encode(data)))
    for key, value in new.items():
        if hasattr(ticket, key) and key != "created_at":
            setattr(ticket, key, value)
    session.add(ticket)
    session.flush()


@dataclass(frozen=True)
class Terms:
    """What a draft would get if created now: the ticket form shows it, create stores it."""

    priority: str
    area_class: str
    due: dict[str, datetime | None]  # clock -> deadline (None: no such clock yet)
    calendar_gaps: tuple[int, ...] = ()  # years of working-day deadlines with no holidays


def preview(session: Session, category: str, customer_id: str | None,
            policy: Policy | None = None, now: datetime | None = None) -> Terms:
    """The priority (raised for a vulnerable or key caller), area class and deadlines of a
    ticket of ``category`` for the caller ``customer_id`` (None: no caller), as of ``now``.
    ``policy`` None: the desk's (sla.for_session)."""
    from agentdesk.core import clock
    from agentdesk.core.models import Customer
    from agentdesk.tickets import sla, taxonomy

    cat = taxonomy.load().categories.get(category)
    if cat is None:
        raise TicketError(t("msg.tickets.service.unknown_category_2", category=category))
    customer = session.get(Customer, customer_id) if customer_id else None
    if customer_id and customer is None:
        raise TicketError(t("msg.tickets.service.unknown_customer_2", customer_id=customer_id))
    area = customer.area_class if customer else "urban"
    priority = sla.effective_priority(cat.priority, customer.tag_list if customer else (),
                                      customer.key_level if customer else 0)
    policy, now, key = policy or sla.for_session(session), now or clock.now(), \
        customer.key_level if customer else 0
    due = sla.deadlines(policy, cat.code, area, priority, now, key_level=key)
    return Terms(priority, area, due, tuple(sla.calendar_gaps(
        policy, cat.code, area, priority, now, due, key_level=key)))


def check(session: Session, draft: Draft) -> Draft:
    """The quality gate: TicketError for what create would refuse (run before anything else
    is offered, the duplicate check included); the draft with its text fields trimmed."""
    from agentdesk.tickets import taxonomy
    from agentdesk.core.models import Customer

    category = taxonomy.load().categories.get(draft.category)
    if category is None:
        raise TicketError(t("msg.tickets.service.unknown_category", category=draft.category))
    description = _check_text(t("field.description"), draft.description, MAX_DESCRIPTION, True)
    location = _check_text(t("field.location"), draft.location, MAX_FIELD)
    party = _check_text(t("field.party"), draft.complained_party, MAX_FIELD)
    customer = session.get(Customer, draft.customer_id) if draft.customer_id else None
    if draft.customer_id and customer is None:
        raise TicketError(t("msg.tickets.service.unknown_customer", customer_id=draft.customer_id))
    if category.business_type == "repair" and not (location or customer):
        raise TicketError(t("msg.tickets.service.a_repair_needs_a"))
    if category.business_type == "complaint" and not party:
        raise TicketError(t("msg.tickets.service.a_complaint_needs_the"))
    return replace(draft, description=description, location=location, complained_party=party,
                   **_class_and_channel(session, draft, category, customer))


def _class_and_channel(session: Session, draft: Draft, category: Category,
                       customer: Customer | None) -> dict[str, str]:
    """A complaint's class, checked against its utility's list (the caller's utility, else
    the category's; neither known: any list); the channel, checked, defaulting to the
    call's (the contact's channel), else phone."""
    from agentdesk.core import channels
    from agentdesk.core.models import Contact
    from agentdesk.tickets import complaint_classes

    klass = (draft.complaint_class or "").strip()
    if category.business_type == "complaint":
        utility = customer.utility if customer is not None else category.utility
        try:
            klass = complaint_classes.for_session(session).check(klass, utility).code
        except complaint_classes.ClassError as exc:
            raise TicketError(str(exc)) from None
    elif klass:
        raise TicketError(t("msg.tickets.service.only_a_complaint_takes", category=draft.category))
    channel = (draft.channel or "").strip()
    if not channel:
        contact = session.get(Contact, draft.contact_id) if draft.contact_id else None
        channel = contact.channel if contact is not None else channels.DEFAULT
    try:
        return {"complaint_class": klass, "channel": channels.check(channel)}
    except channels.ChannelError as exc:
        raise TicketError(str(exc)) from None


def create(session: Session, draft: Draft, agent_code: str, policy: Policy | None = None
           ) -> Ticket:
    """Open a ticket owned by its creator (首问负责: first responder, fixed forever).
    ``policy`` None (as in every service here): the desk's, sla.for_session (the shipped
    defaults with the centre's synced policy on top). The deadlines are computed now."""
    from agentdesk.core import clock
    from agentdesk.tickets import taxonomy
    from agentdesk.core.models import Customer, Ticket

    draft = check(session, draft)
    category = taxonomy.load().categories[draft.category]
    description, location, party = draft.description, draft.location, draft.complained_party
    customer = session.get(Customer, draft.customer_id) if draft.customer_id else None
    agent_id = _agent_id(session, agent_code)
    now = clock.now()
    terms = preview(session, category.code, customer.id if customer else None, policy, now)
    area, priority, due = terms.area_class, terms.priority, terms.due
    ticket = Ticket(number=_number(session, now), business_type=category.business_type,
                    category=category.code, priority=priority, description=description,
                    location=location or (customer.address if customer else ""),
                    area_class=area, customer_id=customer.id if customer else None,
                    contact_id=draft.contact_id, incident_id=draft.incident_id,
                    first_responder_id=agent_id, owner_id=agent_id, created_at=now,
                    updated_at=now)
    session.add(ticket)
    session.flush()
    append_event(session, ticket, "created", agent_id, to_status="accepted", at=now,
            number=ticket.number, business_type=ticket.business_type,
            category=ticket.category, priority=priority, description=description,
            location=ticket.location, area_class=area, customer_id=ticket.customer_id,
            contact_id=ticket.contact_id, incident_id=ticket.incident_id,
            first_responder_id=agent_id, owner_id=agent_id, complained_party=party,
            complaint_class=draft.complaint_class, channel=draft.channel,
            **{f"due_{clock_name}": value for clock_name, value in due.items()})
    if ticket.contact_id:  # the call's wrap-up (customers.wrapup), unless the agent gave one
        session.connection().execute(text(
            "UPDATE contact SET outcome = 'ticket' WHERE id = :c AND outcome = ''"),
            {"c": ticket.contact_id})
    return ticket


def get(session: Session, ticket_ref: str) -> Ticket:
    """A ticket by id or by number (or by the number it had before it was renumbered)."""
    found = find(session, ticket_ref)
    if not found:
        raise TicketError(t("msg.tickets.service.no_ticket", ticket_ref=ticket_ref))
    return found[0]


def find(session: Session, ticket_ref: str) -> list[Ticket]:
    """The ticket with this id or number, then those that had this number before their
    desk joined a centre and a ``renumbered`` event gave them another."""
    from sqlalchemy import text
    from sqlmodel import select

    from agentdesk.core.models import Ticket

    ticket = session.get(Ticket, ticket_ref) or session.exec(
        select(Ticket).where(Ticket.number == ticket_ref)).first()
    found = [ticket] if ticket is not None else []
    for (ticket_id,) in session.connection().execute(text(
            "SELECT ticket_id FROM ticket_event WHERE kind = 'renumbered' AND "
            "json_extract(data, '$.old_number') = :ref ORDER BY at, id"), {"ref": ticket_ref}):
        other = session.get(Ticket, ticket_id)
        if other is not None and other not in found:
            found.append(other)
    return found


def _owner_check(ticket: Ticket, agent_id: str) -> None:
    # Nobody takes or works a ticket silently: only its owner moves it (a hand-over first).
    if ticket.owner_id != agent_id:
        raise TicketError(t("msg.tickets.service.ticket_is_owned_by", number=ticket.number))


def advance(session: Session, ticket_ref: str, agent_code: str, status: str, note: str = "",
            department: str = "", policy: Policy | None = None) -> Ticket:
    """Move a ticket one step along the workflow (dispatch, on site, resolve, archive)."""
    from agentdesk.core import clock
    from agentdesk.tickets import sla, workflow

    ticket = get(session, ticket_ref)
    agent_id = _agent_id(session, agent_code)
    _owner_check(ticket, agent_id)
    workflow.check_transition(ticket.status, status)
    note = _check_text(t("field.note"), note, MAX_DESCRIPTION)
    data: dict[str, object] = {}
    if status == "dispatched":
        department = _check_text(t("field.department"), department, MAX_FIELD, required=True)
        data["department"] = department  # dispatching never changes the owner
    if status == "called_back":
        raise TicketError(t("msg.tickets.service.use_the_call_back"))
    if status == "resolved":
        data["due_callback"] = sla.callback_due(policy or sla.for_session(session),
                                                ticket.category, ticket.area_class,
                                                clock.now())
    append_event(session, ticket, "status", agent_id, to_status=status, note=note, **data)
    return ticket


def call_back(session: Session, ticket_ref: str, agent_code: str, satisfaction: str,
              note: str = "", policy: Policy | None = None,
              tries: int | None = None) -> Ticket:
    """回访: record satisfaction; 不满意 reopens with the same owner and a new resolution
    clock (started now, from the policy in force). 联系不上 (:data:`workflow.UNREACHABLE`)
    is a try: kept as a ``callback_try`` event while the ticket waits for the next one;
    the ``tries``-th (config ``callback_tries``) closes the call-back as unreachable."""
    from agentdesk.core import clock
    from agentdesk.tickets import sla, workflow

    ticket = get(session, ticket_ref)
    agent_id = _agent_id(session, agent_code)
    _owner_check(ticket, agent_id)
    if satisfaction not in (*workflow.SATISFACTION, workflow.UNREACHABLE):
        raise TicketError(t("msg.tickets.service.satisfaction_must_be_one",
                            SATISFACTION=', '.join((*workflow.SATISFACTION,
                                                    workflow.UNREACHABLE))))
    if ticket.status != "resolved":
        raise TicketError(t("msg.tickets.service.a_call_back_comes", number=ticket.number,
                            status=workflow.status_name(ticket.status)))
    note = _check_text(t("field.note"), note, MAX_DESCRIPTION)
    if satisfaction == workflow.UNREACHABLE:
        attempt = callback_tries(session, ticket) + 1
        if attempt < max(1, tries or workflow.CALLBACK_TRIES):
            append_event(session, ticket, "callback_try", agent_id, note=note, attempt=attempt)
            return ticket
        append_event(session, ticket, "callback", agent_id, to_status="called_back",
                     note=note, satisfaction=satisfaction, attempt=attempt)
        return ticket
    append_event(session, ticket, "callback", agent_id, to_status="called_back", note=note,
            satisfaction=satisfaction)
    if satisfaction == workflow.UNSATISFIED:
        due = sla.deadlines(policy or sla.for_session(session), ticket.category,
                            ticket.area_class, ticket.priority, clock.now())
        # A category with no resolution clock (a burst main) still gets one on reopening:
        # its next clock from now, so the unsatisfied caller is never left without a promise.
        again = due["resolution"] or due["arrival"] or due["first_response"]
        append_event(session, ticket, "reopen", agent_id, to_status="accepted",
                note="回访不满意，重新处理", due_resolution=again,
                due_first_response=None, due_arrival=None, due_callback=None,
                resolved_at=None)
    return ticket


def callback_tries(session: Session, ticket: Ticket) -> int:
    """Unanswered call-back tries since the ticket was last resolved."""
    from sqlalchemy import func
    from sqlmodel import select

    from agentdesk.core.models import TicketEvent

    query = select(func.count()).where(TicketEvent.ticket_id == ticket.id,
                                       TicketEvent.kind == "callback_try")
    if ticket.resolved_at is not None:  # the column's type writes the bound instant
        query = query.where(TicketEvent.at >= ticket.resolved_at)
    return int(session.exec(query).one() or 0)


def hand_over(session: Session, ticket_ref: str, agent_code: str, to_agent_code: str,
              reason: str) -> Ticket:
    """Ownership changes only here: to a named agent, with a reason, as an event."""
    ticket = get(session, ticket_ref)
    agent_id = _agent_id(session, agent_code)
    _owner_check(ticket, agent_id)
    reason = _check_text(t("field.reason"), reason, MAX_FIELD, required=True)
    try:
        to_id = _agent_id(session, to_agent_code)
    except TicketError:
        raise TicketError(t("msg.tickets.service.cannot_hand_over_to",
                            to_agent_code=to_agent_code)) from None
    if to_id == agent_id:
        raise TicketError(t("msg.tickets.service.the_ticket_is_already_2"))
    if ticket.status == "archived":
        raise TicketError(t("msg.tickets.service.ticket_is_archived_2", number=ticket.number))
    # expect_owner: the owner this hand-over replaces; the central store rejects it when
    # another desk changed the owner first (agentdesk/sync/central.py).
    append_event(session, ticket, "handover", agent_id, note=reason, owner_id=to_id,
            from_owner=agent_code, to_owner=to_agent_code, expect_owner=ticket.owner_id)
    return ticket


def claim(session: Session, ticket_ref: str, agent_code: str, reason: str) -> Ticket:
    """Take over a ticket whose owner cannot work it (off shift, absent): an event naming
    the owner it replaces. Offline, two desks may both claim; the central store keeps the
    first it receives and tells the other desk (a conflict record), dropping no event."""
    ticket = get(session, ticket_ref)
    agent_id = _agent_id(session, agent_code)
    reason = _check_text(t("field.reason"), reason, MAX_FIELD, required=True)
    if ticket.owner_id == agent_id:
        raise TicketError(t("msg.tickets.service.the_ticket_is_already"))
    if ticket.status == "archived":
        raise TicketError(t("msg.tickets.service.ticket_is_archived", number=ticket.number))
    append_event(session, ticket, "claim", agent_id, note=reason, owner_id=agent_id,
            to_owner=agent_code, expect_owner=ticket.owner_id)
    return ticket


def add_note(session: Session, ticket_ref: str, agent_code: str, note: str) -> Ticket:
    ticket = get(session, ticket_ref)
    note = _check_text(t("field.note"), note, MAX_DESCRIPTION, required=True)
    append_event(session, ticket, "note", _agent_id(session, agent_code), note=note)
    return ticket


def as_json(session: Session, ticket: Ticket) -> dict[str, object]:
    """What `agentdesk ticket show --json` prints."""
    conn = session.connection()

    def code(agent_id: str | None) -> str | None:
        return conn.execute(text("SELECT code FROM agent WHERE id = :i"),
                            {"i": agent_id}).scalar() if agent_id else None

    def iso(value: datetime | None) -> str | None:
        from agentdesk.core import clock

        return clock.local(value).isoformat() if value else None

    return {
        "id": ticket.id, "number": ticket.number, "status": ticket.status,
        "business_type": ticket.business_type, "category": ticket.category,
        "priority": ticket.priority, "description": ticket.description,
        "location": ticket.location, "customer_id": ticket.customer_id,
        "first_responder": code(ticket.first_responder_id), "owner": code(ticket.owner_id),
        "department": ticket.department, "satisfaction": ticket.satisfaction,
        "complaint_class": ticket.complaint_class, "channel": ticket.channel,
        "created_at": iso(ticket.created_at),
        "deadlines": {name: iso(getattr(ticket, f"due_{name}"))
                      for name in clocks.CLOCKS},
    }


def link_report(session: Session, ticket_ref: str, agent_code: str,
                customer_id: str | None, note: str = "") -> Ticket:
    """Another caller reports what an open ticket already covers: record it on that
    ticket instead of dispatching again."""
    ticket = get(session, ticket_ref)
    append_event(session, ticket, "linked_report", _agent_id(session, agent_code),
            note=_check_text(t("field.note"), note, MAX_DESCRIPTION), reporter_id=customer_id)
    return ticket


def note_notice(session: Session, notice_id: str, agent_code: str,
                contact_id: str | None) -> None:
    """The caller was told about an outage notice in force: no repair is dispatched; the
    contact records what they were told."""
    from agentdesk.core.models import AuditLog, Contact, Notice

    notice = session.get(Notice, notice_id)
    if notice is None:
        raise TicketError(t("msg.tickets.service.no_notice", notice_id=notice_id))
    # when the caller was told, even with no call on record (a trainer scores it too)
    session.add(AuditLog(agent_id=agent_code, action="notice_told", entity="notice",
                         entity_id=notice_id, detail=contact_id or ""))
    contact = session.get(Contact, contact_id) if contact_id else None
    if contact is not None:
        told = f"已告知公告：{notice.title}"
        contact.note = f"{contact.note}\n{told}".strip()
        session.add(contact)


def listing(session: Session, owner: str | None = None, open_only: bool = False,
            limit: int = 50) -> list[Ticket]:
    """Tickets newest first, optionally only one agent's and only open ones."""
    from sqlmodel import select

    from agentdesk.core.models import Ticket

    query = select(Ticket).order_by(Ticket.created_at.desc()).limit(max(1, limit))
    if owner:
        query = query.where(Ticket.owner_id == _agent_id(session, owner))
    if open_only:
        query = query.where(Ticket.status.in_(clocks.OPEN))
    return list(session.exec(query))


def pause(session: Session, ticket_ref: str, agent_code: str, reason: str,
          state: str = "waiting_caller", policy: Policy | None = None) -> Ticket:
    """Stop the clocks while the ticket waits (only in states the policy names)."""
    from agentdesk.tickets import sla

    policy = policy or sla.for_session(session)
    ticket = get(session, ticket_ref)
    agent_id = _agent_id(session, agent_code)
    _owner_check(ticket, agent_id)
    if not policy.can_pause(state):
        raise TicketError(t("msg.tickets.service.the_sla_policy_does", state=state))
    if ticket.paused_at is not None:
        raise TicketError(t("msg.tickets.service.ticket_is_already_paused", number=ticket.number))
    if ticket.status not in clocks.UNRESOLVED:
        from agentdesk.tickets.workflow import status_name

        raise TicketError(t("msg.tickets.service.a_ticket_has_no",
                            status=status_name(ticket.status)))
    reason = _check_text(t("field.reason"), reason, MAX_FIELD, required=True)
    append_event(session, ticket, "pause", agent_id, note=reason, state=state)
    return ticket


def resume(session: Session, ticket_ref: str, agent_code: str,
           policy: Policy | None = None) -> Ticket:
    """Restart the clocks: each running deadline moves by the time paused (working time
    for working-day clocks), so the time the caller waited is not charged to the centre."""
    from agentdesk.core import clock
    from agentdesk.tickets import sla

    policy = policy or sla.for_session(session)
    ticket = get(session, ticket_ref)
    agent_id = _agent_id(session, agent_code)
    _owner_check(ticket, agent_id)
    if ticket.paused_at is None:
        raise TicketError(t("msg.tickets.service.ticket_is_not_paused", number=ticket.number))
    now = clock.now()
    moved = {}
    for name in clocks.PAUSING:
        due = getattr(ticket, f"due_{name}")
        rule = sla.rule_for(policy, name, ticket.category, ticket.area_class, ticket.priority,
                            ticket.created_at)
        if due is not None and rule is not None:
            moved[f"due_{name}"] = sla.resume(due, ticket.paused_at, now, rule,
                                              policy.calendar)
    append_event(session, ticket, "resume", agent_id, **moved)
    return ticket
