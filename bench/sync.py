"""``agentdesk bench sync``: first sync of 1,000,000 customers, 1,000 ticket changes, and
20 desks syncing at once.

The central store is PostgreSQL when one answers (``AGENTDESK_BENCH_CENTRAL`` names a
server database URL to create throw-away databases beside, default
``postgresql://postgres@127.0.0.1:5432/test``), else a SQLite file. Customers come from
the deterministic demo generator, bulk-copied into the centre (set-up, not measured).
``AGENTDESK_BENCH_CUSTOMERS`` changes the customer count.

* first sync: ``agentdesk sync --once`` in a child process on an empty desk, from the
  centre's seed (made at set-up, as ``agentdesk central seed`` makes it; timed and
  shown, not counted): rows (customers) per second until the desk can look callers up,
  the child's peak memory and its phases; the median of five runs. The baseline in the
  same run: the same first sync copying rows (``--no-seed``: customers and phones,
  lookup keys, index rebuild, change log);
* 1,000 ticket changes: one desk pushes them (and pulls them back), another pulls them;
* ``sync --verify`` on that desk (:mod:`bench.verify`), against comparing every row;
* 20 desks, each its own process: 20 rounds of (10 changes, one sync); changes per second
  the centre applied, and p50 / p99 of one desk's sync.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from agentdesk.core import ids

from bench.stats import summary

if TYPE_CHECKING:
    from agentdesk.core.store import Store

CUSTOMERS = int(os.environ.get("AGENTDESK_BENCH_CUSTOMERS", "1000000"))
SERVER = os.environ.get("AGENTDESK_BENCH_CENTRAL", "postgresql://postgres@127.0.0.1:5432/test")
DESKS, ROUNDS, PER_ROUND = 20, 20, 10
FIRST_RUNS = 5
_COLS = None


class Centre:
    """A throw-away central store: a PostgreSQL database, or a SQLite file."""

    def __init__(self, folder: Path, tag: str) -> None:
        self.pg_name = None
        try:
            import psycopg

            psycopg.connect(SERVER, connect_timeout=3).close()
            self.pg_name = f"agentdesk_bench_{tag}_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(SERVER, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.pg_name}"')
            self.url = SERVER.rsplit("/", 1)[0] + "/" + self.pg_name
        except Exception:  # noqa: BLE001 - no server: a SQLite central
            self.url = f"sqlite:///{folder / f'central-{tag}.db'}"
        from agentdesk.sync import central

        c = central.connect(self.url)
        c.init_schema()
        c.dispose()

    @property
    def kind(self) -> str:
        return "PostgreSQL" if self.pg_name else "SQLite"

    def drop(self) -> None:
        if self.pg_name:
            import psycopg

            with psycopg.connect(SERVER, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


def _source(folder: Path, customers: int) -> Path:
    from agentdesk.demo import generate as demo
    from agentdesk.sync import outbox

    path = folder / "source.db"
    desk = outbox.open_syncing_desk(path)
    demo.generate(desk, customers, 0, seed=7)
    desk.dispose()
    return path


def _readable(cols: list[str]) -> str:
    """The columns as the centre stores them (customer_key's id as text)."""
    return ", ".join("key_id(customer_id)" if cols == ["key", "customer_id"] and c ==
                     "customer_id" else c for c in cols)


def bulk_load(centre: Centre, source: Path) -> None:
    """Copy the source's customers, phones and lookup keys into the centre and log them
    (set-up)."""
    from agentdesk.sync import codec

    ccols, pcols = codec.columns("customer"), codec.columns("customer_phone")
    # The demo's lookup keys are search_keys.customer_keys' (tests/test_demo.py checks),
    # i.e. what the centre computes on load: copied as they are.
    kcols = ["key", "customer_id"]
    src = sqlite3.connect(source)
    ids.register(src)  # the desk's keys hold packed ids: key_id() gives the text back
    if centre.pg_name:
        import psycopg

        with psycopg.connect(centre.url) as conn:
            with conn.cursor() as cur:
                for table, cols in (("customer", ccols), ("customer_phone", pcols),
                                    ("customer_key", kcols)):
                    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                        for row in src.execute(f"SELECT {_readable(cols)} FROM {table}"):
                            copy.write_row(row)
                # numbered at commit by the centre's trigger (central/ordering.py)
                cur.execute("INSERT INTO change_log (entity, row_id, op, origin) SELECT "
                            "'customer', id, 'upsert', 'centre' FROM customer ORDER BY id")
            conn.commit()
            conn.autocommit = True
            # As autovacuum would, soon after a bulk load: statistics, and away with the
            # row versions the commit-time numbering replaced (central/ordering.py).
            conn.execute("VACUUM ANALYZE")
    else:
        dst = sqlite3.connect(centre.url.removeprefix("sqlite:///"))
        dst.execute("BEGIN IMMEDIATE")
        for table, cols in (("customer", ccols), ("customer_phone", pcols),
                            ("customer_key", kcols)):
            dst.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES "
                            f"({', '.join('?' * len(cols))})",
                            src.execute(f"SELECT {_readable(cols)} FROM {table}"))
        dst.execute("INSERT INTO change_log (entity, row_id, op, origin, at) SELECT "
                    "'customer', id, 'upsert', 'centre', CURRENT_TIMESTAMP FROM customer "
                    "ORDER BY id")
        dst.commit()
        dst.close()
    src.close()


