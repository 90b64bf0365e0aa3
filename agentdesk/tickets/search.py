"""Finding any ticket (issue 17, item 2; no textual import): by its full number (or id, or
the number it had before it was renumbered), by the last digits an agent reads off an SMS,
or by words of its text; the caller's tickets, open and closed; a ticket's history as the
CLI prints it; and the one sentence an agent reads aloud about where a ticket stands.

The query is data. It only ever reaches SQL as a bound parameter, and words are matched
with ``LIKE ... ESCAPE '\\'`` after escaping ``%``, ``_`` and ``\\``, so ``%``, ``_``,
quotes, ``*``, ``OR``, ``NEAR`` or ``[bold]`` are just characters to find (there is no
full-text index whose syntax they could drive). Chinese text has no spaces between words,
so a word is a substring: each whitespace-separated word of the query must occur in the
description, the location or the complained party.

Cost (see the report of issue 17): a ``LIKE '%word%'`` cannot use an index, so a text
search scans the ticket table newest first and stops at ``limit + 1`` matches. A common
word stops early; a word no ticket has reads every row. The last-digits search scans
``ticket.number`` only (a narrow column). Both are bounded by the LIMIT in what they return.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import text

from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from datetime import datetime

    from sqlmodel import Session

    from agentdesk.core.models import Ticket

MIN_DIGITS = 4  # fewer digits than this match too many numbers: they are searched as text
MAX_QUERY = 100  # characters; a longer query is refused with a message
MAX_WORDS = 8
LIMIT = 50  # hits shown; "first N shown, more match" beyond


class SearchError(ValueError):
    """A query the search refuses, with a message for the agent."""


@dataclass(frozen=True)
class Hit:
    ticket_id: str
    number: str
    status: str
    category: str
    created_at: datetime | None
    caller: str  # the customer's name, or the number an unknown caller rang from
    owner: str
    owner_code: str
    description: str
    how: str  # number / digits / text / customer: what matched


@dataclass(frozen=True)
class Found:
    query: str
    hits: list[Hit] = field(default_factory=list)
    more: bool = False  # more tickets match than the ``limit`` shown

    def summary(self) -> str:
        """What the screen and the CLI say about the list: none, N, or first N of more."""
        if not self.hits:
            return t("find.none", query=self.query) if self.query else t("find.count", n=0)
        if self.more:
            return t("find.more", n=len(self.hits))
        return t("find.count", n=len(self.hits))


_SELECT = """
SELECT t.id, t.number, t.status, t.category, t.created_at,
       coalesce(c.name, ct.number, '') AS caller, coalesce(o.name, '') AS owner,
       coalesce(o.code, '') AS owner_code, t.description
FROM ticket t
LEFT JOIN customer c ON c.id = t.customer_id
LEFT JOIN contact ct ON ct.id = t.contact_id AND t.customer_id IS NULL
LEFT JOIN agent o ON o.id = t.owner_id
"""


def escape_like(word: str) -> str:
    """``word`` as a LIKE pattern that matches it literally (``ESCAPE '\\'``)."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def clean(query: str) -> str:
    """The query trimmed and checked: empty or over-long is refused with a message."""
    from agentdesk.core.controls import clean as without_controls

    query = " ".join(without_controls(query or "").split())
    if not query:
        raise SearchError(t("find.empty"))
    if len(query) > MAX_QUERY:
        raise SearchError(t("find.too_long", n=MAX_QUERY))
    return query


def _rows(session: Session, where: str, params: dict[str, object], how: str,
          limit: int) -> tuple[list[Hit], bool]:
    from agentdesk.core.models import UTCDateTime

    load = UTCDateTime().process_result_value
    rows = session.connection().execute(
        text(f"{_SELECT} WHERE {where} ORDER BY t.created_at DESC, t.number DESC "
             "LIMIT :limit"), {**params, "limit": limit + 1}).mappings().all()
    hits = [Hit(r["id"], r["number"], r["status"], r["category"],
                load(r["created_at"], None), r["caller"], r["owner"], r["owner_code"],
                r["description"] or "", how) for r in rows[:limit]]
    return hits, len(rows) > limit


