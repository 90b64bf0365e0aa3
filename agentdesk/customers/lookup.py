"""Caller lookup: find customers by whatever the caller gives (no textual import).

The query's shape says what it is, without the agent choosing a mode:

* digits (any common phone form): the full number, its last 4-8 digits, an account number;
* Latin letters: pinyin initials (``zs`` for 张三) or full pinyin (``zhangsan``);
* Chinese: a name or part of one, or an address fragment (``幸福小区3栋``).

Every branch is an index range scan (the customer table's own indexes and the
``customer_key`` B-tree, see :mod:`agentdesk.core.search_keys`), never a table scan: the cost
does not grow with the number of customers. Exact matches rank before partial ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlmodel import Session

if TYPE_CHECKING:
    from agentdesk.core.models import Customer

CONTACTS_SHOWN = 10
REPEAT_DAYS, REPEAT_CALLS = 7, 2  # called 2 or more times in 7 days: a repeat caller
NOTICE_LOOKAHEAD_H = 24  # planned outages starting within a day are shown too
MAX_QUERY = 100  # longer input is not a lookup; the screen says so instead of scanning
MIN_SUFFIX, MAX_SUFFIX = 4, 8

# Ranks: lower first. Exact identifiers, then exact names, then partial matches.
EXACT_ID, EXACT_NAME, EXACT_KEY, PARTIAL, LOOSE = 0, 1, 2, 3, 4


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
    match: str  # phone / phone_suffix / account / name / pinyin / address
    rank: int

    def as_json(self) -> dict:
        return {"account_no": self.account_no, "name": self.name, "phones": list(self.phones),
                "address": self.address, "utility": self.utility, "match": self.match,
                "customer_id": self.customer_id}


@dataclass(frozen=True)
class NoticeLine:
    title: str
    utility: str
    kind: str  # planned / unplanned
    starts_at: datetime
    ends_at: datetime
    active: bool  # False: starts within the next day


@dataclass(frozen=True)
class TicketLine:
    ticket_id: str
    number: str
    category: str
    priority: str
    status: str
    next_due: datetime | None
    overdue: bool


@dataclass(frozen=True)
class ContactLine:
    started_at: datetime
    channel: str
    number: str
    agent: str


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
    notices: tuple[NoticeLine, ...] = ()
    open_tickets: tuple[TicketLine, ...] = ()
    contacts: tuple[ContactLine, ...] = ()  # newest first, at most CONTACTS_SHOWN
    recent_contacts: int = 0  # contacts in the last REPEAT_DAYS days
    repeat_reasons: tuple[str, ...] = ()  # "calls" and/or "overdue": why to take care

    @property
    def repeat_caller(self) -> bool:
        return bool(self.repeat_reasons)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_PHONE_PUNCT = re.compile(r"[\s\-().+/]")
_LATIN = re.compile(r"[a-z ]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def clean(query: str) -> str:
    """NFKC (full-width digits and letters), no control characters, trimmed; refuses
    what cannot be a lookup with a message the agent can act on."""
    query = _CONTROL.sub("", unicodedata.normalize("NFKC", query)).strip()
    if not query:
        raise QueryError("empty query: type a phone number, account, name or address")
    if len(query) > MAX_QUERY:
        raise QueryError(f"query too long ({len(query)} characters, at most {MAX_QUERY})")
    return query


def _upper(prefix: str) -> str:
    # key >= prefix AND key < prefix + U+10FFFF: an index range, immune to % and _.
    return prefix + "\U0010ffff"


def _key_hits(session: Session, key: str, exact: bool, limit: int) -> list[str]:
    conn = session.connection()
    if exact:
        rows = conn.execute(text("SELECT customer_id FROM customer_key WHERE key = :k "
                                 "LIMIT :n"), {"k": key, "n": limit})
    else:
        rows = conn.execute(text("SELECT customer_id FROM customer_key WHERE key >= :k "
                                 "AND key < :hi ORDER BY key LIMIT :n"),
                            {"k": key, "hi": _upper(key), "n": limit})
    return [r[0] for r in rows]


def _column_hits(session: Session, column: str, value: str, exact: bool,
                 limit: int) -> list[str]:
    assert column in ("name", "account_no")  # never user text in SQL
    conn = session.connection()
    if exact:
        sql = f"SELECT id FROM customer WHERE {column} = :v LIMIT :n"
        params = {"v": value, "n": limit}
    else:
        sql = (f"SELECT id FROM customer WHERE {column} > :v AND {column} < :hi "
               f"ORDER BY {column} LIMIT :n")
        params = {"v": value, "hi": _upper(value), "n": limit}
    return [r[0] for r in conn.execute(text(sql), params)]


def _phone_hits(session: Session, e164: str, limit: int) -> list[str]:
    rows = session.connection().execute(
        text("SELECT DISTINCT customer_id FROM customer_phone WHERE e164 = :e LIMIT :n"),
        {"e": e164, "n": limit})
    return [r[0] for r in rows]


def _branches(query: str) -> list[tuple[int, str, Callable[[Session, int], list[str]]]]:
    """What to look up for this query: (rank, match kind, finder), best rank first."""
    from agentdesk.customers import phones

    query = phones.without_extension(query)  # "0571-88886666 转123": the main number
    digits = _PHONE_PUNCT.sub("", query)
    out: list[tuple[int, str, Callable[[Session, int], list[str]]]] = []
    if digits.isdigit():
        try:
            e164 = phones.normalise(query)
            out.append((EXACT_ID, "phone", lambda s, n: _phone_hits(s, e164, n)))
        except phones.PhoneError:
            pass
        out.append((EXACT_ID, "account",
                    lambda s, n: _column_hits(s, "account_no", digits, True, n)))
        if MIN_SUFFIX <= len(digits) <= MAX_SUFFIX:
            out.append((PARTIAL, "phone_suffix",
                        lambda s, n: _key_hits(s, "p" + digits[::-1], False, n)))
        if len(digits) >= MIN_SUFFIX:
            out.append((PARTIAL, "account",
                        lambda s, n: _column_hits(s, "account_no", digits, False, n)))
        return out
    lowered = query.lower()
    if _LATIN.fullmatch(lowered):
        letters = lowered.replace(" ", "")
        out.append((EXACT_KEY, "pinyin", lambda s, n: _key_hits(s, "y" + letters, True, n)))
        out.append((EXACT_KEY, "pinyin", lambda s, n: _key_hits(s, "f" + letters, True, n)))
        out.append((PARTIAL, "pinyin", lambda s, n: _key_hits(s, "y" + letters, False, n)))
        if len(letters) >= 2:
            out.append((PARTIAL, "pinyin",
                        lambda s, n: _key_hits(s, "f" + letters, False, n)))
        return out
    compact = re.sub(r"\s+", "", query)
    if _HAN.search(compact):
        out.append((EXACT_NAME, "name",
                    lambda s, n: _column_hits(s, "name", compact, True, n)))
        out.append((EXACT_KEY, "name", lambda s, n: _key_hits(s, "g" + compact, True, n)))
        out.append((PARTIAL, "name",
                    lambda s, n: _column_hits(s, "name", compact, False, n)))
        out.append((PARTIAL, "name", lambda s, n: _key_hits(s, "g" + compact, False, n)))
    out.append((LOOSE, "address", lambda s, n: _key_hits(s, "a" + compact, False, n)))
    return out


def _candidates(session: Session, query: str, limit: int) -> dict[str, tuple[int, str]]:
    """customer_id -> (best rank, match kind). Branches run best rank first and stop
    once ``limit`` customers are found: later branches could only add worse matches."""
    best: dict[str, tuple[int, str]] = {}
    for rank, kind, find in _branches(query):
        if len(best) >= limit and rank > max(r for r, _ in best.values()):
            break
        for cid in find(session, limit):
            if cid not in best or rank < best[cid][0]:
                best[cid] = (rank, kind)
    return best


_DETAILS = """
SELECT c.id, c.account_no, c.name, c.utility, c.district, c.street, c.community,
       c.building, c.unit, c.room,
       (SELECT group_concat(e164, ' ') FROM
           (SELECT e164 FROM customer_phone p WHERE p.customer_id = c.id ORDER BY position))
