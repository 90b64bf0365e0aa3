"""``agentdesk bench watch``: passes of the centre's escalation watch (``agentdesk central
watch``) over 100,000 open tickets.

The central store is PostgreSQL when one answers (as ``agentdesk bench sync`` finds it:
``AGENTDESK_BENCH_CENTRAL``), else a SQLite file. Set-up, not measured: 100,000 open tickets
of 300 agents made over the last 36 hours (burst mains, water quality, consultations,
power faults, complaints; accepted / dispatched / on site / resolved, 2 % paused, 3 %
reopened after an unsatisfied call-back), each with its ``created`` event, bulk-copied in.
``AGENTDESK_BENCH_TICKETS`` changes the count.

Measured in a child process of its own (its peak memory is its own): the first pass (the
backlog: every alert owed and never given is fired), then ``runs`` passes each 30 s later
than the last (the watch's steady state: a few new alerts a pass), median and p99; a pass
of a watch just started (nothing in memory: it reads the events of every ticket that owes
an alert: the restart after ``kill -9``); the child's peak resident memory and the Python
heap's peak during one pass (tracemalloc).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import resource
import shutil
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.stats import summary

TICKETS = int(os.environ.get("AGENTDESK_BENCH_TICKETS", "100000"))
AGENTS = 300
NOW = datetime.fromisoformat("2026-11-25T09:30:00+08:00")
M, H, D = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
# category: (first response, arrival, resolution) clocks
CLOCKS = {"water.burst": (15 * M, 30 * M, None), "water.quality": (H, 2 * H, D),
          "water.consult": (D, None, 5 * D), "power.fault": (5 * M, 45 * M, 3 * H),
          "any.complaint": (D, None, 4 * D)}
STATUSES = (("accepted", 45), ("dispatched", 25), ("on_site", 15), ("resolved", 15))


def rows(n: int, seed: int = 7) -> tuple[list[dict], list[dict], list[dict]]:
    """(agents, tickets, events) as the centre's tables hold them."""
    from agentdesk.core import agents as agents_mod
    from agentdesk.core.ids import new_id
    from agentdesk.core.models import UTC

    rng = random.Random(seed)
    now = NOW.astimezone(UTC)
    people = [{"id": agents_mod.agent_id(f"A{2000 + i}"), "code": f"A{2000 + i}",
               "name": f"坐席{i}", "role": "agent", "team": f"{i % 10}班", "on_shift": True,
               "created_at": now - 30 * D} for i in range(AGENTS)]
    statuses = [s for s, weight in STATUSES for _ in range(weight)]
    tickets, events = [], []
    for i in range(n):
        category = rng.choice(list(CLOCKS))
        first, arrival, resolution = CLOCKS[category]
        created = now - timedelta(seconds=rng.uniform(0, 36 * 3600))
        status = rng.choice(statuses)
        owner = people[rng.randrange(AGENTS)]["id"]
        tid = new_id()
        row = {"id": tid, "number": f"GD20261125{i:07d}", "business_type": "repair",
               "category": category, "priority": "urgent", "status": status,
               "description": "测试", "location": "花园路", "area_class": "urban",
               "customer_id": None, "contact_id": None, "incident_id": None,
               "first_responder_id": owner, "owner_id": owner, "department": "",
               "satisfaction": "", "complained_party": "", "created_at": created,
               "updated_at": created,
               "due_first_response": created + first if first else None,
               "due_arrival": created + arrival if arrival else None,
               "due_resolution": created + resolution if resolution else None,
               "due_callback": None, "resolved_at": None, "closed_at": None,
               "paused_at": None, "responded_at": None, "arrived_at": None,
               "called_back_at": None}
        if status == "resolved":
            row["resolved_at"] = created + (now - created) / 2
            row["due_callback"] = row["resolved_at"] + D
        if rng.random() < 0.02 and status != "resolved":
            row["paused_at"] = now - 5 * M
        events.append({"id": new_id(), "ticket_id": tid, "at": created, "agent_id": owner,
                       "kind": "created", "from_status": "", "to_status": "accepted",
                       "note": "", "data": "{}"})
        if rng.random() < 0.03 and status == "accepted":  # reopened: a new resolution clock
            again = created + (now - created) * 0.9
            row.update(satisfaction="不满意", due_first_response=None, due_arrival=None,
                       due_resolution=again + D)
            events.append({"id": new_id(), "ticket_id": tid, "at": again, "agent_id": owner,
                           "kind": "reopen", "from_status": "called_back",
                           "to_status": "accepted", "note": "", "data": "{}"})
        tickets.append(row)
    return people, tickets, events


