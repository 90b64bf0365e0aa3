"""A dialog whose input is checked where it was typed (issue 19, item 7).

Submitting hands the values and the dialog to ``act`` (usually a worker calling the ticket
service); ``act`` then calls :meth:`FormDialog.refuse` with the service's message, which
shows it in the dialog and keeps every field as typed, or :meth:`FormDialog.done`, which
closes it. Esc closes it without acting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class FormDialog(ModalScreen[None]):
    BINDINGS = [Binding("escape", "cancel", "ticket.dup.cancel")]

    def __init__(self, act: Callable[[Any, FormDialog], None]) -> None:
        super().__init__()
        self.act = act
        self.refused = ""  # the last message shown (tests and screen readers read it)

    def submit(self, value: Any) -> None:
        self.query_one("#error", Static).update("")
        self.act(value, self)

    def refuse(self, message: str) -> None:
        """The values were refused: say why here, keep the text, focus the first empty box."""
        if not self.is_attached:
            return  # closed meanwhile
        self.refused = message
        self.query_one("#error", Static).update(Text(message, style="bold red"))
        boxes = list(self.query(Input))
        empty = [box for box in boxes if not box.value.strip()]
        if empty or boxes:
            (empty or boxes)[0].focus()

    def done(self) -> None:
        if self.is_attached and self.is_current:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
