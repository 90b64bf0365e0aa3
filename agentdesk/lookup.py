"""Caller lookup: find customers by what the caller gives (no textual import).

This first version answers the indexed cases: a full phone number, an account number
(exact or prefix) and a name prefix. Phone suffixes, pinyin and address fragments come
with the lookup issue; they extend :func:`search` without changing its shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

MAX_QUERY = 200  # longer input is not a lookup; the screen says so instead of scanning


class QueryError(ValueError):
    """A query that cannot be used, with a message for the agent."""


@dataclass(frozen=True)
class Match:
    customer_id: str
    account_no: str
    name: str
    phones: tuple[str, ...]
    address: str
    utility: str
    match: str  # account / phone / name / address
    rank: int  # lower ranks first: exact before partial


@dataclass(frozen=True)
class Card:
    customer_id: str
    account_no: str
    name: str
    utility: str
    customer_class: str
    address: str
    area_class: str
    meter_no: str
    meter_type: str
    credit_list: str
    arrears_fen: int
    arrears_periods: int
    tags: tuple[str, ...]
    key_level: int
    phones: tuple[str, ...] = field(default_factory=tuple)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean(query: str) -> str:
    """Strip control characters and outer spaces; refuse what cannot be a lookup."""
    query = _CONTROL.sub("", query).strip()
    if not query:
        raise QueryError("empty query")
    if len(query) > MAX_QUERY:
        raise QueryError(f"query too long ({len(query)} characters, at most {MAX_QUERY})")
    return query


def _like_prefix(value: str) -> str:
    # Prefix ranges instead of LIKE: index-friendly and immune to % and _ in the query.
    return value + "\U0010ffff"


_SELECT = """
SELECT c.id, c.account_no, c.name, c.utility, c.district, c.street, c.community,
       c.building, c.unit, c.room,
       (SELECT group_concat(e164, ' ') FROM
           (SELECT e164 FROM customer_phone p WHERE p.customer_id = c.id ORDER BY position))
FROM customer c
"""


def _rows(session: Session, where: str, params: dict, match: str, rank: int,
          limit: int) -> list[Match]:
    from agentdesk.models import format_address

    rows = session.connection().execute(text(f"{_SELECT} WHERE {where} LIMIT :limit"),
                                        {**params, "limit": limit})
    return [Match(r[0], r[1], r[2], tuple((r[10] or "").split()), format_address(*r[4:10]),
                  r[3], match, rank) for r in rows]


def search(session: Session, query: str, limit: int = 20) -> list[Match]:
    """Ranked matches for ``query``; raises :class:`QueryError` for unusable input."""
    query = clean(query)
    limit = max(1, min(int(limit), 200))
    found: list[Match] = []
    digits = re.sub(r"[\s\-()+]", "", query)
    if digits.isdigit():
        from agentdesk import phones

        try:
            e164 = phones.normalise(query)
        except phones.PhoneError:
            e164 = None
        if e164:
            found += _rows(session, "c.id IN (SELECT customer_id FROM customer_phone "
                           "WHERE e164 = :e164)", {"e164": e164}, "phone", 0, limit)
        found += _rows(session, "c.account_no = :q", {"q": digits}, "account", 0, limit)
        found += _rows(session, "c.account_no > :q AND c.account_no < :hi",
                       {"q": digits, "hi": _like_prefix(digits)}, "account", 2, limit)
    else:
        found += _rows(session, "c.name = :q", {"q": query}, "name", 1, limit)
        found += _rows(session, "c.name > :q AND c.name < :hi",
                       {"q": query, "hi": _like_prefix(query)}, "name", 3, limit)
    seen: set[str] = set()
    ranked: list[Match] = []
    for m in sorted(found, key=lambda m: (m.rank, m.account_no)):
        if m.customer_id not in seen:
            seen.add(m.customer_id)
            ranked.append(m)
    return ranked[:limit]


def card(session: Session, customer_id: str) -> Card | None:
    from agentdesk.models import Customer, CustomerPhone

    customer = session.get(Customer, customer_id)
    if customer is None:
        return None
    phones = session.connection().execute(
        text("SELECT e164 FROM customer_phone WHERE customer_id = :id ORDER BY position"),
        {"id": customer_id}).scalars().all()
    del CustomerPhone
    return Card(customer.id, customer.account_no, customer.name, customer.utility,
                customer.customer_class, customer.address, customer.area_class,
                customer.meter_no, customer.meter_type, customer.credit_list,
                customer.arrears_fen, customer.arrears_periods, tuple(customer.tag_list),
                customer.key_level, tuple(phones))


def audit_read(session: Session, agent: str, customer_id: str, when: datetime | None = None
               ) -> None:
    """Opening a card is a read of personal data: record who, when, which customer."""
    from agentdesk import clock
    from agentdesk.models import AuditLog

    session.add(AuditLog(at=when or clock.now(), agent_id=agent, action="read",
                         entity="customer", entity_id=customer_id))
