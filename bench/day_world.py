"""The world of the simulated day (``agentdesk bench day``): a fresh PostgreSQL centre
loaded through the real commands' functions (a generated customer file, the shipped
knowledge base, a seed for new desks), and each desk's plan for the day: its calls, drawn
with a daily profile (morning and evening peaks, Poisson within the hour), repeat callers
and chase-ups, the surge from the outage area after the supervisor's notice, and the
faults it plays.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PG_ADMIN = os.environ.get("AGENTDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
# Calls per hour of the local day, relative to the mean (a utility hotline: a morning
# peak when people find the problem, a second one after work, a quiet night).
PROFILE = (0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.5, 1.6, 1.4, 1.2,
           0.9, 1.0, 1.2, 1.2, 1.1, 1.2, 1.5, 1.4, 1.0, 0.7, 0.5, 0.3)
REPAIRS = {"water": ("water.burst", "water.no_water", "water.meter", "water.riser_leak",
                     "water.pressure"),
           "power": ("power.fault", "power.outage", "power.metering")}
ASKS = ("停水", "水费", "电费", "停电", "过户", "水压")
MIX = (("consult", 0.43), ("repair", 0.40), ("chase", 0.08), ("complaint", 0.04),
       ("unknown", 0.05))


@dataclass
class Centre:
    url: str
    name: str = ""  # the database this run made (dropped at the end), "" if given

    @classmethod
    def fresh(cls) -> Centre:
        import psycopg

        name = f"agentdesk_day_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return cls(f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}", name)

    def drop(self) -> None:
        if not self.name:
            return
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@dataclass
class Customer:
    id: str
    utility: str
    area: str  # district/street/community
    phone: str
    vulnerable: bool


def build_centre(url: str, folder: Path, customers: int, seed: int) -> tuple[Path, list[Customer]]:
    """Schema, customers (a generated file loaded as a centre loads its billing export),
    the shipped articles, a seed. Returns the CSV and the customers as the plans see them."""
    from agentdesk.core import store
    from agentdesk.customers import csvio
    from agentdesk.demo import generate
    from agentdesk.sync import central, load, seed as seeds

    made = folder / "customers-source.db"
    desk = store.open_desk(made)
    generate.generate(desk, customers, 0, seed)
    csv_path = folder / "customers.csv"
    csvio.export_customers(desk, csv_path, agent="bench")
    desk.dispose()
    centre = central.connect(url)
    try:
        centre.init_schema()
        report = load.customers(centre, csv_path)
        if report.errors:
            raise RuntimeError(f"the generated file had {len(report.errors)} bad rows")
        load.articles(centre, Path(__file__).resolve().parents[1] / "agentdesk" / "kb"
                      / "articles")
        seeds.build(centre, folder=folder)
        with centre.reading() as conn:
            rows = conn.exec_driver_sql(
                "SELECT c.id, c.utility, c.district || '/' || c.street || '/' || c.community,"
                " min(p.e164), max(CASE WHEN c.tags <> '' THEN 1 ELSE 0 END) "
                "FROM customer c JOIN customer_phone p ON p.customer_id = c.id "
                "GROUP BY c.id, c.utility, c.district, c.street, c.community "
                "ORDER BY c.id").all()
    finally:
        centre.dispose()
    return csv_path, [Customer(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]


@dataclass
class DayShape:
    desks: int
    hours: float
    speed: float
    calls_per_hour: float
    seed: int
    faults: bool
    start_hour: int = 8
    sync_every: float = 60.0  # simulated seconds between a desk's syncs

    @property
    def seconds(self) -> float:
        return self.hours * 3600


@dataclass
class Plans:
    desks: list[dict[str, Any]] = field(default_factory=list)
    outage_area: str = ""
    outage_at_s: float = 0.0
    faults: dict[str, Any] = field(default_factory=dict)


def _arrivals(rng: random.Random, shape: DayShape, rate_of: Any, since: float = 0.0,
              until: float | None = None) -> list[float]:
    """Poisson arrivals (simulated seconds from the start) at ``rate_of(second)`` per hour,
    drawn hour by hour (thinning within the hour is not needed: the rate is flat there)."""
    out, t = [], since
    until = shape.seconds if until is None else until
    while t < until:
        hour_end = min(until, (int(t // 3600) + 1) * 3600)
        rate = rate_of(t) / 3600.0
        while rate > 0:
            t += rng.expovariate(rate)
            if t >= hour_end:
                break
            out.append(t)
        t = hour_end
    return out


def _call(rng: random.Random, at: float, customers: list[Customer],
          repaired: list[Customer]) -> list:
    r, action = rng.random(), "consult"
    for name, share in MIX:
        r -= share
        if r <= 0:
            action = name
            break
    if action == "chase" and repaired:
        who = rng.choice(repaired)
        return [round(at, 1), who.phone, "chase", ""]
    if action == "unknown":
        return [round(at, 1), f"+86139{rng.randrange(10**8):08d}", "repair",
                "water.burst"]
    who = rng.choice(customers)
    if action == "complaint":  # a class is picked on the desk, from the caller's utility
        return [round(at, 1), who.phone, "complaint", "any.complaint"]
    if action == "repair":
        repaired.append(who)
        return [round(at, 1), who.phone, "repair", rng.choice(REPAIRS[who.utility])]
    return [round(at, 1), who.phone, "consult", rng.choice(ASKS)]


def make_plans(shape: DayShape, customers: list[Customer], folder: Path, url: str,
               proxy_url: str | None, start_iso: str, end_iso: str) -> Plans:
    rng = random.Random(shape.seed)
    plans = Plans()
    water = [c for c in customers if c.utility == "water"]
    by_area: dict[str, list[Customer]] = {}
    for c in water:
        by_area.setdefault(c.area, []).append(c)
    plans.outage_area = max(by_area, key=lambda a: (sum(x.vulnerable for x in by_area[a]),
                                                    len(by_area[a]), a))
    inside = by_area[plans.outage_area]
    plans.outage_at_s = shape.seconds * 0.3

    def rate(second: float) -> float:
        return shape.calls_per_hour * PROFILE[(shape.start_hour + int(second // 3600)) % 24]

    repaired: list[Customer] = []
    calls = [_call(rng, at, customers, repaired) for at in _arrivals(rng, shape, rate)]
    # The surge: the outage area rings for an hour after the notice.
    surge_until = min(shape.seconds, plans.outage_at_s + 3600)
    for at in _arrivals(rng, shape, lambda _s: shape.calls_per_hour * 0.5,
                        plans.outage_at_s, surge_until):
        who = rng.choice(inside)
        calls.append([round(at, 1), who.phone, rng.choice(("consult", "repair")),
                      "water.no_water"])
    calls.sort()
    n = shape.desks
    share: list[list] = [[] for _ in range(n)]
    for call in calls:
        share[rng.randrange(n)].append(call)
    faults: dict[str, Any] = {}
    if shape.faults:
        # kill -9 inside a sync (bench.day_desk.hook): at the push's worst instant (the
        # centre has committed, the desk has not), then with a pulled batch applied and
        # not yet committed.
        # The desk that was offline: armed as it comes back, its first sync has much to push.
        # The pull's kill is armed when the push's restarts the desk ("then"): the desk's
        # first sync after the restart pulls the hour it missed.
        faults = {"kill": {"desk": 2 % n, "at_s": shape.seconds * 0.45,
                           "point": "push.after_central_commit", "then": "kill_pull"},
                  "kill_pull": {"desk": 2 % n, "point": "pull.before_local_commit"},
                  "offline": {"desk": 2 % n, "from_h": shape.hours * 0.2,
                              "to_h": shape.hours * 0.2 + min(1.0, shape.hours * 0.25)},
                  "stall": {"desk": 1 % n, "at_s": shape.seconds * 0.25,
                            "wall_s": min(25.0, shape.seconds / shape.speed * 0.5)},
                  "watch_kill": {"at_s": shape.seconds * 0.4},
                  "off_shift": {"desk": (n - 1) if n > 2 else 2 % n,
                                "at_h": shape.hours * 0.5},
                  "race": {"desks": [0, 1 % n], "at_s": shape.seconds * 0.55},
                  "late": {"join_h": shape.hours * 0.6}}
    plans.faults = faults
    # The pre-emptive calls are shared among the desks on shift all day.
    leaving = faults["off_shift"]["desk"] if faults and n > 2 else None
    callers = [i for i in range(n) if i != leaving]
    for i in range(n + (1 if shape.faults else 0)):
        late = shape.faults and i == n
        code = f"S{i:03d}" if i == 0 else f"A{i:03d}"
        plan: dict[str, Any] = {
            "code": code, "name": f"{'值班长' if i == 0 else '坐席'}{i}",
            "seed": shape.seed * 1000 + i,
            "db": str(folder / f"desk{i}.db"), "out": str(folder / f"desk{i}.json"),
            "central": url, "start": start_iso, "end": end_iso,
            "sync_every": shape.sync_every, "calls": share[i] if i < n else [],
            "outreach_share": [callers.index(i), len(callers)] if i in callers else None}
        if i == 0:
            plan["outage"] = {"at_s": plans.outage_at_s, "utility": "water",
                              "area": plans.outage_area, "category": "water.no_water"}
        if shape.faults and not late:
            if i == faults["stall"]["desk"] and proxy_url:
                plan["central"] = proxy_url
            if i == faults["offline"]["desk"]:
                plan["offline_h"] = [faults["offline"]["from_h"], faults["offline"]["to_h"]]
            if i == faults["off_shift"]["desk"] and i not in faults["race"]["desks"]:
                plan["off_shift_h"] = faults["off_shift"]["at_h"]
            if i in faults["race"]["desks"] and n > 2:
                plan["claim"] = [faults["race"]["at_s"],
                                 str(folder / f"desk{faults['off_shift']['desk']}.json")]
        if late:  # works alone all morning on its own customer file, joins after lunch
            plan["standalone"] = True
            plan["csv"] = str(folder / "customers.csv")
            plan["join_at_h"] = faults["late"]["join_h"]
            plan["calls"] = [c for c in share[rng.randrange(n)][::3]]
        plans.desks.append(plan)
    on_shift = [p["code"] for p in plans.desks[:n] if "off_shift_h" not in p]
    # The supervisor's 督办 each hour, on tickets of the agents who stay (nobody answers
    # one of an agent gone home: that is the off-shift list's business).
    plans.desks[0]["duban_every_s"] = max(600.0, min(3600.0, shape.seconds / 4))
    plans.desks[0]["duban_skip"] = [p["code"] for p in plans.desks
                                    if "off_shift_h" in p or p.get("standalone")]
    for plan in plans.desks[:n]:
        plan["colleagues"] = [c for c in on_shift if c != plan["code"]]
    for plan in plans.desks:
        Path(plan["out"]).unlink(missing_ok=True)
        (folder / f"plan-{plan['code']}.json").write_text(
            json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    return plans
