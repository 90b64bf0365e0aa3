"""The agent's open tickets with the next deadline (the queue issue adds live countdowns)."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from agentdesk import clock
from agentdesk.i18n import t
from agentdesk.screens.base import DeskScreen


class QueueScreen(DeskScreen):
    DEFAULT_CSS = "QueueScreen #count { height: 1; margin: 0 1; }"

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static("", id="count", markup=False)
        table: DataTable = DataTable(id="tickets", cursor_type="row", zebra_stripes=True)
        for key in ("number", "caller", "category", "priority", "status", "due"):
            table.add_column(t(f"queue.col.{key}"), key=key)
        yield table
        yield from self.compose_footer()

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True)
    def _load(self) -> None:
        from agentdesk import taxonomy, tickets

        taxonomy.load()  # read the file here, not on the UI thread (it is cached)
        with self.store.session() as session:
            rows = tickets.open_for_owner(session, self.app.agent_code)
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows: list) -> None:
        from agentdesk import taxonomy

        tax = taxonomy.load()
        table = self.query_one("#tickets", DataTable)
        table.clear()
        for r in rows:
            cat = tax.categories.get(r.category)
            due = clock.local(r.next_due).strftime("%m-%d %H:%M") if r.next_due else ""
            table.add_row(Text(r.number), Text(r.caller),
                          Text(cat.label(self.app.lang) if cat else r.category),
                          Text(t(f"priority.{r.priority}")), Text(t(f"status.{r.status}")),
                          Text(due), key=r.ticket_id)
        self.query_one("#count", Static).update(Text(t("queue.count", n=len(rows))))
