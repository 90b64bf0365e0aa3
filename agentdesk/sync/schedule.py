"""When to sync next, and what the header says (no textual import).

Every ``interval`` seconds with ±10 % jitter (so hundreds of desks do not hit the centre
in step); while the centre is unreachable, exponential back-off from the interval up to
10 minutes.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime

MAX_BACKOFF_S = 600.0
JITTER = 0.1


@dataclass
class Schedule:
    interval: float = 30.0
    failures: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def succeeded(self) -> None:
        self.failures = 0

    def failed(self) -> None:
        self.failures += 1

    def delay(self) -> float:
        base = self.interval if not self.failures else min(
            MAX_BACKOFF_S, self.interval * 2 ** (self.failures - 1))
        if self.failures:
            base = max(base, min(MAX_BACKOFF_S, 5.0 * 2 ** (self.failures - 1)))
        return max(1.0, base * (1 + self.rng.uniform(-JITTER, JITTER)))


@dataclass
class SyncStatus:
    """What the header shows: synced N s ago / syncing / offline since HH:MM, N waiting."""

    configured: bool = True
    running: bool = False
    last_ok: float | None = None  # time.monotonic() of the last successful sync
    offline_since: datetime | None = None  # first failure of the current outage
    waiting: int = 0
    error: str = ""
    progress: tuple[int, int] | None = None  # a long pull (the first sync): done, total
    pulled_at: datetime | None = None  # the last successful pull, wall clock (recorded)

    def stale_since(self, now: datetime, interval: float) -> datetime | None:
        """The last pull, when it is older than two intervals (the desk's notices may be
        out of date: the card says how old); None when fresh or never pulled."""
        if self.pulled_at is None or (now - self.pulled_at).total_seconds() <= 2 * interval:
            return None
        return self.pulled_at

    def ok(self, waiting: int) -> None:
        self.progress = None
        self.last_ok = time.monotonic()
        self.offline_since = None
        self.waiting = waiting
        self.error = ""

    def failed(self, error: str, waiting: int, now: datetime) -> None:
        self.progress = None
        if self.offline_since is None:
            self.offline_since = now
        self.waiting = waiting
        self.error = error

    def text(self) -> str:
        from agentdesk.core import clock
        from agentdesk.core.i18n import t

        if not self.configured:
            return t("app.sync.none")
        if self.offline_since is not None:
            since = clock.local(self.offline_since).strftime("%H:%M")
            return t("sync.offline", since=since, waiting=self.waiting)
        if self.running and self.progress is not None:
            return t("sync.first", done=self.progress[0], total=self.progress[1])
        if self.running and self.last_ok is None:
            return t("sync.running")
        if self.last_ok is None:
            return t("sync.never")
        ago = int(time.monotonic() - self.last_ok)
        if self.waiting:
            return t("sync.ago_waiting", seconds=ago, waiting=self.waiting)
        return t("sync.ago", seconds=ago)
