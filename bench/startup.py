"""``agentdesk bench startup``: time from process start to the first screen drawn.

Each run starts a fresh process on a pseudo-terminal (as a real terminal would), with
``AGENTDESK_BENCH_MARKER`` set: the app appends the wall-clock time of its first paint
("paint") and of the moment its database is open and the screens have their data
("ready") to that file, then exits. The baseline is a bare Textual app measured the same way in
the same run, so machine noise shows in both columns.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.stats import summary

BARE_APP = """
import os, time
from pathlib import Path
from textual.app import App
from textual.widgets import Footer, Header, Input

class Bare(App):
    def compose(self):
        yield Header()
        yield Input()
        yield Footer()

    def on_mount(self):
        self.call_after_refresh(self.done)

    def done(self):
        Path(os.environ["AGENTDESK_BENCH_MARKER"]).write_text(f"paint {time.time():.6f}")
        self.exit()

Bare().run()
"""


def _one(cmd: list[str], env: dict[str, str], timeout: float = 60.0) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        marker = Path(tmp) / "painted"
        env = {**env, "AGENTDESK_BENCH_MARKER": str(marker), "AGENTDESK_BENCH_UNTIL": "ready",
               "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
        master, slave = pty.openpty()
        start = time.time()
        proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env,
                                close_fds=True, start_new_session=True)
        os.close(slave)
        deadline = start + timeout
        try:
            while proc.poll() is None and time.time() < deadline:
                ready, _, _ = select.select([master], [], [], 0.05)
                if ready:
                    try:
                        os.read(master, 65536)  # drain the screen output
                    except OSError:
                        break
            proc.wait(timeout=max(0.1, deadline - time.time()))
        finally:
            if proc.poll() is None:
                proc.kill()
            os.close(master)
        if not marker.exists():
            raise RuntimeError(f"no first paint from {' '.join(cmd)} (exit {proc.returncode})")
        stages = dict(line.split() for line in marker.read_text().splitlines())
        return {stage: float(at) - start for stage, at in stages.items()}


def main(runs: int = 15, big_db: str | None = None) -> int:
    console = Console()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTDESK_BENCH")}
    python = sys.executable
    cases: list[tuple[str, list[str], dict[str, str]]] = []
    tmp = tempfile.mkdtemp(prefix="agentdesk-bench-")
    empty = Path(tmp) / "empty.db"
    cases.append(("bare Textual app (baseline)", [python, "-c", BARE_APP], env))
    cases.append(("agentdesk, empty database",
                  [python, "-m", "agentdesk", "--db", str(empty), "--no-demo"], env))
    if big_db:
        cases.append((f"agentdesk, {Path(big_db).name}",
                      [python, "-m", "agentdesk", "--db", big_db, "--no-demo"], env))
    table = Table(title=f"agentdesk bench startup: {runs} runs each, seconds from process "
                        "start")
    for column in ("case", "stage", "median", "p99", "min", "max"):
        table.add_column(column, justify="left" if column in ("case", "stage") else "right")
    for name, cmd, case_env in cases:
        _one(cmd, case_env)  # warm the OS file cache; not counted
        runs_out = [_one(cmd, case_env) for _ in range(runs)]
        for stage, label in (("paint", "first screen drawn"), ("ready", "database open")):
            times = [r[stage] for r in runs_out if stage in r]
            if times:
                s = summary(times)
                table.add_row(name, label, *(f"{s[k]:.3f}" for k in
                                             ("median", "p99", "min", "max")))
    console.print(table)
    console.print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    return 0
