"""A ticket's life after the first call (no textual import): 催办 (a chase-up by a caller
who rings again about an open ticket), reopening on the caller's word, a new ticket that
follows up a closed one, the department's reply with its expected fix time, and an agent's
raise of the priority (issue 17, items 3, 4, 6 and 8).

Every change is one event through :func:`agentdesk.tickets.service.append_event`; the
reducer (:mod:`agentdesk.tickets.workflow`) counts ``chase`` and ``reopen`` events into
``chase_count`` and ``reopen_count`` and copies ``reply``, ``reply_due`` and ``follows_id``
from an event's data.

Decisions the issue leaves open:

- Any agent may record a chase-up, reopen, record a reply or raise a priority (the agent
  who takes the call is rarely the owner); the owner and the first responder never change.
- A chase-up's call is ``data.by_contact`` (``contact_id`` is a ticket field: it would
  replace the call that opened the ticket).
- The third chase-up raises the priority once (not again at the sixth).
- A raise never gives a clock more time: each running clock keeps the earlier of its
  deadline and the one counted from the raise at the new priority.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from agentdesk.core.i18n import t, visible
from agentdesk.tickets import clocks
from agentdesk.tickets.service import (MAX_DESCRIPTION, MAX_FIELD, TicketError, agent_id_of,
                                       append_event, check_text, get)

if TYPE_CHECKING:
    from sqlmodel import Session

    from agentdesk.core.models import Ticket
    from agentdesk.tickets.sla import Policy

REOPENABLE = ("resolved", "called_back", "archived")  # closed: the caller's word reopens
DEFAULT_REOPEN_DAYS = 30  # config ``reopen_days``
RAISE_AT_CHASE = 3  # the chase-up that raises the priority one step
EXPECT_FORMAT = "%Y-%m-%d %H:%M"  # an expected fix time typed by the agent, local time


def _status(ticket: Ticket) -> str:
    return t("status." + ticket.status)


def _key_level(session: Session, ticket: Ticket) -> int:
    from agentdesk.core.models import Customer

    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    return customer.key_level if customer is not None else 0


def _raised_dues(session: Session, ticket: Ticket, priority: str, now: datetime,
                 policy: Policy | None) -> dict[str, datetime | None]:
    """``due_*`` of the clocks running in the ticket's status, counted from ``now`` at
    ``priority``; a clock keeps its deadline when that is earlier."""
    from agentdesk.tickets import sla

    due = sla.deadlines(policy or sla.for_session(session), ticket.category,
                        ticket.area_class, priority, now,
                        key_level=_key_level(session, ticket))
    moved: dict[str, datetime | None] = {}
    for name in clocks.RUNNING.get(ticket.status, ()):
        old, new = getattr(ticket, f"due_{name}"), due.get(name)
        if new is not None and (old is None or new < old):
            moved[f"due_{name}"] = new
    return moved


def _raise(session: Session, ticket: Ticket, agent_id: str, to: str, reason: str,
           policy: Policy | None) -> None:
    from agentdesk.core import clock

    moved = _raised_dues(session, ticket, to, clock.now(), policy)
    append_event(session, ticket, "priority", agent_id, note=reason, priority=to,
                 from_priority=ticket.priority, **moved)


def raise_priority(session: Session, ticket_ref: str, agent_code: str, to: str, reason: str,
                   policy: Policy | None = None) -> Ticket:
    """Raise an unresolved ticket's priority (never lower it), with a reason: a
    ``priority`` event; the running clocks' deadlines are counted again from now."""
    from agentdesk.tickets.sla_policy import PRIORITIES

    ticket = get(session, ticket_ref)
    agent_id = agent_id_of(session, agent_code)
    if to not in PRIORITIES:
        raise TicketError(t("life.err.priority", priority=visible(to),
                            known=", ".join(PRIORITIES)))
    if ticket.status not in clocks.UNRESOLVED:
        raise TicketError(t("life.err.raise_closed", number=ticket.number,
                            status=_status(ticket)))
    if PRIORITIES.index(to) >= PRIORITIES.index(ticket.priority):
        raise TicketError(t("life.err.not_higher", number=ticket.number,
                            current=t("priority." + ticket.priority),
                            to=t("priority." + to)))
    reason = _reason(reason)
    _raise(session, ticket, agent_id, to, reason, policy)
    return ticket


def _reason(reason: str) -> str:
    if not (reason or "").strip():
        raise TicketError(t("life.err.no_reason"))
    return check_text(t("field.reason"), reason, MAX_FIELD, required=True)


