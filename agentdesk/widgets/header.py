"""The desk's header: who is working, on which database, sync state, my queue's counts
and the clock.

It only draws: the app hands it a :class:`HeaderState` (one source for every screen's
header; the counts are the app's, from the tickets it loaded) and it redraws once a
second for the clock. Agent names and paths are data: built as rich Text, their control
characters shown visibly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from rich.text import Text
from textual.widget import Widget

from agentdesk.core import clock
from agentdesk.core.controls import shown, shown_text
from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from agentdesk.tickets.queue import Counts


@dataclass(frozen=True)
class HeaderState:
    title: str
    agent: str = ""
    db: str = ""
    sync: str = ""
    status: str = ""  # opening, a store error, ...: shown in italics
    counts: Counts | None = None  # my open tickets (None: not loaded, or not a desk)
    presence: str = ""  # the agent's status and the time in it (示闲 4:05), issue 19


@runtime_checkable
class HeaderSource(Protocol):
    """An app whose screens show this header (the desk, the trainer, the monitor)."""

    @property
    def header_state(self) -> HeaderState: ...


class DeskHeader(Widget):
    DEFAULT_CSS = """
    DeskHeader {
        dock: top;
        height: 1;
        background: $primary-background;
        color: $foreground;
    }
    """

    def on_mount(self) -> None:
        self.set_interval(1, self.refresh)

    @property
    def state(self) -> HeaderState:
        app = self.app
        return app.header_state if isinstance(app, HeaderSource) else HeaderState(
            t("app.title"))

    def render(self) -> Text:
        state = self.state
        now = clock.local().strftime("%Y-%m-%d %H:%M:%S")
        right = Text(f"{now} ")
        width = self.size.width
        room = max(0, width - right.cell_len - 1)
        left = self._left(state, with_db=True)
        if left.cell_len > room:  # a narrow terminal: the database's name goes first
            left = self._left(state, with_db=False)
        left.truncate(room, overflow="ellipsis")
        gap = max(1, width - left.cell_len - right.cell_len)
        return left + Text(" " * gap) + right

    @staticmethod
    def _left(state: HeaderState, with_db: bool) -> Text:
        left = Text.assemble((f" {state.title} ", "bold reverse"), " ",
                             (f"{t('app.agent')} ", "dim"), shown(state.agent),
                             *(("  ", (state.presence, "bold")) if state.presence else ()),
                             *(("  ", (f"{t('app.db')} ", "dim"), shown(state.db))
                               if with_db else ()),
                             "  ", (f"{t('app.sync')} ", "dim"), shown(state.sync))
        if state.counts is not None:
            left.append("  ")
            left.append_text(counts_text(state.counts))
        if state.status:
            left.append("  ")
            left.append(shown(state.status), "italic")
        return shown_text(left)  # before measuring: a control character has no width


def counts_text(c: Counts) -> Text:
    """我的 N · 15 分钟内 N · 超时 N."""
    return Text.assemble(
        (t("header.mine", n=c.open), ""), " · ",
        (t("header.soon", n=c.soon), "bold dark_orange" if c.soon else ""), " · ",
        (t("header.breached", n=c.breached), "bold reverse red" if c.breached else ""))
