"""The scorecard (no textual import): each rubric check met or not, with the evidence read
from the training database: which action, at what time (the scenario clock).

What is read, all of it written by the real desk screens while the trainee worked:

* ``audit_log``: customer cards opened (``read``), the trainee's lines to the caller
  (``say``, from the caller pane) and the caller's escalations;
* ``ticket`` and ``ticket_event``: tickets the trainee opened (category, priority,
  deadlines, description, notes) and reports linked to an existing ticket;
* ``ticket_article``: knowledge-base articles linked to the trainee's tickets;
* ``contact``: the call and its notes (an outage notice the caller was told about).

"Notes" are everything the trainee wrote down: ticket descriptions, ticket notes, linked
reports and call notes. The score is the met checks' weight over the total, out of 100.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from agentdesk.tickets.taxonomy import Taxonomy
    from agentdesk.training.scenario_model import Check, Said, Scenario, Seeded

class Played(Protocol):
    """What the rubric reads of a played session (a session.TrainingRun): the rubric
    sits below the session, which calls it."""

    scenario: Scenario
    seeded: Seeded | None
    agent_code: str
    trainee: str
    transcript: list[Said]
    finished_at: datetime | None
    started_wall: float


NOTICE_TOLD = "已告知公告："  # what tickets.note_notice writes into the call's notes


@dataclass(frozen=True)
class Evidence:
    action: str  # what the trainee did, in words
    at: datetime | None  # when, by the scenario clock (None: the desk keeps no time for it)

    def as_json(self) -> dict:
        from agentdesk.core import clock

        return {"action": self.action,
                "at": clock.local(self.at).isoformat() if self.at else None}


@dataclass(frozen=True)
class CheckResult:
    id: str
    kind: str
    label: str
    weight: int
    met: bool
    evidence: tuple[Evidence, ...] = ()

    def as_json(self) -> dict:
        data = asdict(self)
        data["evidence"] = [e.as_json() for e in self.evidence]
        return data


@dataclass(frozen=True)
class Scorecard:
    scenario: str
    title: str
    level: int
    trainee: str
    agent_code: str
    started_at: datetime  # the scenario clock
    finished_at: datetime
    wall_started: float  # time.time() when the session began
    score: int
    pass_mark: int
    checks: tuple[CheckResult, ...]
    transcript: tuple[tuple[str, str, datetime], ...] = ()
    hidden: tuple[str, ...] = ()
    escalations: tuple[str, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return self.score >= self.pass_mark

    @property
    def seconds(self) -> int:
        return max(0, round((self.finished_at - self.started_at).total_seconds()))

    @property
    def missed(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.met]

    def as_json(self) -> dict:
        from agentdesk.core import clock

        return {
            "scenario": self.scenario, "title": self.title, "level": self.level,
            "trainee": self.trainee, "agent_code": self.agent_code,
            "started_at": clock.local(self.started_at).isoformat(),
            "finished_at": clock.local(self.finished_at).isoformat(),
            "wall_started": self.wall_started, "seconds": self.seconds,
            "score": self.score, "pass_mark": self.pass_mark, "passed": self.passed,
            "checks": [c.as_json() for c in self.checks],
            "transcript": [{"who": who, "text": said, "at": clock.local(at).isoformat()}
                           for who, said, at in self.transcript],
            "hidden": list(self.hidden), "escalations": list(self.escalations),
        }


@dataclass
class _Ticket:
    id: str
    number: str
    category: str
    priority: str
    business_type: str
    customer_id: str | None
    created_at: datetime
    dues: dict[str, datetime]
    texts: list[tuple[str, datetime]] = field(default_factory=list)  # description, notes


@dataclass
class _Facts:
    reads: list[tuple[datetime, str]]  # (at, customer id)
    said: list[tuple[datetime, str]]
    escalations: list[tuple[datetime, str]]
    tickets: list[_Ticket]  # opened by the trainee
    linked: list[tuple[datetime, str, str]]  # (at, ticket id, note): linked reports
    articles: list[tuple[datetime, str, str]]  # (at, ticket id, article id)
    contact_notes: list[tuple[datetime | None, str]]
    told: dict[str, datetime] = field(default_factory=dict)  # notice id -> when told

    def notes(self) -> list[tuple[datetime | None, str, str]]:
        """(at, where, text) of everything the trainee wrote down."""
        out: list[tuple[datetime | None, str, str]] = []
        for ticket in self.tickets:
            out += [(at, ticket.number, body) for body, at in ticket.texts]
        out += [(at, "linked", note) for at, _, note in self.linked if note]
        out += [(at, "contact", note) for at, note in self.contact_notes if note]
        return out


def _load(value: str | None) -> datetime | None:
    from agentdesk.core.models import UTCDateTime

    return UTCDateTime().process_result_value(value, None)


def gather(session: Session, agent_code: str, since: datetime) -> _Facts:
    """What the trainee did, from the training database."""
    from agentdesk.core.models import utc_text

    conn = session.connection()
    agent_id = conn.execute(text("SELECT id FROM agent WHERE code = :c"),
                            {"c": agent_code}).scalar()
    audit = conn.execute(text(
        "SELECT at, action, entity_id, detail FROM audit_log WHERE agent_id = :c "
        "AND at >= :since ORDER BY at, rowid"), {"c": agent_code, "since": utc_text(since)}
    ).all()
    reads = [(_load(a), eid) for a, action, eid, _ in audit if action == "read"]
    said = [(_load(a), detail) for a, action, _, detail in audit if action == "say"]
    escalations = [(_load(a), detail) for a, action, _, detail in audit
                   if action == "escalated"]
    tickets: list[_Ticket] = []
    for row in conn.execute(text(
            "SELECT id, number, category, priority, business_type, customer_id, created_at, "
            "description, due_first_response, due_arrival, due_resolution FROM ticket "
            "WHERE first_responder_id = :a ORDER BY created_at, number"), {"a": agent_id}):
        created = _load(row[6])
        dues = {name: _load(value) for name, value in zip(
            ("first_response", "arrival", "resolution"), row[8:11]) if value}
        ticket = _Ticket(row[0], row[1], row[2], row[3], row[4], row[5], created, dues,
                         [(row[7] or "", created)])
        for note, at in conn.execute(text(
                "SELECT note, at FROM ticket_event WHERE ticket_id = :t AND kind = 'note' "
                "ORDER BY at, rowid"), {"t": row[0]}):
            ticket.texts.append((note, _load(at)))
        tickets.append(ticket)
    linked = [(_load(at), tid, note or "") for at, tid, note in conn.execute(text(
        "SELECT at, ticket_id, note FROM ticket_event WHERE kind = 'linked_report' "
        "AND agent_id = :a ORDER BY at, rowid"), {"a": agent_id})]
    articles = [(_load(at), tid, aid) for at, tid, aid in conn.execute(text(
        "SELECT at, ticket_id, article_id FROM ticket_article WHERE agent_id = :a "
        "OR ticket_id IN (SELECT id FROM ticket WHERE first_responder_id = :a) "
        "ORDER BY at"), {"a": agent_id})]
    contact_notes = [(None, note) for (note,) in conn.execute(text(
        "SELECT note FROM contact WHERE agent_id = :a AND started_at >= :since "
        "ORDER BY started_at"), {"a": agent_id, "since": utc_text(since)})]
    told: dict[str, datetime] = {}
    for a, action, eid, _ in audit:
        if action == "notice_told":
            told.setdefault(eid, _load(a))
    return _Facts(reads, said, escalations, tickets, linked, articles, contact_notes, told)


def _compact(value: str) -> str:
    return re.sub(r"\s+", "", value).lower()


def greets_with(code: str, said: str) -> bool:
    """The first words carry the staff number: the code as written (A1001) or its digits
    as agents say them (1001号, 工号1001, 工号是1001); 21001号 is not 1001."""
    flat, code = _compact(said), _compact(code)
    if code in flat:
        return True
    digits = re.sub(r"\D", "", code)
    return bool(digits) and re.search(
        rf"(?<!\d){digits}号|工号[是为:：]?[a-z]*{digits}(?!\d)", flat) is not None


def _contains(haystack: str, phrases: Iterable[str]) -> str | None:
    flat = _compact(haystack)
    return next((p for p in phrases if _compact(p) in flat), None)


def promised_forms(ticket: _Ticket) -> set[str]:
    """The ways of telling the caller a ticket's promised time: the deadline's clock time
    (02:30 or 2:30; 11月27日 for a deadline a day or more away) or the time from the
    ticket's creation (30分钟, 2小时, 1个小时)."""
    from agentdesk.core import clock

    forms: set[str] = set()
    for due in ticket.dues.values():
        local = clock.local(due)
        minutes = round((due - ticket.created_at).total_seconds() / 60)
        forms.update({local.strftime("%H:%M"), f"{local.hour}:{local.minute:02d}"})
        if minutes >= 24 * 60:
            forms.add(f"{local.month}月{local.day}日")
            forms.add(f"{local.month}月{local.day}号")
        if 0 < minutes:
            forms.add(f"{minutes}分钟")
            if minutes % 60 == 0:
                forms.update({f"{minutes // 60}小时", f"{minutes // 60}个小时"})
    return forms


