"""The monitor's mirror of the centre (no textual import).

The wallboard's figures are SQLite SQL over one desk-shaped database. To show the whole
centre, the monitor keeps a local mirror file that only *pulls* from the centre: no
outbox, no push, no desk registration, so the centre can be read with a read-only role
(``default_transaction_read_only``; README). The wallboard itself opens the mirror
read-only, as it opens a desk database; :class:`Follower` pulls in its own thread, with
its own writable store, and never touches the wallboard's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from agentdesk.core import clock
from agentdesk.core.redact import redact
from agentdesk.core import store as store_mod
from agentdesk.sync import central as central_mod
from agentdesk.sync import engine

MIRROR_ID = "monitor-mirror"  # stands in for a desk id: no conflict is ever this desk's


def pull(mirror: store_mod.Store, centre: central_mod.Central,
         progress: Callable[[str, int, int], None] | None = None,
         seed: bool = False) -> engine.SyncReport:
    """Everything new at the centre into the mirror (reads only at the centre)."""
    started = time.perf_counter()
    report = engine.SyncReport()
    centre.check()
    engine.pull(mirror, centre, MIRROR_ID, engine.PULL_BATCH, report, progress,
                lambda _name: None, use_seed=seed)
    report.seconds = time.perf_counter() - started
    return report


def first_pull(path: Path, url: str,
               progress: Callable[[str, int, int], None] | None = None) -> engine.SyncReport:
    """Bring the mirror file up to date before the wallboard opens it (a new mirror may
    start from the centre's seed: nobody else has it open yet)."""
    centre = central_mod.connect(url, pool_size=1)
    try:
        centre.check()  # before the file exists: no empty mirror from an unreachable centre
        mirror = store_mod.open_desk(path)
        try:
            return pull(mirror, centre, progress, seed=True)
        finally:
            mirror.dispose()
    finally:
        centre.dispose()


class Follower:
    """Pulls every ``interval`` seconds in a daemon thread until stopped; a centre that
    cannot be reached is retried at the next tick (the wallboard shows the mirror's
    data as of the last pull, and says how old it is through ``last_ok``)."""

    def __init__(self, path: Path, url: str, interval: float,
                 last_ok: datetime | None = None, last_error: str = "") -> None:
        self.path, self.url, self.interval = path, url, interval
        self.stopped = threading.Event()
        self.last_ok, self.last_error = last_ok, last_error  # the first pull's outcome
        self.thread = threading.Thread(target=self._run, name="monitor-mirror", daemon=True)

    def start(self) -> Follower:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)

    def _run(self) -> None:
        mirror = centre = None
        try:
            while not self.stopped.wait(self.interval):
                try:
                    if mirror is None:
                        mirror = store_mod.open_desk(self.path)
                    if centre is None:
                        centre = central_mod.connect(self.url, pool_size=1)
                    pull(mirror, centre)
                    self.last_ok, self.last_error = clock.now(), ""
                except Exception as exc:  # noqa: BLE001 - shown in the header; next tick retries
                    self.last_error = redact(exc, self.url) or type(exc).__name__
        finally:
            if centre is not None:
                centre.dispose()
            if mirror is not None:
                mirror.dispose()
