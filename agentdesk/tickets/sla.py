"""SLA policy: which clocks run on a ticket and when each is due (no textual import).

Four clocks (:data:`CLOCKS`), stored on the ticket as ``due_<clock>``. Each is a
:class:`Duration`: wall-clock minutes / hours / days, or working days / hours on a
:class:`~agentdesk.core.workcal.Calendar` (see :mod:`agentdesk.core.workcal` for how those count).

The defaults are ``sla_policy.toml`` beside this module; a file of the same shape overrides
any cell (:func:`load_policy`). A desk uses (:func:`for_session`) the defaults, then its own
file (config ``sla_policy``), then the centre's policy on top: the text loaded at the centre
(``agentdesk central load sla``) and pulled into the desk's ``central_setting`` table. A cell
is looked up, for a ticket of category C in area class A:

1. ``[category."C".A]``, then ``[category."C"]`` (every area), then
2. the priority row of C's *default* priority (taxonomy.toml): ``[priority.P.A]``, then
   ``[priority.P]``.

``"-"`` in a cell means "no such clock" and ends the search.

Priority: :func:`effective_priority` raises a vulnerable customer (吸氧, 独居老人, 残障, 孤寡)
or a key customer (key level ≥ 1) one step (general → important → urgent; one step even when
both apply). When the ticket's priority is above its category's default, each clock the
category has is due at the *earlier* of its own deadline and the raised priority row's
deadline; a clock the category does not have (arrival for a consultation) stays absent, and a
priority below the default changes nothing (a priority never loosens a category's clocks).

Deadlines are computed once, when a clock starts, and stored: first response, arrival and
resolution when the ticket is created (:func:`deadlines`), the call-back when it is resolved
(:func:`callback_due`); a reopened ticket gets a new resolution clock with :func:`due`. A clock
stands still only in the policy's ``pausable_states``; :func:`resume` moves a deadline by the
time paused. Every function here is pure (plain values in, aware UTC datetimes out) but
:func:`for_session` and :func:`central_text`, which read the desk's one policy row.
"""

from __future__ import annotations

import difflib
import logging
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache, cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from dateutil.relativedelta import relativedelta

from agentdesk.core import clock
from agentdesk.tickets import taxonomy
from agentdesk.core.workcal import UTC, WEEKDAYS, Calendar, Holiday, aware, parse_period

__all__ = [
    "AREAS", "CLOCKS", "DEFAULT_FILE", "PRIORITIES", "VULNERABLE_TAGS", "Calendar", "Duration",
    "Holiday", "Policy", "SlaError", "callback_due", "central_text", "deadlines",
    "default_policy", "due", "effective_priority", "for_session", "load_policy",
    "parse_duration", "raise_priority", "read_text", "resume", "rule_for",
]

CLOCKS = ("first_response", "arrival", "resolution", "callback")
AREAS = ("urban", "rural", "remote")  # models.AreaClass; "rural" is suburban as well
ANY_AREA = "*"
PRIORITIES = ("urgent", "important", "general")  # highest first
VULNERABLE_TAGS = frozenset({"吸氧", "独居老人", "残障", "残疾", "孤寡"})
DEFAULT_FILE = Path(__file__).with_name("sla_policy.toml")
CENTRAL_SETTING = "sla_policy"  # central_setting.name of the centre's policy text
CENTRAL_SOURCE = "centre SLA policy (central_setting sla_policy)"  # named in its errors

_log = logging.getLogger(__name__)

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
            raise SlaError(f"unknown duration unit {self.unit!r} ({_FORMS})")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) \
                or not 0 <= self.amount <= _UNITS[self.unit][1]:
            raise SlaError(f"duration {self.amount!r}{self.unit} out of range "
                           f"(0..{_UNITS[self.unit][1]})")

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
        raise SlaError(f"a duration is text, not {text!r}: {_FORMS}")
    cleaned = text.strip().lower()
    if cleaned in ("", "-", "—"):
        return None
    if cleaned == "now":
        return Duration(0, "m")
    match = _DURATION.fullmatch(cleaned)
    if not match:
        raise SlaError(f"not a duration: {text!r} ({_FORMS})")
    return Duration(int(match.group(1)), match.group(2))


