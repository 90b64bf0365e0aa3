"""The departments and crews a ticket is dispatched to (派单), as a pick list (issue 19,
"what an agent misses"; no textual import).

The list is data: ``departments.toml`` beside this module is the shipped list (the demo
data draws from it too: one source of truth). A centre replaces it whole with its own
file of the same shape, loaded with ``agentdesk central load departments FILE.toml`` into
the central setting ``departments``, which every desk pulls like the SLA policy. Each
entry names a utility (water / power / any), optionally the ticket categories it is
offered first for, and optionally a district: a town's own repair crew, offered first for
callers in that district.

The list is authoritative: a dispatch names a department on it, or 其他 (other) with a
note saying which department ("其他：区园林局"), so a department the centre has not listed
yet can still be reached, and the note shows up where the centre reviews its tickets.
The type-ahead is the category picker's rule (:func:`agentdesk.tickets.taxonomy.match_score`):
pinyin initials (gsdd for 供水调度中心), Chinese, full pinyin.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from agentdesk.core import guard
from agentdesk.core.i18n import t

if TYPE_CHECKING:
    import sqlite3

    import sqlalchemy as sa
    from sqlmodel import Session

    from agentdesk.core.models import Ticket

DEFAULT_FILE = Path(__file__).with_name("departments.toml")
CENTRAL_SETTING = "departments"  # central_setting.name of the centre's list
UTILITIES = ("water", "power", "any")
FIELDS = frozenset({"name", "utility", "categories", "district"})
MAX_NAME = 60
MAX_DISTRICT = 64
OTHER = "其他"  # the choice for a department not on the list (a note says which)
OTHER_SEP = "："  # stored as 其他：<note>
_HEADER = re.compile(r"^\s*\[\[\s*department\s*\]\]")


class DepartmentError(ValueError):
    """A department list that cannot be used: the message names the file, line and field."""


@dataclass(frozen=True)
class Department:
    name: str
    utility: str = "any"
    categories: tuple[str, ...] = ()
    district: str = ""


def _lines(text: str) -> list[int]:
    """The line number of each ``[[department]]`` header, in order."""
    return [n for n, line in enumerate(text.splitlines(), 1) if _HEADER.match(line)]


def parse(text: str, source: str = "departments.toml",
          categories: frozenset[str] | None = None) -> tuple[Department, ...]:
    """The departments of a TOML text, checked: :class:`DepartmentError` names the file,
    the line of the entry and the field. ``categories``: the category codes an entry may
    name (None: not checked; a desk reading a newer centre's list)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DepartmentError(f"{source}: {exc}") from None
    unknown = sorted(set(data) - {"department"})
    if unknown:
        raise DepartmentError(t("dept.err.table", source=source, table=repr(unknown[0])))
    entries = data.get("department", [])
    if not isinstance(entries, list) or not entries:
        raise DepartmentError(t("dept.err.empty", source=source))
    lines = _lines(text)
    found: list[Department] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        line = lines[index] if index < len(lines) else 0
        where = (t("dept.where.line", source=source, line=line) if line
                 else t("dept.where.entry", source=source, n=index + 1))
        made = _entry(entry, where, categories)
        if made.name in seen:
            raise DepartmentError(t("dept.err.twice", where=where, name=repr(made.name),
                                    line=seen[made.name]))
        seen[made.name] = line
        found.append(made)
    return tuple(found)


def _entry(entry: object, where: str, categories: frozenset[str] | None) -> Department:
    if not isinstance(entry, dict):
        raise DepartmentError(t("dept.err.not_table", where=where))
    extra = sorted(set(entry) - FIELDS)
    if extra:
        raise DepartmentError(t("dept.err.field", where=where, field=repr(extra[0]),
                                 fields=", ".join(sorted(FIELDS))))
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise DepartmentError(t("dept.err.no_name", where=where))
    try:
        name = guard.check("name", name.strip(), MAX_NAME)
        district = guard.check("district", entry.get("district", ""), MAX_DISTRICT).strip()
    except guard.FieldError as exc:
        raise DepartmentError(f"{where}: {exc}") from None
    if name == OTHER or name.startswith(OTHER + OTHER_SEP):
        raise DepartmentError(t("dept.err.other", where=where, name=repr(name), other=OTHER))
    utility = entry.get("utility", "any")
    if utility not in UTILITIES:
        raise DepartmentError(t("dept.err.utility", where=where, known=", ".join(UTILITIES),
                                 value=repr(utility)))
    cats = entry.get("categories", [])
    if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
        raise DepartmentError(t("dept.err.categories", where=where))
    if categories is not None:
        for code in cats:
            if code not in categories:
                raise DepartmentError(t("dept.err.category", where=where, code=repr(code)))
    return Department(name, utility, tuple(cats), district)


def read_file(path: Path | str) -> tuple[str, tuple[Department, ...]]:
    """A centre's file, read and checked against the desk's categories (the loader's)."""
    from agentdesk.tickets import taxonomy

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DepartmentError(t("dept.err.read", path=str(path), error=str(exc))) from None
    return text, parse(text, str(path), frozenset(taxonomy.load().categories))


@cache
def shipped() -> tuple[Department, ...]:
    """The shipped list (``departments.toml``)."""
    return parse(DEFAULT_FILE.read_text(encoding="utf-8"), str(DEFAULT_FILE))


@lru_cache(maxsize=8)
def _with_centre(text: str | None) -> tuple[Department, ...]:
    if text is None:
        return shipped()
    try:
        return parse(text, "centre departments")
    except DepartmentError:
        return shipped()  # checked when loaded; a text this desk cannot use changes nothing


def for_session(session: Session | sa.Connection | sqlite3.Connection
                ) -> tuple[Department, ...]:
    """The list in force on this desk: the centre's when it has given one, else shipped."""
    from agentdesk.tickets.complaint_classes import central_text

    return _with_centre(central_text(session, CENTRAL_SETTING))


# --- the pick list ---------------------------------------------------------------------

@cache
def _readings(name: str) -> tuple[str, str]:
    from agentdesk.tickets.taxonomy import initials_and_full

    return initials_and_full(name)


def warm(departments: tuple[Department, ...]) -> None:
    """Work out every name's pinyin now (in a worker, not on the first keystroke)."""
    for dep in departments:
        _readings(dep.name)


@dataclass(frozen=True)
class Context:
    """What the ticket being dispatched says about where it should go."""

    utility: str = ""  # water / power ("" or any: not known)
    category: str = ""
    district: str = ""


def _fit(dep: Department, where: Context) -> int:
    """0: the caller's town's own crew; 1: listed for the category; 2: the utility's;
    3: another utility's; 4: another town's crew."""
    same = where.utility in ("", "any") or dep.utility in (where.utility, "any")
    if dep.district:
        return 0 if dep.district == where.district and same else 4
    if where.category and where.category in dep.categories:
        return 1
    return 2 if same else 3


def search(departments: tuple[Department, ...], query: str, where: Context = Context(),
           limit: int = 12) -> list[Department]:
    """Type-ahead (the category picker's rule, taxonomy.match_score): the best fits for
    the ticket first, then the better match, then the file's order."""
    from agentdesk.tickets.taxonomy import match_score

    scored: list[tuple[int, int, int, Department]] = []
    for order, dep in enumerate(departments):
        score = match_score(query, "", (dep.name,), *_readings(dep.name))
        if score is not None:
            scored.append((_fit(dep, where), score, order, dep))
    scored.sort(key=lambda s: s[:3])
    return [dep for *_, dep in scored[:limit]]


def context(session: Session, ticket_ref: str) -> Context:
    """The ticket's utility (its category's, else its customer's), category and the
    customer's district."""
    from sqlalchemy import text

    from agentdesk.tickets import service, taxonomy

    ticket = service.get(session, ticket_ref)
    cat = taxonomy.load().categories.get(ticket.category)
    utility = cat.utility if cat is not None else ""
    district = ""
    if ticket.customer_id:
        row = session.connection().execute(text(
            "SELECT utility, district FROM customer WHERE id = :i"),
            {"i": ticket.customer_id}).first()
        if row is not None:
            utility = utility if utility not in ("", "any") else row[0]
            district = row[1] or ""
    return Context(utility, ticket.category, district)


# --- dispatching -----------------------------------------------------------------------

def check(departments: tuple[Department, ...], name: str, note: str = "") -> str:
    """The department text a dispatch stores: a name on the list, or 其他 with a note
    (``其他：<note>``); anything else is refused with what to do (service.TicketError)."""
    from agentdesk.tickets.service import TicketError

    name, note = name.strip(), note.strip()
    if any(dep.name == name for dep in departments):
        return name
    if name.startswith(OTHER + OTHER_SEP) and not note:  # written out whole (the CLI)
        name, note = OTHER, name[len(OTHER + OTHER_SEP):].strip()
    if name in (OTHER, "other"):
        if not note:
            raise TicketError(t("dept.err.other_note"))
        return f"{OTHER}{OTHER_SEP}{note}"
    raise TicketError(t("dept.err.unknown", name=name))


def dispatch(session: Session, ticket_ref: str, agent_code: str, department: str,
             note: str = "") -> Ticket:
    """派单 to a department on the list in force (or 其他 with a note): the ticket service
    then checks the rest (an empty department, the owner, the workflow)."""
    from agentdesk.tickets import service

    if department.strip():
        department = check(for_session(session), department, note)
    return service.advance(session, ticket_ref, agent_code, "dispatched",
                           department=department)
