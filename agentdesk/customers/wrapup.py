"""How a call ended (no textual import): every call gets a wrap-up code, with or without a
ticket, in two keys on the desk; a transfer out names the agency and its receiving
reference; an unknown caller's name, address and call-back number are kept on the call.
The card's call history shows the outcome and the report counts them (migration 0014).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentdesk.core import guard
from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from sqlmodel import Session

# The wrap-up codes, in the order of the desk's keys 1-8. "ticket" is set by itself when
# a ticket is saved from the call (tickets.service.create); the others are the agent's.
CODES = ("answered", "notice", "transferred", "callback", "wrong_number", "silent",
         "dropped", "other")
TRANSFER_TO = ("12345", "12398", "95598", "110", "119", "120", "other")
MAX_NOTE = 500


class WrapUpError(ValueError):
    """A wrap-up the desk refuses, said so the agent knows what to give."""


@dataclass(frozen=True)
class Outcome:
    code: str
    note: str = ""
    transfer_to: str = ""
    transfer_ref: str = ""


def label(code: str) -> str:
    return t(f"wrapup.code.{code}") if code else t("wrapup.code.none")


def check(outcome: Outcome) -> Outcome:
    """The outcome trimmed and checked: a known code; a transfer names where to and the
    receiving reference (the caller is told it) and says why."""
    if outcome.code not in (*CODES, "ticket"):
        raise WrapUpError(t("wrapup.err.code", code=outcome.code, codes=", ".join(CODES)))
    try:
        note = guard.check(t("wrapup.field.note"), outcome.note.strip(), MAX_NOTE, lines=True)
        ref = guard.check(t("wrapup.field.ref"), outcome.transfer_ref.strip(), 64)
    except guard.FieldError as exc:
        raise WrapUpError(str(exc)) from None
    to = outcome.transfer_to.strip()
    if outcome.code == "transferred":
        if to not in TRANSFER_TO:
            raise WrapUpError(t("wrapup.err.to", to=to or "?", choices=", ".join(TRANSFER_TO)))
        if not ref:
            raise WrapUpError(t("wrapup.err.ref"))
        if not note:
            raise WrapUpError(t("wrapup.err.reason"))
    elif to or ref:
        to, ref = "", ""  # only a transfer keeps them
    if outcome.code == "other" and not note:
        raise WrapUpError(t("wrapup.err.other"))
    return Outcome(outcome.code, note, to, ref)


def wrap_up(session: Session, contact_id: str, outcome: Outcome) -> None:
    """Record how the call ended (again: the last word counts) and when."""
    from agentdesk.core import clock
    from agentdesk.core.models import Contact

    contact = session.get(Contact, contact_id)
    if contact is None:
        raise WrapUpError(t("wrapup.err.call", id=contact_id))
    outcome = check(outcome)
    contact.outcome, contact.transfer_to, contact.transfer_ref = (
        outcome.code, outcome.transfer_to, outcome.transfer_ref)
    if outcome.note and outcome.note not in contact.note:
        contact.note = f"{contact.note}\n{outcome.note}".strip()
    contact.ended_at = contact.ended_at or clock.now()
    session.add(contact)
    session.flush()


def caller_details(session: Session, contact_id: str, name: str, address: str,
                   callback_number: str) -> None:
    """What an unknown caller told the agent, kept on the call (a call-back number is
    checked and stored in E.164)."""
    from agentdesk.core.models import Contact
    from agentdesk.customers import phones

    contact = session.get(Contact, contact_id)
    if contact is None:
        raise WrapUpError(t("wrapup.err.call", id=contact_id))
    try:
        name = guard.check(t("wrapup.field.name"), name.strip(), guard.MAX_NAME)
        address = guard.check(t("wrapup.field.address"), address.strip(), 200)
    except guard.FieldError as exc:
        raise WrapUpError(str(exc)) from None
    number = ""
    if callback_number.strip():
        try:
            number = phones.normalise(callback_number)
        except phones.PhoneError as exc:
            raise WrapUpError(t("wrapup.err.phone", error=exc)) from None
    contact.caller_name, contact.caller_address, contact.callback_number = name, address, number
    session.add(contact)
    session.flush()


def counts(session: Session, since: object, until: object) -> dict[str, int]:
    """Calls started in [since, until) by outcome ("" : not wrapped up)."""
    from sqlalchemy import text

    from agentdesk.core.models import utc_text

    rows = session.connection().execute(text(
        "SELECT outcome, count(*) FROM contact WHERE started_at >= :a AND started_at < :b "
        "GROUP BY outcome"), {"a": utc_text(since), "b": utc_text(until)})
    return {code: n for code, n in rows}
