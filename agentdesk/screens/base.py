"""What every desk screen shares: the header, the footer, the typed view of the desk app
(:attr:`DeskScreen.desk`), and reloading when the data changes (the app bumps
``data_version`` when the store opens, after a sync, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Input

from agentdesk.widgets.header import DeskHeader

if TYPE_CHECKING:
    from agentdesk.core.store import Store
    from agentdesk.screens.state import DeskApp


class DeskScreen(Screen):
    def compose_frame(self) -> ComposeResult:
        yield DeskHeader()

    def compose_footer(self) -> ComposeResult:
        yield Footer()

    def on_mount(self) -> None:
        self.watch(self.app, "data_version", self._data_changed, init=True)

    def _data_changed(self, version: int) -> None:
        if version > 0:
            self.reload()

    def reload(self) -> None:
        """Load this screen's data in a worker; screens override."""

    @property
    def desk(self) -> DeskApp:
        """The app with its desk state typed (the desk app, or the trainer's)."""
        return cast("DeskApp", self.app)

    @property
    def store(self) -> Store | None:
        return self.desk.store


class SearchScreen(DeskScreen):
    """A search box (``#query``) that searches as you type: debounced, each search in a
    worker, and numbered so that a slow older search never overwrites newer results.
    Subclasses implement ``_start_search(query)`` and check :meth:`is_current`."""

    DEBOUNCE_S = 0.12
    RESULTS = "#results"  # focused on Enter

    def __init__(self) -> None:
        super().__init__()
        self._seq = 0
        self._timer = None

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def is_current(self, seq: int) -> bool:
        return seq == self._seq

    def action_focus_search(self) -> None:
        self.query_one("#query", Input).focus()

    @on(Input.Changed, "#query")
    def _query_changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        value = event.value
        self._timer = self.set_timer(self.DEBOUNCE_S, lambda: self._start_search(value))

    @on(Input.Submitted, "#query")
    def _query_submitted(self, event: Input.Submitted) -> None:
        self._start_search(event.value)
        self.query_one(self.RESULTS).focus()

    def _start_search(self, query: str) -> None:
        raise NotImplementedError