def _when(value: datetime | None) -> str:
    from agentdesk.core import clock

    return clock.local(value).strftime("%H:%M:%S") if value else "—"


def _ticket_words(ticket: _Ticket) -> str:
    from agentdesk.core import i18n
    from agentdesk.tickets import taxonomy

    cat = taxonomy.load().categories.get(ticket.category)
    label = cat.label(i18n.lang()) if cat else ticket.category
    return t("training.ev.ticket", number=ticket.number, category=label,
             priority=t(f"priority.{ticket.priority}"))


def evaluate(session: Session, run: Played) -> Scorecard:
    """Score ``run`` from its training database."""
    from agentdesk.core import clock
    from agentdesk.tickets import taxonomy

    scenario, seeded = run.scenario, run.seeded
    facts = gather(session, run.agent_code, scenario.start)
    tax = taxonomy.load()
    names = {c.key: f"{c.name}（{c.account_no}）" for c in scenario.customers}
    by_id = {v: k for k, v in seeded.customers.items()}
    results: list[CheckResult] = []

    def for_customer(check: Check) -> list[_Ticket]:
        cid = seeded.customers.get(check.customer) if check.customer else None
        return [tk for tk in facts.tickets if cid is None or tk.customer_id == cid]

    for check in scenario.checks:
        evidence: list[Evidence] = []
        met = False
        kind = check.kind
        if kind == "greeting":
            if facts.said:
                at, first = facts.said[0]
                met = greets_with(run.agent_code, first)
                evidence.append(Evidence(t("training.ev.said", text=first), at))
        elif kind == "lookup":
            target = seeded.customers[check.customer]
            for at, cid in facts.reads:
                if cid == target:
                    met = True
                    evidence = [Evidence(t("training.ev.read", customer=names[check.customer]),
                                         at)]
                    break
                who = names.get(by_id.get(cid, ""), cid)
                evidence.append(Evidence(t("training.ev.read", customer=who), at))
        elif kind == "ticket":
            wanted = {tk.id for tk in for_customer(check)}
            for tk in facts.tickets:  # every ticket opened is evidence of the choice made
                if tk.id in wanted and tk.category == check.category and (
                        not check.priority or tk.priority == check.priority):
                    met = True
                    evidence = [Evidence(_ticket_words(tk), tk.created_at)]
                    break
                evidence.append(Evidence(_ticket_words(tk), tk.created_at))
        elif kind == "no_ticket":
            wrong = [tk for tk in for_customer(check)
                     if tk.business_type == check.business_type]
            met = not wrong
            evidence = [Evidence(_ticket_words(tk), tk.created_at) for tk in wrong] or [
                Evidence(t("training.ev.none"), None)]
        elif kind == "notice":
            title = seeded.notice_titles[check.notice]
            told_at = facts.told.get(seeded.notices[check.notice])
            if told_at is not None:
                met = True
                evidence.append(Evidence(t("training.ev.notice", title=title), told_at))
            for at, note in facts.contact_notes if not met else ():
                if f"{NOTICE_TOLD}{title}" in note:
                    met = True
                    evidence.append(Evidence(t("training.ev.notice", title=title), at))
                    break
        elif kind == "linked":
            target = seeded.tickets[check.ticket]
            for at, tid, note in facts.linked:
                if tid == target:
                    met = True
                    evidence.append(Evidence(t("training.ev.linked",
                                               number=seeded.ticket_numbers[check.ticket]),
                                             at))
                    break
        elif kind == "article":
            for at, tid, aid in facts.articles:
                if aid == check.article:
                    met = True
                    number = next((tk.number for tk in facts.tickets if tk.id == tid), tid)
                    evidence.append(Evidence(t("training.ev.article", article=aid,
                                               number=number), at))
                    break
        elif kind in ("callback", "vulnerability"):
            if kind == "callback":
                wanted = [check.phrases]  # any one of these
            else:
                wanted = [(tag,) for tag in scenario.customer(check.customer).tags]  # each
            for tk in for_customer(check):
                for body, at in tk.texts:
                    if all(_contains(body, group) for group in wanted):
                        met = True
                        evidence = [Evidence(t("training.ev.noted", number=tk.number,
                                               text=body[:60]), at)]
                        break
                if met:
                    break
        elif kind == "promise":
            for tk in facts.tickets:
                forms = promised_forms(tk)
                for at, line in facts.said:
                    if at >= tk.created_at and _contains(line, forms):
                        met = True
                        evidence = [Evidence(t("training.ev.said", text=line), at)]
                        break
                if met:
                    break
        elif kind in ("phrase", "forbid"):
            pool: list[tuple[datetime | None, str]] = []
            if check.where in ("said", "any"):
                pool += facts.said
            if check.where in ("notes", "any"):
                pool += [(at, body) for at, _, body in facts.notes()]
            hits = [(at, body) for at, body in pool if _contains(body, check.phrases)]
            met = bool(hits) if kind == "phrase" else not hits
            evidence = [Evidence(t("training.ev.phrase", text=body[:60]), at)
                        for at, body in hits[:3]] or ([Evidence(t("training.ev.none"), None)]
                                                      if kind == "forbid" else [])
        elif kind == "no_escalation":
            met = not facts.escalations
            evidence = [Evidence(t("training.ev.escalated", text=body), at)
                        for at, body in facts.escalations] or [
                Evidence(t("training.ev.none"), None)]
        results.append(CheckResult(check.id, kind, check.label or label(check, scenario, tax),
                                   check.weight, met, tuple(evidence)))
    total = sum(r.weight for r in results) or 1
    score = round(100 * sum(r.weight for r in results if r.met) / total)
    transcript = tuple((s.who, s.text, s.at) for s in run.transcript)
    return Scorecard(scenario.id, scenario.title, scenario.level, run.trainee, run.agent_code,
                     scenario.start, run.finished_at or clock.now(), run.started_wall, score,
                     scenario.pass_mark, tuple(results), transcript, scenario.hidden,
                     tuple(body for _, body in facts.escalations))


