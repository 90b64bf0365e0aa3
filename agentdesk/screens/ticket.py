"""Ticket form (the tickets issue builds it); shows the caller handed over from lookup."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from agentdesk.i18n import t
from agentdesk.screens.base import DeskScreen


class TicketScreen(DeskScreen):
    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(Text(t("ticket.title"), style="bold"))
        yield Static("", id="caller", markup=False)
        yield Static(Text(t("ticket.pending"), style="dim"))
        yield from self.compose_footer()

    def on_screen_resume(self) -> None:
        card = getattr(self.app, "current_customer", None)
        caller = self.query_one("#caller", Static)
        caller.update(Text(t("ticket.for", name=card.name, account=card.account_no))
                      if card else Text(""))
