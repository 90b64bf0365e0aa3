"""Open tickets (mine, my team's or all), each with its running clock counting down, and
the outage outreach calls (主动服务) as a clock of their own: the team and all views list
every open call, mine the calls I tried last; on a call, 1 / 2 / 3 record reached / no
answer (called again after ``outreach_retry_min``) / needs help (a ticket opens, linked),
and Enter shows the customer's card.

The list is loaded in a worker when the data changes; filtering is done on the loaded rows,
on the UI thread, without the database (warnings and escalations are the app's job,
whatever screen is open: agentdesk/apps/jobs.py). The table draws only the rows on screen,
so the once-a-second tick is one repaint of the visible lines. A symbol goes with every
colour: ○ on time, ◑ half used, ⚠ 80 % used, ✖ breached, ‖ paused.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from agentdesk.core import clock
from agentdesk.core.controls import shown
from agentdesk.core.i18n import t
from agentdesk.core.outreach_state import OPEN as OPEN_CALLS
from agentdesk.screens.base import DeskScreen
from agentdesk.screens.i18n_bindings import localize
from agentdesk.tickets import clocks
from agentdesk.widgets.queue_table import Column, QueueTable
from agentdesk.widgets.inputs import DataInput

if TYPE_CHECKING:
    from agentdesk.centre.outreach import Rules
    from agentdesk.tickets.service import QueueRow

LEVEL_LOOK = {
    "ok": ("○", ""),
    "half": ("◑", "yellow"),
    "warn": ("⚠", "bold dark_orange"),
    "breached": ("✖", "bold reverse red"),
}
CLOCK_CYCLE = ("", "first_response", "arrival", "resolution", "callback", "outreach")
PRIORITY_CYCLE = ("", "urgent", "important", "general")
UTILITY_CYCLE = ("", "water", "power")
STATUSES = clocks.OPEN  # the column width fits the longest open status
RESULT_KEYS = {"1": "reached", "2": "no_answer", "3": "needs_help"}


def countdown_text(row: QueueRow, now: datetime) -> Text:
    from agentdesk.centre import outreach
    from agentdesk.tickets import clocks

    if outreach.waiting(row, now):
        return Text(t("outreach.retry_at", time=clock.local(
            row.retry_at).strftime("%H:%M")), style="dim")  # type: ignore[attr-defined]
    if row.paused:
        return Text("‖ " + t("queue.paused"), style="dim")
    if row.next_due is None:
        return Text("")
    state = clocks.clock_state(row.clock, row.clock_start, row.next_due, now)
    symbol, style = LEVEL_LOOK[state.level]
    return Text(f"{symbol} {clocks.countdown(state.left_s)} {t('sla.' + row.clock)}",
                style=style)


def _status_cell(row: QueueRow) -> Text:
    """The status; a department's expected fix time that has passed is marked (issue 17)."""
    from agentdesk.tickets import queue

    cell = Text(t(f"status.{row.status}"))
    if queue.reply_late(row, clock.now()):
        cell.append(" ⌛" + t("life.queue.reply_missed"), style="bold red")
    return cell


def _cycle(values: tuple[str, ...], current: str) -> str:
    return values[(values.index(current) + 1) % len(values)]


