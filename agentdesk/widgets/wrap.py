"""Chinese line breaking on every screen (issue 19, item 13).

Textual's ``Content`` (Static, Markdown paragraphs, labels) and Rich's ``Text`` both wrap
through ``rich._wrap.divide_line``, imported by name into ``textual.content`` and
``rich.text``. :func:`install` points both names at :func:`agentdesk.core.linebreak.kinsoku`
over the original, once per process: the rule lives in one place and every renderer gets
it. A test renders a paragraph and fails if either library stops wrapping through that
name (then this hook must follow it).
"""

from __future__ import annotations

import rich.text
import textual.content
from rich._wrap import divide_line as plain_divide

from agentdesk.core.linebreak import kinsoku


def _divide(text: str, width: int, fold: bool = True) -> list[int]:
    return kinsoku(plain_divide, text, width, fold)


def install() -> None:
    textual.content.divide_line = _divide  # type: ignore[attr-defined]
    rich.text.divide_line = _divide  # type: ignore[attr-defined]
