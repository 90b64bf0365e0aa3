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
    """A column's cells: ``width`` it wants (0: as wide as it is given), at least ``least``
    when the line is short (0: the same as width; a column squeezed to nothing is left
    out), and its ``share`` of the cells left over when the line is long (0: none)."""

    key: str
    title: str
    width: int
    least: int = 0
    share: int = 0
    most: int = 0  # the widest it grows (0: no limit)
    squeeze: int = 0  # the order columns give up cells in, lowest first


def widths(columns: Sequence[Column], total: int) -> list[int]:
    """Each column's cells in a line of ``total`` (one space before each column).

    Fixed columns (share 0, least = width) keep their width; when the line is short the
    others give up cells in their ``squeeze`` order down to ``least``, then those whose
    least is 0 are left out (width 0); when it is long, the cells left over go to the
    columns with a share, in proportion, up to their ``most`` (issue 19, item 8: the status
    and the deadline never shrink, the category and the text take the rest)."""
    out = [c.width for c in columns]
    room = total - len(columns) - sum(out)
    order = sorted(range(len(columns)), key=lambda n: columns[n].squeeze)
    for n in order:  # short: squeeze, lowest first
        if room >= 0:
            break
        floor = columns[n].least if columns[n].least else columns[n].width
        give = min(out[n] - floor, -room)
        out[n] -= give
        room += give
    left_out: set[int] = set()
    for n in order:  # still short: leave out what may go
        if room >= 0:
            break
        if columns[n].least == 0 and columns[n].share:
            room += out[n] + 1
            out[n] = 0
            left_out.add(n)
    growers = [n for n, c in enumerate(columns) if c.share and n not in left_out]
    while room > 0 and growers:  # long: share the rest, in proportion
        weight = sum(columns[n].share for n in growers)
        shares = [room * columns[n].share // weight for n in growers]
        for k in range(room - sum(shares)):  # what the division left: one cell each
            shares[k % len(shares)] += 1
        given = 0
        for n, extra in zip(growers, shares, strict=True):
            if columns[n].most:
                extra = min(extra, columns[n].most - out[n])
            out[n] += extra
            given += extra
        room -= given
        growers = [n for n in growers if not columns[n].most or out[n] < columns[n].most]
        if not given:
            break
    return out


class QueueTable(ScrollView, can_focus=True):
    """Rows are any objects; ``cells(row) -> list[Text]`` turns one into its cells, at
    draw time (so a countdown is as fresh as the frame). Line 0 is the column header."""

    DEFAULT_CSS = """
    QueueTable { height: 1fr; overflow-x: hidden; }
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

    def _line(self, cells: list[Text], width: int, style: Style) -> Strip:
        line = Text(" ", end="")
        # the line is drawn inside the scrollbar: with one, it is narrower (issue 19)
        for cell, cell_width in zip(cells, widths(self.columns, width - 1), strict=False):
            if not cell_width:
                continue
            cell = shown_text(cell.copy())  # data: its control characters shown visibly
            cell.truncate(cell_width, overflow="ellipsis", pad=True)
            line.append_text(cell)
            line.append(" ")
        segments = list(line.render(self.app.console))
        return Strip(Segment.apply_style(segments, style)).crop_extend(0, width, style)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
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
