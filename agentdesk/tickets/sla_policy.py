"""The SLA policy as values (no textual import, no file reading): durations, the priority
steps and :class:`Policy`, the merged table of clock durations a ticket is timed by. How a
policy is read from files is :mod:`agentdesk.tickets.sla_files`; the deadline arithmetic
is :mod:`agentdesk.tickets.sla`, whose docstring tells the whole policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from dateutil.relativedelta import relativedelta

from agentdesk.core.i18n import t
from agentdesk.core import clock
from agentdesk.core.workcal import UTC, Calendar, aware
from agentdesk.tickets.clocks import CLOCKS

AREAS = ("urban", "rural", "remote")  # models.AreaClass; "rural" is suburban as well
ANY_AREA = "*"
PRIORITIES = ("urgent", "important", "general")  # highest first
VULNERABLE_TAGS = frozenset({"吸氧", "独居老人", "残障", "残疾", "孤寡"})
DEFAULT_FILE = Path(__file__).with_name("sla_policy.toml")
CENTRAL_SETTING = "sla_policy"  # central_setting.name of the centre's policy text
CENTRAL_SOURCE = "centre SLA policy (central_setting sla_policy)"  # named in its errors
CENTRAL_CALENDAR = "calendar"  # central_setting.name of the centre's calendar text
CALENDAR_SOURCE = "centre calendar (central_setting calendar)"
KEY_LEVELS = (1, 2, 3)  # customer.key_level of a key customer (0: none)

DurationKind = Literal["wall", "working"]


class SlaError(ValueError):
    """A policy file, duration or argument that cannot be used. ``path`` and ``line`` say
    where, when a file is to blame."""

    def __init__(self, message: str, path: str | Path | None = None,
                 line: int | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        where = ""
        if self.path is not None:
            where = f"{self.path}, line {line}: " if line else f"{self.path}: "
        super().__init__(where + message)


# -- durations ---------------------------------------------------------------------------------

_UNITS = {  # unit -> (kind, the longest amount we accept: about a year)
    "m": ("wall", 366 * 24 * 60),
    "h": ("wall", 366 * 24),
    "d": ("wall", 366),
    "wd": ("working", 260),
    "wh": ("working", 2000),
}
_DURATION = re.compile(r"(\d+)\s*(m|h|d|wd|wh)")
_FORMS = 'write e.g. "15m", "2h", "3d", "5wd" (working days), "4wh" (working hours), ' \
         '"now", or "-" for no such clock'


@dataclass(frozen=True)
class Duration:
    """``amount`` of ``unit``: m / h / d (wall clock) or wd / wh (working calendar)."""

    amount: int
    unit: str

    def __post_init__(self) -> None:
        if self.unit not in _UNITS:
            raise SlaError(t("msg.tickets.sla_policy.unknown_duration_unit", unit=self.unit,
                             FORMS=_FORMS))
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) \
                or not 0 <= self.amount <= _UNITS[self.unit][1]:
            raise SlaError(t("msg.tickets.sla_policy.duration_out_of_range", amount=self.amount,
                             unit=self.unit, UNITS=_UNITS[self.unit][1]))

    @property
    def kind(self) -> DurationKind:
        """``"wall"`` (m, h, d) or ``"working"`` (wd, wh): how a pause shifts it."""
        return _UNITS[self.unit][0]  # type: ignore[return-value]

    def after(self, start: datetime, calendar: Calendar) -> datetime:
        """The deadline for a clock started at ``start`` (aware UTC).

        m, h: elapsed time. d: the same local time ``amount`` days later. wd: close of
        business of the Nth working day after the start day. wh: working time."""
        start = aware(start, "start")
        if self.unit == "m":
            return start + timedelta(minutes=self.amount)
        if self.unit == "h":
            return start + timedelta(hours=self.amount)
        if self.unit == "d":
            local = start.astimezone(clock.centre_tz()).replace(tzinfo=None)
            later = local + relativedelta(days=self.amount)
            return later.replace(tzinfo=clock.centre_tz()).astimezone(UTC)
        if self.unit == "wd":
            return calendar.add_working_days(start, self.amount)
        return calendar.add_working_time(start, timedelta(hours=self.amount))

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


def parse_duration(text: str) -> Duration | None:
    """``"15m"`` -> Duration(15, "m"); ``"now"`` -> 0 minutes; ``""`` / ``"-"`` -> None."""
    if not isinstance(text, str):
        raise SlaError(t("msg.tickets.sla_policy.a_duration_is_text", text=text, FORMS=_FORMS))
    cleaned = text.strip().lower()
    if cleaned in ("", "-", "—"):
        return None
    if cleaned == "now":
        return Duration(0, "m")
    match = _DURATION.fullmatch(cleaned)
    if not match:
        raise SlaError(t("msg.tickets.sla_policy.not_a_duration", text=text, FORMS=_FORMS))
    return Duration(int(match.group(1)), match.group(2))


# -- priority ----------------------------------------------------------------------------------

def raise_priority(priority: str, steps: int = 1) -> str:
    """general -> important -> urgent; urgent stays urgent."""
    check_priority(priority)
    return PRIORITIES[max(0, PRIORITIES.index(priority) - steps)]


def effective_priority(category_priority: str, tags: Iterable[str] | str | None,
                       key_level: int | None) -> str:
    """The ticket's priority: the category's default, one step higher for a vulnerable
    customer (a tag in :data:`VULNERABLE_TAGS`) or a key customer (``key_level >= 1``).
    One step at most, even when both apply. ``tags`` may be Customer.tags' ``"a;b"`` text."""
    if isinstance(tags, str):
        tags = tags.split(";")
    vulnerable = any(str(tag).strip() in VULNERABLE_TAGS for tag in (tags or ()))
    if vulnerable or (key_level or 0) >= 1:
        return raise_priority(category_priority)
    check_priority(category_priority)
    return category_priority


