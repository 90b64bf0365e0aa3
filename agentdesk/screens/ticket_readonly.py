"""Read-only drill-down from the supervisor's monitor (issue 19): Enter on a row of the
督办, breach or off-shift list opens that ticket (its sentence read aloud, deadlines and
history: :mod:`agentdesk.tickets.view` drawn by the detail screen's renderers), Enter on
an agent's row opens that agent's open tickets (:func:`agentdesk.tickets.lists.open_for_owner`),
and Enter on one of those opens it. No key here writes: the only binding is Esc (the
monitor's app still answers every writing key with "read-only"), and the monitor's store
refuses writes at the storage level whatever runs. Data is drawn as rich Text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from agentdesk.core.controls import shown
from agentdesk.core.i18n import t
from agentdesk.screens.i18n_bindings import localize

if TYPE_CHECKING:
    from agentdesk.tickets.lists import QueueRow
    from agentdesk.tickets.view import TicketView


class TicketReadOnly(ModalScreen[None]):
    DEFAULT_CSS = """
    TicketReadOnly { align: center middle; }
    TicketReadOnly > Vertical { width: 96%; height: 90%; border: thick $secondary;
                                background: $surface; }
    TicketReadOnly #ro-title { height: 1; padding: 0 1; color: $text-muted; }
    TicketReadOnly #status-line { height: auto; padding: 0 1; text-style: bold; }
    TicketReadOnly #head { height: auto; padding: 0 1; }
    TicketReadOnly #history { height: 1fr; padding: 0 1; border-top: solid $primary; }
    """
    BINDINGS = [Binding("escape", "close", "detail.key.close")]

    def __init__(self, ticket_ref: str) -> None:
        super().__init__()
        localize(self)
        self.ticket_ref = ticket_ref
        self.ticket: dict | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("drill.ticket.title"), id="ro-title", markup=False)
            yield Static("", id="status-line", markup=False)
            yield Static(Text(t("app.opening")), id="head")
            with VerticalScroll(id="history"):
                yield Static("", id="events", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="drill-ticket")
    def _load(self) -> None:
        from agentdesk.screens.ticket_detail import status_line
        from agentdesk.tickets import service, view

        try:
            with self.app.store.session() as session:
                found = view.view(session, self.ticket_ref)
                line = status_line(session, found.ticket["id"])
        except service.TicketError as exc:
            self.app.call_from_thread(self.query_one("#head", Static).update,
                                      Text(shown(exc), style="bold red"))
            return
        self.app.call_from_thread(self._show, found, line)

    def _show(self, found: TicketView, line: Text) -> None:
        from agentdesk.screens.ticket_detail import render_head, render_history

        self.ticket = found.ticket
        self.query_one("#status-line", Static).update(line)
        self.query_one("#head", Static).update(render_head(found, self.app.lang))
        self.query_one("#events", Static).update(render_history(found))

    def action_close(self) -> None:
        self.dismiss(None)


class AgentTickets(ModalScreen[None]):
    """One agent's open tickets, soonest deadline first; Enter opens one read-only."""

    DEFAULT_CSS = """
    AgentTickets { align: center middle; }
    AgentTickets > Vertical { width: 90%; height: 80%; border: thick $secondary;
                              background: $surface; }
    AgentTickets #agent-title { height: auto; padding: 0 1; text-style: bold; }
    AgentTickets DataTable { height: 1fr; }
    """
    BINDINGS = [Binding("escape", "close", "detail.key.close")]
    COLUMNS = ("number", "status", "category", "priority", "due", "caller")

    def __init__(self, agent_code: str, label: str) -> None:
        super().__init__()
        localize(self)
        self.agent_code, self.label = agent_code, label
        self.rows: list[QueueRow] | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(t("drill.agent.title", agent=self.label)), id="agent-title")
            table: DataTable = DataTable(id="agent-tickets", cursor_type="row",
                                         zebra_stripes=True)
            for key in self.COLUMNS:
                table.add_column(t(f"drill.col.{key}"), key=key)
            yield table
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="drill-agent")
    def _load(self) -> None:
        from agentdesk.tickets import lists, taxonomy

        taxonomy.load()
        with self.app.store.session() as session:
            rows = lists.open_for_owner(session, self.agent_code)
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows: list[QueueRow]) -> None:
        from agentdesk.core import clock
        from agentdesk.tickets import taxonomy

        tax = taxonomy.load()
        self.rows = rows
        table = self.query_one("#agent-tickets", DataTable)
        table.clear()
        for row in rows:
            cat = tax.categories.get(row.category)
            due = clock.local(row.next_due).strftime("%m-%d %H:%M") if row.next_due else "—"
            table.add_row(Text(row.number), Text(t("status." + row.status)),
                          Text(cat.label(self.app.lang) if cat else row.category),
                          Text(t("priority." + row.priority)), Text(due),
                          Text(shown(row.caller)), key=row.ticket_id)
        self.query_one("#agent-title", Static).update(Text(t(
            "drill.agent.title", agent=self.label) + "  " + t("drill.agent.count",
                                                              n=len(rows))))
        table.focus()

    @on(DataTable.RowSelected, "#agent-tickets")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.app.push_screen(TicketReadOnly(event.row_key.value))

    def action_close(self) -> None:
        self.dismiss(None)
