"""Rows as JSON-safe dicts, and back to what each database binds.

On the wire (outbox payloads, change-log payloads) an instant is the desk's stored UTC
text (``2026-11-25 01:30:00.000000``), a date is ISO text, a bool is a bool.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from agentdesk.core.models import (Agent, AgentStatus, CentralSetting, Contact, Customer,
                                   CustomerPhone,
                                   Incident, KbArticle, Notice, NoticeEvent, OutreachCall,
                                   OutreachEvent, Ticket, TicketArticle, TicketEvent,
                                   UTCDateTime, utc_text)

# Entities that travel, by table name. Customers carry their phones with them.
# central_setting (the centre's SLA policy text) travels down only, keyed by name.
MODELS: dict[str, Any] = {
    "agent": Agent, "agent_status": AgentStatus, "customer": Customer,
    "customer_phone": CustomerPhone,
    "contact": Contact, "incident": Incident, "notice": Notice, "notice_event": NoticeEvent,
    "kb_article": KbArticle,
    "ticket": Ticket, "ticket_event": TicketEvent, "central_setting": CentralSetting,
    "ticket_article": TicketArticle,
    "outreach_call": OutreachCall, "outreach_event": OutreachEvent,
}
# Entities whose change-log entry carries the row itself (no single-column key to join
# on, and the row never changes): a ticket's link to the article that answered it.
BY_PAYLOAD = frozenset({"ticket_article"})
# The order rows of one pulled batch are applied in (what refers to what comes first).
APPLY_ORDER = ("central_setting", "agent", "agent_status", "customer", "incident", "notice",
               "notice_event",
               "kb_article",
               "contact", "ticket", "ticket_event", "ticket_article", "outreach_call",
               "outreach_event", "conflict")


def table(entity: str) -> sa.Table:
    return MODELS[entity].__table__


def columns(entity: str) -> list[str]:
    return [c.name for c in table(entity).columns]


def key(entity: str) -> str:
    """The column a change-log ``row_id`` names (``id``; a setting's ``name``)."""
    return table(entity).primary_key.columns.values()[0].name


def row_id(entity: str, row: dict[str, Any]) -> str:
    """The change's row id: ``id``, or for a link both ends (``ticket_id/article_id``)."""
    if entity == "ticket_article":
        return f"{row['ticket_id']}/{row['article_id']}"
    return row["id"]


def wire(value: Any) -> Any:
    """A Python value as it travels in JSON."""
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def row_of(obj: Any) -> dict[str, Any]:
    """A model instance as a wire dict of its columns."""
    return {c.name: wire(getattr(obj, c.key)) for c in obj.__table__.columns}


def to_python(entity: str, row: dict[str, Any]) -> dict[str, Any]:
    """A wire dict with datetimes and dates parsed (for binding through typed columns)."""
    cols = table(entity).columns
    out = {}
    for key, value in row.items():
        if key not in cols:
            continue
        kind = cols[key].type
        if isinstance(value, str) and isinstance(kind, UTCDateTime):
            value = UTCDateTime().process_result_value(value, None)  # type: ignore[arg-type]
        elif isinstance(value, str) and isinstance(kind, sa.Date):
            value = date.fromisoformat(value)
        elif isinstance(value, int) and isinstance(kind, sa.Boolean):
            value = bool(value)  # the desk's SQLite keeps booleans as 0 / 1
        out[key] = value
    return out


def to_desk(value: Any) -> Any:
    """A value read from the centre as the desk's SQLite stores it."""
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value
