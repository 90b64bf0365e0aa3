"""The agent desk application (built by :func:`agentdesk.apps.factory.create_app`).

The first screen is drawn before any database work: the store is opened (and migrated,
and filled with demo data when empty) in a thread worker after the first paint, and the
screens reload when ``data_version`` moves.

The app owns the desk's state: the call on the line (``call``, a
:class:`~agentdesk.screens.state.CallContext` replaced whole when a call rings), my open
tickets (``my_queue``, whose counts the header shows) and the background jobs
(:mod:`agentdesk.apps.jobs`). Workers report back with typed messages
(:mod:`agentdesk.apps.messages`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import WorkerState

from agentdesk.apps.jobs import DeskJobs, SyncJob
from agentdesk.apps.palette import PALETTE_BINDING
from agentdesk.apps import palette
from agentdesk.apps.presence import Presence
from agentdesk.apps.messages import (AlertsRaised, CallRinging, MyQueueLoaded, StoreFailed,
                                     StoreReady, SyncFinished)
from agentdesk.core import clock, i18n
from agentdesk.core.controls import shown
from agentdesk.core.config import Config
from agentdesk.core.i18n import t
from agentdesk.screens.i18n_bindings import localize
from agentdesk.screens.lookup import LookupScreen
from agentdesk.screens.state import CallContext, SavedTicket, TicketSaved
from agentdesk.widgets import breakpoints, toast, wrap
from agentdesk.widgets.header import DeskHeader, HeaderState

if TYPE_CHECKING:
    import asyncio
    from datetime import datetime

    from textual.worker import Worker

    from agentdesk.centre.outreach import Rules
    from agentdesk.core.store import Store
    from agentdesk.customers.lookup import Card
    from agentdesk.demo.generate import DemoSummary
    from agentdesk.tickets.service import QueueRow
    from agentdesk.training.session import TrainingRun

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
    training: TrainingRun | None = None  # the role-play desk (agentdesk train)
    # `agentdesk` without --agent: the config's agent only if the agents table knows it,
    # else the sign-in screen (apps/presence.py); False: the config's agent, made if new
    sign_in: bool = False


def _kb_screen() -> Screen:
    from agentdesk.screens.kb import KbScreen  # Markdown and its parser: not for first paint

    return KbScreen()


def _ticket_screen() -> Screen:
    from agentdesk.screens.ticket import TicketScreen

    return TicketScreen()


def _queue_screen() -> Screen:
    from agentdesk.screens.queue import QueueScreen

    return QueueScreen()


def _notices_screen() -> Screen:
    from agentdesk.screens.notices import NoticesScreen

    return NoticesScreen()


class AgentDesk(App):
    TITLE = "agentdesk"
    HORIZONTAL_BREAKPOINTS = breakpoints.HORIZONTAL  # -narrow / -wide on each screen
    VERTICAL_BREAKPOINTS = breakpoints.VERTICAL
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
        Binding("f6", "open_notices", "key.notices"),  # a supervisor's desk only
        Binding("f12", "find_ticket", "find.key", show=False),  # issue 17: find (palette too)
        Binding("f8", "wrap_up", "key.wrap_up"),  # 小结: F8, then the code's digit
        Binding("ctrl+q", "quit", "key.quit", priority=True),
        Binding("f9", "sync_now", "key.sync", show=False),
        PALETTE_BINDING,
        # issue 19: status (1 示闲, 2 小休, 3 话后处理) or L lock; palette too
        Binding("ctrl+b", "agent_status", "status.key", show=False),
    ]

    data_version: reactive[int] = reactive(0)
    # My open tickets, soonest first: loaded once per data change, read by the header's
    # counts (every second, no database) and by the queue screen's "mine" list.
    my_queue: reactive[list[QueueRow]] = reactive(list, always_update=True)
    # The call on the line: replaced whole when a call rings, updated with replace().
    call: reactive[CallContext] = reactive(CallContext)

    def __init__(self, options: DeskOptions) -> None:
        i18n.set_lang(options.config.lang)
        wrap.install()  # Chinese line breaking on every screen (issue 19, item 13)
        toast.install()  # every toast keeps its Chinese characters whole (issue 19)
        super().__init__()
        localize(self)
        self.options = options
        self.lang = options.config.lang
        self.agent_code = options.config.agent_id
        self.agent_name = options.config.agent_name
        self.role = options.config.role
        if self.role == "supervisor":  # an agent's desk has no such screen at all
            self.add_mode("notices", _notices_screen)
        self.agent_label = i18n.agent_label(options.config.agent_name, options.config.agent_id)
        self.db_name = options.db_path.name
        self.sync_state = t("app.sync.none") if not options.config.central_url else ""
        self.status = t("app.opening")
        self.desk_title = t("app.title")
        self.store: Store | None = None
        self.jobs = DeskJobs(self)
        self.presence = Presence(self, enabled=options.training is None)
        self._pop_server: asyncio.AbstractServer | None = None

    def notify(self, message: str, **options: Any) -> None:
        """Every toast (a screen's notify comes here too): data shown visibly. While the
        lock or the sign-in is up, held back until it closes: a toast would show a
        caller's number over the screen that hides customer data."""
        presence = getattr(self, "presence", None)
        if presence is not None and presence.blocking:
            presence.held.append((message, options))
            return
        super().notify(shown(message, lines=True), **options)

    # --- read-only views -------------------------------------------------------------------

    @property
    def header_state(self) -> HeaderState:
        """What every screen's header draws; the counts from my loaded tickets, now."""
        counts = None
        if self.store is not None:
            from agentdesk.tickets import queue

            counts = queue.counts(self.my_queue, clock.now())
        return HeaderState(self.desk_title, self.agent_label, self.db_name, self.sync_state,
                           self.status, counts, self.presence.header_text())

    @property
    def outreach_rules(self) -> Rules:
        from agentdesk.centre.outreach import Rules

        return Rules.from_config(self.options.config)

    @property
    def kb_answer(self) -> tuple[str, str] | None:
        """The pending answer of this call as (article id, text)."""
        answer = self.call.answer
        return (answer.article_id, answer.text) if answer else None

    @property
    def current_customer(self) -> Card | None:
        """The customer the ticket form is for, on this call."""
        return self.call.card

    @property
    def desk_sync(self) -> SyncJob | None:
        return self.jobs.sync

    @property
    def notices_stale_since(self) -> datetime | None:
        """When this desk last pulled from the centre, if that is over two sync intervals
        ago (its notices may be out of date); None when fresh or standalone."""
        sync = self.jobs.sync
        if sync is None:
            return None
        return sync.syncer.status.stale_since(clock.now(), self.options.config.sync_interval)

    # --- opening ---------------------------------------------------------------------------

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
        import sqlalchemy as sa

        from agentdesk.core import agent_status, agents
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
            status = None
            with store.session() as session:
                found = agents.find(session, self.agent_code)
                if found is None and (not self.options.sign_in or session.connection().execute(
                        sa.text("SELECT count(*) FROM agent")).scalar() == 0):
                    agents.ensure(session, self.agent_code, self.options.config.agent_name)
                    found = agents.find(session, self.agent_code)
                if found is not None and self.presence.enabled:  # a start is a sign-in
                    status = agent_status.current(session, found.code)
                    if status is None or status.status == agent_status.OFF:
                        status = agent_status.change(session, found.id, found.code,
                                                     agent_status.READY,
                                                     self.options.config.desk)
                session.commit()
        except StoreError as exc:
            self.post_message(StoreFailed(str(exc)))
            return
        self.post_message(StoreReady(store, filled, found.name if found else "", found,
                                     status))

    def on_store_ready(self, message: StoreReady) -> None:
        if message.agent is not None:  # the agents table's name, not one from the config
            self.presence.signed_in_as(message.agent, message.status)
        self.store_opened(message.store, message.filled)
        if message.agent is None:
            self.presence.ask(self.agent_code)

    def store_opened(self, store: Store, filled: DemoSummary | None) -> None:
        """The store is open: show it, load the data, start the jobs and the screen pop."""
        self.store = store
        self.status = ""
        if filled is not None:
            self.notify(t("app.demo_filled", customers=filled.customers,
                          tickets=filled.tickets), timeout=8, markup=False)
        self.refresh_header()
        self.jobs.start()  # before the data moves: the first scan is the quiet backlog one
        self.presence.start()
        self.data_version += 1
        if self.options.screen_pop:
            self.run_worker(self._start_screen_pop(), group="pop")
        if self.options.initial_call:
            self.call_after_refresh(self.pop_call, self.options.initial_call)
        if os.environ.get(BENCH_ENV):
            self.call_after_refresh(self._bench_ready)

    def on_store_failed(self, message: StoreFailed) -> None:
        self.status = t("app.store_error", error=message.error)
        self.refresh_header()
        self.notify(self.status, severity="error", timeout=30, markup=False)

    def _bench_ready(self) -> None:
        self._bench_mark("ready")
        self.exit()

    # --- data and jobs ---------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent) and not event.is_forwarded:
            self.presence.touch()  # a key or the mouse: not idle (the screen lock)
        await super().on_event(event)

    def action_agent_status(self) -> None:
        self.presence.choose()

    def action_lock(self) -> None:
        self.presence.lock()

    def action_sign_out(self) -> None:
        self.presence.sign_out()

    def action_sync_now(self) -> None:
        self.jobs.sync_now()

    def action_wrap_up(self) -> None:
        from agentdesk.screens import wrapup

        wrapup.open_for(self)

    def action_find_ticket(self) -> None:
        from agentdesk.screens.ticket_search import TicketSearch

        if not isinstance(self.screen, TicketSearch):
            self.push_screen(TicketSearch())

    def action_open_notices(self) -> None:
        if self.role == "supervisor":
            self.switch_mode("notices")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.presence.blocking and action != "quit":
            return False  # sign-in or lock: only Ctrl+Q and the gate's own box
        if action == "open_notices":
            return self.role == "supervisor"  # False: neither shown nor run
        return True

    def watch_data_version(self, version: int) -> None:
        if version > 0 and self.store is not None:
            self.load_my_queue()
            self.jobs.data_changed()

    @work(thread=True, exclusive=True, group="my-queue")
    def load_my_queue(self) -> None:
        from agentdesk.centre import outreach
        from agentdesk.tickets import service as tickets, taxonomy

        store = self.store
        if store is None:
            return
        taxonomy.load()  # the queue draws category names: read the file here, not on the UI
        now = clock.now()
        with store.session() as session:
            rows = tickets.open_for_owner(session, self.agent_code, limit=tickets.LIST_LIMIT)
            # my outreach calls: those I tried last and must try again
            calls = outreach.queue_rows(session, now, self.agent_code, tickets.LIST_LIMIT)
        self.post_message(MyQueueLoaded(outreach.with_calls(rows, calls, now,
                                                            tickets.LIST_LIMIT)))

    def on_my_queue_loaded(self, message: MyQueueLoaded) -> None:
        self.my_queue = message.rows

    def watch_my_queue(self) -> None:
        self.refresh_header()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self.jobs.worker_ended(event.worker)

    def on_sync_finished(self, message: SyncFinished) -> None:
        outcome = message.outcome
        if self.jobs.sync is None:
            return  # the desk is closing
        problem = self.jobs.sync.finished(outcome)
        if problem:
            self.notify(problem, severity="error", timeout=30, markup=False)
        for c in outcome.conflicts:
            self.notify(t("sync.conflict", number=c.number, name=c.winner, time=c.time),
                        severity="warning", timeout=30, markup=False)
        if outcome.quarantined:
            self.notify(t("sync.quarantined", count=outcome.quarantined), severity="error",
                        timeout=30, markup=False)
        if outcome.pulled:
            self.data_version += 1  # screens reload what changed

    def on_alerts_raised(self, message: AlertsRaised) -> None:
        for alert in message.alerts:
            said = t("duban.reason." + alert.clock) if alert.kind == "duban" \
                else t("sla." + alert.clock)
            self.notify(t(f"queue.alert.{alert.kind}", number=alert.number, clock=said),
                        severity="warning" if alert.kind == "warning" else "error",
                        markup=False)

    # --- the call --------------------------------------------------------------------------

    async def _start_screen_pop(self) -> None:
        from agentdesk.customers import screenpop

        try:
            self._pop_server = await screenpop.serve(self.pop_call,
                                                     on_stale=self.note_superseded_call)
        except (OSError, screenpop.PopError) as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        if self._pop_server is None:
            self.notify(t("pop.busy"), severity="warning", markup=False)

    def begin_call(self, number: str) -> int:
        """A new call: its context replaces the last call's as a whole. Its serial."""
        self.call = CallContext(serial=self.call.serial + 1, number=number)
        return self.call.serial

    def pop_call(self, number: str) -> None:
        """A call is ringing: record it and show the caller on the lookup screen."""
        from agentdesk.customers.phones import display

        self.notify(t("pop.ringing", number=display(number)), markup=False)
        serial = self.begin_call(number)
        if self.presence.blocking:
            self.presence.pending_mode = "lookup"  # shown after the unlock, not over it
        else:
            self.switch_mode("lookup")
        self._record_call(serial, number)

    def note_superseded_call(self, number: str) -> None:
        """A call that rang before the one on screen but reached the desk after it: kept
        as a contact, never popped over the newer call (serial 0 is never current once a
        call has rung, so its answer is dropped)."""
        self._record_call(0, number)

    @work(thread=True, group="contact")
    def _record_call(self, serial: int, number: str) -> None:
        """Record the call first (an insert: milliseconds), then search: the card then
        lists this call and links it to the caller, whichever worker would have won."""
        from agentdesk.customers import contacts, phones

        store = self.store
        if store is None:
            return
        try:
            with store.session() as session:
                ringing = contacts.record_call(session, number, self.agent_code)
                callers = tuple(contacts.callers(session, ringing))
        except phones.PhoneError as exc:
            self.post_message(CallRinging(serial, None, error=str(exc)))
            return
        self.post_message(CallRinging(serial, ringing, callers))

    def on_call_ringing(self, message: CallRinging) -> None:
        if message.error:
            self.notify(message.error, severity="warning", markup=False)
        if message.serial != self.call.serial:
            return  # another call rang meanwhile: this one's context is gone
        ringing = message.ringing
        # Recorded: the lookup screen pops the number now (see LookupScreen).
        self.call = replace(self.call, recorded=True, caller=message.caller,
                            callers=message.callers,
                            number=ringing.number if ringing else self.call.number,
                            contact_id=ringing.contact_id if ringing else None)

    def on_ticket_saved(self, message: TicketSaved) -> None:
        summary = message.summary
        # The pending answer belonged to the draft just saved (whatever became of it).
        if message.serial == self.call.serial:  # another call rang meanwhile: not its ticket
            self.call = replace(self.call, answer=None, answer_for=None)
        if summary is None:
            return  # the caller was told about a notice: nothing was saved
        if message.serial == self.call.serial:
            self.call = replace(self.call, ticket=SavedTicket(summary["id"], summary["number"]))
        self.data_version += 1  # queue and card show the new ticket

    # --- the frame -------------------------------------------------------------------------

    def refresh_header(self) -> None:
        for header in self.screen.query(DeskHeader):
            header.refresh()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for mode in SCREENS:
            yield SystemCommand(f"{t('key.' + mode)} ({mode})", t(f"cmd.{mode}.help"),
                                lambda mode=mode: self.switch_mode(mode))
        yield SystemCommand(f"{t('key.wrap_up')} (wrap-up)", t("cmd.wrap_up.help"),
                            self.action_wrap_up)
        yield SystemCommand(f"{t('find.key')} (find)", t("find.cmd.help"),
                            self.action_find_ticket)
        if self.role == "supervisor":
            yield SystemCommand(f"{t('key.notices')} (notices)", t("cmd.notices.help"),
                                self.action_open_notices)
        yield from self.presence.commands()
        yield from palette.system_commands(self, screen)

    def action_command_palette(self) -> None:
        palette.open_palette(self)

    def search_themes(self) -> None:
        palette.search_themes(self)

    def on_unmount(self) -> None:
        from agentdesk.customers import screenpop

        self.jobs.stop()
        screenpop.cleanup(self._pop_server)
        self.presence.sign_off_at_exit()
        if self.store is not None:
            self.store.dispose()
