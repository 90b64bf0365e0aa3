"""Reading SLA policy files (no textual import): the shipped defaults, a desk's own file
and the centre's synced text, each checked with the file and line of any mistake, merged
cell by cell into one :class:`~agentdesk.tickets.sla_policy.Policy`; and the policy a desk
uses (:func:`for_session`). The file format is told in :mod:`agentdesk.tickets.sla`.
"""

from __future__ import annotations

import difflib
import logging
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from agentdesk.core.i18n import t
from agentdesk.core import workcal
from agentdesk.core.workcal import WEEKDAYS, Calendar, Holiday, parse_period
from agentdesk.tickets import taxonomy
from agentdesk.tickets.sla_policy import (
    ANY_AREA, AREAS, CALENDAR_SOURCE, CENTRAL_CALENDAR, CENTRAL_SETTING, CENTRAL_SOURCE,
    CLOCKS, DEFAULT_FILE, KEY_LEVELS, PRIORITIES, Duration, Policy, SlaError,
    parse_duration)

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlmodel import Session

_log = logging.getLogger("agentdesk.tickets.sla")  # the SLA policy's one logger name

# -- reading policy files ------------------------------------------------------------------------

@dataclass
class _Layer:
    """What one file says; merged over the defaults cell by cell."""

    rows: dict[tuple[str, str], dict[str, Duration | None]] = field(default_factory=dict)
    weekdays: tuple[int, ...] | None = None
    periods: tuple | None = None
    holidays: list[tuple[Holiday, int | None]] = field(default_factory=list)  # (entry, line)
    pausable: frozenset[str] | None = None
    key_categories: frozenset[str] | None = None


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
    def __init__(self, text: str, source: str, tax: taxonomy.Taxonomy,
                 calendar_only: bool = False) -> None:
        self.text, self.source, self.tax = text, source, tax
        self.calendar_only = calendar_only  # a centre's calendar file: [calendar] only
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
            if self.calendar_only and key != "calendar":
                raise self.fail((key,), f"unknown setting {key!r}: a calendar file has only "
                                        "[calendar] (working_days, working_hours and "
                                        "[[calendar.holiday]] entries)")
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
            elif key == "key_customer":
                self._key_customer(self._table((key,), value))
            else:
                raise self.fail((key,), f"unknown setting {key!r} (known: pausable_states, "
                                        "calendar, category, priority, key_customer)")
        return self.layer

    def _key_customer(self, table: dict) -> None:
        """``categories = [...]`` and one row per key level (``[key_customer.1]``)."""
        levels = ", ".join(map(str, KEY_LEVELS))
        for name, value in table.items():
            path = ("key_customer", name)
            if name == "categories":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise self.fail(path, "key_customer categories must be a list of "
                                          "category codes")
                for code in value:
                    if code not in self.tax.categories:
                        raise self.fail(path, f"unknown category {code!r} in key_customer")
                self.layer.key_categories = frozenset(value)
            elif name in {str(level) for level in KEY_LEVELS}:
                self._row(path, f"key:{name}", value)
            else:
                raise self.fail(path, f"unknown key_customer setting {name!r} (categories, "
                                      f"or a key level: {levels})")

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


PACKAGE_SOURCE = "chinese-calendar package"


def _holiday_key(holiday: Holiday) -> tuple[str, int]:
    """Entries of one holiday in one year: 清明节 in a TOML and the package's 清明 alike."""
    return holiday.name.strip().removesuffix("节"), holiday.start.year


def _merge(layers: list[tuple[str, _Layer]], tax: taxonomy.Taxonomy) -> Policy:
    rows: dict[tuple[str, str], dict[str, Duration | None]] = {}
    weekdays: tuple[int, ...] = tuple(range(5))
    periods: tuple = Calendar().periods
    # The package's holidays first; a TOML entry replaces the package's entries of the same
    # holiday and year (all of them: the package may split one holiday around another) and
    # extends the calendar to its year.
    holidays: dict[tuple[str, int], list[tuple[Holiday, str, int | None]]] = {}
    for holiday in workcal.package_holidays():
        holidays.setdefault(_holiday_key(holiday), []).append((holiday, PACKAGE_SOURCE, None))
    covered = set(workcal.package_years())
    pausable: frozenset[str] = frozenset()
    key_categories: frozenset[str] = frozenset()
    for source, layer in layers:
        for key, cells in layer.rows.items():
            rows.setdefault(key, {}).update(cells)
        weekdays = layer.weekdays if layer.weekdays is not None else weekdays
        periods = layer.periods if layer.periods is not None else periods
        pausable = layer.pausable if layer.pausable is not None else pausable
        if layer.key_categories is not None:
            key_categories = layer.key_categories
        replaced: set[tuple[str, int]] = set()
        for holiday, line in layer.holidays:
            key = _holiday_key(holiday)
            if key not in replaced:  # an earlier layer's (or the package's) entries go
                holidays[key] = []
                replaced.add(key)
            holidays[key].append((holiday, source, line))
            covered.add(holiday.start.year)
    entries = [entry for found in holidays.values() for entry in found]
    try:
        calendar = Calendar.from_holidays([h for h, _, _ in entries], weekdays, periods,
                                          covered)
    except ValueError as exc:  # a day both off and worked, across two entries
        source, line = layers[-1][0], None
        off = {d for h, _, _ in entries for d in h.days()}
        for holiday, where, at in entries:
            if off & set(holiday.makeup):
                source, line = where, at  # the entry that works a day another takes off
        raise SlaError(str(exc), source, line) from None
    return Policy(
        rows=MappingProxyType({k: MappingProxyType(dict(v)) for k, v in rows.items()}),
        category_priority=MappingProxyType({c.code: c.priority
                                            for c in tax.categories.values()}),
        calendar=calendar, pausable_states=pausable,
        sources=tuple(source for source, _ in layers), key_categories=key_categories)


