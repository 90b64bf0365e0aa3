"""Loading reference data into the central store: customers (the desk's CSV format),
knowledge-base articles (the desk's Markdown format) and the SLA policy (the desk's TOML
format). Desks receive them by pulling."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from agentdesk.core.i18n import t
from agentdesk.core import clock
from agentdesk.core.ids import new_id
from agentdesk.sync.central import T, Central

if TYPE_CHECKING:
    from agentdesk.customers.csvio import ImportReport, OnBad
    from agentdesk.kb.loader import KbImportReport

BATCH = 5000


def customers(central: Central, path: Path | str, *, encoding: str | None = None,
              batch: int = BATCH, on_bad: OnBad | None = None,
              copy: bool = True) -> ImportReport:
    """Upsert the customers of a CSV file (same rules and report as the desk's import:
    ``csvio.CustomerReader``) by account number; ``on_bad`` gets every bad row, as the
    desk's import gives it. A row the centre already holds as it is (its columns and its
    phones) is counted unchanged and neither written nor logged: a re-load of the same
    file writes nothing. A PostgreSQL centre streams the file through COPY and merges it
    in set-based SQL, one transaction (:mod:`agentdesk.sync.copyload`); otherwise (a
    SQLite centre, or ``copy=False``: the row path, kept as the benchmark's baseline)
    each batch is one central transaction logged for the desks."""
    from agentdesk.customers import csvio

    if copy and central.dialect == "postgresql":
        from agentdesk.sync import copyload

        return copyload.customers(central, path, encoding=encoding, on_bad=on_bad)
    report = csvio.ImportReport(file=str(Path(path)))
    pending: list[tuple[str, tuple, list]] = []
    with csvio.CustomerReader(path, report, encoding, on_bad) as reader:
        for row in reader:
            pending.append((row.account, row.values, row.numbers))
            if len(pending) >= batch:
                _write(central, pending, report, reader.columns)
                pending.clear()
        _write(central, pending, report, reader.columns)
    return report


def _write(central: Central, batch: list[tuple[str, tuple, list]],
           report: ImportReport, columns: tuple[str, ...]) -> None:
    from agentdesk.customers import csvio as io

    if not batch:
        return
    customer, phone = T["customer"], T["customer_phone"]
    accounts = [a for a, _, _ in batch]
    absent = [c for c in io.EXTRA if c not in columns]  # kept as they are on an update
    with central.reading() as conn:
        found = conn.execute(sa.select(customer.c.account_no, customer.c.id,
                                       customer.c.created_at,
                                       *(customer.c[c] for c in columns),
                                       *(customer.c[c] for c in absent))
                             .where(customer.c.account_no.in_(accounts))).all()
        old_phones: dict[str, list[str]] = {}
        for cid, e164 in conn.execute(
                sa.select(phone.c.customer_id, phone.c.e164)
                .where(phone.c.customer_id.in_([r[1] for r in found]))
                .order_by(phone.c.customer_id, phone.c.position)):
            old_phones.setdefault(cid, []).append(e164)
    width = len(columns)
    known = {r[0]: (r[1], r[2], tuple(r[3:3 + width])) for r in found}
    kept = {r[0]: dict(zip(absent, r[3 + width:])) for r in found}
    now = clock.now()
    rows, phones = [], {}
    for account, values, numbers in batch:
        same_phones = False
        if account in known:
            cid, created, old = known[account]
            same_phones = old_phones.get(cid, []) == [e for e, _ in numbers]
            if old == values and same_phones:
                report.unchanged += 1
                continue
            report.updated += 1
        else:
            cid, created = new_id(), now
            report.inserted += 1
        # The file's columns (csv_columns: the optional ones it has); the others keep their
        # value on an update (as the desk's import does) and get the default on an insert.
        row = {"id": cid, "account_no": account, **io.EXTRA, **kept.get(account, {}),
               **dict(zip(columns, values)), "created_at": created, "updated_at": now}
        rows.append(row)
        if same_phones:  # kept, ids and all: desks have nothing to rewrite
            continue
        phones[cid] = [{"id": new_id(), "customer_id": cid, "e164": e164, "kind": kind,
                        "position": position}
                       for position, (e164, kind) in enumerate(numbers)]
    if rows:
        central.upsert_rows("customer", rows, phones)


def articles(central: Central, folder: Path | str) -> KbImportReport:
    """Upsert every ``*.md`` article under ``folder`` by id (the desk's rules); one with a
    time-limit placeholder the centre's policy cannot answer is skipped, with why."""
    from dataclasses import asdict

    from agentdesk.kb import loader

    folder = Path(folder).expanduser()
    report = loader.KbImportReport(folder=str(folder))
    parsed = loader.read_folder(folder, report)
    if not folder.is_dir():
        return report
    parsed = _placeholders_checked(central, parsed, report)
    rows = [{**asdict(article), "updated_at": clock.now()} for article in parsed]
    seen = [article.id for article in parsed]
    kb = T["kb_article"]
    with central.reading() as conn:
        known = set(conn.execute(sa.select(kb.c.id).where(kb.c.id.in_(list(seen)))).scalars())
    report.inserted = len(rows) - len(known)
    report.updated = len(known)
    central.upsert_rows("kb_article", rows)
    return report


def _placeholders_checked(central: Central, parsed: list, report: KbImportReport) -> list:
    """The articles whose time-limit placeholders the centre's policy answers; each other
    one is skipped with what is wrong (a desk would show 【时限未定义】 in its answer)."""
    from agentdesk.tickets import sla, sla_text

    policy = sla.load_policy(central_text=central.setting(sla.CENTRAL_SETTING))
    good = []
    for article in parsed:
        wrong = sla_text.problems(article.body, policy)
        if wrong:
            report.errors.append((article.id, "; ".join(wrong)))
        else:
            good.append(article)
    return good


class SlaLoad:
    """What ``agentdesk central load sla`` did."""

    errors: tuple = ()  # a broken file raises sla.SlaError instead: nothing is stored

    def __init__(self, file: str, seq: int | None) -> None:
        self.file, self.seq = file, seq  # seq: the change-log entry; None: already there

    def format(self) -> str:
        if self.seq is None:
            return f"{self.file}: the centre already has this SLA policy; nothing changed"
        return (f"{self.file}: SLA policy stored at the centre (change {self.seq}); desks "
                "use it from their next sync")


def sla_policy(central: Central, path: Path | str) -> SlaLoad:
    """Store a TOML SLA policy as the centre's (``central_setting`` ``sla_policy``), after
    checking it as a desk reads it: over the shipped defaults (sla.load_policy). The text
    checked is the text stored (read once). A broken file raises sla.SlaError naming the
    file and line, and nothing is written; the same text again writes nothing."""
    from agentdesk.tickets import sla

    text = sla.read_text(path)
    sla.load_policy(central_text=text, central_source=str(path))
    return SlaLoad(str(path), central.put_setting(sla.CENTRAL_SETTING, text))


class ClassesLoad:
    """What ``agentdesk central load complaint-classes`` did."""

    errors: tuple = ()  # a broken file raises ClassError instead: nothing is stored

    def __init__(self, file: str, seq: int | None, utilities: list[str]) -> None:
        self.file, self.seq, self.utilities = file, seq, utilities

    def format(self) -> str:
        if self.seq is None:
            return f"{self.file}: the centre already has these complaint classes; nothing changed"
        return (f"{self.file}: complaint classes of {', '.join(self.utilities)} stored at the "
                f"centre (change {self.seq}); desks use them from their next sync")


def complaint_classes(central: Central, path: Path | str) -> ClassesLoad:
    """Store a TOML file of complaint classes (the taxonomy's shape) as the centre's
    (``central_setting`` ``complaint_classes``): each utility it names replaces the shipped
    list of that utility on every desk. Checked first; a broken file raises ClassError
    naming the file, and nothing is written."""
    from agentdesk.tickets import complaint_classes as classes

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise classes.ClassError(t("msg.sync.load.cannot_be_read", path=path, exc=exc)) from None
    found = classes.parse(text, str(path))
    utilities = sorted({c.utility for c in found.first.values()})
    if not found.items:
        raise classes.ClassError(t("msg.sync.load.no_complaint_items_a", path=path))
    return ClassesLoad(str(path), central.put_setting(classes.CENTRAL_SETTING, text), utilities)


class DepartmentsLoad:
    """What ``agentdesk central load departments`` did."""

    errors: tuple = ()  # a broken file raises DepartmentError instead: nothing is stored

    def __init__(self, file: str, seq: int | None, count: int) -> None:
        self.file, self.seq, self.count = file, seq, count

    def format(self) -> str:
        from agentdesk.core.i18n import t

        if self.seq is None:
            return t("dept.load.same", file=self.file)
        return t("dept.load.done", file=self.file, n=self.count, seq=self.seq)


def departments(central: Central, path: Path | str) -> DepartmentsLoad:
    """Store a TOML list of departments and crews (the shape of the shipped
    ``tickets/departments.toml``) as the centre's (``central_setting`` ``departments``):
    it replaces the shipped list on every desk (the dispatch pick list). Checked first
    (names, utilities, the categories named, districts); a broken file raises
    DepartmentError naming the file, line and field, and nothing is written; the same
    text again writes nothing."""
    from agentdesk.tickets import departments as deps

    text, found = deps.read_file(path)
    return DepartmentsLoad(str(path), central.put_setting(deps.CENTRAL_SETTING, text),
                           len(found))


def flag(central: Central, name: str, on: bool) -> int | None:
    """Set one of the centre's yes/no settings (``central_setting`` NAME = on / off) that
    desks pull: ``desk_may_create_customers``. The change-log seq, or None: unchanged."""
    return central.put_setting(name, "on" if on else "off")


class CalendarLoad:
    """What ``agentdesk central load calendar`` did."""

    errors: tuple = ()  # a broken file raises sla.SlaError instead: nothing is stored

    def __init__(self, file: str, seq: int | None, years: list[int]) -> None:
        self.file, self.seq, self.years = file, seq, years

    def format(self) -> str:
        from agentdesk.core.i18n import t

        if self.seq is None:
            return t("calendar.same", file=self.file)
        return t("calendar.loaded", file=self.file, seq=self.seq,
                 years=", ".join(map(str, self.years)) or "-")


def calendar(central: Central, path: Path | str) -> CalendarLoad:
    """Store a holiday calendar (TOML: only a ``[calendar]`` table, as in the SLA policy:
    working_days, working_hours, ``[[calendar.holiday]]`` entries) as the centre's
    (``central_setting`` ``calendar``). It overrides and extends the chinese-calendar
    package on every desk (agentdesk.core.workcal). Checked as a desk reads it: over the
    shipped defaults and the centre's SLA policy; a broken file raises sla.SlaError naming
    the file and line, and nothing is written; the same text again writes nothing."""
    from agentdesk.tickets import sla

    text = sla.read_text(path)
    sla.load_policy(central_text=central.setting(sla.CENTRAL_SETTING), calendar_text=text,
                    calendar_source=str(path))
    years = sorted(_named_years(text))
    return CalendarLoad(str(path), central.put_setting(sla.CENTRAL_CALENDAR, text), years)


def _named_years(text: str) -> set[int]:
    """The years the calendar file's holidays name (it was checked: it parses)."""
    import tomllib

    entries = tomllib.loads(text).get("calendar", {}).get("holiday", [])
    return {entry["start"].year if hasattr(entry["start"], "year")
            else int(str(entry["start"])[:4]) for entry in entries}


def agent_role(central: Central, code: str, role: str | None = None, name: str = "",
               pin_hash: str | None = None) -> None:
    """Set an agent's role at the centre (the role the centre checks: a 督办 or a notice
    from a desk whose agent is not a supervisor here is refused) and/or the screen lock's
    PIN (its salted hash, :func:`agentdesk.core.agents.hash_pin`; the PIN itself never
    reaches here). An agent the centre has not met yet is added under the id every desk
    gives that 工号, as a plain agent; desks pull the role and the PIN hash."""
    from agentdesk.core import agents

    agent = T["agent"]
    with central.reading() as conn:
        row = conn.execute(sa.select(agent).where(agent.c.code == code)).mappings().first()
    if row is None:
        row = {"id": agents.agent_id(code), "code": code, "name": name or code,
               "team": "", "on_shift": True, "created_at": clock.now(), "role": "agent",
               "pin_hash": ""}
    central.upsert_rows("agent", [{**row, **({"role": role} if role else {}),
                                   **({"name": name} if name else {}),
                                   **({"pin_hash": pin_hash} if pin_hash is not None
                                      else {})}])
