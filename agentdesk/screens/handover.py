"""The hand-over dialog (the ticket form's and the detail screen's): to whom and why."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from agentdesk.core.i18n import t
from agentdesk.screens.dialogs import FormDialog
from agentdesk.screens.i18n_bindings import localize
from agentdesk.widgets.inputs import DataInput


class HandOver(FormDialog):
    """To whom and why: ownership changes only this way, never silently. ``act`` gets
    (agent code, reason); a refusal is shown here with both kept (see FormDialog)."""

    DEFAULT_CSS = """
    HandOver { align: center middle; }
    HandOver > Vertical { width: 70; height: auto; border: thick $accent;
                          background: $surface; padding: 1 2; }
    """

    def __init__(self, number: str,
                 act: Callable[[tuple[str, str], FormDialog], None]) -> None:
        super().__init__(act)
        localize(self)
        self.number = number

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(t("ticket.handover.title", number=self.number), style="bold"))
            yield DataInput(placeholder=t("ticket.handover.agent"), id="to")
            yield DataInput(placeholder=t("ticket.handover.reason"), id="reason")
            yield Static("", id="error", markup=False)

    @on(Input.Submitted, "#to")
    def _next(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _submitted(self) -> None:
        self.submit((self.query_one("#to", Input).value.strip(),
                     self.query_one("#reason", Input).value.strip()))
