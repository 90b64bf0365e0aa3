"""One role-play session (no textual import): the throw-away training database, the
scenario clock and the caller's lines.

The training database is a fresh SQLite file in a private temporary folder, never the
desk's own: it is migrated like any desk database, gets the shipped knowledge base, then the
scenario's customers, notices, earlier tickets and calls. Nothing in it is ever synced (the
training app runs with no central store and no screen-pop socket) and the folder is removed
when the session ends.

What the trainee says to the caller is typed into the caller pane and kept in the training
database's audit log (action ``say``), timed by the scenario clock, like every other thing
the trainee does there: the rubric reads only that database.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from agentdesk.core.i18n import t
from agentdesk.training.scenario import Line, Scenario
from agentdesk.training.scenario_model import Said, Seeded

if TYPE_CHECKING:
    from sqlmodel import Session

    from agentdesk.core.config import Config
    from agentdesk.core.store import Store
    from agentdesk.training.rubric import Scorecard

SAY = "say"  # audit_log.action of a trainee's line to the caller
ESCALATED = "escalated"  # audit_log.action of a caller's escalation
HISTORY_AGENT = ("H0001", "前序坐席")  # the agent who took the scenario's earlier tickets

_templates: dict[str, Path] = {}


def _template() -> Path:
    """A migrated database holding the shipped knowledge base, built once per process and
    copied for every session (building it takes about a second)."""
    from agentdesk.core import store
    from agentdesk.kb import loader

    digest = loader.shipped_hash()
    if digest in _templates and _templates[digest].exists():
        return _templates[digest]
    folder = Path(tempfile.mkdtemp(prefix="agentdesk-train-template-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "template.db"
    desk = store.open_desk(path)  # no session hook: a training database never syncs
    try:
        loader.ensure_shipped(desk)
        with desk.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        desk.dispose()
    _templates[digest] = path
    return path


class TrainingRun:
    """A scenario being played by one trainee on a fresh training database."""

    def __init__(self, scenario: Scenario, trainee: str, agent_code: str,
                 agent_name: str = "", auto: bool = False, running_clock: bool = True,
                 workdir: Path | None = None) -> None:
        from agentdesk.tickets import taxonomy
        from agentdesk.training.scenario import article_titles

        taxonomy.load(), article_titles()  # read here, so the screens never read files
        self.scenario = scenario
        self.trainee = trainee.strip() or agent_code
        self.agent_code = agent_code
        self.agent_name = agent_name or self.trainee
        self.auto = auto
        self.running_clock = running_clock  # False: tests move the clock themselves
        self._own_dir = workdir is None
        self.workdir = Path(workdir) if workdir else Path(
            tempfile.mkdtemp(prefix="agentdesk-train-"))
        self.db_path = self.workdir / "training.db"
        self.seeded: Seeded | None = None
        self.transcript: list[Said] = []
        self.revealed: set[int] = set()
        self.fired: set[int] = set()  # escalations that happened
        self.started_wall = time.time()
        self._mono = time.monotonic()
        self.finished_at: datetime | None = None
        self.scorecard: Scorecard | None = None  # once finished
        self.saved: tuple[Path, Path] | None = None

    # --- the database -------------------------------------------------------------------

    def prepare(self) -> Seeded:
        """Freeze the clock at the scenario's start and build the training database."""
        from agentdesk.core import clock, private, store

        if self.db_path.exists():
            raise RuntimeError(t("msg.training.session.a_training_database_must",
                                 db_path=self.db_path))
        clock.freeze(self.scenario.start)
        private.copy(_template(), self.db_path)  # 0600, as every desk database
        desk = store.open_desk(self.db_path)
        try:
            self.seeded = seed(desk, self.scenario, self.agent_code, self.agent_name)
        finally:
            desk.dispose()
        clock.freeze(self.scenario.start)
        self.started_wall = time.time()
        self._mono = time.monotonic()
        return self.seeded

    def cleanup(self) -> None:
        """Remove the training database (the scorecard is saved elsewhere)."""
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # --- the clock ----------------------------------------------------------------------

    def sync_clock(self) -> datetime:
        """The scenario clock runs at wall speed from the scenario's start (unless a test
        drives it): called once a second by the training app."""
        from agentdesk.core import clock

        if self.running_clock and self.finished_at is None:
            return clock.freeze(self.scenario.start
                                + timedelta(seconds=time.monotonic() - self._mono))
        return clock.now()

    def elapsed(self) -> timedelta:
        from agentdesk.core import clock

        return (self.finished_at or clock.now()) - self.scenario.start

    # --- the caller's lines ---------------------------------------------------------------

    def _say(self, who: str, text: str) -> Said:
        from agentdesk.core import clock

        said = Said(who, text, clock.now())
        self.transcript.append(said)
        return said

    def next_line(self) -> Said | None:
        """The trainer's key (or the --auto timer): the caller says their next line that
        waits for no question. None when the caller has nothing more to volunteer."""
        for index, line in enumerate(self.scenario.lines):
            if index not in self.revealed and not line.ask:
                self.revealed.add(index)
                return self._say("caller", line.text)
        return None

    def pending(self) -> int:
        """Lines the caller has not said yet (questions not asked included)."""
        return len(self.scenario.lines) - len(self.revealed)

    def hear(self, text: str) -> list[Said]:
        """The trainee said ``text``: record it in the transcript, and return what the
        caller answers (lines waiting for this question) and any escalation it triggers."""
        self._say("trainee", text)
        replies: list[Said] = []
        for index, escalation in enumerate(self.scenario.escalations):
            if index not in self.fired and any(p in text for p in escalation.said):
                self.fired.add(index)
                replies.append(self._say("escalation", escalation.text))
        for index, line in enumerate(self.scenario.lines):
            if index not in self.revealed and _asked(line, text):
                self.revealed.add(index)
                replies.append(self._say("caller", line.text))
        return replies

    def tick(self) -> list[Said]:
        """Escalations due by the scenario clock (the caller kept waiting too long)."""
        minutes = self.elapsed().total_seconds() / 60
        out = []
        for index, escalation in enumerate(self.scenario.escalations):
            if (index not in self.fired and escalation.after_minutes is not None
                    and minutes >= escalation.after_minutes):
                self.fired.add(index)
                out.append(self._say("escalation", escalation.text))
        return out

    # --- records in the training database ---------------------------------------------

    def record(self, session: Session, said: Said, contact_id: str | None) -> None:
        """Keep a trainee line (``say``) or a caller's escalation in the audit log, at the
        scenario time it was said."""
        from agentdesk.core.models import AuditLog

        action = SAY if said.who == "trainee" else ESCALATED
        session.add(AuditLog(at=said.at, agent_id=self.agent_code, action=action,
                             entity="contact", entity_id=contact_id or "", detail=said.text))

    def finish(self, store: Store) -> Scorecard:
        """Stop the clock and score the session from the training database."""
        from agentdesk.core import clock
        from agentdesk.training import rubric

        if self.finished_at is None:
            self.finished_at = clock.now()
        with store.session() as session:
            self.scorecard = rubric.evaluate(session, self)
        return self.scorecard


