"""What the queue screen and the header show of the loaded queue rows (pure: rows in,
rows out; no textual import): the filters and the header's counts. The clocks themselves
are :mod:`agentdesk.tickets.clocks`'; the escalation scan is
:mod:`agentdesk.tickets.escalation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from agentdesk.tickets.service import QueueRow

SCOPES = ("mine", "team", "all")
SOON_S = 15 * 60  # "due within 15 minutes" in the header


@dataclass(frozen=True)
class Filter:
    """The queue's filters; an empty value means "any"."""

    clock: str = ""  # first_response / arrival / resolution / callback
    categories: frozenset[str] = frozenset()  # category codes (from a type-ahead search)
    priority: str = ""
    utility: str = ""  # water / power
    breached: bool = False

    @property
    def active(self) -> bool:
        return bool(self.clock or self.categories or self.priority or self.utility
                    or self.breached)


def is_breached(row: QueueRow, now: datetime) -> bool:
    return row.next_due is not None and not row.paused and row.next_due <= now


def reply_late(row: QueueRow, now: datetime) -> bool:
    """The department's expected fix time has passed and the ticket is not resolved."""
    from agentdesk.tickets.lifecycle import reply_missed

    return reply_missed(row.reply_due, row.status, now)


def matches(row: QueueRow, f: Filter, now: datetime,
            utility_of: Callable[[str], str]) -> bool:
    """``utility_of(category code) -> water/power/any`` comes from the taxonomy."""
    return ((not f.clock or row.clock == f.clock)
            and (not f.categories or row.category in f.categories)
            and (not f.priority or row.priority == f.priority)
            and (not f.utility or _utility(row, utility_of) == f.utility)
            and (not f.breached or is_breached(row, now)))


def _utility(row: QueueRow, utility_of: Callable[[str], str]) -> str:
    # A complaint or a consultation belongs to both trades: the caller's account decides.
    utility = utility_of(row.category)
    return row.utility if utility == "any" else utility


def apply_filter(rows: list[QueueRow], f: Filter, now: datetime,
                 utility_of: Callable[[str], str]) -> list[QueueRow]:
    if not f.active:
        return rows
    return [r for r in rows if matches(r, f, now, utility_of)]


@dataclass(frozen=True)
class Counts:
    open: int
    soon: int  # running clock due within 15 minutes, not yet breached
    breached: int


def counts(rows: list[QueueRow], now: datetime) -> Counts:
    """The header's summary: computed from loaded rows, so it ticks without the database."""
    soon = breached = 0
    for r in rows:
        if r.next_due is None or r.paused:
            continue
        left = (r.next_due - now).total_seconds()
        if left <= 0:
            breached += 1
        elif left <= SOON_S:
            soon += 1
    return Counts(len(rows), soon, breached)
