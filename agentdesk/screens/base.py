"""What every desk screen shares: the header, the footer, and reloading when the data
changes (the app bumps ``data_version`` when the store opens, after a sync, ...)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from agentdesk.widgets.header import DeskHeader


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
    def store(self):  # noqa: ANN201 - agentdesk.store.Store, imported lazily
        return self.app.store