# -- priority ----------------------------------------------------------------------------------

def raise_priority(priority: str, steps: int = 1) -> str:
    """general -> important -> urgent; urgent stays urgent."""
    _check_priority(priority)
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
    _check_priority(category_priority)
    return category_priority


def _check_priority(priority: str) -> None:
    if priority not in PRIORITIES:
        raise SlaError(f"unknown priority {priority!r} (one of {', '.join(PRIORITIES)})")


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
            raise SlaError(f"unknown category {category!r}")
        if area_class not in AREAS:
            raise SlaError(f"unknown area class {area_class!r} (one of {', '.join(AREAS)})")
        if name not in CLOCKS:
            raise SlaError(f"unknown clock {name!r} (one of {', '.join(CLOCKS)})")

    def rule(self, category: str, area_class: str, name: str) -> Duration | None:
        """The category's own duration for clock ``name`` (at its default priority)."""
        self._check(category, area_class, name)
        value = self._cell(category, area_class, name)
        if value is _MISSING:
            value = self._cell(f"priority:{self.category_priority[category]}", area_class, name)
        return None if value is _MISSING else value  # type: ignore[return-value]

    def priority_rule(self, priority: str, area_class: str, name: str) -> Duration | None:
        _check_priority(priority)
        value = self._cell(f"priority:{priority}", area_class, name)
        return None if value is _MISSING else value  # type: ignore[return-value]


def _choose(policy: Policy, name: str, category: str, area_class: str, priority: str,
            start: datetime, calendar: Calendar | None) -> tuple[Duration | None,
                                                                  datetime | None]:
    start = aware(start, "start")
    _check_priority(priority)
    calendar = calendar or policy.calendar
    own = policy.rule(category, area_class, name)
    if own is None:
        return None, None
    best, best_due = own, own.after(start, calendar)
    default = policy.category_priority[category]
    if PRIORITIES.index(priority) < PRIORITIES.index(default):
        raised = policy.priority_rule(priority, area_class, name)
        if raised is not None:
            raised_due = raised.after(start, calendar)
            if raised_due < best_due:
                best, best_due = raised, raised_due
    return best, best_due


def due(policy: Policy, name: str, category: str, area_class: str, priority: str,
        start: datetime, calendar: Calendar | None = None) -> datetime | None:
    """When clock ``name`` started at ``start`` is due (aware UTC), or None: no such clock."""
    return _choose(policy, name, category, area_class, priority, start, calendar)[1]


def rule_for(policy: Policy, name: str, category: str, area_class: str, priority: str,
             start: datetime, calendar: Calendar | None = None) -> Duration | None:
    """The duration that sets :func:`due`'s deadline (for display, and its ``kind`` for
    :func:`resume`)."""
    return _choose(policy, name, category, area_class, priority, start, calendar)[0]


def deadlines(policy: Policy, category: str, area_class: str, priority: str, start: datetime,
              calendar: Calendar | None = None) -> dict[str, datetime | None]:
    """The clocks that start with the ticket; ``callback`` is None until it is resolved."""
    result: dict[str, datetime | None] = {
        name: due(policy, name, category, area_class, priority, start, calendar)
        for name in CLOCKS if name != "callback"}
    result["callback"] = None
    return result


def callback_due(policy: Policy, category: str, area_class: str, resolved_at: datetime,
                 calendar: Calendar | None = None) -> datetime | None:
    """The call-back deadline, counted from resolution (回单)."""
    return due(policy, "callback", category, area_class, policy.category_priority.get(
        category, "general"), resolved_at, calendar)