def label(check: Check, scenario: Scenario, tax: Taxonomy) -> str:
    """The check in words, when the scenario gives no label of its own."""
    from agentdesk.core import i18n

    def who(key: str) -> str:
        if not key:
            return t("training.check.anyone")
        spec = scenario.customer(key)
        return f"{spec.name}（{spec.account_no}）"

    values: dict[str, object] = {"customer": who(check.customer)}
    if check.category:
        values["category"] = tax.categories[check.category].label(i18n.lang())
    values["priority"] = t(f"priority.{check.priority}") if check.priority else ""
    if check.business_type:
        values["business_type"] = tax.business_types[check.business_type][
            0 if i18n.lang() == "zh" else 1]
    if check.notice:
        values["notice"] = next(n.title for n in scenario.notices if n.key == check.notice)
    if check.ticket:
        values["ticket"] = next(tk.description for tk in scenario.tickets
                                if tk.key == check.ticket)[:30]
    if check.article:
        from agentdesk.training.scenario import article_titles

        title = article_titles().get(check.article)
        values["article"] = f"《{title}》" if title else check.article
    values["phrases"] = " / ".join(check.phrases)
    key = f"training.check.{check.kind}"
    if check.kind == "ticket" and check.priority:
        key = "training.check.ticket_priority"
    text_ = t(key, **values)
    return text_