def _read_file(path: Path, tax: taxonomy.Taxonomy) -> _Layer:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SlaError(t("msg.tickets.sla_files.cannot_be_read_2", exc=exc), path) from None
    return _Reader(text, str(path), tax).read()


def load_policy(path: Path | None = None, *, tax: taxonomy.Taxonomy | None = None,
                central_text: str | None = None, central_source: str = CENTRAL_SOURCE,
                calendar_text: str | None = None, calendar_source: str = CALENDAR_SOURCE,
                ) -> Policy:
    """The shipped defaults, with the file at ``path`` (if given) over them, and the
    centre's synced text (``central_text``, if given) over both, cell by cell: a row's
    clocks one by one, calendar settings one by one, holidays by name and year,
    ``pausable_states`` as a whole. The centre's calendar text (``calendar_text``: a
    ``[calendar]`` table only, ``agentdesk central load calendar``) goes over all of them.
    A broken file or text raises :class:`SlaError`, naming the file (or
    ``central_source`` / ``calendar_source``) and the line."""
    if path is None and tax is None and central_text is None and calendar_text is None:
        return default_policy()
    tax = tax or taxonomy.load()
    layers = [(str(DEFAULT_FILE), _read_file(DEFAULT_FILE, tax))]
    if path is not None:
        layers.append((str(path), _read_file(Path(path), tax)))
    if central_text is not None:
        layers.append((central_source, _Reader(central_text, central_source, tax).read()))
    if calendar_text is not None:
        layers.append((calendar_source, _Reader(calendar_text, calendar_source, tax,
                                                calendar_only=True).read()))
    return _merge(layers, tax)


def read_text(path: Path | str) -> str:
    """A policy file's text (UTF-8), or :class:`SlaError` as :func:`load_policy` says it."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SlaError(t("msg.tickets.sla_files.cannot_be_read", exc=exc), path) from None


# -- the policy a desk uses ----------------------------------------------------------------------

def central_text(session: Session | sa.Connection, name: str = CENTRAL_SETTING
                 ) -> str | None:
    """The centre's policy text (or, ``name`` ``CENTRAL_CALENDAR``, its calendar text) as
    this desk last pulled it (``central_setting``), or None when the centre has given none."""
    import sqlalchemy as sa

    conn = session if isinstance(session, sa.Connection) else session.connection()
    try:
        return conn.exec_driver_sql("SELECT body FROM central_setting WHERE name = ?",
                                    (name,)).scalar()
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


def for_session(session: Session | sa.Connection, path: Path | str | None = None
                ) -> Policy:
    """The policy this desk uses: the shipped defaults, then the desk's own file ``path``
    (config ``sla_policy``, if any), then the centre's synced policy on top (the centre
    wins, cell by cell). Parsed once per (file, text): a ticket write reads one row and
    finds the parsed policy in a small cache. A broken desk file raises :class:`SlaError`
    (as :func:`load_policy` does); a synced text that cannot be used falls back (see
    :func:`_desk_policy`)."""
    text = central_text(session)
    calendar = central_text(session, CENTRAL_CALENDAR)
    path = path if path is not None else _desk_file
    if path is None and text is None and calendar is None:
        return default_policy()
    stamp = None
    if path is not None:
        path = Path(path)
        try:
            found = path.stat()
            stamp = (found.st_mtime_ns, found.st_size)  # an edited file is read again
        except OSError:
            return load_policy(path)  # raises "cannot be read"
    return _desk_policy(str(path) if path is not None else None, stamp, text, calendar)


def policy_for_texts(text: str | None, calendar: str | None) -> Policy:
    """The policy of the centre's synced texts over the shipped defaults (no desk file):
    what a reader of a database that is not the running desk's uses (the monitor)."""
    if text is None and calendar is None:
        return default_policy()
    return _desk_policy(None, None, text, calendar)


@lru_cache(maxsize=16)
def _desk_policy(path: str | None, _stamp: tuple | None, text: str | None,
                 calendar: str | None = None) -> Policy:
    file = Path(path) if path is not None else None
    own = load_policy(file)  # a broken desk file raises, as load_policy says it
    if text is None and calendar is None:
        return own
    try:
        return load_policy(file, central_text=text, calendar_text=calendar)
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