def chase(session: Session, ticket_ref: str, agent_code: str, note: str = "",
          contact_id: str | None = None, policy: Policy | None = None) -> Ticket:
    """催办: the caller rang again about an unresolved ticket (``note``: what they said,
    ``contact_id``: the call). The third chase-up raises the priority one step."""
    from agentdesk.tickets.sla_policy import raise_priority as one_step

    ticket = get(session, ticket_ref)
    agent_id = agent_id_of(session, agent_code)
    if ticket.status not in clocks.UNRESOLVED:
        raise TicketError(t("life.err.chase_closed", number=ticket.number,
                            status=_status(ticket)))
    note = check_text(t("field.note"), note, MAX_DESCRIPTION)
    data = {"by_contact": contact_id} if contact_id else {}
    append_event(session, ticket, "chase", agent_id, note=note, **data)
    if ticket.chase_count == RAISE_AT_CHASE and ticket.priority != one_step(ticket.priority):
        _raise(session, ticket, agent_id, one_step(ticket.priority),
               t("life.note.chase_raise", n=RAISE_AT_CHASE), policy)
    return ticket


def reopen(session: Session, ticket_ref: str, agent_code: str, reason: str,
           days: int | None = None, policy: Policy | None = None) -> Ticket:
    """The caller says a closed ticket's problem is back: reopen it within ``days``
    (config ``reopen_days``) of its resolution, with a reason. Same first responder and
    owner; a new resolution clock from now (the call-back clock starts at the next
    resolution), as an unsatisfied call-back reopens."""
    from agentdesk.core import clock
    from agentdesk.tickets import sla

    ticket = get(session, ticket_ref)
    agent_id = agent_id_of(session, agent_code)
    if ticket.status not in REOPENABLE:
        raise TicketError(t("life.err.reopen_open", number=ticket.number,
                            status=_status(ticket)))
    reason = _reason(reason)
    days = DEFAULT_REOPEN_DAYS if days is None else days
    now = clock.now()
    since = ticket.resolved_at or ticket.closed_at or ticket.updated_at
    if since is not None and now - since > timedelta(days=days):
        raise TicketError(t("life.err.window", number=ticket.number, days=days,
                            when=clock.local(since).strftime(EXPECT_FORMAT)))
    due = sla.deadlines(policy or sla.for_session(session), ticket.category,
                        ticket.area_class, ticket.priority, now,
                        key_level=_key_level(session, ticket))
    # A category with no resolution clock still gets one (service.call_back's rule).
    again = due["resolution"] or due["arrival"] or due["first_response"]
    append_event(session, ticket, "reopen", agent_id, to_status="accepted", note=reason,
                 due_resolution=again, due_first_response=None, due_arrival=None,
                 due_callback=None, resolved_at=None, closed_at=None)
    return ticket


def follow_up(session: Session, ticket_ref: str, agent_code: str, reason: str,
              policy: Policy | None = None) -> Ticket:
    """A new ticket for a closed one that can no longer be reopened (or the agent
    prefers a new one): same category, caller, place and complained-about party; its
    first event after creation names the old ticket (``follows_id``)."""
    from dataclasses import fields

    from agentdesk.tickets import service

    old = get(session, ticket_ref)
    if old.status not in REOPENABLE:
        raise TicketError(t("life.err.follow_open", number=old.number,
                            status=_status(old)))
    reason = _reason(reason)
    values: dict[str, object] = {
        "category": old.category, "customer_id": old.customer_id,
        "location": old.location, "complained_party": old.complained_party,
        "description": t("life.follow.description", reason=reason, number=old.number)}
    names = {f.name for f in fields(service.Draft)}
    if "complaint_class" in names:  # issue 17 item 1 (another branch): keep the class
        values["complaint_class"] = getattr(old, "complaint_class", "")
    new = service.create(session, service.Draft(**values), agent_code, policy=policy)
    append_event(session, new, "note", agent_id_of(session, agent_code),
                 note=t("life.note.follows", number=old.number), follows_id=old.id)
    return new


def parse_expected(text: str) -> datetime:
    """``YYYY-MM-DD HH:MM`` in the centre's time zone (or ISO 8601 with an offset) as an
    aware instant; TicketError for anything else."""
    from agentdesk.core import clock

    raw = (text or "").strip()
    try:
        value = datetime.strptime(raw, EXPECT_FORMAT).replace(tzinfo=clock.centre_tz())
    except ValueError:
        try:
            value = clock.parse_instant(raw)
        except (clock.ClockError, ValueError):
            raise TicketError(t("life.err.expect_bad", text=visible(raw))) from None
    return value.astimezone(clock.UTC)


