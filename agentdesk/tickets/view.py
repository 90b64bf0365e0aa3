"""One ticket as the detail screen shows it (no textual import): its fields, caller, owner,
history, running clock and the workflow steps allowed now, read in one call so the screen
runs no SQL of its own.

The steps derive from :data:`agentdesk.tickets.workflow.TRANSITIONS` and the pause rule of
:mod:`agentdesk.tickets.clocks`; the screen only maps them to keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentdesk.tickets import clocks, workflow

if TYPE_CHECKING:
    from datetime import datetime

    from sqlmodel import Session

# The steps that move a ticket, and the status each moves it to.
STEP_STATUS = {"dispatch": "dispatched", "on_site": "on_site", "resolve": "resolved",
               "call_back": "called_back", "archive": "archived"}
STEPS = (*STEP_STATUS, "pause", "hand_over", "note", "ack")


def allowed_steps(status: str, paused: bool, unanswered: int = 0) -> frozenset[str]:
    """The steps offered in ``status``: the workflow's next statuses; pause where the
    clocks may stop (and always on a paused ticket: the same step resumes); hand-over
    while the ticket can still move; a note always; 签收 while a 督办 waits for it."""
    nexts = workflow.TRANSITIONS.get(status, ())
    steps = {step for step, target in STEP_STATUS.items() if target in nexts}
    if status in clocks.UNRESOLVED or paused:
        steps.add("pause")
    if nexts:
        steps.add("hand_over")
    steps.add("note")
    if unanswered:
        steps.add("ack")
    return frozenset(steps)


@dataclass(frozen=True)
class HistoryLine:
    when: str  # local time, "MM-DD HH:MM"
    kind: str
    to_status: str
    agent: str  # the agent's code ('' for the system)
    note: str
    data: str  # the event's JSON
    target: str = ""  # a hand-over's or claim's new owner, named as ``agent`` is


@dataclass(frozen=True)
class TicketView:
    ticket: dict[str, object]  # as_json, with "paused" and "caller" (name, or number)
    history: list[HistoryLine]
    clock: clocks.ClockState | None  # the running clock that falls due first
    steps: frozenset[str]
    unanswered: int = 0  # 督办 its owner has not acknowledged yet


def _target(event: object, names: dict[str, str]) -> str:
    """Who received the ticket (issue 19: the history said who gave, not who got it)."""
    if getattr(event, "kind", "") not in ("handover", "claim"):
        return ""
    data = workflow.decode(getattr(event, "data", "") or "{}")
    owner = str(data.get("owner_id") or "")
    return names.get(owner) or str(data.get("to_owner") or "")


def reopened_at(session: Session, ticket_id: str) -> datetime | None:
    """The latest reopening of the ticket (None: never reopened)."""
    from sqlalchemy import text

    from agentdesk.core.models import UTCDateTime

    value = session.connection().execute(text(
        "SELECT max(at) FROM ticket_event WHERE ticket_id = :t AND kind = 'reopen'"),
        {"t": ticket_id}).scalar()
    return UTCDateTime().process_result_value(value, None)


def view(session: Session, ticket_ref: str, now: datetime | None = None) -> TicketView:
    """The ticket by id or number, everything the detail screen draws."""
    from sqlalchemy import text

    from agentdesk.core import clock
    from agentdesk.tickets import coverage, duban, lists, service, sla

    ticket = service.get(session, ticket_ref)
    data = service.as_json(session, ticket)
    paused = ticket.paused_at is not None
    conn = session.connection()
    caller = conn.execute(text("SELECT name FROM customer WHERE id = :i"),
                          {"i": ticket.customer_id}).scalar() if ticket.customer_id else None
    if not ticket.customer_id and ticket.contact_id:  # an unknown caller: their number
        caller = conn.execute(text("SELECT number FROM contact WHERE id = :i"),
                              {"i": ticket.contact_id}).scalar()
    data["paused"], data["caller"] = paused, caller or ""
    if ticket.complaint_class:  # issue 17: its labels, from the lists in force
        from agentdesk.tickets import complaint_classes

        named = complaint_classes.for_session(session)
        data["class_label"] = {lang: named.label(ticket.complaint_class, lang)
                               for lang in ("zh", "en")}
    # '' or: a working-day deadline in a year the calendar has no holidays for
    data["calendar_warning"] = coverage.warning(coverage.ticket_gaps(sla.for_session(session),
                                                                     ticket))
    from agentdesk.core.i18n import agent_label

    # one name for an agent everywhere (issue 19, item 11): name and 工号
    names = {i: agent_label(name, code) for i, code, name in conn.execute(text(
        "SELECT id, code, name FROM agent")).all()}
    data["owner_label"] = names.get(ticket.owner_id, data["owner"])
    history = [HistoryLine(clock.local(e.at).strftime("%m-%d %H:%M"), e.kind, e.to_status,
                           names.get(e.agent_id, ""), e.note, e.data, _target(e, names))
               # the agent reads time order; lists.events is the projection's order, which
               # puts this desk's unsynced events after everything it pulled or was given
               for e in sorted(lists.events(session, ticket.id), key=lambda e: e.at)]
    dues = {name: getattr(ticket, f"due_{name}") for name in clocks.CLOCKS}
    state = clocks.next_clock(ticket.status, dues, ticket.created_at, ticket.resolved_at,
                              now or clock.now(), reopened_at(session, ticket.id))
    waiting = len(duban.unanswered(session, ticket.id))
    return TicketView(data, history, state, allowed_steps(ticket.status, paused, waiting),
                      waiting)
