"""One desk of the simulated day (``agentdesk bench day``), run as its own process:
``python -m bench.day_desk PLAN.json``.

It drives the services the screens use, on its own desk file, with the day's fast clock
(``AGENTDESK_NOW`` / ``AGENTDESK_SPEED``, set by the orchestrator): each planned call is
rung (``contacts.record_call``), the caller's card read, then answered from the
knowledge base or turned into a ticket; the desk's own tickets go through dispatch, on
site, resolution and the call-back (some 不满意, which reopen); outreach calls of its
share are made; a supervisor desk publishes the outage notice and opens the incident.
It syncs every ``sync_every`` simulated seconds, except while its plan says it is
offline or before it joins. What it did is written to ``out`` as JSON when it ends
(and after every sync, so a desk killed -9 leaves what it had done until then).
"""

from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agentdesk.core import clock

WORK_STEPS = ("dispatched", "on_site", "resolved")
HANDOVER_SHARE = 0.05  # of new tickets, handed to a colleague before dispatch
SATISFACTION = (("满意", 0.80), ("非常满意", 0.10), ("基本满意", 0.05), ("不满意", 0.05))


def _waiting(store: Any) -> int:
    from agentdesk.sync import engine

    return engine.waiting(store)


@dataclass
class Work:
    """When this desk next moves one of its tickets."""

    number: str
    at: datetime
    step: int = 0  # index into WORK_STEPS; len(WORK_STEPS): the call-back


@dataclass
class Log:
    created: list[str] = field(default_factory=list)  # ticket numbers
    calls: int = 0
    answered: int = 0  # from the knowledge base, no ticket
    steps: int = 0
    callbacks: int = 0
    reopened: int = 0
    outreach: int = 0
    chases: int = 0
    claims: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    syncs: list[tuple[float, float]] = field(default_factory=list)  # (sim hour, seconds)
    # (wall epoch s, pull cursor) after each sync: when the others' changes arrived here
    cursors: list[tuple[float, int]] = field(default_factory=list)
    sync_failures: int = 0
    notice: str = ""
    incident: str = ""
    code: str = ""
    name: str = ""
    handovers: int = 0
    dubans: list[str] = field(default_factory=list)  # the supervisor's 督办: ticket numbers
    acks: int = 0  # 签收: this desk's answers to the 督办 of its tickets
    max_rss_mb: float = 0.0
    done: bool = False


def _minutes(rng: random.Random, lo: float, hi: float) -> timedelta:
    return timedelta(minutes=rng.uniform(lo, hi))