def search(session: Session, query: str, limit: int = LIMIT) -> Found:
    """Tickets for ``query``, newest first: the ticket with this number (or id, or former
    number); else, for 4 or more digits, the numbers ending in them; else those whose
    text holds every word of the query."""
    from agentdesk.tickets import service

    query = clean(query)
    # A number or id is one ASCII word: only then the exact look-up (its renumbered-event
    # scan reads every event, about 35 ms on a desk of 100,000 tickets).
    exact = service.find(session, query) if query.isascii() and " " not in query else []
    if exact:
        ids = [ticket.id for ticket in exact]
        marks = ", ".join(f":i{n}" for n in range(len(ids)))
        hits, _ = _rows(session, f"t.id IN ({marks})",
                        {f"i{n}": i for n, i in enumerate(ids)}, "number", limit)
        return Found(query, hits, len(exact) > limit)
    if query.isascii() and query.isdigit() and len(query) >= MIN_DIGITS:
        hits, more = _rows(session, "t.number LIKE :p ESCAPE '\\'",
                           {"p": "%" + escape_like(query)}, "digits", limit)
        if hits:
            return Found(query, hits, more)
    words = query.split()
    if len(words) > MAX_WORDS:
        raise SearchError(t("find.too_many_words", n=MAX_WORDS))
    haystack = ("lower(coalesce(t.description, '') || ' ' || coalesce(t.location, '') || "
                "' ' || coalesce(t.complained_party, ''))")
    where = " AND ".join(f"{haystack} LIKE :w{n} ESCAPE '\\'" for n in range(len(words)))
    hits, more = _rows(session, where, {f"w{n}": "%" + escape_like(w.lower()) + "%"
                                        for n, w in enumerate(words)}, "text", limit)
    return Found(query, hits, more)


def all_for_customer(session: Session, customer_id: str, limit: int = LIMIT) -> Found:
    """The caller's tickets, open and closed, newest first (the card's list)."""
    hits, more = _rows(session, "t.customer_id = :cid", {"cid": customer_id}, "customer",
                       limit)
    return Found("", hits, more)


# --- one ticket: its history and the sentence read aloud ------------------------------------


def _summary(data: dict[str, object]) -> str:
    """The event's data as ``key=value`` pairs (values shortened), for one line."""
    parts = []
    for key, value in data.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        parts.append(f"{key}={shown[:40]}{'…' if len(shown) > 40 else ''}")
    return ", ".join(parts)


def history(session: Session, ticket: Ticket) -> list[dict[str, object]]:
    """Every event of the ticket in the central store's order (:func:`lists.events`):
    when, who (code and name), kind, status change, note and a summary of its data."""
    from agentdesk.core import clock
    from agentdesk.tickets import lists

    agents = {r[0]: (r[1], r[2]) for r in session.connection().execute(
        text("SELECT id, code, name FROM agent")).all()}
    out = []
    for e in lists.events(session, ticket.id):
        code, name = agents.get(e.agent_id, ("", "")) if e.agent_id else ("", "")
        data = json.loads(e.data or "{}")  # as stored: times stay ISO text
        out.append({"at": clock.local(e.at).isoformat(timespec="seconds"),
                    "agent_code": code, "agent_name": name, "kind": e.kind,
                    "kind_label": t("event." + e.kind), "from_status": e.from_status,
                    "to_status": e.to_status, "note": e.note, "data": data,
                    "summary": _summary(data)})
    return out


def _when(value: datetime) -> str:
    from agentdesk.core import clock

    return clock.local(value).strftime("%Y-%m-%d %H:%M")


def status_line(session: Session, ticket: Ticket, now: datetime | None = None) -> str:
    """One sentence an agent reads aloud: where the ticket is, who has it, the
    department's last answer, and when it is expected done (the department's expected
    time if it gave one, else the next running deadline)."""
    from agentdesk.core import clock
    from agentdesk.tickets import clocks, view

    owner = session.connection().execute(
        text("SELECT name, code FROM agent WHERE id = :i"), {"i": ticket.owner_id}).first()
    name, code = (owner[0] or "", owner[1] or "") if owner else ("", "")
    who = t("find.line.who", owner=name or code or "—", code=code or "—")
    reply = (t("find.line.reply", reply=ticket.reply) if ticket.reply
             else t("find.line.no_reply"))
    if ticket.reply_due is not None:
        due = t("find.line.due", when=_when(ticket.reply_due))
    else:
        dues = {name: getattr(ticket, f"due_{name}") for name in clocks.CLOCKS}
        state = clocks.next_clock(ticket.status, dues, ticket.created_at, ticket.resolved_at,
                                  now or clock.now(), view.reopened_at(session, ticket.id))
        if state is not None:
            due = t("find.line.clock", when=_when(state.due), clock=t("sla." + state.name))
        else:
            due = t("find.line.closed")
    return t("find.line", number=ticket.number,
             where=t("status." + ticket.status), who=who, reply=reply, due=due)
