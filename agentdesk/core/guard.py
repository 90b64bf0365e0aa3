"""The one rule at the boundary: every string from outside is checked once, where it enters.

A command-line argument, an environment variable, the config file, a CSV row, a KB file,
a screen-pop message, a typed input: control characters other than tab and newline (and
those too in a one-line field) are refused, sizes are bounded, and the message names the
field and the character (``U+001B``). What each way in does:

- refused with this module's message: CLI arguments (``--agent``, ``--db``,
  ``--trainee``, ticket fields), ``AGENTDESK_*`` variables and the config file, KB
  articles (and a file over :data:`MAX_KB_FILE` is refused before it is read), screen-pop
  messages, ticket texts and notes; the customer CSV refuses its rows by its own row
  rules (the same characters: :mod:`agentdesk.core.controls`);
- removed: a paste into a typed input box (the box never holds them);
- shown, not refused: rows pulled from the central store (they were checked where they
  entered at their own desk; a row written round that, or older data, is drawn safely by
  every renderer), the saved training scorecards and a trainer's scenario files;
- removed by the query rules: lookup and KB search queries (never stored).

Renderers never trust this: the CLI's output, Rich text and every widget show control
characters visibly (:func:`agentdesk.core.controls.shown`).
"""

from __future__ import annotations

import re

from agentdesk.core import controls
from agentdesk.core.i18n import t

AGENT_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")  # a 工号
MAX_NAME = 100  # a person's name (the customer CSV's limit too)
MAX_PATH = 4096  # a file path given on the command line or in the config
MAX_SETTING = 1000  # any other setting
MAX_KB_FILE = 256 * 1024  # bytes of one knowledge-base article file


class FieldError(ValueError):
    """A value refused at the boundary; the message names the field (and the character)."""


def check(field: str, value: object, limit: int, lines: bool = False) -> str:
    """``value`` when it is text of at most ``limit`` characters without control
    characters (tab and newline allowed when ``lines``); else :class:`FieldError`."""
    if not isinstance(value, str):
        raise FieldError(t("guard.not_text", field=field, kind=type(value).__name__))
    found = controls.first(value, lines)
    if found is not None:
        raise FieldError(t("guard.control", field=field, char=f"U+{ord(found.group()):04X}",
                           at=found.start() + 1))
    if len(value) > limit:
        raise FieldError(t("guard.too_long", field=field, n=len(value), limit=limit))
    return value


def agent_code(field: str, value: object) -> str:
    """A 工号: ``[A-Za-z0-9_-]{1,32}``."""
    code = check(field, value, 32)
    if not AGENT_CODE.fullmatch(code):
        raise FieldError(t("guard.agent_code", field=field, value=code))
    return code