def check_priority(priority: str) -> None:
    if priority not in PRIORITIES:
        raise SlaError(t("msg.tickets.sla_policy.unknown_priority_one_of", priority=priority,
                         PRIORITIES=', '.join(PRIORITIES)))


# -- the policy --------------------------------------------------------------------------------

_MISSING = object()
Row = Mapping[str, Duration | None]


@dataclass(frozen=True)
class Policy:
    """Rows keyed by (category code or ``"priority:P"``, area class or ``"*"``); each row
    holds the clocks it names (None: explicitly no such clock)."""

    rows: Mapping[tuple[str, str], Row]
    category_priority: Mapping[str, str]  # category code -> default priority (taxonomy)
    calendar: Calendar = field(default_factory=Calendar)
    pausable_states: frozenset[str] = frozenset({"waiting_caller"})
    sources: tuple[str, ...] = ()
    # [key_customer]: the categories whose clocks a key customer's level shortens (rows
    # "key:N" hold each level's clocks; a level without a row uses the next lower one).
    key_categories: frozenset[str] = frozenset()

    def can_pause(self, state: str) -> bool:
        return state in self.pausable_states

    def has_row(self, category: str) -> bool:
        """The policy names this category itself (not only through its priority row)."""
        return any((category, area) in self.rows for area in (ANY_AREA, *AREAS))

    def _cell(self, key: str, area: str, name: str) -> object:
        for where in (area, ANY_AREA):
            row = self.rows.get((key, where))
            if row is not None and name in row:
                return row[name]
        return _MISSING

    def _check(self, category: str, area_class: str, name: str) -> None:
        if category not in self.category_priority:
            raise SlaError(t("msg.tickets.sla_policy.unknown_category", category=category))
        if area_class not in AREAS:
            raise SlaError(t("msg.tickets.sla_policy.unknown_area_class_one",
                             area_class=area_class, AREAS=', '.join(AREAS)))
        if name not in CLOCKS:
            raise SlaError(t("msg.tickets.sla_policy.unknown_clock_one_of", name=name,
                             CLOCKS=', '.join(CLOCKS)))

    def rule(self, category: str, area_class: str, name: str) -> Duration | None:
        """The category's own duration for clock ``name`` (at its default priority)."""
        self._check(category, area_class, name)
        value = self._cell(category, area_class, name)
        if value is _MISSING:
            value = self._cell(f"priority:{self.category_priority[category]}", area_class, name)
        return None if value is _MISSING else value  # type: ignore[return-value]

    def priority_rule(self, priority: str, area_class: str, name: str) -> Duration | None:
        check_priority(priority)
        value = self._cell(f"priority:{priority}", area_class, name)
        return None if value is _MISSING else value  # type: ignore[return-value]

    def key_rule(self, key_level: int | None, category: str, area_class: str, name: str
                 ) -> Duration | None:
        """The ``[key_customer]`` duration for clock ``name`` of a key customer of
        ``key_level`` (the row of that level, else of the nearest lower level), or None:
        not a key customer, a category the rule does not name, or no such cell."""
        level = min(int(key_level or 0), KEY_LEVELS[-1])
        if level < 1 or category not in self.key_categories:
            return None
        self._check(category, area_class, name)
        for step in range(level, 0, -1):
            value = self._cell(f"key:{step}", area_class, name)
            if value is not _MISSING:
                return value  # type: ignore[return-value]
        return None
