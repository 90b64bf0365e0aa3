"""``agentdesk bench load``: ``central load customers`` into PostgreSQL, the row path
(the baseline: batches of upserts, as before issue 21) against COPY, end to end.

For each size a customer file is made as a billing export would be (the demo generator,
then ``agentdesk export customers``). Each path then loads it into a fresh centre (a
scratch database on the test server, dropped afterwards) in a child process, as the
command does: the load, then the new-desk seed when anything changed. The child's peak
resident memory comes from the kernel (``wait4``), or is the sum over it and its row
checking workers sampled every 0.2 s when that is larger; the file and the schema are made in
children of their own, so the parent stays small (a child's peak counts the parent's
memory at the fork). The COPY path then loads the same file again: every row unchanged,
nothing written, no seed.

Then a new desk takes its first sync from that centre as an agent's machine would:
``agentdesk sync --once --json`` in a child (the seed downloaded and installed, the change
log pulled after it), with its wall time and peak memory.

``--db PATH``: the file is exported from that desk database instead (a ten-million
customer file is made once with ``agentdesk demo-data``, not again per run). Above
:data:`BASELINE_MAX` rows the row path and the re-load are left out: the row path's rate
is flat with size (measured at 200,000 and 1,000,000) and would take hours there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path



BASELINE_MAX = 1_000_000  # rows: above this, the COPY path and the first sync only


def export_file(db: Path, folder: Path) -> Path:
    """A customer file exported from an existing desk database (see the module note)."""
    from agentdesk.core import store
    from agentdesk.customers import csvio

    folder.mkdir(parents=True, exist_ok=True)
    desk = store.open_desk(db)
    try:
        path = folder / "customers-from-db.csv"
        csvio.export_customers(desk, path, agent="bench")
    finally:
        desk.dispose()
    return path


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
    if kind == "export":
        print(json.dumps({"path": str(export_file(Path(url), Path(path)))}))
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


def _tree_kb(pid: int) -> int:
    """Resident kB of a process and its descendants now (0 once it is gone)."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            total = next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except (OSError, ValueError):
        return total
    return total + sum(_tree_kb(c) for c in children)


def _waited(argv: list[str], out: Path, err: Path, what: str) -> tuple[float, float]:
    """Run a child to its end: (wall seconds, peak MB). The peak is the larger of the
    kernel's (the child's own, or its largest worker's) and the sum over the child and
    its worker processes, sampled every 0.2 s (the load checks rows in workers)."""
    began = time.perf_counter()
    tree = 0
    with open(out, "wb") as fout, open(err, "wb") as ferr:
        proc = subprocess.Popen(argv, stdout=fout, stderr=ferr,
                                cwd=Path(__file__).resolve().parents[1])
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)  # reaped here: its rusage
            if pid:
                break
            tree = max(tree, _tree_kb(proc.pid))
            time.sleep(0.2)
    wall = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"bench load {what} failed: {err.read_text()[-1500:]}")
    return wall, max(usage.ru_maxrss, tree) / 1024


def run(kind: str, path: Path, url: str) -> dict:
    out, err = path.with_suffix(f".{kind}.out"), path.with_suffix(f".{kind}.err")
    wall, peak = _waited([sys.executable, "-m", "bench.load", kind, str(path), url], out, err,
                         kind)
    got = json.loads(out.read_text().strip().splitlines()[-1])
    got["wall_s"] = wall
    got["peak_mb"] = peak
    return got


def first_sync(url: str, folder: Path) -> dict:
    """A new desk's ``agentdesk sync --once --json`` against the loaded centre; the desk
    file goes afterwards (at ten million customers it is gigabytes)."""
    desk = folder / "new-desk.db"
    try:
        wall, peak = _waited([sys.executable, "-m", "agentdesk", "--lang", "en", "sync",
                              "--once", "--json", "--central", url, "--db", str(desk)],
                             folder / "sync.out", folder / "sync.err", "first sync")
        got = json.loads((folder / "sync.out").read_text())
        got.update(wall_s=wall, peak_mb=peak, size=desk.stat().st_size)
        return got
    finally:
        for p in folder.glob("new-desk.db*"):
            p.unlink()


def main(sizes: list[int], db: str | None = None) -> int:
    from bench.day_world import Centre

    print(f"{'rows':>10} {'path':<8} {'load s':>7} {'seed s':>7} {'wall s':>7} "
          f"{'rows/s':>8} {'peak MB':>8} {'ins':>9} {'upd':>7} {'same':>9} {'logged':>9}")
    with tempfile.TemporaryDirectory(prefix="agentdesk-bench-load-") as tmp:
        for rows in ([0] if db else sizes):
            made = time.perf_counter()
            if db:
                path = Path(run("export", Path(tmp) / "made", str(Path(db).resolve()))["path"])
                with open(path, encoding="utf-8-sig") as f:
                    rows = sum(1 for _ in f) - 1  # no newline inside a generated field
            else:
                path = Path(run("file", Path(tmp) / "made", str(rows))["path"])
            print(f"{rows:>10,} file made in {time.perf_counter() - made:.0f} s "
                  f"({path.stat().st_size / 1e6:.0f} MB)", flush=True)
            kinds = ("old", "copy", "reload") if rows <= BASELINE_MAX else ("copy",)
            if rows > BASELINE_MAX:
                print(f"{rows:>10,} the row path and the re-load are measured up to "
                      f"{BASELINE_MAX:,} rows (see the module note)", flush=True)
            for kind in kinds:
                if kind != "reload":
                    centre = Centre.fresh()
                    run("init", path, centre.url)
                try:
                    got = run("copy" if kind == "reload" else kind, path, centre.url)
                    if kind == "copy":
                        synced = first_sync(centre.url, Path(tmp))
                finally:
                    if kind != "copy" or len(kinds) == 1:
                        centre.drop()
                print(f"{rows:>10,} {kind:<8} {got['load_s']:>7.1f} {got['seed_s']:>7.1f} "
                      f"{got['wall_s']:>7.1f} {rows / got['wall_s']:>8,.0f} "
                      f"{got['peak_mb']:>8.0f} {got['inserted']:>9,} {got['updated']:>7,} "
                      f"{got['unchanged']:>9,} {got['change_log']:>9,}", flush=True)
                if kind == "copy":
                    phases = ", ".join(f"{k} {v:.1f} s" for k, v in
                                       (synced.get("phases") or {}).items())
                    print(f"{rows:>10,} first sync of a new desk (sync --once, seed): "
                          f"{synced['wall_s']:.1f} s wall, peak {synced['peak_mb']:.0f} MB, "
                          f"desk file {synced['size'] / 1e6:,.0f} MB "
                          f"({synced['size'] / max(rows, 1):,.0f} B per customer); {phases}",
                          flush=True)
            path.unlink()
    return 0


if __name__ == "__main__":
    child(*sys.argv[1:4])
