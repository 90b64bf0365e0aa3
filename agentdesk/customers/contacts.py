"""Contacts: one call or message each (no textual import)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlmodel import Session

from agentdesk.core import channels, clock
from agentdesk.core.channels import CHANNELS  # noqa: F401 (the one list, named here too)
from agentdesk.customers import phones
from agentdesk.core.models import Contact

if TYPE_CHECKING:
    from agentdesk.customers.lookup import Match


@dataclass(frozen=True)
class Ringing:
    contact_id: str
    number: str  # the main number's E.164 (the contact keeps its extension)
    customer_ids: tuple[str, ...]  # customers with this exact number


def record_call(session: Session, raw_number: str, agent_code: str,
                channel: str = "phone") -> Ringing:
    """Record a ringing call; link it to the customer when the number names exactly one."""
    channels.check(channel)  # ChannelError (a ValueError) naming the known channels
    # PhoneError for junk: the caller says so. The customer is found by the main number;
    # the contact keeps the extension too ("+8657188886666;ext=123").
    number, extension = phones.normalise_with_extension(raw_number)
    conn = session.connection()
    ids = tuple(r[0] for r in conn.execute(
        text("SELECT DISTINCT customer_id FROM customer_phone WHERE e164 = :e LIMIT 20"),
        {"e": number}))
    agent_id = conn.execute(text("SELECT id FROM agent WHERE code = :c"),
                            {"c": agent_code}).scalar()
    contact = Contact(channel=channel, number=phones.with_extension(number, extension),
                      agent_id=agent_id,
                      customer_id=ids[0] if len(ids) == 1 else None, started_at=clock.now())
    session.add(contact)
    session.flush()
    return Ringing(contact.id, number, ids)


def callers(session: Session, ringing: Ringing) -> list[Match]:
    """The customers with the ringing number, as the lookup lists them (none for an unknown
    number; several when a household shares it). The number was normalised once, when the
    call was recorded: nothing parses it again."""
    from agentdesk.customers import lookup

    return lookup.by_phone(session, ringing.customer_ids)


def caller(session: Session, ringing: Ringing) -> Match | None:
    """The customer the ringing number names, when it names exactly one."""
    found = callers(session, ringing) if len(ringing.customer_ids) == 1 else []
    return found[0] if found else None


def record_withheld(session: Session, agent_code: str, channel: str = "phone") -> str:
    """Record a call whose number is withheld (no number, so no customer): its contact id."""
    channels.check(channel)  # ChannelError (a ValueError) naming the known channels
    agent_id = session.connection().execute(text("SELECT id FROM agent WHERE code = :c"),
                                            {"c": agent_code}).scalar()
    contact = Contact(channel=channel, number="", agent_id=agent_id, started_at=clock.now())
    session.add(contact)
    session.flush()
    return contact.id


def link(session: Session, contact_id: str, customer_id: str) -> None:
    """The agent identified the caller: attach the contact to that customer."""
    contact = session.get(Contact, contact_id)
    if contact is not None and contact.customer_id is None:
        contact.customer_id = customer_id
        session.add(contact)
