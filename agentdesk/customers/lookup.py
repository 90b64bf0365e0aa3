"""Caller lookup: find customers by whatever the caller gives (no textual import).

The query's shape says what it is, without the agent choosing a mode (:mod:`.clues`):

* digits (any common phone form, an extension too): the full number, its last 4-8
  digits, an account or meter number or their trailing digits;
* letters and digits: an account or meter number of any shape (``WX-0003``);
* Latin letters: pinyin initials (``zs`` for 张三) or full pinyin (``zhangsan``);
* Chinese: a name or part of one, a surname with an honorific (王先生, 老王), an address
  fragment (``幸福小区3栋``), a district;
* several of these separated by spaces (``王 1122``, ``张伟 桃子湖``, ``岳麓区 张``): the
  customers every clue matches.

Every branch is an index range scan (the customer table's own indexes and the
``customer_key`` B-tree, see :mod:`agentdesk.core.search_keys`), never a table scan: the cost
does not grow with the number of customers. Several clues: :mod:`.intersect`.
Exact matches rank before partial ones; among equals, the customer who called last comes
first, then one with open tickets, then account order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlmodel import Session

from agentdesk.core.i18n import t
from agentdesk.customers import clues, intersect
from agentdesk.customers.clues import (EXACT_ID, EXACT_KEY, EXACT_NAME, LOOSE,  # noqa: F401
                                       MAX_SUFFIX, MIN_SUFFIX, PARTIAL)

if TYPE_CHECKING:
    from agentdesk.core.models import Customer

CONTACTS_SHOWN = 10
REPEAT_DAYS, REPEAT_CALLS = 7, 2  # called 2 or more times in 7 days: a repeat caller
NOTICE_LOOKAHEAD_H = 24  # planned outages starting within a day are shown too
MAX_QUERY = 100  # longer input is not a lookup; the screen says so instead of scanning
POOL = 50  # candidates read to order equal matches (see search)
MOST = 200  # matches one search returns at most (`agentdesk lookup --limit` is bounded by it)


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
    match: str  # phone / phone_suffix / account / meter / name / pinyin / address, or
    # several joined by "+" (one per clue)
    rank: int

    def as_json(self) -> dict:
        return {"account_no": self.account_no, "name": self.name, "phones": list(self.phones),
                "address": self.address, "utility": self.utility, "match": self.match,
                "customer_id": self.customer_id}


@dataclass(frozen=True)
class NoticeLine:
    notice_id: str
    title: str
    utility: str
    kind: str  # planned / fault / arrears
    starts_at: datetime
    ends_at: datetime
    active: bool  # False: starts within the next day
    cause: str = ""
    restore_by: datetime | None = None  # expected restoration, when said
    revision: int = 1


@dataclass(frozen=True)
class IncidentLine:
    """An open incident over the caller's address: the card offers to link the call."""

    incident_id: str
    title: str
    address: str
    started_at: datetime


@dataclass(frozen=True)
class TicketLine:
    ticket_id: str
    number: str
    category: str
    priority: str
    status: str
    next_due: datetime | None
    overdue: bool
    reply: str = ""  # the department's last answer (issue 17, item 6)
    reply_due: datetime | None = None  # and when it expects the fix
    reply_missed: bool = False  # that time passed, the ticket not resolved


@dataclass(frozen=True)
class ContactLine:
    started_at: datetime
    channel: str
    number: str
    agent: str
    outcome: str = ""  # the wrap-up code (customers.wrapup), "" not wrapped up
    transfer_to: str = ""


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
    incidents: tuple[IncidentLine, ...] = ()  # open, over this address, newest first
    from_centre: bool = False  # a partial desk opened it from the centre (issue 21)

    @property
    def repeat_caller(self) -> bool:
        return bool(self.repeat_reasons)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def clean(query: str) -> str:
    """NFKC (full-width digits and letters), no control characters, trimmed; refuses
    what cannot be a lookup with a message the agent can act on."""
    query = _CONTROL.sub("", unicodedata.normalize("NFKC", query)).strip()
    if not query:
        raise QueryError(t("msg.customers.lookup.empty_query_type_a"))
    if len(query) > MAX_QUERY:
        raise QueryError(t("msg.customers.lookup.query_too_long_characters", count=len(query),
                           MAX_QUERY=MAX_QUERY))
    return query


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
    limit = max(1, min(int(limit), MOST))
    # Equal matches are ordered by who called last: a few more than shown are read, so
    # the cut to ``limit`` falls by that order, not by which the index gave first.
    return _matches(session, find(intersect.driver(session), query, pool_size(limit)), limit)


def pool_size(limit: int) -> int:
    return max(max(1, min(int(limit), MOST)) * 2, POOL)


