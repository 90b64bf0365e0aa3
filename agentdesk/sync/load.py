"""Loading reference data into the central store: customers (the desk's CSV format),
knowledge-base articles (the desk's Markdown format) and the SLA policy (the desk's TOML
format). Desks receive them by pulling."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from agentdesk.core import clock
from agentdesk.core.ids import new_id
from agentdesk.sync.central import T, Central

if TYPE_CHECKING:
    from agentdesk.customers.csvio import ImportReport, OnBad
    from agentdesk.kb.loader import KbImportReport

BATCH = 5000


def customers(central: Central, path: Path | str, *, encoding: str | None = None,
              batch: int = BATCH, on_bad: OnBad | None = None) -> ImportReport:
    """Upsert the customers of a CSV file (same rules and report as the desk's import:
    ``csvio.CustomerReader``) by account number; each batch is one central transaction
    logged for the desks. ``on_bad`` gets every bad row, as the desk's import gives it."""
    from agentdesk.customers import csvio

    report = csvio.ImportReport(file=str(Path(path)))
    pending: list[tuple[str, tuple, list]] = []
    with csvio.CustomerReader(path, report, encoding, on_bad) as reader:
        for row in reader:
            pending.append((row.account, row.values, row.numbers))
            if len(pending) >= batch:
                _write(central, pending, report)
                pending.clear()
    _write(central, pending, report)
    return report


def _write(central: Central, batch: list[tuple[str, tuple, list]],
           report: ImportReport) -> None:
    from agentdesk.customers import csvio as io

    if not batch:
        return
    customer = T["customer"]
    accounts = [a for a, _, _ in batch]
    with central.reading() as conn:
        known = dict(conn.execute(sa.select(customer.c.account_no, customer.c.id)
                                  .where(customer.c.account_no.in_(accounts))).all())
    now = clock.now()
    rows, phones = [], {}
    for account, values, numbers in batch:
        cid = known.get(account) or new_id()
        row = {"id": cid, "account_no": account, **dict(zip(io.OWNED, values)),
               **io.EXTRA, "created_at": now, "updated_at": now}
        rows.append(row)
        phones[cid] = [{"id": new_id(), "customer_id": cid, "e164": e164, "kind": kind,
                        "position": position}
                       for position, (e164, kind) in enumerate(numbers)]
    report.updated += sum(1 for a in accounts if a in known)
    report.inserted += sum(1 for a in accounts if a not in known)
    central.upsert_rows("customer", rows, phones)


def articles(central: Central, folder: Path | str) -> KbImportReport:
    """Upsert every ``*.md`` article under ``folder`` by id (the desk's rules)."""
    from dataclasses import asdict

    from agentdesk.kb import loader

    folder = Path(folder).expanduser()
    report = loader.KbImportReport(folder=str(folder))
    parsed = loader.read_folder(folder, report)
    if not folder.is_dir():
        return report
    rows = [{**asdict(article), "updated_at": clock.now()} for article in parsed]
    seen = [article.id for article in parsed]
    kb = T["kb_article"]
    with central.reading() as conn:
        known = set(conn.execute(sa.select(kb.c.id).where(kb.c.id.in_(list(seen)))).scalars())
    report.inserted = len(rows) - len(known)
    report.updated = len(known)
    central.upsert_rows("kb_article", rows)
    return report


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
        raise classes.ClassError(f"{path}: cannot be read: {exc}") from None
    found = classes.parse(text, str(path))
    utilities = sorted({c.utility for c in found.first.values()})
    if not found.items:
        raise classes.ClassError(f"{path}: no complaint_items: a centre's list needs its items")
    return ClassesLoad(str(path), central.put_setting(classes.CENTRAL_SETTING, text), utilities)


def agent_role(central: Central, code: str, role: str, name: str = "") -> None:
    """Set an agent's role at the centre (the role the centre checks: a 督办 or a notice
    from a desk whose agent is not a supervisor here is refused). An agent the centre has
    not met yet is added under the id every desk gives that 工号; desks pull the role."""
    from agentdesk.core import agents

    agent = T["agent"]
    with central.reading() as conn:
        row = conn.execute(sa.select(agent).where(agent.c.code == code)).mappings().first()
    if row is None:
        row = {"id": agents.agent_id(code), "code": code, "name": name or code,
               "team": "", "on_shift": True, "created_at": clock.now()}
    central.upsert_rows("agent", [{**row, "role": role,
                                   **({"name": name} if name else {})}])