def make_seed(centre: Centre) -> dict:
    """The centre's seed for new desks (set-up, as ``agentdesk central seed`` does)."""
    from agentdesk.sync import central, seed

    c = central.connect(centre.url)
    try:
        return seed.build(c)
    finally:
        c.dispose()


def _remove_desk(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".lock", ".seed", ".seed.id"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def first_sync(centre: Centre, desk: Path, *flags: str) -> dict:
    """``agentdesk sync --once`` on an empty desk in a child process; its peak memory is
    the kernel's high-water mark of the child (VmHWM, read until it exits: ru_maxrss of a
    child would count the parent's pages it was forked with)."""
    env = {**os.environ, "AGENTDESK_CONFIG": str(desk.parent / "none.toml")}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "agentdesk", "sync", "--once", "--json",
                              "--db", str(desk), "--central", centre.url, *flags],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak_kb = 0
    while child.poll() is None:
        try:
            with open(f"/proc/{child.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak_kb = max(peak_kb, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.01)
    out, err = child.communicate()
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"first sync failed: {err or out}")
    report = json.loads(out.strip().splitlines()[-1])
    return {"seconds": seconds, "pulled": report["pulled"], "peak_mb": peak_kb / 1024,
            "phases": report.get("phases", {})}


def _changes(desk: Store, n_tickets: int, agent: str) -> int:
    from agentdesk.tickets import service as tickets

    with desk.session() as s:
        for i in range(n_tickets):
            number = tickets.create(s, tickets.Draft(
                category="water.burst", description=f"压测 {i}", location="花园路"), agent).number
            tickets.add_note(s, number, agent, "已联系")
    return n_tickets * 3  # ticket + created event + note


def incremental(centre: Centre, desk_a: Path, folder: Path) -> dict:
    from agentdesk.core import agents
    from agentdesk.sync import central, engine, outbox

    desk_b = folder / "desk-b.db"
    shutil.copy(desk_a, desk_b)  # a second desk that is already in step
    for suffix in ("-wal", "-shm"):
        if Path(str(desk_a) + suffix).exists():
            shutil.copy(str(desk_a) + suffix, str(desk_b) + suffix)
    a, b = outbox.open_syncing_desk(desk_a), outbox.open_syncing_desk(desk_b)
    with b.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sync_meta WHERE key IN ('desk_id', 'desk_no')")
    c = central.connect(centre.url)
    engine.sync_once(b, c)
    with a.session() as s:
        agents.ensure(s, "A1001", "王芳")
    engine.sync_once(a, c)
    made = _changes(a, 334, "A1001")  # 1,002 changes
    started = time.perf_counter()
    pushed = engine.sync_once(a, c)
    push_s = time.perf_counter() - started
    started = time.perf_counter()
    pulled = engine.sync_once(b, c)
    pull_s = time.perf_counter() - started
    a.dispose(), b.dispose(), c.dispose()
    return {"changes": made, "push_s": push_s, "pushed": pushed.pushed, "pull_s": pull_s,
            "pulled": pulled.pulled}