def build(url: str, n: int) -> None:
    """The centre's open tickets (set-up)."""
    from agentdesk.sync import central

    people, tickets, events = rows(n)
    centre = central.connect(url)
    try:
        with centre.engine.begin() as conn:
            for name, batch in (("agent", people), ("ticket", tickets),
                                ("ticket_event", events)):
                for start in range(0, len(batch), 5000):
                    conn.execute(central.T[name].insert(), batch[start:start + 5000])
        if centre.dialect == "postgresql":
            with centre.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM ANALYZE")
    finally:
        centre.dispose()


def peak_mb() -> float:
    """This process's peak resident memory: the kernel's VmHWM (ru_maxrss would count the
    parent's pages this child was forked with before it exec'd)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def passes(url: str, runs: int) -> dict:
    """In the child: the watch's passes, timed; its memory."""
    import tracemalloc

    from agentdesk.sync import central
    from agentdesk.sync.central.watch import Watch

    centre = central.connect(url)
    watch = Watch(centre, holder="bench")
    watch.prepare()
    assert watch.acquire() is None
    began = time.perf_counter()
    backlog = watch.run_pass(NOW)
    backlog_s = time.perf_counter() - began
    steady, fired = [], 0
    for i in range(runs):
        watch.acquire()
        report = watch.run_pass(NOW + (i + 1) * 30 * timedelta(seconds=1))
        steady.append(report.seconds)
        fired += report.fired
    cold = []
    for _ in range(3):  # as if just started: nothing known
        watch.known.clear()
        watch.acquire()
        cold.append(watch.run_pass(NOW + (runs + 1) * timedelta(seconds=30)).seconds)
    rss = peak_mb()  # before tracemalloc's own bookkeeping
    tracemalloc.start()
    watch.run_pass(NOW + (runs + 2) * timedelta(seconds=30))
    heap = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    watch.release()
    centre.dispose()
    return {"open": backlog.open, "owed": backlog.owed, "backlog_fired": backlog.fired,
            "backlog_s": backlog_s, "steady": steady, "steady_fired": fired, "cold": cold,
            "rss_mb": rss, "heap_mb": heap / 1048576}


def main(runs: int = 15, tickets: int = TICKETS) -> int:
    from bench.sync import Centre

    console = Console()
    folder = Path(tempfile.mkdtemp(prefix="agentdesk-bench-watch-"))
    centre = Centre(folder, "watch")
    try:
        console.print(f"central store: {centre.kind}; {tickets:,} open tickets …")
        started = time.perf_counter()
        build(centre.url, tickets)
        console.print(f"made in {time.perf_counter() - started:.1f} s; the watch's passes …")
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            got = pool.apply(passes, (centre.url, runs))
    finally:
        centre.drop()
        shutil.rmtree(folder, ignore_errors=True)
    steady, cold = summary(got["steady"]), summary(got["cold"])
    table = Table(title=f"agentdesk bench watch (central: {centre.kind})")
    table.add_column("what")
    table.add_column("result", justify="right")
    table.add_column("goal", justify="right")
    table.add_row("open unpaused tickets read per pass", f"{got['open']:,}", "")
    table.add_row(f"first pass: the backlog, {got['backlog_fired']:,} alerts fired "
                  f"({got['owed']:,} owed)", f"{got['backlog_s']:.1f} s", "")
    table.add_row(f"a pass every 30 s, median / p99 of {steady['n']} "
                  f"({got['steady_fired']:,} new alerts in all)",
                  f"{steady['median'] * 1000:.0f} / {steady['p99'] * 1000:.0f} ms", "< 1 s")
    table.add_row(f"a watch just started (nothing in memory), median of {cold['n']}",
                  f"{cold['median'] * 1000:.0f} ms", "")
    table.add_row("peak memory of the watch process (resident)", f"{got['rss_mb']:.0f} MB",
                  "< 200 MB")
    table.add_row("  Python heap's peak during one pass (tracemalloc)",
                  f"{got['heap_mb']:.0f} MB", "")
    console.print(table)
    return 0
