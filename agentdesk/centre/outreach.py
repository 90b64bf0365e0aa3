"""Outage outreach (主动服务, no textual import): before an outage the centre calls the
customers it would hurt most, instead of waiting for them to call.

Publishing a notice :func:`build`\\s its list: every customer of the notice's utility
inside its areas who carries a vulnerability tag (吸氧, 独居老人, ... :class:`Rules`) or a
key-customer level, one :class:`~agentdesk.core.models.OutreachCall` each, due
``lead_h`` hours before a planned start, or within ``fault_min`` minutes of a fault
notice (never sooner than that after the list is made). A revision of the areas or the
window builds it again: customers no longer covered are cancelled unless already
spoken to, new ones are added, nobody twice (the row's id is uuid5 of notice and
customer, so two desks building one notice's list make the same rows). A withdrawal
cancels every open call.

The list is made by SQL alone: one ``INSERT ... SELECT`` over the customers the partial
index ``ix_customer_outreach`` holds (only tagged and key customers), per area a range
of that index; ``agentdesk bench outreach`` times it over 50,000 customers in a
1,000,000-customer desk. Results (:func:`record`) are events, the row their projection
(:mod:`agentdesk.core.outreach_state`); a customer who needs help gets a ticket, filled
in from the notice and linked to the call.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import text

from agentdesk.core import areas as areas_mod
from agentdesk.core import outreach_state as state
from agentdesk.core.i18n import t
from agentdesk.tickets.lists import QueueRow

if TYPE_CHECKING:
    from sqlmodel import Session

    from agentdesk.core.config import Config
    from agentdesk.core.models import Notice, OutreachCall, Ticket

_NAMESPACE = uuid.UUID("0b6e7f3c-4f21-4d8e-9a51-7c2d3e9f1a60")
HELP_CATEGORY = {"water": "water.no_water", "power": "power.outage"}
MAX_NOTE = 500
MAX_RETRY_MIN = 24 * 60
COLUMNS = ("id", "notice_id", "customer_id", "reason", "due_at", "in_area", "status",
           "attempts", "retry_at", "ticket_id", "agent_id", "created_at", "built_at",
           "updated_at")


class OutreachError(ValueError):
    """A result that cannot be recorded, with what to do instead."""


@dataclass(frozen=True)
class Rules:
    """Who is called and by when (the desk's :class:`~agentdesk.core.config.Config`)."""

    tags: tuple[str, ...] = ("吸氧", "独居老人", "残障", "孤寡", "电采暖")
    key_level: int = 1  # a key customer of at least this level is called too
    lead_h: int = 24  # hours before a planned (or arrears) outage starts
    fault_min: int = 30  # minutes after a fault notice; the soonest any call falls due
    retry_min: int = 30  # a no-answer is tried again after this

    @classmethod
    def from_config(cls, config: Config) -> Rules:
        return cls(tuple(dict.fromkeys(p.strip() for p in config.outreach_tags.split(";")
                                       if p.strip())),
                   config.outreach_key_level, config.outreach_lead_h,
                   config.outreach_fault_min, config.outreach_retry_min)


@dataclass(frozen=True)
class Built:
    added: int  # new calls
    cancelled: int  # calls the list no longer holds (area, tags, withdrawal)
    restored: int  # calls the list holds again
    listed: int  # calls the list holds now (made or not)


def call_id(notice_id: str, customer_id: str) -> str:
    """The same on every desk: a notice calls a customer once."""
    return str(uuid.uuid5(_NAMESPACE, f"{notice_id}/{customer_id}"))


def due_at(notice: Notice, rules: Rules, since: datetime) -> datetime:
    """When a call listed at ``since`` must have been made."""
    soonest = since + timedelta(minutes=rules.fault_min)
    if notice.kind == "fault":
        return soonest
    return max(notice.starts_at - timedelta(hours=rules.lead_h), soonest)


def _wanted(rules: Rules, alias: str = "c") -> tuple[str, dict[str, object]]:
    """SQL for the reason a customer is called ('' when not), and its parameters."""
    params: dict[str, object] = {"key_level": max(1, rules.key_level)}
    tagged = f"';' || replace({alias}.tags, ' ', '') || ';'"
    parts = []
    for n, tag in enumerate(rules.tags):
        params[f"tag{n}"], params[f"tag{n}v"] = f";{tag};", f"{tag};"
        parts.append(f"CASE WHEN instr({tagged}, :tag{n}) > 0 THEN :tag{n}v ELSE '' END")
    parts.append(f"CASE WHEN {alias}.key_level >= :key_level THEN 'key:' || "
                 f"{alias}.key_level ELSE '' END")
    return f"rtrim({' || '.join(parts)}, ';')", params


def _candidates(where: tuple[areas_mod.Area, ...]) -> tuple[str, dict[str, object]]:
    """The rowids of tagged or key customers inside the areas: per area one range of
    ``ix_customer_outreach`` (its condition is repeated as is, so the planner may use it)."""
    from agentdesk.core.models import OUTREACH_CANDIDATE

    selects, params = [], {}
    for n, area in enumerate(where):
        conds = [f"({OUTREACH_CANDIDATE})"]
        for column, value in zip(("district", "street", "community", "building"),
                                 area.parts()):
            if value:
                conds.append(f"{column} = :a{n}{column}")
                params[f"a{n}{column}"] = value
        selects.append(f"SELECT rowid FROM customer WHERE {' AND '.join(conds)}")
    return " UNION ".join(selects), params


def build(session: Session, notice: Notice, now: datetime, rules: Rules | None = None
          ) -> Built:
    """Make the notice's list as its areas, window and status say now (see the module)."""
    from agentdesk.core import store
    from agentdesk.core.models import OutreachCall, OutreachEvent, utc_text

    rules = rules or Rules()
    conn = session.connection()
    raw = conn.connection.driver_connection
    raw.create_function("outreach_call_id", 2, call_id, deterministic=True)
    stamp = {"notice": notice.id, "now": utc_text(now),
             "due": utc_text(due_at(notice, rules, now))}
    where = areas_mod.loads(notice.areas)
    reason, params = _wanted(rules)
    covered = areas_mod.sql_covers(":areas", ("c.district", "c.street", "c.community",
                                              "c.building"))
    listed = (f"SELECT 1 FROM customer c WHERE c.id = outreach_call.customer_id AND "
              f"c.utility = :utility AND c.status != 'closed' AND {covered} "
              f"AND {reason} != ''")
    params |= stamp | {"utility": notice.utility, "areas": notice.areas}
    added: list[str] = []
    if notice.status == "active" and where:
        # the calls already listed first (none when the notice is new), then the new ones
        gone = [r[0] for r in conn.execute(text(
            "UPDATE outreach_call SET in_area = 0, built_at = :now WHERE notice_id = "
            f":notice AND in_area = 1 AND NOT EXISTS ({listed}) RETURNING id"), params)]
        back = [r[0] for r in conn.execute(text(
            "UPDATE outreach_call SET in_area = 1, built_at = :now, due_at = :due WHERE "
            f"notice_id = :notice AND in_area = 0 AND EXISTS ({listed}) RETURNING id"),
            params)]
        pick, area_params = _candidates(where)
        added = [r[0] for r in conn.execute(text(
            f"INSERT OR IGNORE INTO outreach_call ({', '.join(COLUMNS)}) "
            "SELECT outreach_call_id(:notice, p.id), :notice, p.id, p.reason, :due, 1, "
            "'due', 0, NULL, NULL, NULL, :now, :now, :now FROM ("
            f"SELECT c.id, {reason} AS reason FROM customer c WHERE c.rowid IN ({pick}) "
            "AND c.utility = :utility AND c.status != 'closed') p WHERE p.reason != '' "
            "RETURNING id"), params | area_params)]
    else:  # withdrawn: every call of it is off the list
        gone = [r[0] for r in conn.execute(text(
            "UPDATE outreach_call SET in_area = 0, built_at = :now WHERE notice_id = "
            ":notice AND in_area = 1 RETURNING id"), stamp)]
        back = []
    state.reproject(conn, OutreachCall.__table__, OutreachEvent.__table__, gone + back)
    changed = added + gone + back
    if changed:
        cursor = raw.execute(f"SELECT {', '.join(COLUMNS)} FROM outreach_call WHERE id IN "
                             "(SELECT value FROM json_each(?))", (json.dumps(changed),))
        store.note_changes(session, "outreach_call",
                           [dict(zip(COLUMNS, row)) for row in cursor])
    total = conn.execute(text("SELECT count(*) FROM outreach_call WHERE notice_id = :n "
                              "AND in_area = 1"), {"n": notice.id}).scalar()
    for obj in list(session.identity_map.values()):
        if isinstance(obj, OutreachCall):
            session.expire(obj)  # its row changed under the ORM
    return Built(len(added), len(gone), len(back), int(total or 0))


# --- results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    call: OutreachCall
    ticket: Ticket | None = None  # opened when the customer needs help


def _note(note: str) -> str:
    from agentdesk.core import guard  # the one rule at the boundary (issue 20)

    try:
        return guard.check(t("notice.field.note"), (note or "").strip(), MAX_NOTE, lines=True)
    except guard.FieldError as exc:
        raise OutreachError(str(exc)) from None


def record(session: Session, call_ref: str, agent: str, result: str,
           retry_min: int | None = None, note: str = "", now: datetime | None = None,
           rules: Rules | None = None) -> Recorded:
    """One attempt's result, by agent code: reached; no answer (tried again after
    ``retry_min``, default the rules'); needs help (a ticket opened for the customer,
    its text from the notice, linked to the call). A call already made, or off the
    list, refuses another result."""
    from sqlmodel import select

    from agentdesk.core import clock
    from agentdesk.core.models import Agent, Notice, OutreachCall, OutreachEvent
    from agentdesk.tickets import service as tickets

    rules = rules or Rules()
    now = now or clock.now()
    if result not in state.RESULTS:
        raise OutreachError(t("outreach.err.result", result=result,
                              known=", ".join(state.RESULTS)))
    call = session.get(OutreachCall, call_ref)
    if call is None:
        raise OutreachError(t("outreach.err.unknown", ref=call_ref))
    if call.status in state.DONE:
        who = session.get(Agent, call.agent_id) if call.agent_id else None
        raise OutreachError(t("outreach.err.done", status=t(f"outreach.status.{call.status}"),
                              who=who.name if who else "?",
                              when=clock.local(call.updated_at).strftime("%m-%d %H:%M")))
    if call.status == "cancelled":
        raise OutreachError(t("outreach.err.cancelled"))
    me = session.exec(select(Agent).where(Agent.code == agent)).first()
    if me is None:
        raise OutreachError(t("outreach.err.agent", code=agent))
    minutes = rules.retry_min if retry_min is None else retry_min
    if not 1 <= minutes <= MAX_RETRY_MIN:
        raise OutreachError(t("outreach.err.retry", most=MAX_RETRY_MIN))
    note = _note(note)
    ticket = None
    if result == "needs_help":
        notice = session.get(Notice, call.notice_id)
        try:
            ticket = tickets.create(session, tickets.Draft(
                category=HELP_CATEGORY[notice.utility], customer_id=call.customer_id,
                description=help_text(notice, call.reason, note)), agent)
        except tickets.TicketError as exc:  # e.g. a centre's taxonomy without the category
            raise OutreachError(str(exc)) from None
    session.add(OutreachEvent(
        call_id=call.id, at=now, agent_id=me.id, result=result,
        retry_at=now + timedelta(minutes=minutes) if result == "no_answer" else None,
        ticket_id=ticket.id if ticket else None, note=note))
    session.flush()
    state.reproject(session.connection(), OutreachCall.__table__, OutreachEvent.__table__,
                    [call.id])
    session.refresh(call)
    return Recorded(call, ticket)


def reason_label(reason: str) -> str:
    """``吸氧;key:2`` as an agent reads it."""
    out = []
    for part in (reason or "").split(";"):
        if part.startswith("key:"):
            out.append(t("outreach.key", level=part[4:]))
        elif part:
            out.append(part)
    return "、".join(out)


def help_text(notice: Notice, reason: str, note: str) -> str:
    """The needs-help ticket's description: what the caller was told, and why called."""
    from agentdesk.core import clock

    window = (f"{clock.local(notice.starts_at).strftime('%m-%d %H:%M')}–"
              f"{clock.local(notice.ends_at).strftime('%m-%d %H:%M')}")
    return t("outreach.ticket.text", title=notice.title, window=window, cause=notice.cause,
             reason=reason_label(reason), note=note or t("outreach.ticket.no_note"))


# --- the queue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CallRow(QueueRow):
    """A call in the queue: ``ticket_id`` is the call's id, ``next_due`` its due time,
    ``clock`` "outreach", ``category`` empty (the cells show the reason and notice)."""

    customer_id: str = ""
    notice_title: str = ""
    reason: str = ""
    retry_at: datetime | None = None


def waiting(row: QueueRow, now: datetime) -> bool:
    """A no-answer call whose next try has not come yet."""
    return isinstance(row, CallRow) and row.retry_at is not None and now < row.retry_at


def queue_rows(session: Session, now: datetime, agent_code: str | None = None,
               limit: int = 500) -> list[CallRow]:
    """Open calls of notices not yet over, soonest due first; ``agent_code``: only the
    calls that agent tried last (their no-answers to try again)."""
    from agentdesk.core.models import UTCDateTime, utc_text

    load = UTCDateTime().process_result_value
    mine = ("AND o.agent_id = (SELECT id FROM agent WHERE code = :me) " if agent_code
            else "")
    rows = session.connection().execute(text(
        "SELECT o.id, o.customer_id, o.reason, o.due_at, o.status, o.retry_at, "
        "o.created_at, coalesce(c.name, ''), n.title, n.kind, n.utility, "
        "coalesce(a.name, ''), coalesce(a.code, '') FROM outreach_call o "
        "JOIN notice n ON n.id = o.notice_id LEFT JOIN customer c ON c.id = o.customer_id "
        "LEFT JOIN agent a ON a.id = o.agent_id "
        f"WHERE o.status IN ('due', 'no_answer') {mine}"
        "AND n.status = 'active' AND max(n.ends_at, coalesce(n.restore_by, '')) >= :now "
        "ORDER BY o.due_at LIMIT :limit"),
        {"me": agent_code, "now": utc_text(now), "limit": limit})
    return [CallRow(cid, t("outreach.row"), name, "",
                    "urgent" if kind == "fault" else "important", status, load(due, None),
                    "outreach", load(created, None), False, owner, owner_code, utility,
                    customer_id=customer, notice_title=title, reason=reason,
                    retry_at=load(retry, None))
            for (cid, customer, reason, due, status, retry, created, name, title, kind,
                 utility, owner, owner_code) in rows]


def with_calls(rows: list[QueueRow], calls: list[CallRow], now: datetime,
               limit: int) -> list[QueueRow]:
    """Tickets and calls in one list, soonest first (a call waiting for its next try by
    that time), at most ``limit``."""
    def key(row: QueueRow) -> tuple:
        when = row.retry_at if waiting(row, now) else row.next_due  # type: ignore[attr-defined]
        return (when is None, when or 0)

    return sorted([*rows, *calls], key=key)[:limit]


@dataclass(frozen=True)
class Tally:
    due: int
    no_answer: int
    reached: int
    needs_help: int
    cancelled: int


def tally(session: Session, notice_id: str) -> Tally:
    """How a notice's list stands (the CLI, tests)."""
    counts = dict(session.connection().execute(text(
        "SELECT status, count(*) FROM outreach_call WHERE notice_id = :n GROUP BY status"),
        {"n": notice_id}).all())
    return Tally(*(int(counts.get(s, 0)) for s in state.STATUSES))