def _desk_worker(args: tuple) -> list[tuple[float, int]]:
    url, folder, i = args
    from agentdesk.core import agents
    from agentdesk.sync import central, engine, outbox

    desk = outbox.open_syncing_desk(Path(folder) / f"c{i}.db")
    with desk.session() as s:
        agents.ensure(s, f"C{i:03d}", f"坐席{i}")
    c = central.connect(url, pool_size=1)
    engine.sync_once(desk, c)
    times = []
    for _ in range(ROUNDS):
        made = _changes(desk, PER_ROUND // 3 + 1, f"C{i:03d}")
        started = time.perf_counter()
        report = engine.sync_once(desk, c)
        times.append((time.perf_counter() - started, report.pushed))
        del made
    desk.dispose()
    c.dispose()
    return times


def concurrent(folder: Path) -> dict:
    centre = Centre(folder, "many")
    try:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(DESKS) as pool:
            started = time.perf_counter()
            results = pool.map(_desk_worker, [(centre.url, str(folder), i)
                                              for i in range(DESKS)])
            wall = time.perf_counter() - started
        times = [t for r in results for t, _ in r]
        pushed = sum(p for r in results for _, p in r)
        return {"centre": centre.kind, "syncs": len(times), "pushed": pushed,
                "rate": pushed / wall, "wall": wall, **{f"sync_{k}": v for k, v in
                                                        summary(times).items()}}
    finally:
        centre.drop()


def main(customers: int = CUSTOMERS) -> int:
    console = Console()
    folder = Path(tempfile.mkdtemp(prefix="agentdesk-bench-sync-"))
    centre = Centre(folder, "first")
    try:
        console.print(f"central store: {centre.kind}; generating {customers:,} customers …")
        source = _source(folder, customers)
        started = time.perf_counter()
        bulk_load(centre, source)
        console.print(f"loaded into the centre in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        made = make_seed(centre)
        console.print(f"seed for new desks made in {time.perf_counter() - started:.1f} s "
                      f"({made['size'] / 1048576:.0f} MB)")
        desk = folder / "desk-a.db"
        firsts = []
        for run in range(FIRST_RUNS):  # from the seed: what `agentdesk sync --once` does
            _remove_desk(desk)
            firsts.append(first_sync(centre, desk))
            console.print(f"first sync {run + 1}: {firsts[-1]['seconds']:.1f} s")
        first = sorted(firsts, key=lambda f: f["seconds"])[len(firsts) // 2]  # the median
        rows = first_sync(centre, folder / "desk-rows.db", "--no-seed")  # the baseline
        console.print(f"first sync copying rows (baseline): {rows['seconds']:.1f} s")
        _remove_desk(folder / "desk-rows.db")
        console.print("first syncs done; 1,000 ticket changes …")
        inc = incremental(centre, desk, folder)
        console.print("sync --verify on the synced desk …")
        from bench import verify as verify_bench

        checked = verify_bench.measure(centre.url, desk)
        console.print("20 desks at once …")
        many = concurrent(folder)
        faults = _faults(folder, console)
    finally:
        centre.drop()
        shutil.rmtree(folder, ignore_errors=True)
    table = Table(title=f"agentdesk bench sync (central: {centre.kind})")
    table.add_column("what")
    table.add_column("result", justify="right")
    table.add_column("goal", justify="right")
    seconds = sorted(f["seconds"] for f in firsts)
    table.add_row(f"first sync from the seed, {first['pulled']:,} customers "
                  f"(median of {len(firsts)})",
                  f"{first['seconds']:.1f} s (min {seconds[0]:.1f}, max {seconds[-1]:.1f})", "")
    table.add_row("  rows per second", f"{first['pulled'] / first['seconds']:,.0f}", "> 50,000")
    table.add_row("  peak desk memory", f"{max(f['peak_mb'] for f in firsts):.0f} MB",
                  "< 300 MB")
    for phase, took in first["phases"].items():
        table.add_row(f"  {phase}", f"{took:.1f} s", "")
    table.add_row("first sync copying rows (baseline: no seed)", f"{rows['seconds']:.1f} s", "")
    table.add_row("  rows per second", f"{rows['pulled'] / rows['seconds']:,.0f}", "")
    table.add_row("  peak desk memory", f"{rows['peak_mb']:.0f} MB", "")
    for phase, took in rows["phases"].items():
        table.add_row(f"  {phase}", f"{took:.1f} s", "")
    table.add_row(f"push {inc['pushed']:,} ticket changes (one desk)",
                  f"{inc['push_s'] * 1000:.0f} ms", "< 1 s")
    table.add_row(f"pull them ({inc['pulled']:,} log entries, another desk)",
                  f"{inc['pull_s'] * 1000:.0f} ms", "< 1 s")
    v, n = checked["verify"], checked["naive"]
    table.add_row(f"sync --verify, desk of {checked['customers']:,} customers "
                  f"({checked['rows']:,} rows), median / p99 of {v['n']}",
                  f"{v['median']:.1f} / {v['p99']:.1f} s "
                  f"({'equal' if checked['equal'] else 'NOT equal'})", "")
    table.add_row(f"  baseline: every row of both sides compared (median of {n['n']})",
                  f"{n['median']:.1f} s ({checked['naive_differ']} differ)", "")
    table.add_row("  one customer deleted by hand: found (differences)",
                  f"{checked['find_s']:.1f} s ({checked['found']})", "")
    table.add_row("  --repair, sync, verify again",
                  f"{checked['repair_s']:.1f} s ({checked['repaired']['fetched']} fetched, "
                  f"{'equal' if checked['equal_after'] else 'NOT equal'})", "equal")
    table.add_row(f"{DESKS} desks at once: changes applied per second",
                  f"{many['rate']:,.0f}", "")
    table.add_row("  one desk's sync p50 / p99",
                  f"{many['sync_median'] * 1000:.0f} / {many['sync_p99'] * 1000:.0f} ms", "")
    if faults:
        stall, reset = faults["stalled"], faults["resetting"]
        table.add_row("one desk's link silent mid-push: other desks' sync p50 / p99",
                      f"{stall['during']['median'] * 1000:.0f} / "
                      f"{stall['during']['p99'] * 1000:.0f} ms ({stall['syncs']} syncs)",
                      "< a few s")
        table.add_row("  the same desks, nobody stalled (baseline) p50 / p99",
                      f"{stall['baseline']['median'] * 1000:.0f} / "
                      f"{stall['baseline']['p99'] * 1000:.0f} ms", "")
        table.add_row("  the stalled desk gave up after (exit status)",
                      f"{stall['gave_up_s']:.1f} s ({stall['exit']})", "< 30 s, exit 3")
        table.add_row(f"{reset['reset']['changes']:,} changes through a link reset every 30 KB",
                      f"{reset['reset']['seconds']:.1f} s ({reset['reset']['resets']} resets, "
                      f"{reset['reset']['retries']} smaller batches)", "all arrive")
        table.add_row("  the same through the proxy, no resets (baseline)",
                      f"{reset['baseline']['seconds']:.1f} s", "")
    console.print(table)
    return 0


def _faults(folder: Path, console: Console) -> dict | None:
    """The bad-network figures (:mod:`bench.sync_faults`): PostgreSQL only."""
    from bench import sync_faults

    centre = Centre(folder, "faults")
    try:
        if not centre.pg_name:
            console.print("no PostgreSQL: the bad-network figures are not measured")
            return None
        console.print("one desk's link silent mid-push …")
        stall = sync_faults.stalled(centre.url, folder)
        console.print("2,000 changes through a link reset every 30 KB …")
        return {"stalled": stall, "resetting": sync_faults.resetting(centre.url, folder)}
    finally:
        centre.drop()