def find(conn: object, query: str, pool: int) -> dict[str, tuple[int, str]]:
    """customer_id -> (rank, match kind) for a cleaned query: the lookup rules over any
    connection that runs the desk's key SQL (the desk's SQLite; the centre's tables
    through :mod:`agentdesk.sync.remote`)."""
    try:
        words = clues.split(query)
        if len(words) > 1 and (whole := clues.as_id(query)) is not None:
            # "WX 0003" is an account said in two parts before it is two clues
            found = intersect.candidates(conn, whole, pool)[0]  # type: ignore[arg-type]
            if found and min(r for r, _ in found.values()) == EXACT_ID:
                return found
        words = [part for word in words
                 for part in intersect.districts_first(conn, word)]  # type: ignore[arg-type]
        if len(words) > clues.MAX_CLUES:
            raise clues.ClueError(t("lookup.too_many_clues", count=len(words),
                                    most=clues.MAX_CLUES))
        found_clues = [c for c in map(clues.read, words) if c.branches]
    except clues.ClueError as exc:
        raise QueryError(str(exc)) from None
    if not found_clues:
        return {}
    if len(found_clues) == 1:
        return intersect.candidates(conn, found_clues[0], pool)[0]  # type: ignore[arg-type]
    # rows are read until half the pool match: at least a page (pool_size), and the
    # page's best are among the first read (clues are read best rank first)
    return intersect.intersect(conn, found_clues, pool // 2)  # type: ignore[arg-type]


def districts_named(query: str) -> list[str]:
    """The districts a query names (岳麓区 张, 雨花区桃子湖小区): a partial desk asks the
    centre when one is outside its scope."""
    try:
        words = clues.split(clean(query))
    except (QueryError, clues.ClueError):
        return []
    out = []
    for word in words:
        split = clues.leading_place(word)
        place = split[0] if split else word
        if clues.is_place(place):
            out.append(place)
    return out


def by_phone(session: Session, customer_ids: Iterable[str]) -> list[Match]:
    """The customers a ringing number named (found by its exact E.164 when the call was
    recorded), listed as a phone search lists them: the pop never parses the number again."""
    ids = list(dict.fromkeys(customer_ids))
    return _matches(session, {cid: (0, "phone") for cid in ids}, max(1, len(ids)))


class Matches(list):
    """The matches shown, and whether more matched than were shown (``more``): the screen
    says "20 shown, more match" instead of "found 20"."""

    more: bool = False


def _matches(session: Session, best: dict[str, tuple[int, str]], limit: int) -> Matches:
    from agentdesk.core.models import format_address

    if not best:
        return Matches()
    # Among equal matches: who called last, then who has open tickets (read for every
    # candidate from the contact and ticket indexes, no customer row), then the account
    # among those shown (the cut itself falls in id order: uuid7, the file's order).
    order = _order(session, list(best))
    ids = sorted(best, key=lambda cid: (best[cid][0], *order.get(cid, (0, 0)), cid))[:limit]
    rows = session.connection().execute(
        text(_DETAILS.format(marks=",".join(f":i{n}" for n in range(len(ids))))),
        {f"i{n}": cid for n, cid in enumerate(ids)})
    matches = [Match(r[0], r[1], r[2], tuple((r[10] or "").split()),
                     format_address(*r[4:10]), r[3], best[r[0]][1], best[r[0]][0])
               for r in rows]
    matches.sort(key=lambda m: (m.rank, *order.get(m.customer_id, (0, 0)), m.account_no))
    out = Matches(matches)
    out.more = len(best) > limit
    return out


def _order(session: Session, ids: list[str]) -> dict[str, tuple[int, int]]:
    """customer_id -> (minus the last contact as digits, minus open tickets), for the
    candidates with either (the rest sort as (0, 0))."""
    import json

    from agentdesk.tickets import clocks

    conn, among = session.connection(), {"ids": json.dumps(ids)}
    last = dict(conn.execute(text(
        "SELECT customer_id, max(started_at) FROM contact WHERE customer_id IN "
        "(SELECT value FROM json_each(:ids)) GROUP BY customer_id"), among).all())
    opened = dict(conn.execute(text(
        "SELECT customer_id, count(*) FROM ticket t WHERE customer_id IN (SELECT value FROM "
        f"json_each(:ids)) AND {clocks.sql_open('t')} GROUP BY customer_id"), among).all())
    return {cid: (-int(re.sub(r"\D", "", last.get(cid) or "") or 0), -int(opened.get(cid, 0)))
            for cid in set(last) | set(opened)}


def match_label(kind: str) -> str:
    """A match kind for the agent: each clue's kind from the catalog (姓名+电话尾号)."""
    return "+".join(t(f"match.{part}") for part in kind.split("+"))


def id_by_account(session: Session, account_no: str) -> str | None:
    """The customer id of an account number (户号), as it is stored; None when unknown."""
    return session.connection().execute(
        text("SELECT id FROM customer WHERE account_no = :a"), {"a": account_no}).scalar()


def _notices(session: Session, customer: Customer, now: datetime) -> tuple[NoticeLine, ...]:
    from datetime import timedelta

    from agentdesk.core import areas
    from agentdesk.core.models import UTCDateTime, utc_text

    # In force (or starting within a day) and not withdrawn; a notice whose restoration
    # moved past its window stays until then.
    rows = session.connection().execute(text(
        f"""SELECT id, title, utility, kind, starts_at, ends_at, cause, restore_by, revision
           FROM notice
           WHERE utility = :utility AND status = 'active'
             AND max(ends_at, coalesce(restore_by, '')) >= :now AND starts_at <= :horizon
             AND {areas.sql_covers("notice.areas")}
           ORDER BY starts_at"""),
        {"utility": customer.utility, "district": customer.district,
         "street": customer.street, "community": customer.community,
         "building": customer.building, "now": utc_text(now),
         "horizon": utc_text(now + timedelta(hours=NOTICE_LOOKAHEAD_H))})
    load = UTCDateTime().process_result_value
    out = []
    for nid, title, utility, kind, starts, ends, cause, restore, revision in rows:
        starts_at, ends_at = load(starts, None), load(ends, None)
        out.append(NoticeLine(nid, title, utility, kind, starts_at, ends_at,
                              starts_at <= now, cause, load(restore, None), revision))
    return tuple(out)


def _incidents(session: Session, customer: Customer) -> tuple[IncidentLine, ...]:
    from agentdesk.core import areas
    from agentdesk.core.models import UTCDateTime

    rows = session.connection().execute(text(
        f"""SELECT id, title, address, started_at FROM incident
           WHERE status = 'open' AND utility = :utility AND {areas.sql_covers("incident.areas")}
           ORDER BY started_at DESC LIMIT 5"""),
        {"utility": customer.utility, "district": customer.district,
         "street": customer.street, "community": customer.community,
         "building": customer.building})
    load = UTCDateTime().process_result_value
    return tuple(IncidentLine(i, title, address, load(at, None))
                 for i, title, address, at in rows)


def notices_in_force(session: Session, customer_id: str, now: datetime
                     ) -> tuple[NoticeLine, ...]:
    """The notices in force now over this customer's address (the card also shows those
    starting within a day): read from the notice rows, for an answer to fill in."""
    from agentdesk.core.models import Customer

    customer = session.get(Customer, customer_id)
    if customer is None:
        return ()
    return tuple(n for n in _notices(session, customer, now) if n.active)


def _open_tickets(session: Session, customer_id: str, now: datetime
                  ) -> tuple[TicketLine, ...]:
    from agentdesk.tickets import lifecycle, queue, service as tickets

    lines = []
    for row in tickets.open_for_customer(session, customer_id):
        # overdue exactly as the queue says breached (a paused clock is not overdue)
        lines.append(TicketLine(row.ticket_id, row.number, row.category, row.priority,
                                row.status, row.next_due, queue.is_breached(row, now),
                                row.reply, row.reply_due,
                                lifecycle.reply_missed(row.reply_due, row.status, now)))
    return tuple(lines)


def _contacts(session: Session, customer_id: str, now: datetime
              ) -> tuple[tuple[ContactLine, ...], int]:
    from datetime import timedelta

    from agentdesk.core.i18n import agent_label
    from agentdesk.core.models import UTCDateTime, utc_text

    conn = session.connection()
    rows = conn.execute(text(
        """SELECT c.started_at, c.channel, c.number, coalesce(a.name, ''), c.outcome,
                  c.transfer_to, coalesce(a.code, '')
           FROM contact c LEFT JOIN agent a ON a.id = c.agent_id
           WHERE c.customer_id = :id ORDER BY c.started_at DESC LIMIT :n"""),
        {"id": customer_id, "n": CONTACTS_SHOWN})
    load = UTCDateTime().process_result_value
    lines = tuple(ContactLine(load(r[0], None), r[1], r[2], agent_label(r[3], r[6]), r[4],
                              r[5]) for r in rows)
    recent = conn.execute(text(
        "SELECT count(*) FROM contact WHERE customer_id = :id AND started_at >= :since"),
        {"id": customer_id, "since": utc_text(now - timedelta(days=REPEAT_DAYS))}).scalar()
    from agentdesk.tickets.lifecycle import chases_since  # 催办 count too (issue 17)

    recent = int(recent or 0) + chases_since(session, customer_id,
                                             now - timedelta(days=REPEAT_DAYS))
    return lines, recent


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
                open_tickets, contacts, recent, tuple(reasons), _incidents(session, customer))


def audit_read(session: Session, agent: str, customer_id: str, when: datetime | None = None
               ) -> None:
    """Opening a card is a read of personal data: record who, when, which customer."""
    from agentdesk.core import audit

    audit.record(session, agent, "desk", "customer", [customer_id], action=audit.READ,
                 entity_id=customer_id, when=when)
