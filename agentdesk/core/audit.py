"""The audit log: who saw customer data, when, through which command, and what they saw.

Every command that prints or writes customer data records one row *before* the data
leaves the program, in a transaction that commits first: a desk that cannot record the
read shows nothing. The desk records each card it opens (``read``,
:func:`agentdesk.customers.lookup.audit_read`); commands record ``show`` (printed) or
``export`` (written to a file) with the command's name, what was shown (customer ids,
ticket numbers, caller numbers) and how many records that was.

The table is append-only (triggers refuse UPDATE and DELETE) and desk-local: sync does
not send it (``agentdesk/sync/outbox.py``). :func:`entries` is what ``agentdesk audit``
lists for a supervisor.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agentdesk.core import clock
from agentdesk.core.ids import new_id
from agentdesk.core.models import UTC, utc_text

if TYPE_CHECKING:
    from sqlmodel import Session

SHOW = "show"  # a command printed it
EXPORT = "export"  # a command wrote it to a file
READ = "read"  # the desk opened a customer's card

_COLUMNS = ("id", "at", "agent_id", "action", "entity", "entity_id", "detail", "command",
            "shown", "shown_count")
_INSERT = (f"INSERT INTO audit_log ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join(':' + c for c in _COLUMNS)})")


def _row(agent: str, command: str, entity: str, shown: Iterable[str], count: int | None,
         action: str, detail: dict[str, Any] | None, entity_id: str,
         when: datetime | None) -> dict[str, object]:
    listed = [str(s) for s in shown]
    return {"id": new_id(), "at": utc_text(when or clock.now()), "agent_id": agent,
            "action": action, "entity": entity, "entity_id": entity_id,
            "detail": json.dumps(detail, ensure_ascii=False) if detail else "",
            "command": command, "shown": json.dumps(listed, ensure_ascii=False),
            "shown_count": len(listed) if count is None else count}


def record(session: Session, agent: str, command: str, entity: str,
           shown: Iterable[str] = (), *, count: int | None = None, action: str = SHOW,
           detail: dict[str, Any] | None = None, entity_id: str = "",
           when: datetime | None = None) -> None:
    """One audit row in ``session`` (it commits with the session). ``shown``: the ids or
    numbers shown; ``count``: how many records, when the list is not kept (an export)."""
    from sqlalchemy import text

    session.execute(text(_INSERT), _row(agent, command, entity, shown, count, action,
                                        detail, entity_id, when))


def record_raw(conn: sqlite3.Connection, agent: str, command: str, entity: str,
               shown: Iterable[str] = (), *, count: int | None = None,
               action: str = SHOW, detail: dict[str, Any] | None = None,
               entity_id: str = "") -> None:
    """:func:`record` on a plain sqlite3 connection (the bulk import and export)."""
    conn.execute(_INSERT, _row(agent, command, entity, shown, count, action, detail,
                               entity_id, None))


@dataclass(frozen=True)
class Entry:
    at: datetime
    agent: str
    action: str
    command: str
    entity: str
    entity_id: str
    shown: tuple[str, ...]
    count: int
    detail: dict[str, Any]

    def as_json(self) -> dict[str, object]:
        return {"at": clock.local(self.at).isoformat(), "agent": self.agent,
                "action": self.action, "command": self.command, "entity": self.entity,
                "entity_id": self.entity_id, "shown": list(self.shown),
                "count": self.count, "detail": self.detail}


def _detail(text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"text": text}  # rows written as plain text (training lines)
    return value if isinstance(value, dict) else {"value": value}


def _shown(text: str | None) -> tuple[str, ...]:
    try:
        value = json.loads(text) if text else []
    except ValueError:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def entries(session: Session, since: datetime | None = None, agent: str | None = None,
            limit: int = 200) -> list[Entry]:
    """Audit rows, newest first: from ``since`` on, of one agent (code) if given."""
    from sqlalchemy import text

    where, params = [], {"limit": limit}
    if since is not None:
        where.append("at >= :since")
        params["since"] = utc_text(since)
    if agent:
        where.append("agent_id = :agent")
        params["agent"] = agent
    sql = ("SELECT at, agent_id, action, command, entity, entity_id, shown, shown_count, "
           "detail FROM audit_log" + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY at DESC, id DESC LIMIT :limit")
    out = []
    for at, who, action, command, entity, entity_id, shown, count, detail in session.execute(
            text(sql), params):
        listed = _shown(shown)
        out.append(Entry(datetime.fromisoformat(at).replace(tzinfo=UTC), who, action,
                         command or "", entity, entity_id, listed,
                         count if count is not None else len(listed), _detail(detail)))
    return out


def accounts(session: Session, customer_ids: Sequence[str]) -> dict[str, str]:
    """Account numbers of these customers (a listing names customers by account)."""
    from sqlalchemy import bindparam, text

    if not customer_ids:
        return {}
    query = text("SELECT id, account_no FROM customer WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True))
    return dict(session.execute(query, {"ids": list(customer_ids)}).all())
