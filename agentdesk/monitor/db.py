"""The monitor's SQL plumbing (no textual import): the DB-API connection under a session,
and instants in and out of their stored text form."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from sqlmodel import Session

Source = Union["Session", sqlite3.Connection]  # what every figure reads from

UTC_FMT = "%Y-%m-%d %H:%M:%S.%f"


def stamp(value: datetime) -> str:
    """An instant as the database stores it (UTC text)."""
    from agentdesk.core.models import utc_text

    return utc_text(value)


def load(text: str | None) -> datetime | None:
    """Stored UTC text back to an aware instant."""
    from agentdesk.core.models import UTC

    return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None


def connection(session: Source) -> sqlite3.Connection:
    """The DB-API connection under a session (aggregate SQL runs on it directly)."""
    if isinstance(session, sqlite3.Connection):
        return session
    return session.connection().connection.driver_connection