def resume(deadline: datetime | None, paused_at: datetime, resumed_at: datetime,
           duration_kind: DurationKind | Duration, calendar: Calendar | None = None,
           ) -> datetime | None:
    """The deadline after a pause from ``paused_at`` to ``resumed_at``.

    Wall-clock durations (m, h, d) move by the time paused. Working durations (wd, wh) move
    by the *working* time paused, counted on from the deadline, so the working time left
    when the clock stopped is the working time left when it starts again (a close-of-business
    deadline moved by part of a day lands inside a day). ``calendar`` defaults to the
    shipped one: pass the policy's. A pause that starts at or after the deadline changes
    nothing: a clock that has run out stays run out. None (no such clock) stays None."""
    if deadline is None:
        return None
    deadline = aware(deadline, "deadline")
    paused_at, resumed_at = aware(paused_at, "paused_at"), aware(resumed_at, "resumed_at")
    if resumed_at < paused_at:
        raise SlaError(f"resumed ({resumed_at.isoformat()}) before paused "
                       f"({paused_at.isoformat()})")
    kind = duration_kind.kind if isinstance(duration_kind, Duration) else duration_kind
    if kind not in ("wall", "working"):
        raise SlaError(f"unknown duration kind {duration_kind!r} (wall or working)")
    if paused_at >= deadline:
        return deadline
    if kind == "wall":
        return deadline + (resumed_at - paused_at)
    calendar = calendar or default_policy().calendar
    return calendar.add_working_time(deadline, calendar.working_time_between(paused_at,
                                                                             resumed_at))


# -- reading policy files ------------------------------------------------------------------------

@dataclass
class _Layer:
    """What one file says; merged over the defaults cell by cell."""

    rows: dict[tuple[str, str], dict[str, Duration | None]] = field(default_factory=dict)
    weekdays: tuple[int, ...] | None = None
    periods: tuple | None = None
    holidays: list[tuple[Holiday, int | None]] = field(default_factory=list)  # (entry, line)
    pausable: frozenset[str] | None = None


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _read_key(text: str, i: int) -> tuple[list[str], int] | None:
    """A (dotted) TOML key at ``text[i:]``: its parts and the index after it."""
    parts: list[str] = []
    while True:
        while i < len(text) and text[i] in " \t":
            i += 1
        if i >= len(text):
            return None
        if text[i] in "\"'":
            quote, j, buf = text[i], i + 1, []
            while j < len(text) and text[j] != quote:
                if quote == '"' and text[j] == "\\" and j + 1 < len(text):
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= len(text):
                return None
            parts.append("".join(buf))
            i = j + 1
        else:
            match = _BARE_KEY.match(text, i)
            if not match:
                return None
            parts.append(match.group())
            i = match.end()
        while i < len(text) and text[i] in " \t":
            i += 1
        if i < len(text) and text[i] == ".":
            i += 1
            continue
        return parts, i


