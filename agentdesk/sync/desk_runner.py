"""Sync inside the running desk (no textual import: the app is duck-typed).

A thread worker runs one sync at a time, never on the UI thread; when it ends, the next
one is armed (the interval with jitter, or the back-off while the centre is
unreachable), so runs never overlap. F9 asks for one now. The header reads
``app.sync_state``, refreshed here once a second ("synced 12 s ago" / "offline since
10:02, 14 changes waiting").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentdesk.sync.schedule import Schedule, SyncStatus

if TYPE_CHECKING:
    from datetime import datetime

    from agentdesk.sync.bookkeeping import SyncReport

FIRST_DELAY_S = 1.0


class DeskSync:
    def __init__(self, app: Any, store: Any, url: str, interval: float,
                 desk_name: str = "") -> None:
        self.app, self.store, self.url, self.desk_name = app, store, url, desk_name
        self.plan = Schedule(interval)
        self.status = SyncStatus(configured=True)
        self.running = False
        self.again = False
        self.central = None
        self._timer = None

    def start(self) -> None:
        self.app.set_interval(1, self.show)
        self._arm(FIRST_DELAY_S)
        self.show()

    def show(self) -> None:
        self.app.sync_state = self.status.text()

    def _arm(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.app.set_timer(delay, self.run_now)

    def run_now(self) -> None:
        """Sync now (the key, the timer); a request while one runs queues one more."""
        if self.running:
            self.again = True
            return
        self.running = self.status.running = True
        self.show()
        self.app.run_worker(self._work, thread=True, group="sync", exit_on_error=False)

    def _work(self) -> None:
        from agentdesk.core import clock
        from agentdesk.core.store import StoreError
        from agentdesk.sync import central, engine

        try:
            # Before the centre is ever reached: from now on this desk's ticket numbers
            # carry its tag (tickets._number), so they cannot collide with other desks'.
            engine.desk_id(self.store)
            if self.central is None:
                self.central = central.connect(self.url, pool_size=1)
            report = engine.sync_once(self.store, self.central, desk_name=self.desk_name,
                                      progress=self._progress)
        except StoreError as exc:  # unreachable, refused, or the desk db itself
            if not isinstance(exc, central.CentralUnavailable):
                # not a network outage that heals itself: someone must act, so say what
                self.app.call_from_thread(self._tell, str(exc))
            self.app.call_from_thread(self._failed, str(exc), engine.waiting(self.store),
                                      clock.now())
            return
        self.app.call_from_thread(self._done, report)

    def _progress(self, _stage: str, done: int, total: int) -> None:
        """From the worker thread: the header shows how far a long pull got."""
        self.status.progress = (done, total)

    def _done(self, report: SyncReport) -> None:
        from agentdesk.core import clock
        from agentdesk.core.i18n import t

        self.plan.succeeded()
        self.status.ok(report.waiting)
        for c in report.conflicts:
            taken = c.get("taken_at") or c.get("decided_at")
            when = ""
            if taken:
                from agentdesk.core.models import UTCDateTime

                when = clock.local(UTCDateTime().process_result_value(taken, None)
                                   ).strftime("%H:%M")
            self.app.notify(t("sync.conflict", number=c["ticket_number"],
                              name=c["winner_name"], time=when),
                            severity="warning", timeout=30, markup=False)
        if report.pulled:
            self.app.data_version += 1  # screens reload what changed
        self._finish()

    def _tell(self, error: str) -> None:
        if error != getattr(self, "_told", None):  # once per distinct problem, not per retry
            self._told = error
            self.app.notify(error, severity="error", timeout=30, markup=False)

    def _failed(self, error: str, waiting: int, now: datetime) -> None:
        self.plan.failed()
        self.status.failed(error, waiting, now)
        self._finish()

    def _finish(self) -> None:
        self.running = self.status.running = False
        self.show()
        if self.again:
            self.again = False
            self._arm(0.01)
        else:
            self._arm(self.plan.delay())

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        if self.central is not None:
            self.central.dispose()
