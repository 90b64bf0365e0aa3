"""An agent's status (no textual import): 示闲 ready, 小休 break, 话后处理 after-call work,
and ``off`` when signed out (issue 19).

Every change is one ``agent_status`` row (agent, 工号, status, since, desk), never
updated: the latest row of an agent is their status now, and the time in it is counted
from its ``since``. The rows travel to the centre as contacts do (the outbox hook
captures them, the centre keeps each once) and down to every desk and the monitor's
mirror, so the supervisor's agents tab shows each agent's status wherever they sit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from agentdesk.core import clock
from agentdesk.core.i18n import t
from agentdesk.core.models import AgentStatus

READY, BREAK, ACW, OFF = "ready", "break", "acw", "off"
STATUSES = (READY, BREAK, ACW)  # the ones an agent picks (the status dialog's 1, 2, 3)
ALL = (*STATUSES, OFF)


class StatusError(ValueError):
    """A status that does not exist."""


@dataclass(frozen=True)
class Current:
    status: str
    since: datetime


def change(session: Session, agent_id: str, code: str, status: str, desk: str,
           at: datetime | None = None) -> Current:
    """Record that this agent is in ``status`` from now on (a row even when it is the
    same status again: the time in it starts over, as the agent asked)."""
    if status not in ALL:
        raise StatusError(t("status.err.unknown", status=repr(status), known=", ".join(ALL)))
    row = AgentStatus(agent_id=agent_id, code=code, status=status,
                      since=at or clock.now(), desk=desk)
    session.add(row)
    session.flush()
    return Current(row.status, row.since)


def current(session: Session, code: str) -> Current | None:
    """This agent's latest status (None: never recorded)."""
    row = session.connection().execute(sa.text(
        "SELECT status, since FROM agent_status WHERE code = :c ORDER BY since DESC, id DESC "
        "LIMIT 1"), {"c": code}).first()
    if row is None:
        return None
    since = AgentStatus.__table__.c.since.type.process_result_value(row.since, None)
    return Current(row.status, since)


def elapsed(since: datetime, now: datetime) -> str:
    """Time in a status as the header and the monitor show it: 4:05, 1:02:03."""
    seconds = max(0, int((now - since).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
