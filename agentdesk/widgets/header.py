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
        return header_line(self.state, self.size.width)


# Ways to fit the header, fullest first (issue 19, item 8): the labels go first, then the
# counts' words are shortened, then the database's name and the date go; the numbers and
# the time never do. (labels, short counts, database, date)
FITS = ((True, False, True, True), (False, False, True, True), (False, True, True, True),
        (False, True, False, True), (False, True, False, False))


def header_line(state: HeaderState, width: int) -> Text:
    """The header in ``width`` cells: title, who, database, sync, my counts, the clock.
    When it does not fit, the least useful goes first; what is left over is cut from who
    and the sync state, never from the counts or the clock."""
    for labels, short, db, date in FITS:
        title, middle, tail, right = _parts(state, labels, short, db, date)
        if title.cell_len + middle.cell_len + tail.cell_len + right.cell_len + 1 <= width:
            break
    room = width - title.cell_len - tail.cell_len - right.cell_len - 1
    middle.truncate(max(0, room), overflow="ellipsis")
    left = title + middle + tail
    left.truncate(max(0, width - right.cell_len - 1), overflow="ellipsis")
    gap = max(1, width - left.cell_len - right.cell_len)
    return left + Text(" " * gap) + right


def _parts(state: HeaderState, labels: bool, short: bool, db: bool, date: bool,
           ) -> tuple[Text, Text, Text, Text]:
    title = Text.assemble((f" {state.title} ", "bold reverse"), " ")
    middle = Text()

    def field(label: str, value: str) -> None:
        if middle:
            middle.append("  ")
        if labels:
            middle.append(f"{t(label)} ", "dim")
        middle.append_text(shown_text(Text(shown(value))))

    field("app.agent", state.agent)
    if db:
        field("app.db", state.db)
    field("app.sync", state.sync)
    tail = Text()
    if state.presence:  # the agent's status, kept like the counts (issue 19: sign-in)
        tail.append("  ")
        tail.append(shown(state.presence), "bold")
    if state.counts is not None:
        tail.append("  ")
        tail.append_text(counts_text(state.counts, short))
    if state.status:
        tail.append("  ")
        tail.append(shown(state.status), "italic")
    tail = shown_text(tail)  # before measuring: a control character has no width
    now = clock.local().strftime("%Y-%m-%d %H:%M:%S" if date else "%H:%M:%S")
    return shown_text(title), middle, tail, Text(f"{now} ")


def counts_text(c: Counts, short: bool = False) -> Text:
    """我的 N · 15 分钟内 N · 超时 N (short: 我的N · 15分N · 超时N)."""
    key = ".short" if short else ""
    return Text.assemble(
        (t("header.mine" + key, n=c.open), ""), " · ",
        (t("header.soon" + key, n=c.soon), "bold dark_orange" if c.soon else ""), " · ",
        (t("header.breached" + key, n=c.breached), "bold reverse red" if c.breached else ""))
