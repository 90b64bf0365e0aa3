"""The agent's open tickets, each with its running clock counting down.

The list is loaded in a worker when the data changes (and re-scanned for warnings and
escalations then); the once-a-second tick touches no database and redraws only the
countdown cells of the rows on screen. A symbol goes with every colour: ○ on time,
◑ half used, ⚠ 80 % used, ✖ breached, ‖ paused.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from agentdesk import clock
from agentdesk.i18n import t
from agentdesk.screens.base import DeskScreen

LEVEL_LOOK = {
    "ok": ("○", ""),
    "half": ("◑", "yellow"),
    "warn": ("⚠", "bold dark_orange"),
    "breached": ("✖", "bold reverse red"),
}
RESCAN_S = 30  # warnings and escalations are looked for this often (and on every change)
QUEUE_LIMIT = 5000  # one agent's open tickets; more is a supervisor's problem, not a list


def countdown_text(row, now) -> Text:  # noqa: ANN001 - tickets.QueueRow
    from agentdesk import queue

    if row.paused:
        return Text("‖ " + t("queue.paused"), style="dim")
    if row.next_due is None:
        return Text("")
    state = queue.clock_state(row.clock, row.clock_start, row.next_due, now)
    symbol, style = LEVEL_LOOK[state.level]
    return Text(f"{symbol} {queue.countdown(state.left_s)} {t('sla.' + row.clock)}",
                style=style)


class QueueScreen(DeskScreen):
    DEFAULT_CSS = "QueueScreen #count { height: 1; margin: 0 1; }"

    def __init__(self) -> None:
        super().__init__()
        self.rows: list = []
        self.row_keys: list = []

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static("", id="count", markup=False)
        table: DataTable = DataTable(id="tickets", cursor_type="row", zebra_stripes=True)
        for key in ("number", "caller", "category", "priority", "status", "due"):
            table.add_column(t(f"queue.col.{key}"), key=key)
        yield table
        yield from self.compose_footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(1, self.tick)
        # Only the scan repeats: redrawing the whole list on a timer would stall typing.
        self.set_interval(RESCAN_S, self._rescan)

    def reload(self) -> None:
        if self.store is not None:
            self._load()

    @work(thread=True, exclusive=True, group="queue-load")
    def _load(self) -> None:
        from agentdesk import taxonomy, tickets

        taxonomy.load()  # read the file here, not on the UI thread (it is cached)
        with self.store.session() as session:
            rows = tickets.open_for_owner(session, self.app.agent_code, limit=QUEUE_LIMIT)
        self.app.call_from_thread(self._show, rows)
        self.app.call_from_thread(self._rescan)  # start it from the UI thread, like any worker

    def _rescan(self) -> None:
        if self.store is not None and not self.store.readonly:
            self._scan()

    @work(thread=True, exclusive=True, group="queue-scan")
    def _scan(self) -> None:
        """Warnings and escalations, apart from the load so the list never waits for them."""
        from agentdesk import queue

        with self.store.session() as session:
            alerts = queue.scan(session, clock.now())
            me = session.connection().exec_driver_sql(
                "SELECT id FROM agent WHERE code = ?", (self.app.agent_code,)).scalar()
        mine = [a for a in alerts if a.owner_id == me]
        if mine:
            self.app.call_from_thread(self._alert, mine)

    def _alert(self, alerts: list) -> None:
        for alert in alerts:
            self.notify(t(f"queue.alert.{alert.kind}", number=alert.number,
                          clock=t("sla." + alert.clock)),
                        severity="error" if alert.kind == "escalation" else "warning",
                        markup=False)

    def _show(self, rows: list) -> None:
        from agentdesk import taxonomy

        tax = taxonomy.load()
        now = clock.now()
        self.rows = rows
        table = self.query_one("#tickets", DataTable)
        table.clear()
        cells = []
        for r in rows:
            cat = tax.categories.get(r.category)
            cells.append((Text(r.number), Text(r.caller),
                          Text(cat.label(self.app.lang) if cat else r.category),
                          Text(t(f"priority.{r.priority}")), Text(t(f"status.{r.status}")),
                          countdown_text(r, now)))
        self.row_keys = table.add_rows(cells)  # one batch: one layout pass, not 2,000
        self._summary(now)

    def _summary(self, now) -> None:  # noqa: ANN001
        soon = sum(1 for r in self.rows if r.next_due and 0 <= (r.next_due - now
                                                               ).total_seconds() <= 900)
        late = sum(1 for r in self.rows if r.next_due and r.next_due < now and not r.paused)
        self.query_one("#count", Static).update(
            Text(t("queue.count", n=len(self.rows), soon=soon, late=late)))

    def tick(self) -> None:
        """Once a second: redraw the countdowns of the visible rows only (no database)."""
        if not self.rows or not self.is_current:
            return
        table = self.query_one("#tickets", DataTable)
        now = clock.now()
        first = int(table.scroll_offset.y)
        for index in range(first, min(len(self.rows), first + table.size.height)):
            table.update_cell(self.row_keys[index], "due",
                              countdown_text(self.rows[index], now))
        self._summary(now)
