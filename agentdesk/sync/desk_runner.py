"""One sync of the running desk, headless (no textual import): the desk app's sync job
(:mod:`agentdesk.apps.jobs`) calls :meth:`DeskSyncer.run` in a thread worker and hands the
:class:`SyncOutcome` to the UI thread as a message; :meth:`DeskSyncer.settle` then moves
the schedule (interval with jitter, or back-off while the centre is unreachable) and the
header's status (:mod:`.schedule`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from agentdesk.sync.schedule import Schedule, SyncStatus

if TYPE_CHECKING:
    from agentdesk.core.store import Store
    from agentdesk.sync.bookkeeping import SyncReport
    from agentdesk.sync.central import Central

FIRST_DELAY_S = 1.0


@dataclass(frozen=True)
class Conflict:
    """Another desk's claim on a ticket won at the centre: who, and when (HH:MM)."""

    number: str
    winner: str
    time: str


@dataclass(frozen=True)
class SyncOutcome:
    """What one sync did: the report, or the error (``tell``: a problem waiting will not
    heal, such as a centre of another schema, said to the agent once)."""

    report: SyncReport | None = None
    error: str = ""
    tell: bool = False
    waiting: int = 0
    at: datetime | None = None
    conflicts: tuple[Conflict, ...] = ()
    quarantined: int = 0  # changes set aside (a constraint refused them): say so
    pulled_at: datetime | None = None  # the last successful pull (this one, or recorded)

    @property
    def pulled(self) -> bool:
        return bool(self.report is not None and self.report.pulled)


def conflicts(report: SyncReport) -> tuple[Conflict, ...]:
    from agentdesk.core import clock
    from agentdesk.core.models import UTCDateTime

    found = []
    for c in report.conflicts:
        taken = c.get("taken_at") or c.get("decided_at")
        when = ""
        if taken:
            when = clock.local(UTCDateTime().process_result_value(taken, None)
                               ).strftime("%H:%M")
        found.append(Conflict(c["ticket_number"], c["winner_name"], when))
    return tuple(found)


class DeskSyncer:
    """The desk's side of its scheduled sync: the connection to the centre (kept between
    runs), what was told to the agent, the schedule and the header's status."""

    def __init__(self, store: Store, url: str, interval: float, desk_name: str = "",
                 scope: tuple[str, ...] = ()) -> None:
        self.store, self.url, self.desk_name, self.scope = store, url, desk_name, scope
        self.plan = Schedule(interval)
        self.status = SyncStatus(configured=True)
        self.central: Central | None = None
        self.told = ""  # the last problem said to the agent: once, not at every retry

    def run(self) -> SyncOutcome:
        """One sync, in a worker thread. Never raises: an error is the outcome."""
        from agentdesk.core import clock
        from agentdesk.core.redact import redact
        from agentdesk.core.store import StoreError
        from agentdesk.sync import central, engine

        try:
            # Before the centre is ever reached: from now on this desk's ticket numbers
            # carry its tag, so they cannot collide with other desks'.
            engine.desk_id(self.store)
            if self.central is None:
                self.central = central.connect(self.url, pool_size=1)
            report = engine.sync_once(self.store, self.central, desk_name=self.desk_name,
                                      progress=self._progress, scope=self.scope)
        except StoreError as exc:  # unreachable, refused, or the desk db itself
            # a network outage heals itself; anything else needs someone to act
            return SyncOutcome(error=redact(exc, self.url),
                               tell=not isinstance(exc, central.CentralUnavailable),
                               waiting=self._waiting(), at=clock.now(),
                               pulled_at=self._pulled_at())
        except Exception as exc:  # noqa: BLE001 - a locked or full desk db: said, retried
            from agentdesk.core.store import explain

            return SyncOutcome(error=redact(explain(exc, self.store.path), self.url),
                               tell=True, waiting=self._waiting(), at=clock.now(),
                               pulled_at=self._pulled_at())
        return SyncOutcome(report=report, conflicts=conflicts(report),
                           quarantined=len(report.quarantined), pulled_at=clock.now())

    def _waiting(self) -> int:
        from agentdesk.sync import engine

        try:
            return engine.waiting(self.store)
        except Exception:  # noqa: BLE001 - the count is only shown; the desk db may be locked
            return self.status.waiting

    def _pulled_at(self) -> datetime | None:
        """After a failure: the last pull this desk recorded (before a restart, maybe)."""
        if self.status.pulled_at is not None:
            return self.status.pulled_at
        from agentdesk.sync import bookkeeping

        try:
            return bookkeeping.pulled_at(self.store)
        except Exception:  # noqa: BLE001 - only shown; the desk db may be locked
            return None

    def _progress(self, _stage: str, done: int, total: int) -> None:
        """From the worker thread: the header shows how far a long pull got."""
        self.status.progress = (done, total)

    def started(self) -> None:
        self.status.running = True

    def settle(self, outcome: SyncOutcome) -> str:
        """On the UI thread, after a run: the schedule and status move on. Returns the
        problem to tell the agent now ("" when there is none new)."""
        self.status.running = False
        if outcome.pulled_at is not None:
            self.status.pulled_at = outcome.pulled_at
        if outcome.report is not None:
            self.plan.succeeded()
            self.status.ok(outcome.report.waiting)
            return ""
        self.plan.failed()
        self.status.failed(outcome.error, outcome.waiting, outcome.at or _now())
        if outcome.tell and outcome.error != self.told:
            self.told = outcome.error
            return outcome.error
        return ""

    def next_delay(self) -> float:
        return self.plan.delay()

    def close(self) -> None:
        if self.central is not None:
            self.central.dispose()
        from agentdesk.sync import remote

        remote.forget(self.url)  # a partial desk's lookup connections too


def _now() -> datetime:
    from agentdesk.core import clock

    return clock.now()

