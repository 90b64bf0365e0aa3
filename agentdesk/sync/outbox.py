"""Capture: every local change goes to ``sync_outbox`` in the same transaction.

:func:`attach` hooks a desk session's ``after_flush``: new and changed agents, agents'
status changes, contacts,
incidents, notices and their events (a supervisor desk's; the centre checks the role),
tickets (their first row; later changes travel as events), ticket events, outreach
results (the call row is their projection: it never travels for a result), and
customer edits (the changed fields, old and new) and phone lists are written as outbox
rows on the session's own connection, so the change and its outbox row commit or roll
back together. A ticket's article link and a notice's outreach list are written by raw
SQL: their writers call ``store.note_change`` / ``note_changes``, which reach
:func:`capture` (put in ``session.info`` by :func:`attach`), and the rows go to the
outbox on the same connection. A session that
applies pulled changes sets ``session.info["sync_apply"]`` and is not captured.

:func:`open_syncing_desk` is the one way to open a desk whose changes sync (the desk app,
every command, the sync tests and benchmarks use it); :func:`captures` tells whether a
store was opened so, and a sync refuses a desk that was not (its changes would never
reach the centre).

What is *not* captured (decided, see README "Sync"): raw-SQL bulk paths — demo data
(local play data), the desk's customer CSV import (customers are reference data: the
centre loads them with ``agentdesk central load customers``), search keys, the KB index
and the audit log (desk-local); nor ``central_setting`` (the centre's SLA policy: it only
comes down, ``agentdesk central load sla``; no model of it is watched here).
"""

from __future__ import annotations

import json
import weakref
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from agentdesk.core import store as store_mod
from agentdesk.core.ids import new_id
from agentdesk.core.models import (Agent, AgentStatus, Contact, Customer, CustomerPhone,
                                   Incident, Notice,
                                   NoticeEvent, OutreachEvent, Ticket, TicketEvent,
                                   utc_text)
from agentdesk.sync import codec
from agentdesk.sync.codec import row_of, wire

APPLYING = "sync_apply"
_FULL_ROW = {Agent: "agent", Contact: "contact", Incident: "incident", Notice: "notice",
             NoticeEvent: "notice_event"}
_ORDER = {"agent": 0, "agent_status": 0.5, "customer": 1, "incident": 2, "notice": 2.2,
          "notice_event": 2.4,
          "contact": 3, "ticket": 4, "ticket_event": 5, "outreach_event": 6}
_has_outbox: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def attach(session: Session) -> None:
    """Capture this (desk, writable) session's changes into the outbox: the store's
    session hook for a desk that syncs."""
    event.listen(session, "after_flush", _after_flush)
    session.info[store_mod.CHANGE_NOTE] = capture


def open_syncing_desk(path: Path | str, migrate: bool = True) -> store_mod.Store:
    """The desk database with every local change captured into the outbox."""
    return store_mod.open_desk(path, migrate, session_hook=attach)


def captures(desk: store_mod.Store) -> bool:
    """Whether this store's sessions capture their changes into the outbox."""
    return desk.session_hook is attach


