"""``agentdesk bench load``: ``central load customers`` into PostgreSQL, the row path
(the baseline: batches of upserts, as before issue 21) against COPY, end to end.

For each size a customer file is made as a billing export would be (the demo generator,
then ``agentdesk export customers``). Each path then loads it into a fresh centre (a
scratch database on the test server, dropped afterwards) in a child process, as the
command does: the load, then the new-desk seed when anything changed. The child's peak
resident memory comes from the kernel (``wait4``); the file and the schema are made in
children of their own, so the parent stays small (a child's peak counts the parent's
memory at the fork). The COPY path then loads the same file again: every row unchanged,
nothing written, no seed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path



def make_file(rows: int, folder: Path) -> Path:
    from agentdesk.core import store
    from agentdesk.customers import csvio
    from agentdesk.demo import generate

    made = folder / f"source-{rows}.db"
    desk = store.open_desk(made)
    try:
        generate.generate(desk, rows, 0, 1)
        path = folder / f"customers-{rows}.csv"
        csvio.export_customers(desk, path, agent="bench")
    finally:
        desk.dispose()
    for p in folder.glob(f"source-{rows}.db*"):
        p.unlink()
    return path


def child(kind: str, path: str, url: str) -> None:
    """One load as ``agentdesk central load customers`` does it (seed included); or
    ``file`` (make the customer file) or ``init`` (the schema)."""
    from agentdesk.sync import central, load, seed

    if kind == "file":
        print(json.dumps({"path": str(make_file(int(url), Path(path)))}))
        return
    if kind == "init":
        centre = central.connect(url)
        centre.init_schema()
        centre.dispose()
        print("{}")
        return

    centre = central.connect(url)
    try:
        began = time.perf_counter()
        report = load.customers(centre, path, copy=kind != "old")
        loaded = time.perf_counter()
        if report.inserted + report.updated:
            seed.build(centre, folder=Path(path).parent)
        done = time.perf_counter()
        with centre.reading() as conn:
            logged = conn.exec_driver_sql("SELECT count(*) FROM change_log").scalar()
    finally:
        centre.dispose()
    print(json.dumps({"load_s": loaded - began, "seed_s": done - loaded,
                      "inserted": report.inserted, "updated": report.updated,
                      "unchanged": report.unchanged, "errors": len(report.errors),
                      "change_log": logged}))


def run(kind: str, path: Path, url: str) -> dict:
    out, err = path.with_suffix(f".{kind}.out"), path.with_suffix(f".{kind}.err")
    began = time.perf_counter()
    with open(out, "wb") as fout, open(err, "wb") as ferr:
        proc = subprocess.Popen([sys.executable, "-m", "bench.load", kind, str(path), url],
                                stdout=fout, stderr=ferr,
                                cwd=Path(__file__).resolve().parents[1])
        _pid, status, usage = os.wait4(proc.pid, 0)  # reaped here: the child's own rusage
    wall = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"bench load {kind} failed: {err.read_text()[-1500:]}")
    got = json.loads(out.read_text().strip().splitlines()[-1])
    got["wall_s"] = wall
    got["peak_mb"] = usage.ru_maxrss / 1024
    return got


def main(sizes: list[int]) -> int:
    from bench.day_world import Centre

    print(f"{'rows':>10} {'path':<8} {'load s':>7} {'seed s':>7} {'wall s':>7} "
          f"{'rows/s':>8} {'peak MB':>8} {'ins':>9} {'upd':>7} {'same':>9} {'logged':>9}")
    with tempfile.TemporaryDirectory(prefix="agentdesk-bench-load-") as tmp:
        for rows in sizes:
            made = time.perf_counter()
            path = Path(run("file", Path(tmp) / "made", str(rows))["path"])
            print(f"{rows:>10,} file made in {time.perf_counter() - made:.0f} s "
                  f"({path.stat().st_size / 1e6:.0f} MB)", flush=True)
            for kind in ("old", "copy", "reload"):
                if kind != "reload":
                    centre = Centre.fresh()
                    run("init", path, centre.url)
                try:
                    got = run("copy" if kind == "reload" else kind, path, centre.url)
                finally:
                    if kind != "copy":
                        centre.drop()
                print(f"{rows:>10,} {kind:<8} {got['load_s']:>7.1f} {got['seed_s']:>7.1f} "
                      f"{got['wall_s']:>7.1f} {rows / got['wall_s']:>8,.0f} "
                      f"{got['peak_mb']:>8.0f} {got['inserted']:>9,} {got['updated']:>7,} "
                      f"{got['unchanged']:>9,} {got['change_log']:>9,}", flush=True)
            path.unlink()
    return 0


if __name__ == "__main__":
    child(*sys.argv[1:4])
