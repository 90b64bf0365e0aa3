"""The hand-over dialog (the ticket form's and the detail screen's): to whom and why.

Whom is picked from the colleagues (issue 19): those on shift first, the others marked
off shift (a hand-over to them stands, with the off-shift warning), by 工号, name or its
pinyin initials (:func:`agentdesk.tickets.lifecycle.search_colleagues`, read in a worker).
A 工号 typed that the list does not hold is handed on as typed: the service says it is
unknown."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from agentdesk.core.i18n import agent_label, t
from agentdesk.screens.dialogs import FormDialog
from agentdesk.screens.i18n_bindings import localize
from agentdesk.widgets.inputs import DataInput
from agentdesk.widgets.pick_list import PickList


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
        self.loaded = False  # the colleagues are in (tests wait for it)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(t("ticket.handover.title", number=self.number), style="bold"))
            yield PickList("to", t("ticket.handover.agent"), id="colleagues")
            yield DataInput(placeholder=t("ticket.handover.reason"), id="reason")
            yield Static("", id="error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#to", Input).focus()
        if self.app.store is not None:
            self._read(str(getattr(self.app, "agent_code", "") or ""))

    @work(thread=True, exclusive=True, group="handover-list")
    def _read(self, me: str) -> None:
        from agentdesk.tickets import lifecycle

        with self.app.store.session() as session:
            found = lifecycle.colleagues(session, me)
        self.app.call_from_thread(self._use, found)

    def _use(self, found: list) -> None:
        from agentdesk.tickets import lifecycle

        def search(query: str) -> list[tuple[str, Text, str]]:
            rows = []
            for who in lifecycle.search_colleagues(found, query):
                shown = agent_label(who.name, who.code)
                label = Text(shown)
                if not who.on_shift:
                    label.append(f"  {t('ticket.handover.off')}", style="bold dark_orange")
                rows.append((who.code, label, shown))
            return rows

        self.query_one(PickList).use(search)
        self.loaded = True

    @property
    def to(self) -> str:
        """The colleague picked (their 工号), or what was typed."""
        return self.query_one(PickList).value

    @on(PickList.Picked)
    def _next(self, event: PickList.Picked) -> None:
        event.stop()
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _submitted(self) -> None:
        self.submit((self.to, self.query_one("#reason", Input).value.strip()))
