"""What the desk app shares with its screens: the call on the line (:class:`CallContext`),
the typed view of the app the screens read (:class:`DeskApp`), and the message a saved
ticket sends up to the app.

The app owns one :class:`CallContext` and replaces it as a whole when a call rings, so
nothing of the last caller (their card, a pending answer, the last ticket) leaks into the
next call; within a call, screens update it with :func:`dataclasses.replace` (and :func:`with_card`
when the ticket form's caller changes: a KB answer belongs to one caller and one draft). It lives
here, not in ``apps``, because screens sit below the app shells and may not import them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from textual.message import Message

if TYPE_CHECKING:
    from agentdesk.centre.outreach import Rules
    from agentdesk.core.store import Store
    from agentdesk.customers.lookup import Card, Match
    from agentdesk.kb.answers import KbAnswer
    from agentdesk.tickets.service import Duplicate, QueueRow


@dataclass(frozen=True)
class SavedTicket:
    id: str
    number: str


@dataclass(frozen=True)
class CallContext:
    """The call the agent is on. ``serial`` 0 is "no call yet"; each ringing call takes
    the next serial, so a screen can tell a new call from an update of this one."""

    serial: int = 0
    number: str = ""  # the ringing number as the telephony gave it ("" when withheld)
    recorded: bool = False  # the contact is written (or could not be): the card may load
    contact_id: str | None = None
    caller: Match | None = None  # the one customer with the ringing number
    callers: tuple[Match, ...] = ()  # every customer with it (shown by the pop)
    card: Card | None = None  # the customer the ticket form is for (Ctrl+N on a card)
    answer: KbAnswer | None = None  # taken from the knowledge base, for this caller's draft
    answer_for: str | None = None  # the customer it was taken for (None: the calling number)
    ticket: SavedTicket | None = None  # the ticket saved last on this call


def with_card(call: CallContext, card: Card | None) -> CallContext:
    """The ticket form is now for ``card`` (None: the calling number). An answer taken for
    another caller is dropped; one taken before any caller was chosen now belongs to it."""
    owner = card.customer_id if card is not None else None
    answer = call.answer
    if answer is not None and call.answer_for is not None and call.answer_for != owner:
        answer = None
    return replace(call, card=card, answer=answer, answer_for=owner if answer else None)


def answer_for(call: CallContext, customer_id: str | None) -> KbAnswer | None:
    """The pending answer if it was taken for this caller's draft, else None."""
    return call.answer if call.answer is not None and call.answer_for == customer_id else None


class DeskApp(Protocol):
    """The desk app as its screens see it (the app shells satisfy it)."""

    store: Store | None
    agent_code: str
    agent_name: str
    role: str  # agent / supervisor (config.role)
    lang: str
    call: CallContext
    data_version: int
    my_queue: list[QueueRow]
    outreach_rules: Rules  # who is called before an outage, and when again (the config's)

    @property
    def notices_stale_since(self) -> datetime | None: ...


class TicketSaved(Message):
    """From the ticket form's worker: a ticket was saved (``summary`` is its JSON form) or,
    with ``summary`` None, the caller was told about a notice that covers the report. The
    form shows it; the app records it on the call and reloads the data."""

    def __init__(self, summary: dict[str, Any] | None, link: Duplicate | None,
                 serial: int = 0) -> None:
        super().__init__()
        self.summary = summary
        self.link = link
        self.serial = serial  # the call it was saved on: a later call never takes it
