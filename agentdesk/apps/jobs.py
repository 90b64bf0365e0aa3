"""The desk's background jobs, owned by the app whatever screen is open: the escalation
scan every 30 seconds (and when the data changes; left to the centre's watch while it
runs) and the scheduled sync with the centre.

Each job runs in a thread worker and arms its next run only when a run has ended, so a
job never overlaps itself; asking for a run while one is under way runs it once more
right after (the running one may have read its data before the change).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from agentdesk.apps.messages import AlertsRaised, SyncFinished
from agentdesk.core import clock

if TYPE_CHECKING:
    from datetime import datetime

    from sqlmodel import Session
    from textual.timer import Timer
    from textual.worker import Worker

    from agentdesk.core.config import Config
    from agentdesk.core.store import Store
    from agentdesk.sync.desk_runner import DeskSyncer, SyncOutcome
    from agentdesk.tickets.escalation import Alert

SCAN_EVERY_S = 30.0


class _HasConfig(Protocol):
    config: Config


class DeskHost(Protocol):
    """What the jobs use of the app that owns them (apps.desk.AgentDesk, a textual App):
    named here, so the jobs sit below the app instead of importing it."""

    store: Store | None
    agent_code: str
    options: _HasConfig
    sync_state: str

    def run_worker(self, *args: Any, **kwargs: Any) -> Any: ...

    def set_timer(self, *args: Any, **kwargs: Any) -> Any: ...

    def set_interval(self, *args: Any, **kwargs: Any) -> Any: ...

    def post_message(self, message: Any) -> bool: ...

    def notify(self, message: str, **kwargs: Any) -> None: ...


def escalation_scan(session: Session, now: datetime, owner: str) -> list[Alert]:
    """The ticket domain's scan, imported here only (not at first paint)."""
    from agentdesk.tickets.escalation import scan  # the one place the desk takes it from

    return scan(session, now, owner=owner)


