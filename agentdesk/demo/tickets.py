"""Demo tickets with their contacts and events (status paths by business type, SLA due
times, notes), and the notices and incidents of the outage scenarios with the calls they
bring."""

from __future__ import annotations

import json
import zlib
import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from agentdesk.core import areas, clock
from agentdesk.core.models import format_address, utc_text
from agentdesk.demo import words as D
from agentdesk.demo.customers import CustomerInfo
from agentdesk.demo.places import (UTC, Progress, Scenario, epoch_ms, pick, spread,
                                   uuid7_text, weighted)
from agentdesk.tickets import complaint_classes, taxonomy

# --- tickets ---------------------------------------------------------------------------

# Status paths by business type: what a ticket goes through after 'accepted'.
PATHS = {
    "repair": ("dispatched", "on_site", "resolved", "called_back", "archived"),
    "service": ("dispatched", "resolved", "called_back", "archived"),
    "complaint": ("dispatched", "resolved", "called_back", "archived"),
    "report": ("dispatched", "resolved", "called_back", "archived"),
    "consult": ("resolved", "archived"),  # answered on the call
    "opinion": ("dispatched", "resolved", "archived"),
    "suggestion": ("dispatched", "resolved", "archived"),
    "praise": ("dispatched", "resolved", "archived"),
}
# Minutes each step takes (min, max) by priority; towns double the travel to site.
STEP_MINUTES = {
    "dispatched": {"urgent": (2, 12), "important": (5, 45), "general": (20, 480)},
    "on_site": {"urgent": (15, 70), "important": (30, 200), "general": (120, 2880)},
    "resolved": {"urgent": (30, 300), "important": (40, 600), "general": (60, 4320)},
    "called_back": {"urgent": (120, 1800), "important": (120, 1800), "general": (240, 2880)},
    "archived": {"urgent": (60, 4320), "important": (60, 4320), "general": (60, 4320)},
}
ANSWERED_ON_CALL = (1, 15)  # minutes: accepted -> resolved for consultations
EVENT_NOTES = {
    "dispatched": "派单至{department}", "on_site": "维修人员到场", "resolved": "{department}回单",
    "called_back": "回访完成", "archived": "归档",
}


def _due(priority: str, utility: str, area: str, on_site: bool
         ) -> tuple[timedelta, timedelta | None, timedelta]:
    """Plausible deadlines (first response, arrival, resolution); the SLA engine replaces
    these later. Arrival by area for urgent faults (DOMAIN.md: 45/90/120 min for power)."""
    m = timedelta(minutes=1)
    if priority == "urgent":
        arrival = {"urban": 30 if utility == "water" else 45, "rural": 90, "remote": 120}[area]
        if utility == "power":
            resolution = 180 if area == "urban" else 240
        else:
            resolution = 720 if area == "urban" else 1440
        return 15 * m, arrival * m if on_site else None, resolution * m
    if priority == "important":
        return 60 * m, 120 * m if on_site else None, 1440 * m
    return 1440 * m, None, 5 * 1440 * m


@dataclass
class TicketDraft:
    created: datetime
    category: taxonomy.Category
    customer: CustomerInfo | None
    incident_id: str | None = None


def _road(rng: random.Random) -> str:
    a, b = rng.sample(D.ROADS, 2)
    return f"{a}与{b}交叉口向{rng.choice(D.DIRECTIONS)}约{rng.randrange(20, 300, 10)}米"


def _mobile(rng: random.Random) -> str:
    return "+86%s%08d" % (rng.choice(spread(D.MOBILE_PREFIXES)), rng.randrange(10**8))


def _created_time(rng: random.Random, now: datetime, hours: tuple) -> datetime:
    """A call time in the last 30 days, busier in the last 3, on the daily curve."""
    tz = clock.centre_tz()
    today = now.astimezone(tz).date()
    while True:
        x = rng.random()
        days = 0 if x < D.TODAY_SHARE else rng.randrange(1, 3) if x < D.RECENT_SHARE \
            else rng.randrange(30)
        hour = pick(hours, rng.random)
        start = datetime(today.year, today.month, today.day, tzinfo=tz) - timedelta(days=days)
        at = start + timedelta(hours=hour, seconds=rng.random() * 3600)
        if now - timedelta(days=30) < at <= now:
            return at.astimezone(UTC)


