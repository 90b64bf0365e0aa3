"""``agentdesk bench pull``: a desk in step pulls a centre's bulk edit of every customer
(issue 21: "incremental pull: over 50,000 change-log entries per second").

For each size a customer file is made (the demo generator, then ``agentdesk export
customers``), loaded into a fresh PostgreSQL centre (a scratch database on the test server,
dropped afterwards), and a desk takes its first sync. The edit is what a centre does every
month: the billing file again with every customer's arrears changed, through ``central
load customers``. Then copies of that desk pull the edit, alternately:

* **baseline**: every pulled customer's lookup keys recomputed (before and after the row:
  what the pull did before issue 21);
* **now**: only the customers whose name, address, numbers or phones changed.

Each pull runs on its own fresh copy of the desk, three times a path; the table gives the
median and the slowest, and change-log entries per second at the median.
"""

from __future__ import annotations

import csv
import shutil
import statistics
import tempfile
import time
from pathlib import Path

RUNS = 3


def _edited(path: Path) -> Path:
    """The same file with every customer's arrears one yuan higher."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    col = rows[0].index("arrears_yuan")
    for r in rows[1:]:
        r[col] = f"{float(r[col] or 0) + 1:.2f}"
    out = path.with_name("edited.csv")
    with open(out, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    return out


def _copy(src: Path, dst: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{dst}{suffix}").unlink(missing_ok=True)
        if Path(f"{src}{suffix}").exists():
            shutil.copy(f"{src}{suffix}", f"{dst}{suffix}")


def one(url: str, desk_file: Path, rekey_all: bool) -> tuple[float, int]:
    from agentdesk.sync import central, engine, outbox, pulled_customers

    desk, centre = outbox.open_syncing_desk(desk_file), central.connect(url)
    pulled_customers.REKEY_ALL = rekey_all
    try:
        began = time.perf_counter()
        report = engine.sync_once(desk, centre)
        return time.perf_counter() - began, report.pulled
    finally:
        pulled_customers.REKEY_ALL = False
        desk.dispose(), centre.dispose()


def size(rows: int, folder: Path) -> dict[str, list[tuple[float, int]]]:
    from agentdesk.sync import central, engine, load, outbox
    from bench.day_world import Centre
    from bench.load import make_file

    source = make_file(rows, folder)
    db = Centre.fresh()
    try:
        centre = central.connect(db.url)
        centre.init_schema()
        load.customers(centre, str(source))
        first = folder / "first.db"
        desk = outbox.open_syncing_desk(first)
        engine.sync_once(desk, centre)
        desk.dispose()
        report = load.customers(centre, str(_edited(source)))
        centre.dispose()
        print(f"{rows:,} customers: the edit changed {report.updated:,}", flush=True)
        out: dict[str, list[tuple[float, int]]] = {"baseline": [], "now": []}
        for _ in range(RUNS):
            for name in out:
                run = folder / "run.db"
                _copy(first, run)
                out[name].append(one(db.url, run, rekey_all=name == "baseline"))
        return out
    finally:
        db.drop()


def main(sizes: list[int]) -> int:
    print(f"{'customers':>10} {'path':<9} {'runs':>4} {'median s':>9} {'max s':>7} "
          f"{'entries':>9} {'entries/s':>10}")
    for rows in sizes:
        with tempfile.TemporaryDirectory(prefix="agentdesk-bench-pull-") as tmp:
            got = size(rows, Path(tmp))
        for name, runs in got.items():
            seconds = [s for s, _ in runs]
            mid = statistics.median(seconds)
            pulled = runs[0][1]
            print(f"{rows:>10,} {name:<9} {len(runs):>4} {mid:>9.2f} {max(seconds):>7.2f} "
                  f"{pulled:>9,} {pulled / mid:>10,.0f}", flush=True)
    return 0
