"""Toasts whose Chinese characters survive the screen below them (issue 19, item 9).

Textual paints a screen in "chops": every line is cut wherever any visible widget's region
begins or ends, the widgets under a toast included, and each widget's line is divided at
those cuts. A double-width character lying across a cut is split into two blanks, so a
toast over the lookup screen at 140 columns read ``▌   电 150…`` for ``来电 150…``: the
card's panel starts one cell into 来. :class:`DeskToast` lays its text out itself and moves
such a character one cell on (a blank before it), so no cut falls inside it; the line is
wrapped again when that makes it longer. :func:`install` makes every notification of the
process use it (Textual's toast rack builds ``Toast`` by that module-level name).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len
from textual.content import Content
from textual.widgets import _toast  # Toast is not exported; the rack builds it by name


def straddled(text: str, x: int, cuts: set[int]) -> list[int]:
    """Offsets in ``text`` (starting at screen column ``x``) of the double-width characters
    that a cut falls inside: a cut at column c splits a character drawn on c-1 and c."""
    found = []
    for offset, char in enumerate(text):
        width = cell_len(char)
        if width == 2 and x + 1 in cuts:
            found.append(offset)
            x += 1  # the blank put before it
        x += width
    return found


def _with_blanks(line: Content, offsets: list[int]) -> Content:
    """``line`` with a blank put before the character at each offset."""
    if not offsets:
        return line
    pieces = line.divide(offsets)
    out = pieces[0]
    for piece in pieces[1:]:
        out = out + " " + piece
    return out


def _fits(text: str, width: int) -> int:
    """How many characters of ``text`` fit in ``width`` cells (at least one)."""
    used = 0
    for offset, char in enumerate(text):
        used += cell_len(char)
        if used > width:
            return max(1, offset)
    return len(text)


def fit_paragraph(para: Content, x: int, width: int,
                  cuts_at: Callable[[int], set[int]], first_row: int = 0) -> list[Content]:
    """One paragraph wrapped to ``width`` cells, drawn from screen column ``x``, with a
    blank before every double-width character that a cut of its row would split;
    ``cuts_at(row)`` gives the cut columns of the row-th line of the toast."""
    out: list[Content] = []
    while True:
        lines = para.wrap(width)
        if not lines:
            return out or [para]
        first = lines[0]
        taken = len(first.plain)
        offsets = straddled(first.plain, x, cuts_at(first_row + len(out)))
        fixed = _with_blanks(first, offsets)
        if fixed.cell_length > width:  # the blanks pushed its end off: wrap it on
            keep = _fits(fixed.plain, width)
            taken = max(1, keep - sum(1 for n, o in enumerate(offsets) if o + n < keep))
            head = first.divide([taken])[0]
            fixed = _with_blanks(head, [o for o in offsets if o < taken])
        out.append(fixed)
        rest = para.divide([taken])[1] if taken < len(para.plain) else Content("")
        if taken == len(first.plain):  # a break of the wrap: its blanks go, as wrap does
            rest = rest.divide([len(rest.plain) - len(rest.plain.lstrip(" "))])[1] \
                if rest.plain.startswith(" ") else rest
        if not rest.plain:
            return out
        para = rest


class DeskToast(_toast.Toast):
    """A toast that keeps every double-width character whole, wherever it is drawn."""

    def on_mount(self) -> None:
        # The screen below may be laid out again while the toast shows (a card arrives):
        # its cuts move, so lay the text out again.
        self.screen.screen_layout_refresh_signal.subscribe(self, self._relayout)

    def _relayout(self, _screen: object = None) -> None:
        self.refresh(layout=False)

    def render(self) -> Content:
        content = super().render()
        region = self.content_region
        if region.width <= 0:
            return content
        lines: list[Content] = []
        for para in content.split("\n", allow_blank=True):
            lines += fit_paragraph(para, region.x, region.width,
                                   lambda row: self._cuts(region.y + row), len(lines))
        return Content("\n").join(lines)

    def _cuts(self, y: int) -> set[int]:
        """Every column on screen line ``y`` where a widget of this screen begins or ends."""
        cuts: set[int] = set()
        for widget in self.screen.walk_children(with_self=False):
            region = widget.region
            if region.height and region.y <= y < region.bottom:
                cuts.update((region.x, region.right))
        return cuts


def install() -> None:
    """Every toast in this process a :class:`DeskToast` (idempotent)."""
    _toast.Toast = DeskToast  # type: ignore[misc]