def purge_stale(hours: float = 12) -> int:
    """Remove training folders left behind by sessions that were killed (a closed terminal
    never runs the clean-up): only this module's own prefix, only older than ``hours``."""
    cutoff = time.time() - hours * 3600
    removed = 0
    for folder in Path(tempfile.gettempdir()).glob("agentdesk-train-*"):
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


def training_config(config: Config, run: TrainingRun) -> Config:
    """The desk configuration for a session: the training database, no central store (a
    training session is never synced), the trainee at the desk, as an agent."""
    from dataclasses import replace

    return replace(config, db=str(run.db_path), central_url="", agent_id=run.agent_code,
                   agent_name=run.agent_name, role="agent")


def _asked(line: Line, text: str) -> bool:
    return bool(line.ask) and any(word in text for word in line.ask)


def seed(desk: Store, scenario: Scenario, agent_code: str, agent_name: str) -> Seeded:
    """Put the scenario's world into a training database."""
    from agentdesk.core import agents, clock, search_keys
    from agentdesk.tickets import service as tickets
    from agentdesk.core import areas
    from agentdesk.core.models import Contact, Customer, CustomerPhone, Notice

    customers: dict[str, str] = {}
    with desk.session() as session:
        agents.ensure(session, agent_code, agent_name)
        agents.ensure(session, *HISTORY_AGENT)
        rows = []
        for spec in scenario.customers:
            row = Customer(account_no=spec.account_no, name=spec.name, utility=spec.utility,
                           customer_class=spec.customer_class, district=spec.district,
                           street=spec.street, community=spec.community,
                           building=spec.building, unit=spec.unit, room=spec.room,
                           area_class=spec.area_class, meter_no=spec.meter_no,
                           meter_type=spec.meter_type, credit_list=spec.credit_list,
                           arrears_fen=spec.arrears_fen, arrears_periods=spec.arrears_periods,
                           tags=";".join(spec.tags), key_level=spec.key_level,
                           created_at=scenario.start - timedelta(days=365),
                           updated_at=scenario.start - timedelta(days=30))
            rows.append(row)
            customers[spec.key] = row.id
        session.add_all(rows)
        session.flush()
        for spec in scenario.customers:
            for position, e164 in enumerate(spec.phones):
                session.add(CustomerPhone(customer_id=customers[spec.key], e164=e164,
                                          position=position))
        session.flush()
        search_keys.refresh(session.connection().connection.driver_connection,
                            list(customers.values()))
        notices: dict[str, str] = {}
        titles: dict[str, str] = {}
        for spec in scenario.notices:
            notice = Notice(utility=spec.utility, kind=spec.kind, cause=spec.cause,
                            title=spec.title, areas=areas.dumps([areas.Area(
                                spec.district, spec.street, spec.community)]),
                            starts_at=spec.starts, ends_at=spec.ends,
                            created_at=min(spec.starts, scenario.start))
            session.add(notice)
            notices[spec.key], titles[spec.key] = notice.id, spec.title
        history_agent = agents.ensure(session, *HISTORY_AGENT).id
        for spec in scenario.contacts:
            session.add(Contact(channel=spec.channel, customer_id=customers[spec.customer],
                                agent_id=history_agent, started_at=spec.at,
                                ended_at=spec.at + timedelta(minutes=4), note=spec.note,
                                number=next(iter(scenario.customer(spec.customer).phones),
                                            "")))
        session.flush()
    ticket_ids: dict[str, str] = {}
    numbers: dict[str, str] = {}
    for spec in sorted(scenario.tickets, key=lambda s: s.created):
        clock.freeze(spec.created)
        with desk.session() as session:
            ticket = tickets.create(session, tickets.Draft(
                category=spec.category, description=spec.description,
                customer_id=customers[spec.customer],
                complained_party="供水/供电营业厅" if spec.category == "any.complaint" else "",
                complaint_class=_history_class(session, spec.category,
                                               customers[spec.customer])),
                HISTORY_AGENT[0])
            path = {"accepted": [], "dispatched": ["dispatched"],
                    "on_site": ["dispatched", "on_site"],
                    "resolved": ["dispatched", "on_site", "resolved"]}[spec.status]
            for step in path:
                clock.advance(timedelta(minutes=20))
                tickets.advance(session, ticket.id, HISTORY_AGENT[0], step,
                                department="属地抢修班组" if step == "dispatched" else "")
            ticket_ids[spec.key], numbers[spec.key] = ticket.id, ticket.number
    clock.freeze(scenario.start)
    return Seeded(customers, notices, titles, ticket_ids, numbers)


def _history_class(session: Session, category: str, customer_id: str) -> str:
    """A past complaint of a scenario is filed under its caller's utility's first class
    item (every complaint has one, issue 17); other tickets take none."""
    from agentdesk.core.models import Customer
    from agentdesk.tickets import complaint_classes, taxonomy

    if taxonomy.load().category(category).business_type != "complaint":
        return ""
    customer = session.get(Customer, customer_id)
    return complaint_classes.for_session(session).for_utility(
        customer.utility if customer else "")[0].code
