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
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from agentdesk.core.i18n import t
from agentdesk.screens.i18n_bindings import localize
from agentdesk.widgets.inputs import DataInput


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


class Ask(FormDialog):
    """One line of text (a department, a reason, a note), checked by the step it is for:
    a refusal is shown here and the text kept (see FormDialog); Esc closes it."""

    DEFAULT_CSS = """
    Ask { align: center middle; }
    Ask > Vertical { width: 70; height: auto; border: thick $accent; background: $surface;
                     padding: 1 2; }
    """

    def __init__(self, title: str, placeholder: str,
                 act: Callable[[str, FormDialog], None]) -> None:
        super().__init__(act)
        localize(self)
        self.title_text, self.placeholder = title, placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text, style="bold"))
            yield DataInput(placeholder=self.placeholder, id="answer")
            yield Static("", id="error", markup=False)

    @on(Input.Submitted, "#answer")
    def _submitted(self, event: Input.Submitted) -> None:
        self.submit(event.value.strip())


class Confirm(ModalScreen[bool]):
    """A yes/no question: Y or Enter says yes; N or Esc says no."""

    DEFAULT_CSS = """
    Confirm { align: center middle; }
    Confirm > VerticalScroll { width: 76; height: auto; max-height: 80%;
                               border: thick $warning; background: $surface; padding: 1 2; }
    """
    BINDINGS = [Binding("y,enter", "answer(True)", "notices.confirm.yes"),
                Binding("n,escape", "answer(False)", "notices.confirm.no")]

    def __init__(self, question: str) -> None:
        super().__init__()
        localize(self)
        self.question = question

    def compose(self) -> ComposeResult:
        body = Text(self.question, style="bold")
        body.append("\n\n" + t("notices.confirm.keys"), style="dim")
        with VerticalScroll():
            yield Static(body)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