class _KeyLines:
    """Line numbers of the keys and table headers of a TOML text, by full key path
    (an array-of-tables entry is a number in the path)."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple, int] = {}
        header: tuple = ()
        counts: dict[tuple, int] = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if line.startswith("[["):
                found = _read_key(line, 2)
                if found and line[found[1]:].startswith("]]"):
                    path = tuple(found[0])
                    counts[path] = counts.get(path, -1) + 1
                    header = (*path, counts[path])
                    self.lines.setdefault(header, number)
            elif line.startswith("["):
                found = _read_key(line, 1)
                if found and line[found[1]:].startswith("]"):
                    header = tuple(found[0])
                    self.lines.setdefault(header, number)
            elif line and not line.startswith("#"):
                found = _read_key(line, 0)
                if found and line[found[1]:].startswith("="):
                    self.lines.setdefault((*header, *found[0]), number)

    def line(self, path: tuple) -> int | None:
        for end in range(len(path), 0, -1):  # the key, else the nearest enclosing one
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        below = [n for p, n in self.lines.items() if p[:len(path)] == path]
        return min(below) if below else None


class _Reader:
    def __init__(self, text: str, source: str, tax: taxonomy.Taxonomy) -> None:
        self.text, self.source, self.tax = text, source, tax
        self.layer = _Layer()

    @cached_property
    def key_lines(self) -> _KeyLines:
        return _KeyLines(self.text)

    def fail(self, path: tuple, message: str) -> SlaError:
        return SlaError(message, self.source, self.key_lines.line(path))

    def read(self) -> _Layer:
        try:
            data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            found = re.search(r"at line (\d+)", str(exc))
            line = int(found.group(1)) if found else len(self.text.splitlines()) or None
            raise SlaError(str(exc), self.source, line) from None
        for key, value in data.items():
            if key == "pausable_states":
                self.layer.pausable = self._states(value)
            elif key == "calendar":
                self._calendar(self._table((key,), value))
            elif key == "category":
                for code, row in self._table((key,), value).items():
                    if code not in self.tax.categories:
                        near = difflib.get_close_matches(code, self.tax.categories, n=1)
                        hint = f" (did you mean {near[0]!r}?)" if near else ""
                        raise self.fail((key, code), f"unknown category {code!r}{hint}")
                    self._row((key, code), code, row)
            elif key == "priority":
                for name, row in self._table((key,), value).items():
                    if name not in PRIORITIES:
                        raise self.fail((key, name), f"unknown priority {name!r} "
                                                     f"(one of {', '.join(PRIORITIES)})")
                    self._row((key, name), f"priority:{name}", row)
            else:
                raise self.fail((key,), f"unknown setting {key!r} (known: pausable_states, "
                                        "calendar, category, priority)")
        return self.layer

    def _table(self, path: tuple, value: object) -> dict:
        if not isinstance(value, dict):
            raise self.fail(path, f"{'.'.join(map(str, path))} must be a table")
        return value

    def _states(self, value: object) -> frozenset[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(("pausable_states",), "pausable_states must be a list of "
                                                  "state names")
        return frozenset(value)

    def _row(self, path: tuple, key: str, row: object) -> None:
        for name, value in self._table(path, row).items():
            if name in CLOCKS:
                self._cell(path, key, ANY_AREA, name, value)
            elif name in AREAS or name == ANY_AREA:
                for clock_name, cell in self._table((*path, name), value).items():
                    if clock_name not in CLOCKS:
                        raise self.fail((*path, name, clock_name),
                                        f"unknown clock {clock_name!r} in {key} {name} "
                                        f"(clocks: {', '.join(CLOCKS)})")
                    self._cell((*path, name), key, name, clock_name, cell)
            else:
                raise self.fail((*path, name), f"unknown clock or area class {name!r} in "
                                               f"{key} (clocks: {', '.join(CLOCKS)}; "
                                               f"areas: {', '.join(AREAS)})")

    def _cell(self, path: tuple, key: str, area: str, name: str, value: object) -> None:
        try:
            duration = parse_duration(value)  # type: ignore[arg-type]
        except SlaError as exc:
            where = key if area == ANY_AREA else f"{key} {area}"
            raise self.fail((*path, name), f"{where} {name}: {exc}") from None
        self.layer.rows.setdefault((key, area), {})[name] = duration

    def _calendar(self, table: dict) -> None:
        for key, value in table.items():
            path = ("calendar", key)
            if key == "working_days":
                if not isinstance(value, list) or not value or any(
                        str(v).lower() not in WEEKDAYS for v in value):
                    raise self.fail(path, "working_days must be a list of "
                                          f"{', '.join(WEEKDAYS)}")
                self.layer.weekdays = tuple(sorted({WEEKDAYS.index(v.lower()) for v in value}))
            elif key == "working_hours":
                if not isinstance(value, list) or not value:
                    raise self.fail(path, 'working_hours must be a list like ["08:30-12:00"]')
                try:
                    self.layer.periods = tuple(parse_period(str(v)) for v in value)
                    Calendar(periods=self.layer.periods)
                except ValueError as exc:
                    raise self.fail(path, str(exc)) from None
            elif key == "holiday":
                if not isinstance(value, list):
                    raise self.fail(path, "holidays are [[calendar.holiday]] entries")
                for index, entry in enumerate(value):
                    self._holiday((*path, index), entry)
            else:
                raise self.fail(path, f"unknown calendar setting {key!r} (known: "
                                      "working_days, working_hours, holiday)")

    def _holiday(self, path: tuple, entry: object) -> None:
        entry = self._table(path, entry)
        unknown = set(entry) - {"name", "start", "end", "makeup"}
        if unknown:
            name = sorted(unknown)[0]
            raise self.fail((*path, name), f"unknown holiday setting {name!r} "
                                           "(known: name, start, end, makeup)")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.fail(path, "a holiday needs a name")
        start = self._date((*path, "start"), entry.get("start"))
        end = self._date((*path, "end"), entry.get("end", start))
        if end < start:
            raise self.fail((*path, "end"), f"holiday {name}: ends before it starts")
        makeup = entry.get("makeup", [])
        if not isinstance(makeup, list):
            raise self.fail((*path, "makeup"), "makeup must be a list of dates")
        holiday = Holiday(name.strip(), start, end,
                          tuple(self._date((*path, "makeup"), d) for d in makeup))
        clash = set(holiday.days()) & set(holiday.makeup)
        if clash:
            raise self.fail((*path, "makeup"), f"holiday {name}: {min(clash)} is both off "
                                               "and a make-up working day")
        self.layer.holidays.append((holiday, self.key_lines.line(path)))

    def _date(self, path: tuple, value: object) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.fail(path, f"not a date (write 2026-10-01): {value!r}")


def _merge(layers: list[tuple[str, _Layer]], tax: taxonomy.Taxonomy) -> Policy:
    rows: dict[tuple[str, str], dict[str, Duration | None]] = {}
    weekdays: tuple[int, ...] = tuple(range(5))
    periods: tuple = Calendar().periods
    holidays: dict[tuple[str, int], tuple[Holiday, str, int | None]] = {}
    pausable: frozenset[str] = frozenset()
    for source, layer in layers:
        for key, cells in layer.rows.items():
            rows.setdefault(key, {}).update(cells)
        weekdays = layer.weekdays if layer.weekdays is not None else weekdays
        periods = layer.periods if layer.periods is not None else periods
        pausable = layer.pausable if layer.pausable is not None else pausable
        for holiday, line in layer.holidays:  # same name in the same year: replaced
            holidays[(holiday.name, holiday.start.year)] = (holiday, source, line)
    try:
        calendar = Calendar.from_holidays([h for h, _, _ in holidays.values()], weekdays,
                                          periods)
    except ValueError as exc:  # a day both off and worked, across two entries
        source, line = layers[-1][0], None
        off = {d for h, _, _ in holidays.values() for d in h.days()}
        for holiday, where, at in holidays.values():
            if off & set(holiday.makeup):
                source, line = where, at  # the entry that works a day another takes off
        raise SlaError(str(exc), source, line) from None
    return Policy(
        rows=MappingProxyType({k: MappingProxyType(dict(v)) for k, v in rows.items()}),
        category_priority=MappingProxyType({c.code: c.priority
                                            for c in tax.categories.values()}),
        calendar=calendar, pausable_states=pausable,
        sources=tuple(source for source, _ in layers))


def _read_file(path: Path, tax: taxonomy.Taxonomy) -> _Layer:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SlaError(f"cannot be read: {exc}", path) from None
    return _Reader(text, str(path), tax).read()


def load_policy(path: Path | None = None, *, tax: taxonomy.Taxonomy | None = None,
                central_text: str | None = None, central_source: str = CENTRAL_SOURCE,
                ) -> Policy:
    """The shipped defaults, with the file at ``path`` (if given) over them, and the
    centre's synced text (``central_text``, if given) over both, cell by cell: a row's
    clocks one by one, calendar settings one by one, holidays by name and year,
    ``pausable_states`` as a whole. A broken file or text raises :class:`SlaError`, naming
    the file (or ``central_source``) and the line."""
    if path is None and tax is None and central_text is None:
        return default_policy()
    tax = tax or taxonomy.load()
    layers = [(str(DEFAULT_FILE), _read_file(DEFAULT_FILE, tax))]
    if path is not None:
        layers.append((str(path), _read_file(Path(path), tax)))
    if central_text is not None:
        layers.append((central_source, _Reader(central_text, central_source, tax).read()))
    return _merge(layers, tax)


def read_text(path: Path | str) -> str:
    """A policy file's text (UTF-8), or :class:`SlaError` as :func:`load_policy` says it."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SlaError(f"cannot be read: {exc}", path) from None