class TicketWriter:
    """Turns drafts into ticket, event and contact rows."""

    def __init__(self, rng: random.Random, now: datetime, agents: dict[str, str]) -> None:
        self.rng = rng
        self.now = now
        self.agents = agents
        self.takers = [code for code, _n, role, _t, _s in D.AGENTS if role != "trainer"]
        self.channels = weighted(D.CHANNELS)
        self.satisfaction = weighted(D.SATISFACTION)
        self.tickets: list[tuple] = []
        self.events: list[tuple] = []
        self.contacts: list[tuple] = []

    def _id(self, at: datetime) -> str:
        return uuid7_text(epoch_ms(at), self.rng.getrandbits(74))

    def add(self, draft: TicketDraft, number: str) -> None:
        rng, now = self.rng, self.now
        cat, cust = draft.category, draft.customer
        created = draft.created
        utility = cust.utility if cust else (cat.utility if cat.utility != "any" else
                                              rng.choice(("water", "power")))
        area = cust.place.area if cust else "urban"
        path = PATHS[cat.business_type]
        priority = cat.priority
        if cust and (cust.vulnerable or cust.key_level) and cat.code in (
                "power.fault", "water.no_water"):
            priority = "urgent"  # a 吸氧 household without power cannot wait

        # Walk the path until a step would end after now: that is the current status.
        steps: list[tuple[datetime, str, str]] = []
        stuck = rng.randrange(len(path)) if rng.random() < D.STUCK_SHARE else -1
        at, status = created, "accepted"
        for n, to in enumerate(path):
            lo, hi = ANSWERED_ON_CALL if (to == "resolved" and n == 0) else \
                STEP_MINUTES[to][priority]
            minutes = rng.uniform(lo, hi)
            if to == "on_site" and area != "urban":
                minutes *= 2
            if n == stuck:
                minutes *= rng.uniform(4, 15)
            nxt = at + timedelta(minutes=minutes)
            if nxt > now:
                break
            steps.append((nxt, status, to))
            at, status = nxt, to

        first = rng.choice(self.takers)
        owner = first
        handover_at = None
        if rng.random() < D.HANDOVER_SHARE:
            owner = rng.choice([c for c in self.takers if c != first])
            last = steps[-1][0] if steps else now
            handover_at = created + (last - created) * rng.uniform(0.05, 0.6)

        if area != "urban" and cat.business_type == "repair" and cust:
            department = D.TOWN_REPAIR_DEPARTMENTS[cust.place.district][utility]
        else:
            department = rng.choice(D.DEPARTMENTS[cat.code])
        if cust and cat.code not in D.ROAD_CATEGORIES:
            location = format_address(cust.place.district, cust.place.street,
                                      cust.place.community, cust.building, cust.unit, cust.room)
        elif cust or cat.business_type in ("repair", "report"):
            location = _road(rng)
        else:
            location = ""  # a caller we could not place, asking a question
        templates = D.DESCRIPTIONS[cat.code]
        if not cust:  # no home address to quote
            templates = [t for t in templates if "{building}" not in t and "{room}" not in t
                         ] or templates
        fields = {"community": cust.place.community if cust else "我们小区",
                  "building": cust.building if cust else "", "unit": cust.unit if cust else "",
                  "room": cust.room if cust else "", "road": location or "路边",
                  "days": rng.randint(2, 10), "yuan": rng.randrange(180, 1200, 10)}
        description = rng.choice(templates).format(**fields)

        first_resp, arrival, resolution = _due(priority, utility, area, "on_site" in path)
        reached = {to: t for t, _f, to in steps}
        resolved_at = reached.get("resolved")
        due_callback = (resolved_at + timedelta(hours=24)
                        if resolved_at and "called_back" in path else None)
        satisfaction = pick(self.satisfaction, rng.random) if "called_back" in reached else ""

        contact_id, channel = None, "phone"
        if rng.random() < 0.75:
            started = created - timedelta(minutes=rng.uniform(0.5, 4))
            ended = created + timedelta(minutes=rng.uniform(0.5, 5))
            contact_id, channel = self._id(started), pick(self.channels, rng.random)
            self.contacts.append((
                contact_id, channel,
                cust.phone if cust else _mobile(rng), cust.id if cust else None,
                self.agents[first], utc_text(started),
                utc_text(ended) if ended <= now else None, cat.zh))

        ticket_id = self._id(created)
        # a complaint's class: one of its utility's items, chosen from the id (no draw of
        # the random generator, so the rest of the demo stays as it was)
        klass = ""
        if cat.business_type == "complaint":
            items = complaint_classes.shipped().for_utility(utility)
            klass = items[zlib.crc32(ticket_id.encode()) % len(items)].code
        ev = self.events
        ev.append((self._id(created), ticket_id, utc_text(created), self.agents[first],
                   "created", "", "accepted", "", json.dumps(
                       {"priority": priority, "complaint_class": klass, "channel": channel})))
        current = first
        last_at = created
        for t, frm, to in steps:
            if handover_at and t >= handover_at and current == first:
                ev.append(self._handover(ticket_id, handover_at, first, owner))
                current = owner
            agent = None if to in ("on_site", "archived") else self.agents[current]
            data = json.dumps({"department": department}, ensure_ascii=False) \
                if to == "dispatched" else "{}"
            ev.append((self._id(t), ticket_id, utc_text(t), agent, "status", frm, to,
                       EVENT_NOTES[to].format(department=department), data))
            last_at = t
        if handover_at and current == first:
            ev.append(self._handover(ticket_id, handover_at, first, owner))
            last_at = max(last_at, handover_at)

        text = utc_text

        def met(test: Callable[[str, str], bool]) -> str | None:  # as workflow.apply has them
            return next((text(t) for t, frm, to in steps if test(frm, to)), None)

        self.tickets.append((
            ticket_id, number, cat.business_type, cat.code, priority, status, description,
            location, area, cust.id if cust else None, contact_id, draft.incident_id,
            self.agents[first], self.agents[owner], department, satisfaction,
            text(created), text(last_at), text(created + first_resp),
            text(created + arrival) if arrival else None, text(created + resolution),
            text(due_callback) if due_callback else None,
            text(resolved_at) if resolved_at else None,
            text(reached["archived"]) if "archived" in reached else None,
            met(lambda frm, to: frm == "accepted" and to != "accepted"),
            met(lambda frm, to: to in ("on_site", "resolved")),
            met(lambda frm, to: to == "called_back"), klass, channel))

    def _handover(self, ticket_id: str, at: datetime, first: str, owner: str) -> tuple:
        return (self._id(at), ticket_id, utc_text(at), self.agents[first], "handover", "", "",
                "交接班转交", json.dumps({"from": first, "to": owner}))


