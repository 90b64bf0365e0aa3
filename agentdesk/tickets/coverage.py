"""Where the working calendar runs out (no textual import): the years of a ticket's
working-day deadlines, or of the open tickets' deadlines, that have no holiday data, and
the warning an agent or a supervisor reads about them.

The rule is :func:`agentdesk.tickets.sla.calendar_gaps` (one home: the calendar is
:mod:`agentdesk.core.workcal`, the years it covers come from the ``chinese-calendar``
package and the centre's TOML). Shown on the ticket form's terms, the ticket's detail, the
monitor's header and ``ticket create --json`` (``warnings``).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from agentdesk.core import clock
from agentdesk.core.i18n import t
from agentdesk.tickets import sla
from agentdesk.tickets.clocks import CLOCKS, UNRESOLVED, sql_list

if TYPE_CHECKING:
    from agentdesk.core.models import Ticket

HORIZON_DAYS = 14  # the monitor also warns when a deadline started today could reach a gap


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def ticket_gaps(policy: sla.Policy, ticket: Ticket) -> list[int]:
    """The uncovered years a stored ticket's working-day deadlines run through."""
    if ticket.category not in policy.category_priority or not ticket.created_at:
        return []
    due = {name: _utc(getattr(ticket, f"due_{name}", None)) for name in CLOCKS}
    return sla.calendar_gaps(policy, ticket.category, ticket.area_class or "urban",
                             ticket.priority, _utc(ticket.created_at), due)


def warning(years: list[int] | tuple[int, ...]) -> str:
    """The agent's warning for ``years`` ('' when none)."""
    if not years:
        return ""
    return t("sla.calendar.gap", years="、".join(str(y) for y in years))


def warnings(years: list[int] | tuple[int, ...]) -> list[str]:
    """As ``ticket create --json`` lists them."""
    return [warning(years)] if years else []


def open_gaps(conn: sqlite3.Connection, now: datetime | None = None) -> list[int]:
    """For the monitor's header: the uncovered years among the open tickets' working-day
    deadlines (the resolution clock: the one counted in working days), and those a
    working-day clock started now could reach within :data:`HORIZON_DAYS`."""
    now = now or clock.now()
    policy = _policy(conn)
    covered = policy.calendar.covered_years
    local = clock.local(now)
    years = {local.year, clock.local(now + timedelta(days=HORIZON_DAYS)).year}
    try:
        rows = conn.execute(
            "SELECT DISTINCT substr(due_resolution, 1, 4) FROM ticket WHERE due_resolution "
            f"IS NOT NULL AND status IN ({sql_list(UNRESOLVED)})")
        years.update(int(y) for (y,) in rows if y and str(y).isdigit())
    except sqlite3.Error:
        pass  # a database without tickets yet: the horizon alone
    return sorted(y for y in years if y not in covered)


def _policy(conn: sqlite3.Connection) -> sla.Policy:
    def setting(name: str) -> str | None:
        try:
            row = conn.execute("SELECT body FROM central_setting WHERE name = ?",
                               (name,)).fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row else None

    return sla.policy_for_texts(setting(sla.CENTRAL_SETTING),
                                setting(sla.CENTRAL_CALENDAR))
