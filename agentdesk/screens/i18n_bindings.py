"""Binding descriptions are catalog keys; this puts the current language's text in.

Textual builds a node's bindings once per class, so a per-instance pass is the only way
to show zh or en in the footer of the same class in one process (tests run both).
"""

from __future__ import annotations

from dataclasses import replace

from textual.dom import DOMNode

from agentdesk.core.i18n import CATALOG, t


def _text(key: str) -> str:
    return t(key) if key in CATALOG else key


def localize(node: DOMNode) -> None:
    bindings = node._bindings.copy()  # never mutate the class-wide map
    bindings.key_to_bindings = {
        key: [replace(b, description=_text(b.description), tooltip=_text(b.tooltip))
              for b in items]
        for key, items in bindings.key_to_bindings.items()
    }
    node._bindings = bindings