# -- the policy a desk uses ----------------------------------------------------------------------

def central_text(session) -> str | None:  # noqa: ANN001 - a Session or a Connection
    """The centre's policy text as this desk last pulled it (``central_setting``), or None
    when the centre has given none."""
    import sqlalchemy as sa

    conn = session if isinstance(session, sa.Connection) else session.connection()
    try:
        return conn.exec_driver_sql("SELECT body FROM central_setting WHERE name = ?",
                                    (CENTRAL_SETTING,)).scalar()
    except sa.exc.OperationalError as exc:
        if "no such table" in str(exc):
            return None  # a database older than migration 0007 (tests that build one)
        raise


_desk_file: Path | None = None  # the desk's own `sla_policy` file, set by use_desk_file


def use_desk_file(path: Path | None) -> None:
    """The running desk's own policy file (config ``sla_policy``) under every
    :func:`for_session` that names none; checked now, so a broken file stops the desk at
    start with its line instead of failing a ticket mid-call."""
    global _desk_file
    if path is not None:
        load_policy(path)  # raises SlaError: "FILE, line N: ..."
    _desk_file = path


def for_session(session, path: Path | str | None = None) -> Policy:  # noqa: ANN001
    """The policy this desk uses: the shipped defaults, then the desk's own file ``path``
    (config ``sla_policy``, if any), then the centre's synced policy on top (the centre
    wins, cell by cell). Parsed once per (file, text): a ticket write reads one row and
    finds the parsed policy in a small cache. A broken desk file raises :class:`SlaError`
    (as :func:`load_policy` does); a synced text that cannot be used falls back (see
    :func:`_desk_policy`)."""
    text = central_text(session)
    path = path if path is not None else _desk_file
    if path is None and text is None:
        return default_policy()
    stamp = None
    if path is not None:
        path = Path(path)
        try:
            found = path.stat()
            stamp = (found.st_mtime_ns, found.st_size)  # an edited file is read again
        except OSError:
            return load_policy(path)  # raises "cannot be read"
    return _desk_policy(str(path) if path is not None else None, stamp, text)


