"""The agent desk application (built by :func:`agentdesk.apps.factory.create_app`).

The first screen is drawn before any database work: the store is opened (and migrated,
and filled with demo data when empty) in a thread worker after the first paint, and the
screens reload when ``data_version`` moves.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen

from agentdesk.core import i18n
from agentdesk.core.config import Config
from agentdesk.core.i18n import t
from agentdesk.screens.i18n_bindings import localize
from agentdesk.screens.lookup import LookupScreen
from agentdesk.widgets.header import DeskHeader

SCREENS = ("lookup", "kb", "ticket", "queue")
# Benchmarks: the app appends "paint <time>" (and "ready <time>" once the store is open and
# the first data is on screen) to this file, then exits.
BENCH_ENV = "AGENTDESK_BENCH_MARKER"


@dataclass(frozen=True)
class DeskOptions:
    config: Config
    db_path: Path
    fill_demo: bool = True  # an empty desk database gets demo data on first start
    demo_customers: int = 2000
    demo_tickets: int = 300
    initial_call: str | None = None  # `agentdesk call NUMBER` with no desk running
    screen_pop: bool = True  # listen on the user's screen-pop socket
    training: object | None = None  # agentdesk.training.session.TrainingRun: role-play desk


def _kb_screen() -> Screen:
    from agentdesk.screens.kb import KbScreen  # Markdown and its parser: not for first paint

    return KbScreen()


def _ticket_screen() -> Screen:
    from agentdesk.screens.ticket import TicketScreen

    return TicketScreen()


def _queue_screen() -> Screen:
    from agentdesk.screens.queue import QueueScreen

    return QueueScreen()


class AgentDesk(App):
    TITLE = "agentdesk"
    # Only the first screen is imported up front; the others when first opened.
    MODES = {
        "lookup": LookupScreen,
        "kb": _kb_screen,
        "ticket": _ticket_screen,
        "queue": _queue_screen,
    }
    BINDINGS = [
        Binding("f2", "switch_mode('lookup')", "key.lookup"),
        Binding("f3", "switch_mode('kb')", "key.kb"),
        Binding("f4", "switch_mode('ticket')", "key.ticket"),
        Binding("f5", "switch_mode('queue')", "key.queue"),
        Binding("ctrl+q", "quit", "key.quit", priority=True),
        Binding("f9", "sync_now", "key.sync", show=False),
    ]

    data_version: reactive[int] = reactive(0)
    # My open tickets, soonest first: loaded once per data change, read by the header's
    # counts (every second, no database) and by the queue screen's "mine" list.
    my_queue: reactive[list] = reactive(list, always_update=True)

    def __init__(self, options: DeskOptions) -> None:
        i18n.set_lang(options.config.lang)
        super().__init__()
        localize(self)
        self.options = options
        self.lang = options.config.lang
        self.agent_code = options.config.agent_id
        self.agent_label = f"{options.config.agent_name}({options.config.agent_id})"
        self.db_name = options.db_path.name
        self.sync_state = t("app.sync.none") if not options.config.central_url else ""
        self.status = t("app.opening")
        self.desk_title = t("app.title")
        self.store = None
        self.current_customer = None
        self.current_contact_id: str | None = None
        self._pop_server = None

    def on_mount(self) -> None:
        self.switch_mode("lookup")
        self.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
        if self._bench_mark("paint") and os.environ.get("AGENTDESK_BENCH_UNTIL") != "ready":
            self.exit()
            return
        self._open_store()

    def _bench_mark(self, stage: str) -> bool:
        marker = os.environ.get(BENCH_ENV)
        if marker:
            with open(marker, "a", encoding="utf-8") as out:
                out.write(f"{stage} {time.time():.6f}\n")
        return bool(marker)

    @work(thread=True, exclusive=True, group="store")
    def _open_store(self) -> None:
        from agentdesk.core import agents
        from agentdesk.core.store import StoreError
        from agentdesk.sync.outbox import open_syncing_desk

        try:
            store = open_syncing_desk(self.options.db_path)
            filled = None
            # A desk that syncs gets its data from the centre, never demo data.
            if self.options.fill_demo and not self.options.config.central_url:
                from agentdesk.demo import generate as demo

                filled = demo.fill_if_empty(store, customers=self.options.demo_customers,
                                            tickets=self.options.demo_tickets)
            from agentdesk.kb import loader

            loader.ensure_shipped(store)  # the shipped articles, on first start or upgrade
            with store.session() as session:
                agents.ensure(session, self.agent_code, self.options.config.agent_name)
        except StoreError as exc:
            self.call_from_thread(self._store_failed, str(exc))
            return
        self.call_from_thread(self._store_ready, store, filled)

    def _store_ready(self, store, filled) -> None:  # noqa: ANN001
        self.store = store
        self.status = ""
        if filled is not None:
            self.notify(t("app.demo_filled", customers=filled.customers,
                          tickets=filled.tickets), timeout=8, markup=False)
        self._refresh_header()
        self.data_version += 1
        if self.options.screen_pop:
            self.run_worker(self._start_screen_pop(), group="pop")
        self._escalate_backlog()
        self.start_sync()
        if self.options.initial_call:
            self.call_after_refresh(self.pop_call, self.options.initial_call)
        if os.environ.get(BENCH_ENV):
            self.call_after_refresh(self._bench_ready)

    def start_sync(self) -> None:
        """Scheduled sync with the central store (agentdesk/sync/desk_runner.py)."""
        config = self.options.config
        if not config.central_url or getattr(self, "desk_sync", None) is not None:
            return
        from agentdesk.sync.desk_runner import DeskSync

        self.desk_sync = DeskSync(self, self.store, config.central_url, config.sync_interval,
                                  config.desk)
        self.desk_sync.start()

    def action_sync_now(self) -> None:
        if getattr(self, "desk_sync", None) is not None:
            self.desk_sync.run_now()

    def _bench_ready(self) -> None:
        self._bench_mark("ready")
        self.exit()

    def watch_data_version(self, version: int) -> None:
        if version > 0 and self.store is not None:
            self._load_my_queue()

    @work(thread=True, exclusive=True, group="my-queue")
    def _load_my_queue(self) -> None:
        from agentdesk.tickets import taxonomy, service as tickets

        taxonomy.load()  # the queue draws category names: read the file here, not on the UI
        with self.store.session() as session:
            rows = tickets.open_for_owner(session, self.agent_code, limit=tickets.LIST_LIMIT)
        self.call_from_thread(setattr, self, "my_queue", rows)

    def watch_my_queue(self) -> None:
        self._refresh_header()

    @work(thread=True, group="escalate")
    def _escalate_backlog(self) -> None:
        """Clocks that breached while the desk was closed are escalated now, once. Apart
        from opening the store: the desk is usable while this scans every open ticket."""
        from agentdesk.core import clock
        from agentdesk.tickets import queue

        with self.store.session() as session:
            queue.scan(session, clock.now(), owner=self.agent_code)

    async def _start_screen_pop(self) -> None:
        from agentdesk.customers import screenpop

        try:
            self._pop_server = await screenpop.serve(self.pop_call)
        except (OSError, screenpop.PopError) as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        if self._pop_server is None:
            self.notify(t("pop.busy"), severity="warning", markup=False)

    def pop_call(self, number: str) -> None:
        """A call is ringing: record it and show the caller on the lookup screen."""
        from agentdesk.customers.phones import display

        self.notify(t("pop.ringing", number=display(number)), markup=False)
        self.current_customer = None
        self.current_contact_id = None
        self.switch_mode("lookup")
        self._record_call(number)

    @work(thread=True, group="contact")
    def _record_call(self, number: str) -> None:
        """Record the call first (an insert: milliseconds), then search: the card then
        lists this call and links it to the caller, whichever worker would have won."""
        from agentdesk.customers import contacts, phones

        try:
            with self.store.session() as session:
                ringing = contacts.record_call(session, number, self.agent_code)
        except phones.PhoneError as exc:
            self.call_from_thread(self.notify, str(exc), severity="warning", markup=False)
            ringing = None
        self.call_from_thread(self._call_recorded, number, ringing)

    def _call_recorded(self, number: str, ringing) -> None:  # noqa: ANN001 - contacts.Ringing
        if ringing is not None:
            self.current_contact_id = ringing.contact_id
        self.call_after_refresh(lambda: self.screen.pop(number))

    def _store_failed(self, message: str) -> None:
        self.status = t("app.store_error", error=message)
        self._refresh_header()
        self.notify(self.status, severity="error", timeout=30, markup=False)

    def _refresh_header(self) -> None:
        for header in self.screen.query(DeskHeader):
            header.refresh()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for mode in SCREENS:
            yield SystemCommand(f"{t('key.' + mode)} ({mode})", t(f"cmd.{mode}.help"),
                                lambda mode=mode: self.switch_mode(mode))
        yield from super().get_system_commands(screen)

    def on_unmount(self) -> None:
        from agentdesk.customers import screenpop

        screenpop.cleanup(self._pop_server)
        if self.store is not None:
            self.store.dispose()
