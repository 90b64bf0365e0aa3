"""``agentdesk bench queue``: the queue with 10,000 open tickets, 2,000 of them the agent's.

Load: from asking for a reload to the list drawn (the app worker's query of the agent's
tickets, filtering, drawing the visible lines). Tick: the once-a-second work on the UI
thread, including drawing the visible lines (p50 / p99 over 300 ticks), beside the obvious
way (a DataTable rebuilt from every row every tick) in the same run. Runs the real app
headless at 120x40.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.stats import summary

OPEN, MINE = 10_000, 2_000


def build(path: Path) -> None:
    from agentdesk.core import clock, store
    from agentdesk.demo import generate as demo
    from agentdesk.tickets import taxonomy
    from agentdesk.core.ids import new_id
    from agentdesk.core.models import utc_text

    desk = store.open_desk(path)
    demo.generate(desk, 5_000, 0, seed=3)
    raw = desk.raw()
    agents = [r[0] for r in raw.execute("SELECT id FROM agent ORDER BY code")]
    me = raw.execute("SELECT id FROM agent WHERE code = 'A1001'").fetchone()[0]
    others = [a for a in agents if a != me]
    customers = [r[0] for r in raw.execute("SELECT id FROM customer")]
    cats = list(taxonomy.load().categories.values())
    rng = random.Random(5)
    now = clock.now()
    rows = []
    for n in range(OPEN):
        cat = rng.choice(cats)
        created = now - timedelta(minutes=rng.uniform(0, 180))
        owner = me if n < MINE else rng.choice(others)
        rows.append((new_id(), f"QB{n:08d}", cat.business_type, cat.code, cat.priority,
                     rng.choice(("accepted", "dispatched", "on_site")), "排队压测",
                     rng.choice(customers), owner, owner, utc_text(created),
                     utc_text(created), utc_text(created + timedelta(minutes=15)),
                     utc_text(created + timedelta(minutes=rng.choice((30, 45, 90)))),
                     utc_text(created + timedelta(hours=rng.choice((3, 4, 24))))))
    raw.executemany(
        "INSERT INTO ticket (id, number, business_type, category, priority, status, "
        "description, customer_id, first_responder_id, owner_id, created_at, updated_at, "
        "due_first_response, due_arrival, due_resolution, location, area_class, department, "
        "satisfaction, complained_party) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, '', 'urban', '', '', '')", rows)
    raw.commit()
    raw.close()
    desk.dispose()


async def _settle(app) -> None:  # noqa: ANN001
    """Until no worker runs (a cancelled one counts as done: a newer reload replaced it)."""
    while any(w.is_running for w in app.workers):
        await asyncio.sleep(0.01)


def _naive_screen(rows: list):  # noqa: ANN202
    """The obvious queue: a DataTable rebuilt from every row every second."""
    from rich.text import Text
    from textual.screen import Screen
    from textual.widgets import DataTable

    from agentdesk.core import clock
    from agentdesk.screens.queue import countdown_text

    class Naive(Screen):
        def compose(self):  # noqa: ANN202
            table = DataTable(id="naive")
            for key in ("number", "caller", "category", "priority", "due", "owner", "status"):
                table.add_column(key, key=key)
            yield table

        def rebuild(self) -> None:
            table = self.query_one(DataTable)
            table.clear()
            now = clock.now()
            table.add_rows([(Text(r.number), Text(r.caller), Text(r.category),
                             Text(r.priority), countdown_text(r, now), Text(r.owner),
                             Text(r.status)) for r in rows])

    return Naive()


def _paint(widget) -> None:  # noqa: ANN001
    """What the compositor does next for the widget: draw its visible lines."""
    from textual.geometry import Region

    widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))


async def measure(path: Path, ticks: int, naive_ticks: int) -> dict[str, list[float]]:
    from agentdesk.core import clock
    from agentdesk.apps.factory import create_app
    from agentdesk.core.config import Config

    app = create_app(Config(agent_id="A1001"), db_path=path, fill_demo=False,
                     screen_pop=False)
    out: dict[str, list[float]] = {"load": [], "tick": [], "naive": []}
    async with app.run_test(size=(120, 40)) as pilot:
        while app.store is None:
            await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        await pilot.press("f5")
        screen = app.screen
        await _settle(app)  # the first scan escalates the backlog
        for _ in range(15):
            app.my_queue = []  # the list empties; then what a data change does: reload it
            start = time.perf_counter()
            app.load_my_queue()
            while not screen.rows:  # until the list is on screen (the scan runs apart)
                await asyncio.sleep(0.001)
            _paint(screen.query_one("#tickets"))
            out["load"].append((time.perf_counter() - start) * 1000)
            await _settle(app)
        table = screen.query_one("#tickets")
        base = clock.now()
        for n in range(ticks):
            clock.freeze(base + timedelta(seconds=n + 1))
            start = time.perf_counter()
            screen.tick()
            _paint(table)
            out["tick"].append((time.perf_counter() - start) * 1000)
            await pilot.pause()
        rows = screen.rows
        naive = _naive_screen(rows)
        await app.push_screen(naive)
        await pilot.pause()
        naive_table = naive.query_one("#naive")
        for n in range(naive_ticks):
            clock.freeze(base + timedelta(seconds=ticks + n + 1))
            start = time.perf_counter()
            naive.rebuild()
            _paint(naive_table)
            out["naive"].append((time.perf_counter() - start) * 1000)
            await pilot.pause()
        out["rows"] = [float(len(rows))]
    clock.unfreeze()
    out["scan"] = _scan_times(path)
    return out


def _scan_times(path: Path, runs: int = 10) -> list[float]:
    """The 30-second warning/escalation scan over the agent's tickets (a worker's cost)."""
    from agentdesk.core import clock, store
    from agentdesk.tickets import escalation

    desk = store.open_desk(path)
    times = []
    try:
        for _ in range(runs):
            with desk.session() as session:
                start = time.perf_counter()
                escalation.due_alerts(session, clock.now(), owner="A1001")
                times.append((time.perf_counter() - start) * 1000)
    finally:
        desk.dispose()
    return times


def main(ticks: int = 300, naive_ticks: int = 30) -> int:
    console = Console()
    path = Path(tempfile.mkdtemp(prefix="agentdesk-queue-")) / "queue.db"
    start = time.perf_counter()
    build(path)
    built = time.perf_counter() - start
    result = asyncio.run(measure(path, ticks, naive_ticks))
    table = Table(title=f"agentdesk bench queue: {OPEN:,} open tickets, "
                        f"{int(result['rows'][0]):,} on the agent's queue (ms)")
    for column in ("what", "runs", "p50", "p99", "max"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for key, label in (("load", "load (query + draw)"), ("tick", "tick: repaint visible rows"),
                       ("naive", "naive tick: rebuild a DataTable"),
                       ("scan", "scan: the agent's 2,000 (worker)")):
        s = summary(result[key])
        table.add_row(label, str(s["n"]), f"{s['median']:.2f}", f"{s['p99']:.2f}",
                      f"{s['max']:.2f}")
    console.print(table)
    console.print(f"database built in {built:.1f} s")
    return 0
