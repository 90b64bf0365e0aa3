"""``agentdesk bench monitor``: a full wallboard refresh over 100,000 tickets.

Builds a demo desk (20,000 customers, 100,000 tickets over 30 days with their events and
calls), then times a full :func:`agentdesk.monitor.figures.wallboard` (its two halves on two
read-only connections at once), each half alone as the monitor reads them (the live half on
every refresh, the period half once a minute, each in its own worker), the full refresh on
one connection, and each figure alone; beside a naive
baseline that loads every ticket and event row into Python and counts there (the SLA states,
the mix for three windows, the first-response and resolution KPIs, the created / resolved
trend: fewer figures than the real refresh). Median and p99 over ``runs`` runs.
"""

from __future__ import annotations

import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.stats import summary

CUSTOMERS, TICKETS = 20_000, 100_000


def build(path: Path) -> float:
    from agentdesk.demo import generate as demo
    from agentdesk.core import store

    start = time.perf_counter()
    desk = store.open_desk(path)
    demo.generate(desk, CUSTOMERS, TICKETS, seed=7)
    desk.dispose()
    return time.perf_counter() - start


def naive(conn, now: datetime) -> dict:  # noqa: ANN001 - sqlite3.Connection
    """The obvious way: every row into Python, then loops and dicts."""
    from agentdesk.monitor import figures as monitor
    from agentdesk.tickets import clocks

    def load(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text).replace(tzinfo=monitor.clock.UTC) if text else None

    responded: dict[str, datetime] = {}
    for tid, at, frm, to in conn.execute(
            "SELECT ticket_id, at, from_status, to_status FROM ticket_event"):
        if frm == "accepted" and to:
            when = load(at)
            if tid not in responded or when < responded[tid]:
                responded[tid] = when
    spans = monitor.windows(now)
    states = dict.fromkeys(monitor.LEVELS, 0)
    mix = {p: {} for p in monitor.PERIODS}
    fr = [0, 0]
    res = [0, 0]
    lo = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    created_h, resolved_h = [0] * 24, [0] * 24
    for row in conn.execute(
            "SELECT id, status, business_type, category, area_class, created_at, "
            "resolved_at, paused_at, due_first_response, due_arrival, due_resolution, "
            "due_callback FROM ticket"):
        tid, status, btype, cat, area, created, resolved, paused, *dues = row
        created, resolved = load(created), load(resolved)
        dues = [load(d) for d in dues]
        if status in clocks.OPEN:
            state = clocks.next_clock(status, dict(zip(clocks.CLOCKS, dues)), created,
                                      resolved, now)
            level = "paused" if paused else "ok" if state is None else state.level
            states["ok" if level == "half" else level] += 1
        for period, (since, until) in spans.items():
            if since <= created < until:
                key = (btype, cat, area)
                mix[period][key] = mix[period].get(key, 0) + 1
        if spans["30d"][0] <= created < spans["30d"][1]:
            first, due_fr, due_res = responded.get(tid), dues[0], dues[2]
            if due_fr and (first or due_fr <= now):
                fr[0] += 1
                fr[1] += bool(first and first <= due_fr)
            if due_res and (resolved or due_res <= now):
                res[0] += 1
                res[1] += bool(resolved and resolved <= due_res)
        for when, counts in ((created, created_h), (resolved, resolved_h)):
            if when and lo <= when <= now:
                counts[int((when - lo).total_seconds() // 3600)] += 1
    return {"states": states, "mix": mix, "fr": fr, "res": res, "created": created_h,
            "resolved": resolved_h}


def measure(path: Path, runs: int, naive_runs: int) -> dict[str, list[float]]:
    from agentdesk.core import clock, store
    from agentdesk.monitor import figures as monitor

    desk = store.open_readonly(path)
    now = clock.now()
    out: dict[str, list[float]] = {}

    def timed(name: str, job, n: int):  # noqa: ANN001, ANN202
        result = None
        for _ in range(n):
            start = time.perf_counter()
            result = job()
            out.setdefault(name, []).append((time.perf_counter() - start) * 1000)
        return result

    try:
        monitor.wallboard(desk, now)  # warm the page cache once
        board = timed("refresh", lambda: monitor.wallboard(desk, now), runs)
        conn = desk.raw()
        try:
            timed("live", lambda: monitor.live(conn, now), runs)
            timed("review", lambda: monitor.review(conn, now), runs)
            timed("serial", lambda: monitor.wallboard(conn, now), runs)
            spans = monitor.windows(now)
            periods = {p: spans[p] for p in monitor.PERIODS}
            parts = {
                "  SLA states + breach list": lambda: monitor.open_levels(conn, now),
                "  agents (incl. states)": lambda: monitor.agent_rows(conn, now),
                "  off shift": lambda: monitor.off_shift(conn),
                "  incidents and notices": lambda: monitor.events(conn, now),
                "  mix (3 windows)": lambda: monitor.mixes(conn, periods),
                "  KPIs (3 windows)": lambda: monitor.kpi_set(conn, periods, now),
                "  hot spots (7 days)": lambda: monitor.hot_spots(conn, *spans["7d"]),
                "  trend (24 h)": lambda: monitor.trend(conn, now),
            }
            for name, job in parts.items():
                timed(name, job, max(3, runs // 3))
            check = timed("naive", lambda: naive(conn, now), naive_runs)
        finally:
            conn.close()
    finally:
        desk.dispose()
    # The baseline must count what the refresh counts, or the comparison means nothing.
    assert check["states"] == board.states, (check["states"], board.states)
    assert check["created"] == board.trend.created and check["resolved"] == board.trend.resolved
    kpi = board.kpis["30d"]
    assert check["fr"] == [kpi.fr_decided, kpi.fr_on_time]
    assert check["res"] == [kpi.res_decided, kpi.res_on_time]
    assert sum(check["mix"]["7d"].values()) == board.mix["7d"].total
    out["_open"] = [float(sum(board.states.values()))]
    return out


def main(runs: int = 30, naive_runs: int = 5) -> int:
    console = Console()
    runs = max(runs, 5)
    folder = Path(tempfile.mkdtemp(prefix="agentdesk-monitor-"))
    path = folder / "monitor.db"
    console.print(f"building {TICKETS:,} tickets ({CUSTOMERS:,} customers) ...")
    built = build(path)
    result = measure(path, runs, naive_runs)
    table = Table(title=f"agentdesk bench monitor: {TICKETS:,} tickets, "
                        f"{int(result.pop('_open')[0]):,} open (ms)")
    for column in ("what", "runs", "median", "p99", "max"):
        table.add_column(column, justify="left" if column == "what" else "right")
    labels = {"refresh": "full refresh, live + period halves on 2 connections",
              "live": "live half (the monitor reads it every refresh)",
              "review": "period half: 7/30-day mix, KPIs, hot spots (once a minute)",
              "serial": "full refresh on one connection",
              "naive": "naive: all rows into Python (fewer figures)"}
    for key, values in result.items():
        s = summary(values)
        table.add_row(labels.get(key, key), str(s["n"]), f"{s['median']:.1f}",
                      f"{s['p99']:.1f}", f"{s['max']:.1f}")
    console.print(table)
    console.print(f"database built in {built:.1f} s ({path.stat().st_size / 1e6:.0f} MB, "
                  f"{folder})")
    for leftover in folder.iterdir():
        leftover.unlink()
    folder.rmdir()
    return 0