class QueueScreen(DeskScreen):
    DEFAULT_CSS = """
    QueueScreen #filters { height: 1; margin: 0 1; color: $text-muted; }
    QueueScreen #category { height: 1; border: none; margin: 0 1; padding: 0; }
    QueueScreen #count { height: 1; margin: 0 1; }
    """
    BINDINGS = [
        Binding("t", "scope", "queue.key.scope"),
        Binding("k", "clock_filter", "queue.key.clock"),
        Binding("p", "priority_filter", "queue.key.priority"),
        Binding("u", "utility_filter", "queue.key.utility"),
        Binding("x", "breached_filter", "queue.key.breached"),
        Binding("slash", "category_filter", "queue.key.category"),
        Binding("c", "clear_filters", "queue.key.clear"),
        *[Binding(key, f"outreach('{result}')", f"outreach.key.{result}", show=False)
          for key, result in RESULT_KEYS.items()],
    ]

    def __init__(self) -> None:
        from agentdesk.tickets import queue

        super().__init__()
        localize(self)
        self.scope = "mine"
        self.filter = queue.Filter()
        self.loaded: list[QueueRow] = []  # every open ticket of the scope, soonest first
        self.loaded_scope = ""
        self.rows: list[QueueRow] = []  # what the filters let through (the table shows)

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static("", id="filters", markup=False)
        yield DataInput(placeholder=t("queue.filter.placeholder"), id="category")
        yield Static("", id="count", markup=False)
        def widest(*labels: str) -> int:  # the longest label of this language, in cells
            return max(cell_len(label) for label in labels)

        clocks = [t(f"sla.{name}") for name in CLOCK_CYCLE if name] + [t("queue.paused")]
        # Widths by priority (issue 19, item 8): the number, the deadline and the status
        # keep theirs; on a short line the text goes first, then the owner, the caller and
        # the category give up cells; on a long one the category and the text take the rest.
        columns = [Column("number", t("queue.col.number"), 15),
                   Column("caller", t("queue.col.caller"), 14, least=6, squeeze=2),
                   Column("category", t("queue.col.category"), 12, least=6, share=1,
                          most=20, squeeze=3),
                   Column("priority", t("queue.col.priority"), widest(
                       t("queue.col.priority"), *(t(f"priority.{p}") for p in PRIORITY_CYCLE
                                                  if p))),
                   Column("due", t("queue.col.due"), 12 + widest(*clocks),
                          least=12 + min(4, widest(*clocks)), squeeze=4),
                   Column("owner", t("queue.col.owner"), 8, least=6, squeeze=1),
                   Column("status", t("queue.col.status"), widest(
                       t("queue.col.status"), *(t(f"status.{s}") for s in STATUSES),
                       *(t(f"outreach.status.{s}") for s in OPEN_CALLS))),
                   Column("text", t("queue.col.text"), 0, share=4)]
        yield QueueTable(columns, self._cells, key=lambda r: r.ticket_id, id="tickets")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.watch(self.app, "my_queue", self._mine_changed, init=False)
        self._show_filters()
        self.query_one("#tickets", QueueTable).focus()
        self.set_interval(1, self.tick)

    # --- loading ---------------------------------------------------------------------

    def reload(self) -> None:
        if self.store is None:
            return
        if self.scope == "mine":  # the app loads my tickets once per change, for the header too
            self._loaded("mine", self.desk.my_queue)
        else:
            self._load(self.scope, self.desk.agent_code)

    def _mine_changed(self, rows: list[QueueRow]) -> None:
        if self.scope == "mine":
            self._loaded("mine", rows)

    @work(thread=True, exclusive=True, group="queue-load")
    def _load(self, scope: str, me: str) -> None:
        from agentdesk.centre import outreach
        from agentdesk.tickets import service as tickets

        store = self.store
        if store is None:
            return
        now = clock.now()
        with store.session() as session:
            if scope == "team":
                rows = tickets.open_for_team(session, me, limit=tickets.LIST_LIMIT)
            else:
                rows = tickets.open_all(session, limit=tickets.LIST_LIMIT)
            # the calls are the whole centre's work: every open one in both views
            calls = outreach.queue_rows(session, now, limit=tickets.LIST_LIMIT)
        rows = outreach.with_calls(rows, calls, now, tickets.LIST_LIMIT)
        self.app.call_from_thread(self._loaded, scope, rows)

    def _loaded(self, scope: str, rows: list[QueueRow]) -> None:
        if scope != self.scope:
            return  # the agent switched scope while this one loaded
        fresh = self.loaded_scope != scope
        self.loaded, self.loaded_scope = rows, scope
        self._apply(keep_cursor=not fresh)

    def _apply(self, keep_cursor: bool = True) -> None:
        """Filter the loaded rows (no database) and show them."""
        from agentdesk.tickets import queue, taxonomy

        tax = taxonomy.load()

        def utility_of(code: str) -> str:
            cat = tax.categories.get(code)
            return cat.utility if cat else "any"

        now = clock.now()
        self.rows = queue.apply_filter(self.loaded, self.filter, now, utility_of)
        self.query_one("#tickets", QueueTable).set_rows(self.rows, keep_cursor)
        self._summary(now)

    # --- drawing ---------------------------------------------------------------------

    def _cells(self, r: QueueRow) -> list[Text]:
        from agentdesk.centre import outreach
        from agentdesk.tickets import taxonomy

        if isinstance(r, outreach.CallRow):
            reason = outreach.reason_label(r.reason)  # the category; the notice as text
            return [Text(r.number), Text(r.caller), Text(reason),
                    Text(t(f"priority.{r.priority}")), countdown_text(r, clock.now()),
                    Text(r.owner), Text(t(f"outreach.status.{r.status}")),
                    Text(shown(r.notice_title))]
        cat = taxonomy.load().categories.get(r.category)
        return [Text(r.number), Text(shown(r.caller)),
                Text(cat.label(self.desk.lang) if cat else shown(r.category)),
                Text(t(f"priority.{r.priority}")), countdown_text(r, clock.now()),
                Text(shown(r.owner)), _status_cell(r), Text(shown(" ".join(r.text.split())))]

    def _summary(self, now: datetime) -> None:
        from agentdesk.tickets import queue

        c = queue.counts(self.rows, now)
        line = Text(t("queue.count", scope=t(f"queue.scope.{self.scope}"),
                      n=len(self.loaded), shown=len(self.rows), soon=c.soon, late=c.breached))
        if not self.rows and self.store is not None:
            line.append("  " + t("queue.empty"), "italic")
        elif any(r.clock == "outreach" for r in self.rows):
            line.append("  ☎ " + " · ".join(f"{key} {t('outreach.key.' + result)}"
                                            for key, result in RESULT_KEYS.items()), "dim")
        self.query_one("#count", Static).update(line)

    def _show_filters(self) -> None:
        f = self.filter
        any_ = t("queue.filter.any")
        parts = [
            (t("queue.key.scope"), t(f"queue.scope.{self.scope}"), self.scope != "mine"),
            (t("queue.filter.clock"), t(f"sla.{f.clock}") if f.clock else any_, bool(f.clock)),
            (t("queue.filter.priority"), t(f"priority.{f.priority}") if f.priority else any_,
             bool(f.priority)),
            (t("queue.filter.utility"), t(f"utility.{f.utility}") if f.utility else any_,
             bool(f.utility)),
            (t("queue.filter.breached"), "✖" if f.breached else "—", f.breached),
        ]
        line = Text()
        for label, value, on_ in parts:
            line.append(f"{label}: ", "dim")
            line.append(value, "bold reverse" if on_ else "")
            line.append("   ")
        self.query_one("#filters", Static).update(line)

    def tick(self) -> None:
        """Once a second: repaint the visible rows (their countdowns) and the counts."""
        if not self.rows or not self.is_current:
            return
        self.query_one("#tickets", QueueTable).refresh()
        self._summary(clock.now())

    # --- keys ------------------------------------------------------------------------

    def _refilter(self, **changes: object) -> None:
        from dataclasses import replace

        self.filter = replace(self.filter, **changes)
        self._show_filters()
        self._apply()

    def action_scope(self) -> None:
        from agentdesk.tickets import queue

        self.scope = _cycle(queue.SCOPES, self.scope)
        self._show_filters()
        self.reload()

    def action_clock_filter(self) -> None:
        self._refilter(clock=_cycle(CLOCK_CYCLE, self.filter.clock))

    def action_priority_filter(self) -> None:
        self._refilter(priority=_cycle(PRIORITY_CYCLE, self.filter.priority))

    def action_utility_filter(self) -> None:
        self._refilter(utility=_cycle(UTILITY_CYCLE, self.filter.utility))

    def action_breached_filter(self) -> None:
        self._refilter(breached=not self.filter.breached)

    def action_category_filter(self) -> None:
        self.query_one("#category", Input).focus()

    def action_clear_filters(self) -> None:
        from agentdesk.tickets import queue

        self.query_one("#category", Input).value = ""
        self.filter = queue.Filter()
        self._show_filters()
        self._apply()

    @on(Input.Changed, "#category")
    def _category_typed(self, event: Input.Changed) -> None:
        from agentdesk.tickets import taxonomy

        query = event.value.strip()
        codes = (frozenset(c.code for c in taxonomy.search(query, limit=100)) if query
                 else frozenset())
        if query and not codes:
            codes = frozenset({"\0"})  # nothing matches: show nothing rather than everything
        self._refilter(categories=codes)

    @on(Input.Submitted, "#category")
    def _category_done(self) -> None:
        self.query_one("#tickets", QueueTable).focus()

    @on(QueueTable.Selected)
    def _open(self, event: QueueTable.Selected) -> None:
        from agentdesk.centre import outreach
        from agentdesk.screens.ticket_detail import TicketDetail

        if isinstance(event.row, outreach.CallRow):
            self._show_customer(event.row.customer_id)
            return
        self.app.push_screen(TicketDetail(event.row.ticket_id))

    def _show_customer(self, customer_id: str) -> None:
        """The customer's card (phones, tags, the notice over them), on the lookup screen."""
        from agentdesk.screens.lookup import LookupScreen

        self.app.switch_mode("lookup")

        def show() -> None:
            if isinstance(self.app.screen, LookupScreen):
                self.app.screen.show_customer(customer_id)

        self.app.call_after_refresh(show)

    # --- outreach results ------------------------------------------------------------

    def action_outreach(self, result: str) -> None:
        from agentdesk.centre import outreach

        row = self.query_one("#tickets", QueueTable).current_row
        if not isinstance(row, outreach.CallRow):
            self.notify(t("outreach.not_a_call"), severity="warning", markup=False)
            return
        self._record(row, result, self.desk.agent_code, self.desk.outreach_rules)

    @work(thread=True, group="outreach-result")
    def _record(self, row: QueueRow, result: str, me: str, rules: Rules) -> None:
        from agentdesk.centre import outreach

        store = self.store
        if store is None:
            return
        try:
            with store.session() as session:
                done = outreach.record(session, row.ticket_id, me, result, rules=rules)
                number = done.ticket.number if done.ticket else ""
                ticket_id = done.ticket.id if done.ticket else None
        except outreach.OutreachError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error",
                                      markup=False)
            return
        message = t(f"outreach.recorded.{result}", name=row.caller, number=number,
                    minutes=rules.retry_min)
        self.app.call_from_thread(self._recorded, message, ticket_id)

    def _recorded(self, message: str, ticket_id: str | None) -> None:
        from agentdesk.screens.ticket_detail import TicketDetail

        self.notify(message, markup=False)
        self.desk.data_version += 1  # the call leaves the list or moves down it
        if ticket_id:  # needs help: the ticket is the agent's to dispatch now
            self.app.push_screen(TicketDetail(ticket_id))
