"""Cells for CSV files that people open in a spreadsheet program.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read by Excel, WPS and LibreOffice as a formula (``=HYPERLINK(...)``, ``@SUM(...)``,
``+cmd|...``): CSV injection. Following OWASP's advice such a cell is written with a
single quote in front, which spreadsheets take as "this is text" and do not show.

Only text is prefixed. Numbers the program itself computed (counts, amounts as ``int``
or ``float``) are written as they are: they cannot carry a formula, and a spreadsheet
must still add them up. A phone number in ``+86`` form is text and is prefixed.

:func:`unescape` undoes :func:`cell` exactly, so a file agentdesk wrote imports back to
the same values (a value that itself begins with quotes and then a trigger gets one
more quote, so the pair is a bijection).
"""

from __future__ import annotations

from collections.abc import Iterable

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _risky(text: str) -> bool:
    return text.lstrip("'").startswith(TRIGGERS)


def cell(value: object) -> object:
    """``value`` as it may be written to a CSV cell."""
    if isinstance(value, str) and _risky(value):
        return "'" + value
    return value


def row(values: Iterable[object]) -> list[object]:
    return [cell(v) for v in values]


def unescape(text: str) -> str:
    """A cell read back: the quote :func:`cell` put in front is taken off again."""
    if text.startswith("'") and _risky(text):
        return text[1:]
    return text
