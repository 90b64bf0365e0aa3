"""An unknown caller made a customer record (issue 19, no textual import): what the caller
told the agent (name, address, call-back number: kept on the call with Ctrl+D,
:func:`agentdesk.customers.wrapup.caller_details`) becomes a customer, when the centre
allows it.

Decisions:

- **The centre decides.** The central setting ``desk_may_create_customers`` (``agentdesk
  central set desk_may_create_customers on``; desks pull it like the others) must be
  ``on``; without it (the default) the desk says the centre does not allow it. A desk
  without a centre has no such setting and so never creates customers: its customers
  come from its own CSV import.
- **Checked** as any customer: a name and an address (not empty, no control character,
  bounded), the call-back number (else the calling number) through :mod:`.phones`, and
  no customer already holding that number (the agent is told whose account has it: that
  caller is a known customer, look them up instead). The calling number is kept as the
  customer's second phone when it differs, so their next call pops the card.
- **A provisional account number** ``LS`` + 12 characters of a new id (临时户号): the
  utility's billing system gives the real 户号 later; the centre's customer file then
  carries the customer under it (a second record until the centre merges them: not done
  here). The address goes whole into ``street`` unless it starts with a district the
  desk's customers have (then that is the district); the area class is urban.
- **Syncs up** like a desk's other rows: the customer and its phones are written through
  the ORM, so the outbox hook captures the insert and the phone list in the same
  transaction (not the CSV import's bulk path, which stays local); the call is linked to
  the new customer (a contact change, captured too). Its lookup keys are computed here;
  the centre computes its own when the push arrives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentdesk.core import guard
from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from sqlmodel import Session

    from agentdesk.core.models import Customer

SETTING = "desk_may_create_customers"  # central_setting.name: "on" allows it
ACCOUNT_PREFIX = "LS"  # 临时户号: provisional until the utility's file has the customer
MAX_ADDRESS = 200
UTILITIES = ("water", "power")


class CreateError(ValueError):
    """A customer the desk will not make from the call, said so the agent knows why."""


def allowed(session: Session) -> bool:
    """Whether the centre lets this desk make customer records (pulled setting)."""
    from agentdesk.tickets.complaint_classes import central_text

    return (central_text(session, SETTING) or "").strip().lower() == "on"


def _phone(text: str) -> str:
    from agentdesk.customers import phones

    try:
        return phones.normalise(text)
    except phones.PhoneError as exc:
        raise CreateError(t("newcust.err.phone", error=exc)) from None


def _split_address(session: Session, address: str) -> tuple[str, str]:
    """(district, the rest): a district the desk's customers have, when the address
    starts with one (the longest), else ("", address)."""
    from sqlalchemy import text

    districts = [d for (d,) in session.connection().execute(text(
        "SELECT DISTINCT district FROM customer WHERE district != ''"))]
    for district in sorted(districts, key=len, reverse=True):
        if address.startswith(district) and len(address) > len(district):
            return district, address[len(district):]
    return "", address


def create_from_call(session: Session, contact_id: str, utility: str) -> Customer:
    """The call's unknown caller as a new customer of ``utility`` (water / power), the
    call linked to it; :class:`CreateError` says why not (not allowed, details missing,
    a bad number, a number some customer already has)."""
    from sqlalchemy import text

    from agentdesk.core import search_keys
    from agentdesk.core.ids import new_id
    from agentdesk.core.models import Contact, Customer, CustomerPhone
    from agentdesk.customers import phones

    if not allowed(session):
        raise CreateError(t("newcust.err.not_allowed"))
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise CreateError(t("wrapup.err.call", id=contact_id))
    if contact.customer_id:
        raise CreateError(t("newcust.err.known"))
    if utility not in UTILITIES:
        raise CreateError(t("newcust.err.utility", utility=utility or "?"))
    name, address = contact.caller_name.strip(), contact.caller_address.strip()
    if not name or not address:
        raise CreateError(t("newcust.err.details"))
    try:
        name = guard.check(t("wrapup.field.name"), name, guard.MAX_NAME)
        address = guard.check(t("wrapup.field.address"), address, MAX_ADDRESS)
    except guard.FieldError as exc:
        raise CreateError(str(exc)) from None
    numbers = [_phone(contact.callback_number)] if contact.callback_number.strip() else []
    if contact.number:  # the calling number too, when it is one (withheld: not)
        try:
            calling = phones.normalise(phones.without_extension(contact.number))
        except phones.PhoneError:
            calling = ""
        if calling and calling not in numbers:
            numbers.append(calling)
    if not numbers:
        raise CreateError(t("newcust.err.no_phone"))
    for number in numbers:
        holder = session.connection().execute(text(
            "SELECT c.account_no FROM customer_phone p JOIN customer c ON c.id = "
            "p.customer_id WHERE p.e164 = :n LIMIT 1"), {"n": number}).scalar()
        if holder is not None:
            raise CreateError(t("newcust.err.duplicate", number=phones.display(number),
                                account=holder))
    district, rest = _split_address(session, address)
    customer = Customer(account_no=ACCOUNT_PREFIX + new_id().replace("-", "")[-12:].upper(),
                        name=name, utility=utility, district=district, street=rest)
    session.add(customer)
    session.flush()
    for position, number in enumerate(numbers):
        session.add(CustomerPhone(customer_id=customer.id, e164=number,
                                  kind=phones.kind(number), position=position))
    contact.customer_id = customer.id
    session.add(contact)
    session.flush()
    search_keys.refresh(session.connection().connection.driver_connection, [customer.id])
    return customer
