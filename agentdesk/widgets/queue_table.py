"""A table that draws only the lines on screen (the Line API, as toolong does).

The queue holds thousands of rows whose countdown changes every second. A DataTable
measures and stores every cell of every row; this view keeps the rows as plain objects
and builds the few visible lines when the compositor asks for them, so loading the list
costs nothing per row and a tick is one ``refresh()``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from agentdesk.core.controls import shown_text


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int  # cells; 0 = takes what the others leave


class QueueTable(ScrollView, can_focus=True):
    """Rows are any objects; ``cells(row) -> list[Text]`` turns one into its cells, at
    draw time (so a countdown is as fresh as the frame). Line 0 is the column header."""

    DEFAULT_CSS = """
    QueueTable { height: 1fr; }
    QueueTable > .queue-table--header { text-style: bold; background: $panel; }
    QueueTable > .queue-table--cursor { background: $block-cursor-background;
                                        color: $block-cursor-foreground; }
    QueueTable:blur > .queue-table--cursor { background: $block-cursor-blurred-background; }
    """
    COMPONENT_CLASSES = {"queue-table--header", "queue-table--cursor"}
    BINDINGS = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "jump(0)", show=False),
        Binding("end", "jump(-1)", show=False),
        Binding("enter", "select", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Selected(Message):
        def __init__(self, row: Any) -> None:
            super().__init__()
            self.row = row

    def __init__(self, columns: Sequence[Column], cells: Callable[[Any], list[Text]],
                 key: Callable[[Any], object] = id, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.columns = list(columns)
        self._cells = cells
        self._key = key
        self.rows: list[Any] = []

    # --- data ------------------------------------------------------------------------

    def set_rows(self, rows: list[Any], keep_cursor: bool = True) -> None:
        """Show ``rows``; the cursor stays on the same row (by key) when it is still there,
        else goes to the top."""
        current = self.current_row if keep_cursor else None
        self.rows = rows
        self.virtual_size = Size(self.size.width, len(rows) + 1)
        index = 0
        if current is not None:
            wanted = self._key(current)
            index = next((n for n, r in enumerate(rows) if self._key(r) == wanted), 0)
        self.cursor = min(index, max(0, len(rows) - 1))
        # the new height is known only after the next layout: scroll to the cursor then
        self.call_after_refresh(self._show_cursor)
        self.refresh()

    @property
    def current_row(self) -> Any | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def visible_range(self) -> range:
        first = int(self.scroll_offset.y)
        return range(first, min(len(self.rows), first + max(0, self.size.height - 1)))

    # --- drawing ---------------------------------------------------------------------

    def _widths(self, total: int) -> list[int]:
        fixed = sum(c.width for c in self.columns) + len(self.columns)  # one space each
        flex = max(6, total - fixed)
        return [c.width or flex for c in self.columns]

    def _line(self, cells: list[Text], width: int, style: Style) -> Strip:
        line = Text(" ", end="")
        for cell, cell_width in zip(cells, self._widths(width), strict=False):
            cell = shown_text(cell.copy())  # data: its control characters shown visibly
            cell.truncate(cell_width, overflow="ellipsis", pad=True)
            line.append_text(cell)
            line.append(" ")
        segments = list(line.render(self.app.console))
        return Strip(Segment.apply_style(segments, style)).crop_extend(0, width, style)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y == 0:
            header = self.get_component_rich_style("queue-table--header")
            return self._line([Text(c.title) for c in self.columns], width, base + header)
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self.rows):
            return Strip.blank(width, base)
        style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("queue-table--cursor")
        return self._line(self._cells(self.rows[index]), width, style)

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.rows) + 1)

    # --- moving ----------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self._show_cursor()
        self.refresh()

    def _show_cursor(self) -> None:
        page = max(1, self.size.height - 1)
        top = int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + page:
            self.scroll_to(y=self.cursor - page + 1, animate=False, immediate=True)

    def action_move(self, step: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + step))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.size.height - 2))

    def action_jump(self, where: int) -> None:
        if self.rows:
            self.cursor = where if where >= 0 else len(self.rows) - 1

    def action_select(self) -> None:
        row = self.current_row
        if row is not None:
            self.post_message(self.Selected(row))

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_offset.y) + event.y - 1
        if event.y >= 1 and 0 <= index < len(self.rows):
            if index == self.cursor and event.chain >= 2:
                self.action_select()
            self.cursor = index
