"""``agentdesk bench outreach``: a notice's call list over ~50,000 customers of a
1,000,000-customer desk (issue 16 item 4: goal under 1 s).

The desk: a copy of ``--big-db`` (e.g. ``agentdesk demo-data --customers 1000000``; the
file given is only read, through SQLite's backup API) or, without it, 1,000,000 demo
customers made here (about a minute). The area: the streets of the district with the
most water customers, largest first, until they hold 50,000 water customers (one notice
over several areas, as a supervisor publishes it).

Timed, each on a notice made in a transaction that is rolled back after (so every run
starts from the same desk): :func:`agentdesk.centre.outreach.build` as publishing runs it
(the one ``INSERT ... SELECT`` plus the outbox rows the sync sends), the list built again
after a street is dropped (cancellations), a withdrawal (everything cancelled), the same
first build with the partial index ``ix_customer_outreach`` dropped (the planner falls
back to the (district, name) index), and a naive baseline: every customer of the
district read into Python, tested there and inserted row by row. Median and p99 over
``runs`` runs (the baseline and the unindexed build: a third of them). The index's size
comes from ``dbstat``.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from bench.stats import summary

if TYPE_CHECKING:
    from sqlmodel import Session

    from agentdesk.core.models import Notice
    from agentdesk.core.store import Store

    Job = Callable[[Session, Notice], int]

CUSTOMERS, AREA = 1_000_000, 50_000
SUP = ("S9001", "赵班长")


def make_desk(path: Path, big_db: str | None) -> float:
    """The 1,000,000-customer desk at ``path``; the seconds it took."""
    from agentdesk.core import store

    began = time.perf_counter()
    if big_db:
        source = sqlite3.connect(f"file:{Path(big_db).resolve()}?mode=ro", uri=True)
        target = sqlite3.connect(path)
        source.backup(target)
        source.close()
        target.close()
    else:
        from agentdesk.demo import generate as demo

        desk = store.open_desk(path)
        demo.generate(desk, CUSTOMERS, 0, seed=7)
        desk.dispose()
    return time.perf_counter() - began


def pick_area(raw: sqlite3.Connection) -> tuple[list[tuple[str, str]], int]:
    """(district, street) pairs holding about AREA water customers, and how many."""
    district = raw.execute("SELECT district FROM customer WHERE utility = 'water' "
                           "GROUP BY district ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    chosen, total = [], 0
    for street, n in raw.execute(
            "SELECT street, count(*) FROM customer WHERE utility = 'water' AND district = ? "
            "GROUP BY street ORDER BY count(*) DESC", (district,)):
        chosen.append((district, street))
        total += n
        if total >= AREA:
            break
    return chosen, total


def _notice(session: Session, where: list[tuple[str, str]], now: datetime) -> Notice:
    from agentdesk.core import agents, areas
    from agentdesk.core.models import Notice

    sup = agents.ensure(session, *SUP, role="supervisor")
    notice = Notice(utility="water", kind="planned", cause="管网改造", title="压测停水",
                    areas=areas.dumps([areas.Area(d, s) for d, s in where]),
                    starts_at=now + timedelta(days=2), ends_at=now + timedelta(days=2, hours=8),
                    agent_id=sup.id, created_at=now, updated_at=now)
    session.add(notice)
    session.flush()
    return notice


def _timed(desk: Store, where: list[tuple[str, str]], job: Job) -> tuple[float, int]:
    """``job(session, notice) -> rows`` on a fresh notice, timed, then rolled back."""
    from sqlmodel import Session

    from agentdesk.core import clock

    session = Session(desk.engine)
    if desk.session_hook is not None:
        desk.session_hook(session)  # the outbox capture, as on a desk that syncs
    try:
        notice = _notice(session, where, clock.now())
        began = time.perf_counter()
        rows = job(session, notice)
        return time.perf_counter() - began, rows
    finally:
        session.rollback()
        session.close()


def naive(session: Session, notice: Notice) -> int:
    """The obvious way: the district's customers into Python, tested and added one by one."""
    from agentdesk.centre import outreach
    from agentdesk.core import areas, store
    from agentdesk.core.models import OutreachCall
    from agentdesk.sync.codec import row_of

    rules, now = outreach.Rules(), notice.created_at
    where = areas.loads(notice.areas)
    due = outreach.due_at(notice, rules, now)
    added = []
    for cid, district, street, community, building, tags, key, status in \
            session.connection().exec_driver_sql(
                "SELECT id, district, street, community, building, tags, key_level, status "
                "FROM customer WHERE utility = 'water' AND district IN (SELECT value FROM "
                "json_each(?))", (json.dumps(sorted({a.district for a in where})),)):
        if status == "closed" or not any(areas.covers(a, district, street, community,
                                                      building) for a in where):
            continue
        reasons = [t for t in rules.tags if t in tags.replace(" ", "").split(";")]
        if key >= rules.key_level:
            reasons.append(f"key:{key}")
        if reasons:
            call = OutreachCall(id=outreach.call_id(notice.id, cid), notice_id=notice.id,
                                customer_id=cid, reason=";".join(reasons), due_at=due,
                                created_at=now, built_at=now, updated_at=now)
            session.add(call)
            added.append(call)
    session.flush()
    store.note_changes(session, "outreach_call", [row_of(c) for c in added])
    return len(added)


