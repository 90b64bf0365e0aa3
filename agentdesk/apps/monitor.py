"""The supervisor monitor: its own App around the wallboard screen.

:func:`create_monitor_app` is the one factory (the CLI, the tests and the web mode use it).
The database is opened with :func:`agentdesk.core.store.open_readonly` (SQLite ``mode=ro`` plus
``query_only``): the monitor has no write path at all, whatever key is pressed. The desk's
keys that would write (or open a writing screen) are bound here only to say "read-only".
The header says MONITOR on a colour the agent desk never uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive

from agentdesk.apps import palette
from agentdesk.apps.messages import StoreFailed, StoreReady
from agentdesk.core import i18n
from agentdesk.core.controls import shown
from agentdesk.core.config import Config
from agentdesk.core.i18n import t
from agentdesk.screens.i18n_bindings import localize
from agentdesk.widgets import breakpoints, toast, wrap
from agentdesk.widgets.header import DeskHeader, HeaderState

if TYPE_CHECKING:
    from textual.screen import Screen

    from agentdesk.core.store import Store
    from agentdesk.sync.mirror import Follower

DEFAULT_INTERVAL_S = 10.0
MONITOR_COLOUR = "#6a1b9a"  # purple: never on an agent's desk
# The desk's keys that write or start writing (lookup, knowledge base, ticket, queue
# screens; new ticket, save, use answer, link, hand over): here they only say read-only.
WRITE_KEYS = ("f2", "f3", "f4", "f5", "ctrl+n", "ctrl+s", "ctrl+y", "ctrl+l", "ctrl+o",
              "ctrl+h", "ctrl+d", "ctrl+k", "insert", "delete")


@dataclass(frozen=True)
class MonitorOptions:
    config: Config
    db_path: Path
    interval: float = DEFAULT_INTERVAL_S
    follower: Follower | None = None  # when showing the centre's mirror


class MonitorApp(App):
    TITLE = "agentdesk monitor"
    HORIZONTAL_BREAKPOINTS = breakpoints.HORIZONTAL  # -narrow / -wide on each screen
    VERTICAL_BREAKPOINTS = breakpoints.VERTICAL
    CSS = f"""
    DeskHeader {{ background: {MONITOR_COLOUR}; color: white; }}
    """
    BINDINGS = [
        Binding("ctrl+q", "quit", "key.quit", priority=True),
        palette.PALETTE_BINDING,
        *[Binding(key, "readonly", show=False, priority=True) for key in WRITE_KEYS],
    ]

    store_version: reactive[int] = reactive(0)

    def __init__(self, options: MonitorOptions) -> None:
        i18n.set_lang(options.config.lang)
        wrap.install()  # Chinese line breaking on every screen (issue 19, item 13)
        toast.install()  # every toast keeps its Chinese characters whole (issue 19)
        super().__init__()
        localize(self)
        self.options = options
        self.interval = options.interval
        self.lang = options.config.lang
        self.desk_title = t("monitor.title")
        self.agent_label = t("monitor.viewer")
        self.db_name = options.db_path.name
        self.sync_state = t("app.readonly")
        self.status = t("app.opening")
        self.store: Store | None = None

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        return palette.system_commands(self, screen)

    def action_command_palette(self) -> None:
        palette.open_palette(self)

    def search_themes(self) -> None:
        palette.search_themes(self)

    def notify(self, message: str, **options: Any) -> None:
        """Every toast (a screen's notify comes here too): data shown visibly."""
        super().notify(shown(message, lines=True), **options)

    @property
    def header_state(self) -> HeaderState:
        return HeaderState(self.desk_title, self.agent_label, self.db_name, self.sync_state,
                           self.status)

    def on_mount(self) -> None:
        from agentdesk.screens.monitor import MonitorScreen

        screen = MonitorScreen()
        localize(screen)
        self.push_screen(screen)
        self.call_after_refresh(self._open_store)
        if self.options.follower is not None:
            self.set_interval(1, self._show_mirror)

    def _show_mirror(self) -> None:
        """How old the centre's data is (the follower pulls in its own thread)."""
        from agentdesk.core import clock

        follower, now = self.options.follower, clock.now()
        if follower is None:
            return
        if follower.last_error or follower.last_ok is None:
            when = follower.last_ok
            shown = clock.local(when).strftime("%H:%M:%S") if when else "—"
            self.sync_state = t("monitor.mirror.down", time=shown)
        else:
            age = max(0, int((now - follower.last_ok).total_seconds()))
            self.sync_state = t("monitor.mirror.ok", age=age)
        self._refresh_header()

    @work(thread=True, exclusive=True, group="store")
    def _open_store(self) -> None:
        from agentdesk.core.store import StoreError, open_readonly

        try:
            store = open_readonly(self.options.db_path)
        except StoreError as exc:
            self.post_message(StoreFailed(str(exc)))
            return
        self.post_message(StoreReady(store))

    def on_store_ready(self, message: StoreReady) -> None:
        self.store = message.store
        self.status = ""
        self._refresh_header()
        self.store_version += 1

    def on_store_failed(self, message: StoreFailed) -> None:
        self.status = t("app.store_error", error=message.error)
        self._refresh_header()
        self.notify(self.status, severity="error", timeout=30, markup=False)

    def _refresh_header(self) -> None:
        for header in self.screen.query(DeskHeader):
            header.refresh()

    def action_readonly(self) -> None:
        self.notify(t("monitor.readonly"), severity="warning", markup=False)

    def on_unmount(self) -> None:
        if self.store is not None:
            self.store.dispose()


def create_monitor_app(config: Config | None = None, db_path: Path | str | None = None,
                       interval: float = DEFAULT_INTERVAL_S, follower: Follower | None = None
                       ) -> MonitorApp:
    """Build the monitor app: one factory for the CLI, tests and the web mode."""
    from agentdesk.core import clock, config as config_mod

    config = config or config_mod.load()
    clock.set_timezone(config.timezone)
    path = Path(db_path).expanduser() if db_path else config.db_path()
    return MonitorApp(MonitorOptions(config=config, db_path=path, interval=interval,
                                     follower=follower))
