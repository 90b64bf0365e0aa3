"""Control characters in data: which they are, how they are shown on a terminal, and how
they are taken out.

Text from outside can carry escape sequences (``ESC [2J`` clears the screen, ``ESC ]0;``
sets the window title), C1 controls some terminals obey as escapes (U+009B is a CSI),
and bidi overrides, zero-width or tag characters that make text read other than it is.
The ways in refuse them (:mod:`agentdesk.core.guard`); every renderer shows whatever got
in anyway (old rows, the central store) with :func:`shown`: C0 controls as their Unicode
control pictures (ESC as ␛, BEL as ␇, DEL as ␡), every other one as ``<U+202E>``.
Standard library only.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

# C0 and C1 controls and DEL; the Arabic letter mark and Mongolian vowel separator;
# zero-width characters and the left-to-right/right-to-left marks; line and paragraph
# separators; bidi embeddings, overrides and isolates; word joiners and the other
# invisible operators; a stray BOM; interlinear annotations; lone surrogates (the
# undecodable bytes of a command-line argument); tag characters.
_SET = ("\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
        "\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f")
CONTROL = re.compile(f"[\t\n{_SET}]")  # tab and newline too: one-line fields
CONTROL_IN_LINES = re.compile(f"[{_SET}]")  # tab and newline allowed: multi-line text


def _pattern(lines: bool) -> re.Pattern[str]:
    return CONTROL_IN_LINES if lines else CONTROL


def picture(char: str) -> str:
    """The visible form of one control character."""
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟ (ESC: ␛)
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def first(text: str, lines: bool = False) -> re.Match[str] | None:
    """The first control character in ``text`` (tab and newline count only when not
    ``lines``), or None."""
    return _pattern(lines).search(text)


def shown(value: object, lines: bool = False) -> str:
    """``value`` as text a terminal can be given: every control character shown visibly
    (with ``lines``, tab and newline are kept as they are)."""
    text = value if isinstance(value, str) else str(value)
    return _pattern(lines).sub(lambda m: picture(m.group()), text)


def clean(value: str, lines: bool = False) -> str:
    """``value`` without its control characters (a paste into a typed input)."""
    return _pattern(lines).sub("", value)


def shown_text(text: Text) -> Text:
    """A Rich ``Text`` with its control characters shown visibly, its styles kept (newline
    and tab kept). Rich strips only BEL, BS, VT, FF and CR itself: ESC passes."""
    plain = text.plain
    if CONTROL_IN_LINES.search(plain) is None:
        return text
    out = text.blank_copy()
    last = 0
    for match in CONTROL_IN_LINES.finditer(plain):
        out.append_text(text[last:match.start()])
        char = text[match.start():match.end()]
        visible = char.blank_copy(picture(match.group()))
        for span in char.spans:  # the character's own style goes to its picture
            visible.stylize(span.style, 0, len(visible.plain))
        out.append_text(visible)
        last = match.end()
    out.append_text(text[last:])
    return out


def _escape(char: str) -> str:
    code = ord(char)
    if code > 0xFFFF:  # a JSON \u escape holds 16 bits: a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_text(value: object, indent: int | None = None) -> str:
    """``value`` as JSON with every control character escaped (json escapes only C0):
    the data stays exact and no raw control reaches the terminal."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    # Raw tabs and newlines in json's output are its own layout: strings escape theirs.
    return CONTROL_IN_LINES.sub(lambda m: _escape(m.group()), text)