class Repeating:
    """One job: ``body`` in a thread worker, again ``every`` seconds after each run ends."""

    def __init__(self, app: DeskHost, name: str, every: float, body: Callable[[], object]) -> None:
        self.app, self.name, self.every, self.body = app, name, every, body
        self.worker: Worker | None = None  # the run under way
        self.runs = 0  # runs started (tests and the log read it)
        self.pending = False  # asked for while a run was under way
        self._timer: Timer | None = None
        self._stopped = False

    @property
    def running(self) -> bool:
        return self.worker is not None

    def start(self) -> None:
        self._stopped = False
        self.run_now()

    def run_now(self) -> bool:
        """Start a run unless one is under way (then one more follows it); True when one
        started."""
        if self._stopped:
            return False
        if self.running:
            self.pending = True
            return False
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.runs += 1
        # A failing run (a locked database) is logged; the next run comes all the same.
        self.worker = self.app.run_worker(self.body, name=self.name, group=self.name,
                                          thread=True, exit_on_error=False)
        return True

    def ended(self, worker: Worker) -> bool:
        """The app saw ``worker`` finish: arm the next run if it was this job's."""
        if worker is not self.worker:
            return False
        self.worker = None
        if not self._stopped:
            delay, self.pending = (0.01 if self.pending else self.every), False
            self._timer = self.app.set_timer(delay, self.run_now, name=self.name)
        return True

    def stop(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.stop()
            self._timer = None


class SyncJob:
    """The scheduled sync: :class:`~agentdesk.sync.desk_runner.DeskSyncer` runs in a thread
    worker and reports with :class:`SyncFinished`; the next run is armed when one ends (the
    interval with jitter, or the back-off), so runs never overlap. F9 while a run is under
    way asks for one more right after it. The header's text is refreshed every second."""

    def __init__(self, app: DeskHost, syncer: DeskSyncer) -> None:
        self.app, self.syncer = app, syncer
        self.worker: Worker | None = None
        self.again = False
        self._timer: Timer | None = None
        self._ticker: Timer | None = None

    @property
    def running(self) -> bool:
        return self.worker is not None

    def start(self) -> None:
        from agentdesk.sync.desk_runner import FIRST_DELAY_S

        self._ticker = self.app.set_interval(1, self.show)
        self._arm(FIRST_DELAY_S)
        self.show()

    def show(self) -> None:
        self.app.sync_state = self.syncer.status.text()

    def _arm(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.app.set_timer(delay, self.run_now, name="sync")

    def run_now(self) -> None:
        if self.running:
            self.again = True
            return
        self.syncer.started()
        self.show()
        self.worker = self.app.run_worker(self._work, name="sync", group="sync",
                                          thread=True, exit_on_error=False)

    def _work(self) -> None:
        self.app.post_message(SyncFinished(self.syncer.run()))

    def finished(self, outcome: SyncOutcome) -> str:
        """On the UI thread: settle the run, arm the next. The problem to tell, if new."""
        self.worker = None
        tell = self.syncer.settle(outcome)
        self.show()
        if self.again:
            self.again = False
            self._arm(0.01)
        else:
            self._arm(self.syncer.next_delay())
        return tell

    def stop(self) -> None:
        for timer in (self._timer, self._ticker):
            if timer is not None:
                timer.stop()
        self.syncer.close()


class DeskJobs:
    """The escalation scan and the sync of one desk app (started once its store is open)."""

    def __init__(self, app: DeskHost) -> None:
        self.app = app
        self.scan = Repeating(app, "escalation-scan", SCAN_EVERY_S, self._scan)
        self.sync: SyncJob | None = None
        self._backlog = True  # the first scan: clocks that ran out while the desk was closed
        self._received = 0  # the last centre change whose alerts the owner was told of
        self._told: set[str] = set()  # alert event ids told (a desk's own come back)

    def start(self) -> None:
        self.scan.start()
        self.start_sync()

    def start_sync(self) -> None:
        """Scheduled sync with the central store: it re-arms itself after each run and
        never runs twice at once."""
        app = self.app
        config = app.options.config
        if not config.central_url or self.sync is not None or app.store is None:
            return
        from agentdesk.sync.desk_runner import DeskSyncer

        self.sync = SyncJob(app, DeskSyncer(app.store, config.central_url,
                                            config.sync_interval, config.desk,
                                            config.sync_scope))
        self.sync.start()

    def sync_now(self) -> None:
        if self.sync is not None:
            self.sync.run_now()
        else:  # F9 on a desk with no centre: say so rather than nothing
            from agentdesk.core.i18n import t

            self.app.notify(t("sync.not_configured"), timeout=6)

    def data_changed(self) -> None:
        """New tickets or clocks (a save, a sync): look for warnings now."""
        if self.app.store is not None:
            self.scan.run_now()

    def worker_ended(self, worker: Worker) -> None:
        self.scan.ended(worker)
        sync = self.sync
        if sync is not None and worker is sync.worker and worker.error is not None:
            # DeskSyncer.run never raises; should it all the same, the schedule goes on
            from agentdesk.core.redact import redact
            from agentdesk.sync.desk_runner import SyncOutcome

            self.app.post_message(SyncFinished(SyncOutcome(
                error=redact(worker.error, sync.syncer.url), tell=True,
                waiting=sync.syncer.status.waiting,
                at=clock.now())))

    def _scan(self) -> None:
        """In a worker: warnings and escalations of my tickets, each fired once, unless
        the centre's watch fires them (a desk that syncs, the watch's heartbeat recent);
        then the owner is told of those the sync brought, and of a supervisor's 督办. The
        first scan after opening is quiet: what breached while the desk was closed is
        escalated without a burst of notifications."""
        from agentdesk.tickets import escalation

        store = self.app.store
        if store is None or store.readonly:
            return
        me, now = self.app.agent_code, clock.now()
        quiet, self._backlog = self._backlog, False
        with store.session() as session:
            watched = bool(self.app.options.config.central_url) and escalation.watched(
                session, now)
            alerts = [] if watched else escalation_scan(session, now, owner=me)
            news, self._received = escalation.received(session, me,
                                                       None if quiet else self._received)
        self._told.update(a.event_id for a in alerts)
        alerts += [a for a in news if a.event_id not in self._told]
        self._told.update(a.event_id for a in news)
        if alerts and not quiet:
            self.app.post_message(AlertsRaised(alerts))

    def stop(self) -> None:
        self.scan.stop()
        if self.sync is not None:
            self.sync.stop()
