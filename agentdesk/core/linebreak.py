"""Chinese line breaking (禁则, issue 19 item 13), no textual import.

Rich and Textual wrap a run of Chinese, which has no spaces, by cells alone, so a line may
start with 。 or ， and end with （ or “. :func:`kinsoku` takes the break offsets a plain
wrapper chose and moves each break that would do so one or two characters earlier (the
character before the punctuation goes down with it, as Chinese typesetting does when it
cannot hang the mark in the margin); the rest of the paragraph is then wrapped again from
there, so no line grows past the width.
"""

from __future__ import annotations

from collections.abc import Callable

# May not start a line: closing marks, sentence and clause ends, and the like (GB/T 15834).
NO_START = frozenset("。，、；：？！…‥）》」』】〕〉”’％·～—」﹂,.;:?!)]}%")
# May not end a line: opening marks.
NO_END = frozenset("（《「『【〔〈“‘([{")
MOVES = 2  # at most this many characters go down with a mark (…… or ）。 together)

Divide = Callable[..., list[int]]


def _moved(text: str, offset: int, floor: int) -> int:
    """The break at ``offset``, moved earlier while it breaks a rule (never to ``floor``:
    a line keeps at least one character)."""
    moved = offset
    while (moved - 1 > floor and offset - moved < MOVES
           and (text[moved] in NO_START or text[moved - 1] in NO_END)
           and not text[moved - 1].isspace()):
        moved -= 1
    if text[moved] in NO_START or text[moved - 1] in NO_END:
        return offset  # no better place within reach: as the wrapper had it
    return moved


def kinsoku(divide: Divide, text: str, width: int, fold: bool = True) -> list[int]:
    """``divide``'s break offsets for ``text`` in ``width`` cells, with no line starting with
    a closing mark or ending with an opening one where a break one or two characters
    earlier avoids it."""
    offsets = divide(text, width, fold=fold)
    out: list[int] = []
    while offsets:
        offset = offsets[0]
        if 0 < offset < len(text):
            moved = _moved(text, offset, out[-1] if out else 0)
        else:
            moved = offset
        out.append(moved)
        if moved != offset:  # wrap what follows again from the new line's start
            offsets = [moved + o for o in divide(text[moved:], width, fold=fold) if o > 0]
        else:
            offsets = offsets[1:]
    return out