def _enabled(session: Session) -> bool:
    if session.info.get(APPLYING):
        return False
    engine = session.get_bind()
    known = _has_outbox.get(engine)
    if known is None:
        with engine.connect() as conn:
            known = bool(conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE name = 'sync_outbox'").first())
        _has_outbox[engine] = known
    return known


def forget(engine: sa.Engine) -> None:
    """The schema changed under this engine (tests migrating step by step)."""
    _has_outbox.pop(engine, None)


def _after_flush(session: Session, _context: Any) -> None:
    if not _enabled(session):
        return
    changes: list[tuple[int, str, str, str, dict]] = []  # (order, entity, row_id, op, payload)
    phones_of: set[str] = set()
    for obj in session.new:
        kind = type(obj)
        if kind in _FULL_ROW:
            changes.append((_ORDER[_FULL_ROW[kind]], _FULL_ROW[kind], obj.id, "insert",
                            row_of(obj)))
        elif kind is Ticket:
            changes.append((_ORDER["ticket"], "ticket", obj.id, "insert", row_of(obj)))
        elif kind is TicketEvent:
            changes.append((_ORDER["ticket_event"], "ticket_event", obj.id, "insert",
                            row_of(obj)))
        elif kind is AgentStatus:  # an agent's status change: a row never updated
            changes.append((_ORDER["agent_status"], "agent_status", obj.id, "insert",
                            row_of(obj)))
        elif kind is OutreachEvent:  # a call's result; the call row is its projection
            changes.append((_ORDER["outreach_event"], "outreach_event", obj.id, "insert",
                            row_of(obj)))
        elif kind is Customer:
            changes.append((_ORDER["customer"], "customer", obj.id, "insert", row_of(obj)))
        elif kind is CustomerPhone:
            phones_of.add(obj.customer_id)
    for obj in session.dirty:
        kind = type(obj)
        if not session.is_modified(obj, include_collections=False):
            continue
        if kind in _FULL_ROW:
            changes.append((_ORDER[_FULL_ROW[kind]], _FULL_ROW[kind], obj.id, "update",
                            row_of(obj)))
        elif kind is Customer:
            fields, old = {}, {}
            state = sa.inspect(obj)
            for column in Customer.__table__.columns:
                history = state.attrs[column.key].history
                if history.added and column.name not in ("id", "created_at"):
                    fields[column.name] = wire(history.added[0])
                    old[column.name] = wire(history.deleted[0]) if history.deleted else None
            if fields:
                changes.append((_ORDER["customer"], "customer", obj.id, "edit",
                                {"fields": fields, "old": old}))
        elif kind is CustomerPhone:
            phones_of.add(obj.customer_id)
            old_parent = sa.inspect(obj).attrs["customer_id"].history.deleted
            phones_of.update(p for p in old_parent if p)
        # Ticket rows are projections: their changes travel as ticket events.
    for obj in session.deleted:
        if type(obj) is CustomerPhone:
            phones_of.add(obj.customer_id)
    conn = session.connection()
    for cid in sorted(phones_of):
        rows = conn.execute(sa.text(
            "SELECT id, e164, kind, position FROM customer_phone WHERE customer_id = :c "
            "ORDER BY position, id"), {"c": cid}).mappings()
        changes.append((_ORDER["customer"] + 0.5, "customer", cid, "phones",  # type: ignore
                        {"phones": [dict(r) for r in rows]}))
    if not changes:
        return
    changes.sort(key=lambda c: c[0])  # stable: what is referred to goes first
    write(conn, [(entity, row_id, op, payload) for _, entity, row_id, op, payload in changes])


def capture(session: Session, entity: str,
            rows: dict[str, Any] | list[dict[str, Any]]) -> None:
    """A row (a ticket's article link) or rows (a notice's outreach list) written by raw
    SQL, into the outbox on the session's connection, when this session captures."""
    if _enabled(session):
        payloads = [{k: wire(v) for k, v in row.items()}
                    for row in (rows if isinstance(rows, list) else [rows])]
        write(session.connection(), [(entity, codec.row_id(entity, p), "insert", p)
                                     for p in payloads])


def write(conn: sa.Connection, changes: list[tuple[str, str, str, dict]]) -> None:
    """Append (entity, row_id, op, payload) rows to the outbox on this connection."""
    from agentdesk.core import clock

    if not changes:
        return
    made = utc_text(clock.now())
    # Through the driver: a notice's outreach list is thousands of rows in one go, and
    # the typed insert costs more than the SQL itself.
    conn.exec_driver_sql(
        "INSERT INTO sync_outbox (change_id, entity, row_id, op, payload, made_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(new_id(), entity, row_id, op,
          json.dumps(payload, ensure_ascii=False, sort_keys=True), made)
         for entity, row_id, op, payload in changes])
