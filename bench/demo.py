"""``agentdesk bench demo``: demo-data in bounded memory (issue 21, item 3).

Each size runs ``agentdesk demo-data`` in a child process on a fresh file in a private
temporary folder and reads the child's peak resident memory from the kernel (``wait4``),
its wall time, and the file's size per customer. One run per size: a ten-million fill takes
minutes, and peak memory does not vary from run to run the way a query's time does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one(customers: int, tickets: int, folder: Path) -> dict[str, float]:
    path = folder / f"demo-{customers}.db"
    began = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "agentdesk", "--db", str(path),
                              "demo-data", "--customers", str(customers), "--tickets",
                              str(tickets)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - began
    err = child.stderr.read().decode() if child.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"demo-data --customers {customers} failed: {err[-800:]}")
    size = sum(p.stat().st_size for p in folder.glob(f"demo-{customers}.db*"))
    for p in folder.glob(f"demo-{customers}.db*"):
        p.unlink()
    return {"customers": customers, "wall_s": wall, "peak_mb": usage.ru_maxrss / 1024,
            "bytes_per_customer": size / max(1, customers)}


def main(sizes: list[int], tickets: int = 1000) -> int:
    print(f"{'customers':>11} {'wall s':>8} {'peak MB':>8} {'bytes/customer':>15}")
    with tempfile.TemporaryDirectory(prefix="agentdesk-bench-demo-") as tmp:
        for n in sizes:
            row = one(n, tickets, Path(tmp))
            print(f"{row['customers']:>11,} {row['wall_s']:>8.1f} {row['peak_mb']:>8.0f} "
                  f"{row['bytes_per_customer']:>15.0f}", flush=True)
    return 0