FROM customer c WHERE c.id IN ({marks})
"""


def search(session: Session, query: str, limit: int = 20) -> list[Match]:
    """Ranked matches for ``query``; raises :class:`QueryError` for unusable input."""
    query = clean(query)
    limit = max(1, min(int(limit), 200))
    return _matches(session, _candidates(session, query, limit), limit)


def by_phone(session: Session, customer_ids: Iterable[str]) -> list[Match]:
    """The customers a ringing number named (found by its exact E.164 when the call was
    recorded), listed as a phone search lists them: the pop never parses the number again."""
    ids = list(dict.fromkeys(customer_ids))
    return _matches(session, {cid: (0, "phone") for cid in ids}, max(1, len(ids)))


def _matches(session: Session, best: dict[str, tuple[int, str]], limit: int) -> list[Match]:
    from agentdesk.core.models import format_address

    if not best:
        return []
    # Details only for the customers that can be shown.
    ids = sorted(best, key=lambda cid: best[cid][0])[:limit]
    rows = session.connection().execute(
        text(_DETAILS.format(marks=",".join(f":i{n}" for n in range(len(ids))))),
        {f"i{n}": cid for n, cid in enumerate(ids)})
    matches = [Match(r[0], r[1], r[2], tuple((r[10] or "").split()),
                     format_address(*r[4:10]), r[3], best[r[0]][1], best[r[0]][0])
               for r in rows]
    matches.sort(key=lambda m: (m.rank, m.account_no))
    return matches[:limit]


def id_by_account(session: Session, account_no: str) -> str | None:
    """The customer id of an account number (户号), as it is stored; None when unknown."""
    return session.connection().execute(
        text("SELECT id FROM customer WHERE account_no = :a"), {"a": account_no}).scalar()


def _notices(session: Session, customer: Customer, now: datetime) -> tuple[NoticeLine, ...]:
    from datetime import timedelta

    from agentdesk.core.models import UTCDateTime, utc_text

    # An empty street or community in a notice means "the whole district / street".
    rows = session.connection().execute(text(
        """SELECT title, utility, kind, starts_at, ends_at FROM notice
           WHERE utility = :utility AND district = :district
             AND (street = '' OR street = :street)
             AND (community = '' OR community = :community)
             AND ends_at >= :now AND starts_at <= :horizon
           ORDER BY starts_at"""),
        {"utility": customer.utility, "district": customer.district,
         "street": customer.street, "community": customer.community, "now": utc_text(now),
         "horizon": utc_text(now + timedelta(hours=NOTICE_LOOKAHEAD_H))})
    load = UTCDateTime().process_result_value
    out = []
    for title, utility, kind, starts, ends in rows:
        starts_at, ends_at = load(starts, None), load(ends, None)
        out.append(NoticeLine(title, utility, kind, starts_at, ends_at, starts_at <= now))
    return tuple(out)


def _open_tickets(session: Session, customer_id: str, now: datetime
                  ) -> tuple[TicketLine, ...]:
    from agentdesk.tickets import queue, service as tickets

    lines = []
    for row in tickets.open_for_customer(session, customer_id):
        # overdue exactly as the queue says breached (a paused clock is not overdue)
        lines.append(TicketLine(row.ticket_id, row.number, row.category, row.priority,
                                row.status, row.next_due, queue.is_breached(row, now)))
    return tuple(lines)


def _contacts(session: Session, customer_id: str, now: datetime
              ) -> tuple[tuple[ContactLine, ...], int]:
    from datetime import timedelta

    from agentdesk.core.models import UTCDateTime, utc_text

    conn = session.connection()
    rows = conn.execute(text(
        """SELECT c.started_at, c.channel, c.number, coalesce(a.name, '')
           FROM contact c LEFT JOIN agent a ON a.id = c.agent_id
           WHERE c.customer_id = :id ORDER BY c.started_at DESC LIMIT :n"""),
        {"id": customer_id, "n": CONTACTS_SHOWN})
    load = UTCDateTime().process_result_value
    lines = tuple(ContactLine(load(r[0], None), r[1], r[2], r[3]) for r in rows)
    recent = conn.execute(text(
        "SELECT count(*) FROM contact WHERE customer_id = :id AND started_at >= :since"),
        {"id": customer_id, "since": utc_text(now - timedelta(days=REPEAT_DAYS))}).scalar()
    return lines, int(recent or 0)


def card(session: Session, customer_id: str) -> Card | None:
    """Everything the agent needs while the caller talks, in one read."""
    from agentdesk.core import clock
    from agentdesk.core.models import Customer

    customer = session.get(Customer, customer_id)
    if customer is None:
        return None
    now = clock.now()
    phones = session.connection().execute(
        text("SELECT e164 FROM customer_phone WHERE customer_id = :id ORDER BY position"),
        {"id": customer_id}).scalars().all()
    open_tickets = _open_tickets(session, customer_id, now)
    contacts, recent = _contacts(session, customer_id, now)
    reasons = []
    if recent >= REPEAT_CALLS:
        reasons.append("calls")
    if any(t.overdue for t in open_tickets):
        reasons.append("overdue")
    return Card(customer.id, customer.account_no, customer.name, customer.utility,
                customer.customer_class, customer.address, customer.area_class,
                customer.meter_no, customer.meter_type, customer.credit_list,
                customer.arrears_fen, customer.arrears_periods, tuple(customer.tag_list),
                customer.key_level, tuple(phones), _notices(session, customer, now),
                open_tickets, contacts, recent, tuple(reasons))


def audit_read(session: Session, agent: str, customer_id: str, when: datetime | None = None
               ) -> None:
    """Opening a card is a read of personal data: record who, when, which customer."""
    from agentdesk.core import clock
    from agentdesk.core.models import AuditLog

    session.add(AuditLog(at=when or clock.now(), agent_id=agent, action="read",
                         entity="customer", entity_id=customer_id))