_TICKET_SQL = (
    "INSERT INTO ticket (id, number, business_type, category, priority, status, description, "
    "location, area_class, customer_id, contact_id, incident_id, first_responder_id, owner_id, "
    "department, satisfaction, created_at, updated_at, due_first_response, due_arrival, "
    "due_resolution, due_callback, resolved_at, closed_at, responded_at, arrived_at, "
    "called_back_at, complaint_class, channel) VALUES (" + ",".join("?" * 29) + ")"
)
_EVENT_SQL = ("INSERT INTO ticket_event (id, ticket_id, at, agent_id, kind, from_status, "
              "to_status, note, data) VALUES (?,?,?,?,?,?,?,?,?)")
_CONTACT_SQL = ("INSERT INTO contact (id, channel, number, customer_id, agent_id, started_at, "
                "ended_at, note) VALUES (?,?,?,?,?,?,?,?)")


def _category_table(tax: taxonomy.Taxonomy, utility: str) -> tuple[list, list[float], int]:
    return weighted({c: D.CATEGORY_WEIGHTS[c.code] for c in tax.for_utility(utility)
                      if D.CATEGORY_WEIGHTS.get(c.code)})


def insert_notices_and_tickets(conn: sqlite3.Connection, rng: random.Random, now: datetime,
                               scenarios: list[Scenario], picks: list[int | None],
                               info: dict[int, CustomerInfo], agents: dict[str, str],
                               tickets: int, progress: Progress | None
                               ) -> tuple[int, int, int, int]:
    """Notices, incidents and tickets (with events and contacts); returns the counts."""
    tax = taxonomy.load()
    drafts: list[TicketDraft] = []
    notices = incidents = 0
    hour = timedelta(hours=1)
    for sc in scenarios:
        spec, place = sc.spec, sc.place
        names = {"district": place.district, "street": place.street,
                 "community": place.community, "road": rng.choice(D.ROADS)}
        start = now + spec["start"] * hour
        end = start + spec["hours"] * hour
        incident = spec.get("incident") or (spec if "calls" in spec else None)
        if "kind" in spec:  # a notice
            published = start - 48 * hour if spec["kind"] == "planned" else \
                min(now, start + timedelta(minutes=10))
            where = areas.dumps([areas.Area(place.district, place.street,
                                            "" if sc.street_scope else place.community)])
            nid = uuid7_text(epoch_ms(published), rng.getrandbits(74))
            conn.execute(
                "INSERT INTO notice (id, utility, kind, cause, title, areas, starts_at, "
                "ends_at, status, revision, note, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?,?,?,'active',1,'',?,?)",
                (nid, sc.utility, spec["kind"], spec["cause"], spec["title"].format(**names),
                 where, utc_text(start), utc_text(end), utc_text(published),
                 utc_text(published)))
            conn.execute("INSERT INTO notice_event (id, notice_id, at, kind, revision, data) "
                         "VALUES (?, ?, ?, 'publish', 1, '{}')", (nid, nid, utc_text(published)))
            notices += 1
        if incident is None:
            continue
        began = start - timedelta(minutes=15) if "kind" in spec else start
        closed = end if end <= now else None
        incident_id = uuid7_text(epoch_ms(began), rng.getrandbits(74))
        where = areas.dumps([areas.Area(place.district, place.street,
                                        "" if sc.street_scope else place.community)])
        conn.execute(
            "INSERT INTO incident (id, title, utility, category, areas, address, status, "
            "started_at, closed_at, cause) VALUES (?,?,?,?,?,'',?,?,?,?)",
            (incident_id, incident["title"].format(**names), sc.utility, incident["category"],
             where, "closed" if closed else "open", utc_text(began),
             utc_text(closed) if closed else None, "抢修完毕" if closed else ""))
        incidents += 1
        window = min(now - began, 3 * hour)
        for n, idx in enumerate(sc.pinned):
            if len(drafts) >= tickets:
                break
            code = incident["calls"][n % len(incident["calls"])]
            at = began + window * (0.05 + 0.95 * rng.random())
            drafts.append(TicketDraft(at, tax.category(code), info[idx], incident_id))

    hours = weighted(D.CALL_HOURS)
    by_utility = {u: _category_table(tax, u) for u in ("water", "power")}
    walk_in = weighted({tax.category(c): w for c, w in (
        ("water.burst", 6), ("water.manhole", 3), ("water.hydrant", 2), ("power.fault", 2),
        ("power.theft", 1), ("any.consult", 3), ("any.complaint", 1))})
    for idx in picks[:max(0, tickets - len(drafts))]:
        cust = info[idx] if idx is not None else None
        table = by_utility[cust.utility] if cust else walk_in
        drafts.append(TicketDraft(_created_time(rng, now, hours), pick(table, rng.random),
                                  cust))

    # Numbers follow creation order within each local day; ids carry the creation time.
    drafts.sort(key=lambda d: d.created)
    writer = TicketWriter(rng, now, agents)
    tz = clock.centre_tz()
    daily: dict[str, int] = {}
    for draft in drafts:
        day = draft.created.astimezone(tz).strftime("%Y%m%d")
        daily[day] = daily.get(day, 0) + 1
        writer.add(draft, f"GD{day}{daily[day]:05d}")
    conn.executemany(_CONTACT_SQL, writer.contacts)
    step = 5_000
    for start in range(0, len(writer.tickets), step):
        conn.executemany(_TICKET_SQL, writer.tickets[start:start + step])
        if progress:
            progress("tickets", min(start + step, len(writer.tickets)), len(writer.tickets))
    conn.executemany(_EVENT_SQL, writer.events)
    return len(writer.tickets), len(writer.events), notices, incidents