@lru_cache(maxsize=16)
def _desk_policy(path: str | None, _stamp: tuple | None, text: str | None) -> Policy:
    file = Path(path) if path is not None else None
    own = load_policy(file)  # a broken desk file raises, as load_policy says it
    if text is None:
        return own
    try:
        return load_policy(file, central_text=text)
    except SlaError as exc:
        # The centre validated this text against the shipped defaults before storing it
        # (`agentdesk central load sla`), so this is a desk that disagrees with it: an
        # older agentdesk (an unknown category or setting), or the desk's own file
        # clashing (a day one layer takes off and the other works). Creating the ticket
        # matters more than which table dates it: the desk's own policy is used, and the
        # warning (once per text: the outcome is cached) says why.
        _log.warning("the centre's SLA policy cannot be used on this desk (%s); using the "
                     "desk's own policy (shipped defaults%s) instead", exc,
                     f" and {path}" if path else "")
        return own


@cache
def default_policy() -> Policy:
    """The shipped policy (``sla_policy.toml``) with the shipped taxonomy; read once."""
    tax = taxonomy.load()
    return _merge([(str(DEFAULT_FILE), _read_file(DEFAULT_FILE, tax))], tax)


# --- the policy for a desk's configuration ----------------------------------------------

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from agentdesk.core.config import Config


def for_config(config: Config, session: Session | None = None) -> Policy:
    """The shipped defaults, the config's ``sla_policy`` file over them, and (given the
    desk's session) the centre's synced policy over both (:func:`for_session`)."""
    path = Path(config.sla_policy).expanduser() if config.sla_policy else None
    return load_policy(path) if session is None else for_session(session, path)