class DayDesk:
    def __init__(self, plan: dict[str, Any]) -> None:
        from agentdesk.sync import outbox

        self.plan = plan
        self.rng = random.Random(plan["seed"])
        self.code, self.name = plan["code"], plan["name"]
        self.start = clock.parse_instant(plan["start"])
        self.end = clock.parse_instant(plan["end"])
        self.store = outbox.open_syncing_desk(Path(plan["db"]))
        self.centre = None
        self.log = Log(code=self.code, name=self.name)
        self.work: list[Work] = []
        self.next_sync = clock.now()
        self.duban_seen = 0  # the last ticket_event rowid looked at for 督办
        self.duban_tickets: set[str] = set()  # with a 督办 maybe unanswered, not yet mine
        self.out = Path(plan["out"])
        if self.out.exists():  # restarted after a kill: carry on from what it had done
            old = json.loads(self.out.read_text(encoding="utf-8"))
            self.log = Log(**{k: v for k, v in old.items() if k in Log.__dataclass_fields__})
            self.log.done = False
        with self.store.session() as s:
            from agentdesk.core import agents

            agents.ensure(s, self.code, self.name)
            s.commit()
        if plan.get("standalone") and not self.log.calls:
            from agentdesk.customers import csvio  # its own past: the same file, alone

            csvio.import_customers(self.store, plan["csv"], agent=self.code)

    # --- helpers ---------------------------------------------------------------------

    def at(self, offset_s: float) -> datetime:
        return self.start + timedelta(seconds=offset_s)

    def online(self, now: datetime) -> bool:
        hours = (now - self.start).total_seconds() / 3600
        join = self.plan.get("join_at_h")
        if join is not None and hours < join:
            return False
        off = self.plan.get("offline_h")
        return not (off and off[0] <= hours < off[1])

    def hook(self, point: str) -> None:
        """The sync's named points: the driver arms a kill -9 at one of them by writing
        ``kill-<code>.json`` ({"point": ...}) beside the plan (issue 22: a desk killed
        -9 *mid-sync*). The marker goes first, so the restarted desk carries on; what
        was hit is written for the report."""
        from agentdesk.sync.bookkeeping import crash_point

        crash_point(point)  # AGENTDESK_SYNC_CRASH_AT still works under the bench
        marker = self.out.with_name(f"kill-{self.code}.json")
        if not marker.exists():
            return
        armed = json.loads(marker.read_text(encoding="utf-8"))
        if point != armed.get("point"):
            return
        import os
        import signal

        marker.unlink()
        self.out.with_name(f"killed-{self.code}.json").write_text(json.dumps(
            {"point": point, "at": clock.local().isoformat(timespec="seconds"),
             "outbox": _waiting(self.store)}), encoding="utf-8")
        os.kill(os.getpid(), signal.SIGKILL)

    def save(self) -> None:
        tmp = self.out.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.log.__dict__, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.out)

    def error(self, what: str, exc: BaseException) -> None:
        self.log.errors.append(f"{clock.local():%H:%M} {what}: {exc}"[:300])

    # --- the day ---------------------------------------------------------------------

    def sync(self, final: bool = False) -> bool:
        from agentdesk.sync import central, engine

        try:
            if self.centre is None:
                self.centre = central.connect(self.plan["central"], pool_size=1)
            began = time.perf_counter()
            report = engine.sync_once(self.store, self.centre, desk_name=self.name,
                                      seed=not self.plan.get("standalone"), hook=self.hook)
            hours = (clock.now() - self.start).total_seconds() / 3600
            self.log.syncs.append((round(hours, 3), round(time.perf_counter() - began, 3)))
            self.log.cursors.append((round(time.time(), 3), report.cursor))
            if not final:
                self.pick_up()
            return report.waiting == 0
        except Exception as exc:  # noqa: BLE001 - offline is part of the day
            self.log.sync_failures += 1
            if final:
                self.error("final sync", exc)
            return False
        finally:
            self.save()

    def pick_up(self) -> None:
        """Tickets handed to this desk's agent (or reopened) by another desk's change."""
        from agentdesk.tickets import service as tickets

        mine = {w.number for w in self.work}
        with self.store.session() as s:
            for row in tickets.open_for_owner(s, self.code):
                number = getattr(row, "number", None)
                if number and number not in mine:
                    self.work.append(Work(number, clock.now() + _minutes(self.rng, 1, 10)))
        self.acknowledge()

    def acknowledge(self) -> int:
        """签收 every 督办 (the scan's escalation or the supervisor's) of this agent's
        tickets that no acknowledgement answers yet, as the owner would on seeing it."""
        from sqlalchemy import text

        from agentdesk.tickets import duban

        kinds = ", ".join(f"'{k}'" for k in duban.DUBAN_KINDS)
        done = 0
        try:
            with self.store.session() as s:
                conn = s.connection()
                # Only the 督办 events that arrived since the last look (the table is
                # append-only: rowids grow), not a scan of the day's events each sync.
                new = conn.execute(text(
                    f"SELECT rowid, ticket_id FROM ticket_event WHERE kind IN ({kinds}) "
                    "AND rowid > :after ORDER BY rowid"), {"after": self.duban_seen}).all()
                if new:
                    self.duban_seen = new[-1][0]
                    self.duban_tickets.update(t for _r, t in new)
                owed = conn.execute(text(
                    "SELECT t.id, t.number FROM ticket t JOIN agent a ON a.id = t.owner_id "
                    "WHERE a.code = :c AND t.id IN (SELECT value FROM json_each(:ids))"),
                    {"c": self.code, "ids": json.dumps(sorted(self.duban_tickets))}).all()
                for ticket_id, number in owed:
                    if duban.unanswered(s, ticket_id):
                        duban.acknowledge(s, number, self.code, "已联系现场，正在处理")
                        done += 1
                    # (kept: a later 督办 of it comes as a new event and is looked at)
                    self.duban_tickets.discard(ticket_id)
                s.commit()
                self.log.acks += done
        except Exception as exc:  # noqa: BLE001
            self.error("签收", exc)
        return done

    def urge(self) -> None:
        """The supervisor's 督办 (reason: 多次催办) of the longest-overdue open tickets of
        agents on shift, a few each hour, not twice on one ticket."""
        from sqlmodel import select

        from agentdesk.core.models import Agent, Ticket, TicketEvent
        from agentdesk.tickets import duban

        skip = set(self.plan.get("duban_skip", ())) | {self.code}
        urged = select(TicketEvent.ticket_id).where(TicketEvent.kind == "duban")
        try:
            with self.store.session() as s:
                rows = s.exec(select(Ticket.number, Agent.code).join(
                    Agent, Agent.id == Ticket.owner_id).where(
                    Ticket.status.in_(("accepted", "dispatched")),
                    Ticket.due_arrival < clock.now(), Ticket.id.not_in(urged))
                    .order_by(Ticket.due_arrival)).all()
                picked = [number for number, code in rows if code not in skip][:2]
                for number in picked:
                    duban.raise_duban(s, number, self.code, "supervisor", "chase", "请尽快到场")
                    self.log.dubans.append(number)
                s.commit()
        except Exception as exc:  # noqa: BLE001
            self.error("督办", exc)

    def ring(self, call: list) -> None:
        from agentdesk.customers import contacts, lookup, wrapup
        from agentdesk.kb import search as kb_search
        from agentdesk.tickets import lifecycle, service as tickets

        _offset, phone, action, category = call
        self.log.calls += 1
        try:
            with self.store.session() as s:
                ringing = contacts.record_call(s, phone, self.code)
                match = contacts.caller(s, ringing)
                customer_id = match.customer_id if match is not None else None
                if customer_id:
                    lookup.audit_read(s, self.code, customer_id)
                if action == "consult":
                    kb_search.search(s, category or "停水", limit=3)
                    self.log.answered += 1
                    if self.rng.random() < 0.05:  # not ours: transferred out
                        wrapup.wrap_up(s, ringing.contact_id, wrapup.Outcome(
                            "transferred", "非本单位业务", "12345",
                            f"ZB{self.rng.randrange(10**6):06d}"))
                    else:
                        wrapup.wrap_up(s, ringing.contact_id, wrapup.Outcome("answered"))
                elif action == "chase":  # a household number names no one caller: asked
                    open_ = [r for r in (tickets.open_for_customer(s, customer_id)
                                         if customer_id else [])
                             if r.status in ("accepted", "dispatched", "on_site")]
                    closed = self.recently_resolved(s, customer_id) if customer_id else None
                    if open_:
                        lifecycle.chase(s, open_[0].number, self.code, "怎么还没修好",
                                        ringing.contact_id)
                        self.log.chases += 1
                    elif closed:  # "it is broken again": reopened on the caller's word
                        lifecycle.reopen(s, closed, self.code, "来电称问题复发")
                        self.log.reopened += 1
                        self.work.append(Work(closed, clock.now() + _minutes(self.rng, 5, 30)))
                    else:
                        self.log.answered += 1
                    wrapup.wrap_up(s, ringing.contact_id, wrapup.Outcome("answered"))
                elif action == "complaint" and customer_id:
                    from agentdesk.tickets import complaint_classes

                    utility = s.connection().exec_driver_sql(
                        "SELECT utility FROM customer WHERE id = ?", (customer_id,)).scalar()
                    klass = self.rng.choice(
                        complaint_classes.for_session(s).for_utility(utility)).code
                    ticket = tickets.create(s, tickets.Draft(
                        category="any.complaint", description="来电投诉：上门人员态度差",
                        customer_id=customer_id, contact_id=ringing.contact_id,
                        complained_party="抢修班组", complaint_class=klass), self.code)
                    self.work.append(Work(ticket.number,
                                          clock.now() + _minutes(self.rng, 2, 12)))
                    s.commit()
                    self.log.created.append(ticket.number)
                    self.save()
                    return
                else:
                    if customer_id is None:  # an unknown caller: what they told us
                        wrapup.caller_details(s, ringing.contact_id, "来电人", "路边",
                                              ringing.number)
                    extra = {}
                    if category == "any.complaint":  # an unknown caller's complaint: the
                        from agentdesk.tickets import complaint_classes  # agent asks who/what

                        extra = {"complained_party": "抢修班组", "complaint_class": self.rng.choice(
                            complaint_classes.for_session(s).for_utility("water")).code}
                    ticket = tickets.create(s, tickets.Draft(
                        category=category, description=f"来电报修：{category}",
                        customer_id=customer_id, location="" if customer_id else "路边",
                        contact_id=ringing.contact_id, **extra), self.code)
                    self.work.append(Work(ticket.number,
                                          clock.now() + _minutes(self.rng, 2, 12)))
                s.commit()
                if action != "consult" and action != "chase":
                    self.log.created.append(ticket.number)
                    self.save()  # a kill -9 loses at most the ticket committed just now
        except Exception as exc:  # noqa: BLE001 - counted and reported, the day goes on
            self.error(f"call {phone} {action}", exc)

    def recently_resolved(self, s: Any, customer_id: str) -> str | None:
        """The caller's ticket resolved in the last days, if any (a reopen candidate)."""
        return s.connection().exec_driver_sql(
            "SELECT number FROM ticket WHERE customer_id = ? AND status IN ('resolved', "
            "'called_back') ORDER BY resolved_at DESC LIMIT 1", (customer_id,)).scalar()

    def step(self, work: Work) -> None:
        from agentdesk.tickets import service as tickets

        try:
            with self.store.session() as s:
                ticket = tickets.get(s, work.number)
                owner = s.connection().exec_driver_sql(
                    "SELECT code FROM agent WHERE id = ?", (ticket.owner_id,)).scalar()
                if owner != self.code or ticket.status in ("called_back", "archived"):
                    return  # handed on, claimed by another desk, or done
                if ticket.status == "resolved":
                    r, pick = self.rng.random(), "满意"
                    for label, share in SATISFACTION:
                        r -= share
                        if r <= 0:
                            pick = label
                            break
                    tickets.call_back(s, work.number, self.code, pick)
                    self.log.callbacks += 1
                    if pick == "不满意":
                        self.log.reopened += 1
                        self.work.append(Work(work.number,
                                              clock.now() + _minutes(self.rng, 10, 60)))
                elif (ticket.status == "accepted" and self.plan.get("colleagues")
                      and self.rng.random() < HANDOVER_SHARE):
                    to = self.rng.choice(self.plan["colleagues"])  # a colleague's skill
                    tickets.hand_over(s, work.number, self.code, to, "转交专人处理")
                    self.log.handovers += 1
                else:
                    order = ("accepted", *WORK_STEPS)
                    target = WORK_STEPS[max(0, order.index(ticket.status))] \
                        if ticket.status in order[:-1] else None
                    if target is None:
                        return
                    tickets.advance(s, work.number, self.code, target,
                                    department="抢修一队" if target == "dispatched" else "")
                    self.log.steps += 1
                    wait = {"dispatched": (10, 40), "on_site": (20, 90),
                            "resolved": (30, 120)}[target]
                    self.work.append(Work(work.number, clock.now() + _minutes(self.rng, *wait)))
                s.commit()
        except Exception as exc:  # noqa: BLE001
            self.error(f"step {work.number}", exc)

    def supervise(self) -> None:
        """The supervisor's outage: a fault notice over the area and an incident."""
        from agentdesk.centre import incidents, notices
        from agentdesk.core import areas

        spec = self.plan["outage"]
        now = clock.now()
        where = (areas.parse(spec["area"]),)
        try:
            with self.store.session() as s:
                published = notices.publish(s, notices.Draft(
                    utility=spec["utility"], kind="fault", areas=where, starts_at=now,
                    ends_at=now + timedelta(hours=4), cause="主干管爆裂抢修",
                    restore_by=now + timedelta(hours=5)), self.code, self.name,
                    "supervisor", now, force=True)
                self.log.notice = published.notice.id
                incident = incidents.open_incident(
                    s, (self.code, self.name, "supervisor"), now, title="主干管爆裂",
                    category=spec["category"], where=where)
                self.log.incident = incident.id
                s.commit()
        except Exception as exc:  # noqa: BLE001
            self.error("outage", exc)

    def outreach(self) -> None:
        """This desk's share of the pre-emptive calls that are due."""
        from agentdesk.centre import outreach

        share, desks = self.plan["outreach_share"]
        now = clock.now()
        try:
            with self.store.session() as s:
                for row in outreach.queue_rows(s, now):
                    if int(row.customer_id.replace("-", "")[-6:], 16) % desks != share:
                        continue
                    if row.next_due is not None and row.next_due > now + timedelta(hours=1):
                        continue
                    outreach.record(s, row.ticket_id, self.code, "reached", note="已提前告知",
                                    now=now)
                    self.log.outreach += 1
                s.commit()
        except Exception as exc:  # noqa: BLE001
            self.error("outreach", exc)

    def claim(self, number: str) -> None:
        from agentdesk.tickets import service as tickets

        try:
            with self.store.session() as s:
                tickets.claim(s, number, self.code, "原坐席已下班，接手处理")
                s.commit()
            self.log.claims.append(number)
            self.work.append(Work(number, clock.now() + _minutes(self.rng, 1, 5)))
        except Exception as exc:  # noqa: BLE001
            if "no ticket" not in str(exc):  # not pulled yet: tried again after a sync
                self.error(f"claim {number}", exc)

    def run(self) -> int:
        calls = [c for c in self.plan["calls"] if self.at(c[0]) > clock.now()
                 - timedelta(seconds=1)] if self.log.calls else list(self.plan["calls"])
        outage_at = self.plan.get("outage", {}).get("at_s")
        claim = self.plan.get("claim")  # [at_s, number file]: race for an off-shift ticket
        stop_h = self.plan.get("off_shift_h")
        claim_next = urge_next = self.start
        if self.online(clock.now()):
            self.sync()
        while True:
            now = clock.now()
            if now >= self.end or (stop_h and now >= self.at(stop_h * 3600)):
                break
            while calls and self.at(calls[0][0]) <= now:
                self.ring(calls.pop(0))
            due = [w for w in self.work if w.at <= now]
            for work in due:
                self.work.remove(work)
                self.step(work)
            if outage_at is not None and self.at(outage_at) <= now and not self.log.notice:
                self.supervise()
            if self.plan.get("duban_every_s") and now >= urge_next:
                if urge_next > self.start:  # not at the first instant: nothing is late yet
                    self.urge()
                urge_next = now + timedelta(seconds=self.plan["duban_every_s"])
            if claim and self.at(claim[0]) <= now and not self.log.claims \
                    and now >= claim_next:
                path = Path(claim[1])  # the off-shift colleague's last ticket
                numbers = json.loads(path.read_text(encoding="utf-8")).get("created", []) \
                    if path.exists() else []
                if numbers:
                    self.claim(numbers[-1])
                claim_next = now + timedelta(minutes=2)  # not pulled yet: a sync later
            if now >= self.next_sync and self.online(now):
                self.sync()
                if self.plan.get("outreach_share"):
                    self.outreach()
                self.next_sync = clock.now() + timedelta(seconds=self.plan["sync_every"])
            time.sleep(0.02)
        # The end of the shift: everything this desk did reaches the centre, and the 督办
        # its last pull brought are answered first (until a sync brings none).
        for _ in range(20):
            if self.sync(final=True) and not self.acknowledge():
                break
            time.sleep(0.5)
        import resource

        self.log.done = True
        self.log.max_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        self.save()
        self.store.dispose()
        return 0


def main(argv: list[str]) -> int:
    plan = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    return DayDesk(plan).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