def reply(session: Session, ticket_ref: str, agent_code: str, text: str,
          expected: datetime | None) -> Ticket:
    """The department's answer on an unresolved ticket and when it expects the fix to be
    done (``expected``: aware, in the future; None: no time given)."""
    from agentdesk.core import clock

    ticket = get(session, ticket_ref)
    agent_id = agent_id_of(session, agent_code)
    if ticket.status not in clocks.UNRESOLVED:
        raise TicketError(t("life.err.reply_closed", number=ticket.number,
                            status=_status(ticket)))
    if not (text or "").strip():
        raise TicketError(t("life.err.reply_empty"))
    text = check_text(t("field.reply"), text, MAX_DESCRIPTION, required=True)
    if expected is not None:
        if expected.tzinfo is None or expected.utcoffset() is None:
            raise TicketError(t("life.err.expect_bad", text=expected.isoformat()))
        if expected <= clock.now():
            raise TicketError(t("life.err.expect_past", when=clock.local(expected).strftime(
                EXPECT_FORMAT)))
        expected = expected.astimezone(clock.UTC)
    append_event(session, ticket, "reply", agent_id, note=text, reply=text,
                 reply_due=expected)
    return ticket


def reply_missed(reply_due: datetime | None, status: str, now: datetime) -> bool:
    """The department's expected fix time has passed and the ticket is not resolved."""
    return reply_due is not None and status in clocks.UNRESOLVED and reply_due < now


def newest_open(session: Session, customer_id: str) -> str | None:
    """The number of the caller's newest ticket a chase-up can name (None: none)."""
    from sqlalchemy import text

    return session.connection().execute(text(
        f"SELECT number FROM ticket WHERE customer_id = :c AND status IN "
        f"({clocks.sql_list(clocks.UNRESOLVED)}) ORDER BY created_at DESC, number DESC "
        "LIMIT 1"), {"c": customer_id}).scalar()


def chases_since(session: Session, customer_id: str, since: datetime) -> int:
    """Chase-ups on the caller's tickets since ``since`` recorded with no call of theirs
    on record (a chase-up made during a call is counted with the call): they count
    towards the repeat-caller warning."""
    from sqlalchemy import text

    from agentdesk.core.models import utc_text

    return int(session.connection().execute(text(
        "SELECT count(*) FROM ticket_event e JOIN ticket t ON t.id = e.ticket_id "
        "WHERE t.customer_id = :c AND e.kind = 'chase' AND e.at >= :since "
        "AND json_extract(e.data, '$.by_contact') IS NULL"),
        {"c": customer_id, "since": utc_text(since)}).scalar() or 0)


def off_shift_warning(session: Session, agent_code: str) -> str:
    """What to tell an agent who handed a ticket to a colleague who is off shift (the
    hand-over stands: nobody else decides who should have it), else ""."""
    from sqlalchemy import text

    from agentdesk.core.i18n import agent_label

    row = session.connection().execute(text(
        "SELECT name, on_shift FROM agent WHERE code = :c"), {"c": agent_code}).first()
    if row is None or row[1]:
        return ""
    return t("ticket.handover.off_shift", agent=agent_label(row[0], agent_code))


# --- issue 19: the hand-over's pick list ----------------------------------------------

class Colleague:
    """An agent a ticket may be handed to, as the hand-over's pick list shows them."""

    __slots__ = ("code", "name", "on_shift", "initials", "full")

    def __init__(self, code: str, name: str, on_shift: bool) -> None:
        from agentdesk.tickets.taxonomy import initials_and_full

        self.code, self.name, self.on_shift = code, name, bool(on_shift)
        self.initials, self.full = initials_and_full(name)  # pinyin: read in the worker


def colleagues(session: Session, me: str = "") -> list[Colleague]:
    """Every agent but ``me``: those on shift first, then the others (marked off shift on
    the list; the hand-over to them stands, with the off-shift warning), by 工号."""
    from sqlalchemy import text

    rows = session.connection().execute(text(
        "SELECT code, name, on_shift FROM agent WHERE code != :me "
        "ORDER BY on_shift DESC, code"), {"me": me}).all()
    return [Colleague(code, name or "", on_shift) for code, name, on_shift in rows]


def search_colleagues(found: list[Colleague], query: str, limit: int = 12
                      ) -> list[Colleague]:
    """Type-ahead by 工号, name or its pinyin initials (the category picker's rule,
    taxonomy.match_score): on shift first, the better match first within each."""
    from agentdesk.tickets.taxonomy import match_score

    scored = []
    for order, who in enumerate(found):
        score = match_score(query, who.code.lower(), (who.name or who.code,), who.initials,
                            who.full)
        if score is not None:
            scored.append((not who.on_shift, score, order, who))
    scored.sort(key=lambda s: s[:3])
    return [who for *_, who in scored[:limit]]