def main(big_db: str | None = None, runs: int = 15) -> int:
    from agentdesk.centre import outreach
    from agentdesk.core import areas
    from agentdesk.sync.outbox import open_syncing_desk

    console = Console()
    with tempfile.TemporaryDirectory(prefix="agentdesk-bench-outreach-") as tmp:
        path = Path(tmp) / "desk.db"
        made = make_desk(path, big_db)
        began = time.perf_counter()
        desk = open_syncing_desk(path)  # migrates a copy made by an older agentdesk
        migrated = time.perf_counter() - began
        raw = desk.raw()
        where, inside = pick_area(raw)
        customers = raw.execute("SELECT count(*) FROM customer").fetchone()[0]
        index_kb = raw.execute("SELECT sum(pgsize) FROM dbstat WHERE name = "
                               "'ix_customer_outreach'").fetchone()[0] / 1024
        file_mb = path.stat().st_size / 1e6

        def build(session: Session, notice: Notice) -> int:
            return outreach.build(session, notice, notice.created_at).added

        def rebuild(session: Session, notice: Notice) -> int:
            outreach.build(session, notice, notice.created_at)
            notice.areas = areas.dumps([areas.Area(d, s) for d, s in where[1:]])
            return outreach.build(session, notice, notice.created_at).cancelled

        def withdraw(session: Session, notice: Notice) -> int:
            outreach.build(session, notice, notice.created_at)
            notice.status = "withdrawn"
            return outreach.build(session, notice, notice.created_at).cancelled

        results: dict[str, tuple[list[float], int]] = {}
        few = max(3, runs // 3)
        jobs: tuple[tuple[str, Job, int], ...] = (
            ("build (publish)", build, runs),
            ("build, then again without one street", rebuild, runs),
            ("build, then withdrawn", withdraw, runs),
            ("naive Python loop", naive, few))
        for name, job, n in jobs:
            times, rows = [], 0
            for _ in range(n):
                took, rows = _timed(desk, where, job)
                times.append(took)
            results[name] = (times, rows)
        raw.execute("DROP INDEX ix_customer_outreach")
        try:
            times = [_timed(desk, where, build)[0] for _ in range(few)]
            results["build without the partial index"] = (times, results[
                "build (publish)"][1])
        finally:
            from agentdesk.core.models import OUTREACH_CANDIDATE

            raw.execute("CREATE INDEX ix_customer_outreach ON customer (district, street, "
                        f"community, building) WHERE {OUTREACH_CANDIDATE}")
            raw.close()
            desk.dispose()

    table = Table(title=f"outreach list: {inside:,} water customers in {len(where)} streets "
                        f"of {where[0][0]}, {customers:,} customers in the desk")
    for column in ("what", "runs", "rows", "median ms", "p99 ms", "max ms"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for name, (times, rows) in results.items():
        s = summary(times)
        table.add_row(name, str(s["n"]), f"{rows:,}", f"{s['median'] * 1000:.1f}",
                      f"{s['p99'] * 1000:.1f}", f"{s['max'] * 1000:.1f}")
    console.print(table)
    console.print(f"desk {file_mb:,.0f} MB ({'copied' if big_db else 'made'} in {made:.0f} s, "
                  f"opened and migrated in {migrated:.1f} s); ix_customer_outreach "
                  f"{index_kb:,.0f} KiB. Goal: build under 1 s. "
                  f"{'met' if summary(results['build (publish)'][0])['p99'] < 1 else 'NOT met'}")
    return 0
