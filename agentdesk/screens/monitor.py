"""The supervisor's wallboard: queue health, breaches, agent load, the ticket mix, hot
spots, KPIs and a 24-hour trend chart, from :mod:`agentdesk.monitor.figures`.

The figures are read in thread workers (the live ones every few seconds, the 7- and 30-day
ones once a minute); the UI thread only draws them. Each timer is armed again only after its
read has finished (and been drawn), so refreshes never overlap however slow the database
is. Names, addresses and titles are data: built as rich Text.
"""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane
from textual_plotext import PlotextPlot

from agentdesk.core import clock
from agentdesk.core.agent_status import elapsed
from agentdesk.core.controls import shown, shown_text
from agentdesk.core.i18n import agent_label, satisfaction_label, t
from agentdesk.screens import monitor_review as review
from agentdesk.widgets.header import DeskHeader

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from agentdesk.monitor.figures import Trend, Wallboard

TABS = ("now", "agents", "mix", "hot", "kpi")
READS = ("live", "review")
REVIEW_EVERY_S = 60.0  # the 7- and 30-day figures move slowly: read them once a minute
ROTATE_S = 15
STATE_LOOK = {"ok": "green", "warn": "bold dark_orange", "breached": "bold red",
              "paused": "dim"}


def duration(seconds: float) -> str:
    total = int(max(0, seconds))
    days, rest = divmod(total, 86400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return f"{days}d {text}" if days else text


def pct(value: float | None) -> Text:
    return Text("—" if value is None else f"{value:.1f}%", justify="right")


def _shown(row: tuple) -> tuple:
    """A table row of data (names, codes, titles) with control characters shown visibly."""
    return tuple(shown_text(cell) if isinstance(cell, Text) else
                 shown(cell) if isinstance(cell, str) else cell for cell in row)


def num(value: int) -> Text:
    return Text(str(value), justify="right")


class MonitorScreen(Screen):
    DEFAULT_CSS = """
    MonitorScreen #status { height: 1; margin: 0 1; color: $text-muted; }
    MonitorScreen #calendar-gap { height: auto; margin: 0 1; display: none; }
    MonitorScreen #tabs { height: 1fr; }
    MonitorScreen Horizontal { height: auto; }
    MonitorScreen Vertical { height: auto; }
    MonitorScreen #top { height: 14; }
    MonitorScreen #states { width: 30; padding: 1 2; border: round $secondary; }
    MonitorScreen #trend { border: round $secondary; }
    MonitorScreen .caption { height: 1; margin: 1 1 0 1; text-style: bold; }
    MonitorScreen DataTable { height: auto; max-height: 16; margin: 0 1; }
    MonitorScreen #agents { max-height: 100%; }
    MonitorScreen .half { width: 1fr; }
    /* under 100 columns the halves stack, each table the full width (issue 19: the 督办
       list keeps its overdue columns); on a short screen the chart gives up lines */
    MonitorScreen.-narrow Horizontal.halves { layout: vertical; }
    MonitorScreen.-short #top { height: 9; }
    MonitorScreen.-tall #top { height: 22; }
    """
    BINDINGS = [
        Binding("r", "refresh_now", "monitor.key.refresh"),
        Binding("a", "rotate", "monitor.key.rotate"),
        *[Binding(str(n + 1), f"tab('{name}')", f"monitor.tab.{name}", show=False)
          for n, name in enumerate(TABS)],
    ]

    def __init__(self) -> None:
        super().__init__()
        self.board = None
        self.refreshes = 0  # live reads drawn
        self.reviews = 0  # period reads done
        self._live = None
        self._review: dict | None = None
        self._reading: set[str] = set()
        self._read_timers: dict = {}
        self._rotate_timer = None

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static(t("monitor.loading"), id="status", markup=False)
        yield Static("", id="calendar-gap", markup=False)  # the calendar running out
        with TabbedContent(id="tabs", initial="now"):
            with TabPane(t("monitor.tab.now"), id="now"):
                with VerticalScroll():
                    with Horizontal(id="top"):
                        yield Static("", id="states", markup=False)
                        yield PlotextPlot(id="trend")
                    with Horizontal(classes="halves"):
                        with Vertical(classes="half"):
                            yield Static("", id="breaches-caption", classes="caption",
                                         markup=False)
                            yield self._table("breaches", ("number", "owner", "clock",
                                                           "overdue", "escalated"))
                            yield Static("", id="duban-caption", classes="caption",
                                         markup=False)
                            yield self._table("duban", ("number", "owner", "duban_why",
                                                        "duban_raised", "duban_state"))
                        with Vertical(classes="half"):
                            yield Static("", id="outreach-caption", classes="caption",
                                         markup=False)
                            yield Static(t("monitor.events"), classes="caption",
                                         markup=False)
                            yield self._table("events", ("kind", "title", "calls", "area",
                                                         "since"))
                            yield Static("", id="offshift-caption", classes="caption",
                                         markup=False)
                            yield self._table("offshift", ("number", "owner", "status"))
            with TabPane(t("monitor.tab.agents"), id="agents-tab"):
                yield self._table("agents", ("agent", "status", "in_status", "on_shift",
                                             "open", "breached", "resolved_today",
                                             "callbacks_due"))
            with TabPane(t("monitor.tab.mix"), id="mix"):
                with VerticalScroll():
                    yield Static(t("monitor.mix.type"), classes="caption", markup=False)
                    yield DataTable(id="mix-type", cursor_type="none")
                    yield Static(t("monitor.mix.category"), classes="caption", markup=False)
                    yield DataTable(id="mix-category", cursor_type="none")
                    yield Static("", id="mix-area-caption", classes="caption", markup=False)
                    yield DataTable(id="mix-area", cursor_type="none")
            with TabPane(t("monitor.tab.hot"), id="hot"):
                with VerticalScroll():
                    with Horizontal(classes="halves"):
                        with Vertical(classes="half"):
                            yield Static(t("monitor.hot.streets"), classes="caption",
                                         markup=False)
                            yield self._table("hot-streets", ("street", "tickets"))
                        with Vertical(classes="half"):
                            yield Static(t("monitor.hot.communities"), classes="caption",
                                         markup=False)
                            yield self._table("hot-communities", ("community", "tickets"))
                    yield Static(t("monitor.hot.repeat"), classes="caption", markup=False)
                    yield self._table("hot-repeat", ("caller", "name", "contacts"))
            with TabPane(t("monitor.tab.kpi"), id="kpi"), VerticalScroll():
                yield DataTable(id="kpis", cursor_type="none")
                # issue 17: the month's complaint classes, categories and agents
                yield Static(t("monitor.kpi.classes"), classes="caption", markup=False)
                yield self._table("kpi-classes", review.CLASS_COLUMNS, "kpi.col")
                with Horizontal(classes="halves"):
                    yield self._table("kpi-categories", review.GROUP_COLUMNS, "kpi.col",
                                      classes="half")
                    yield self._table("kpi-agents", review.GROUP_COLUMNS, "kpi.col",
                                      classes="half")
        yield Footer()

    @staticmethod
    def _table(name: str, columns: tuple[str, ...], keys: str = "col",
               classes: str = "") -> DataTable:
        table: DataTable = DataTable(id=name, cursor_type="row", zebra_stripes=True,
                                     classes=classes)
        for key in columns:
            table.add_column(t(f"monitor.{keys}.{key}"), key=key)
        return table

    # --- refreshing ---------------------------------------------------------------------
    # Two reads, each in its own thread worker with its own timer: the live figures every
    # ``app.interval`` seconds, the period figures (7 and 30 days) every REVIEW_EVERY_S.
    # A timer is armed only when its read has finished, so neither ever overlaps itself.

    def on_mount(self) -> None:
        self.watch(self.app, "store_version", self._store_changed, init=True)

    def _store_changed(self, version: int) -> None:
        if version > 0:
            self.refresh_board()

    def action_refresh_now(self) -> None:
        for kind in READS:
            timer = self._read_timers.pop(kind, None)
            if timer is not None:
                timer.stop()
        self.refresh_board()

    def refresh_board(self) -> None:
        for kind in READS:
            self._start(kind)

    def _start(self, kind: str) -> None:
        """Start one read unless it is running (it re-arms its own timer when done)."""
        if kind in self._reading or self.app.store is None:
            return
        self._reading.add(kind)
        self.run_worker(partial(self._read, kind), thread=True, group=f"monitor-{kind}",
                        exit_on_error=False)

    def _read(self, kind: str) -> None:
        from agentdesk.monitor import figures as monitor

        began = time.perf_counter()
        now = clock.now()
        try:
            part = monitor.read(self.app.store, kind, now)
        except Exception as exc:  # noqa: BLE001 - a locked or vanished file: try again later
            self.app.call_from_thread(self._failed, kind, str(exc))
            return
        self.app.call_from_thread(self._done, kind, now, part, time.perf_counter() - began)

    def _failed(self, kind: str, message: str) -> None:
        self._reading.discard(kind)
        self.query_one("#status", Static).update(Text(t("monitor.failed", error=message)))
        self._arm(kind)

    def _arm(self, kind: str) -> None:
        delay = self.app.interval if kind == "live" else max(REVIEW_EVERY_S, self.app.interval)
        self._read_timers[kind] = self.set_timer(delay, partial(self._start, kind))

    def _done(self, kind: str, now: datetime, part: dict, seconds: float) -> None:
        from agentdesk.monitor import figures as monitor

        try:
            if kind == "live":
                self._live = (now, part, seconds)
                self.refreshes += 1
            else:
                self._review = part
                self.reviews += 1
            if self._live is not None:
                live_now, live_part, live_s = self._live
                self.board = monitor.combine(live_now, live_part, self._review, live_s)
                self._draw(self.board)
        finally:
            self._reading.discard(kind)
            self._arm(kind)

    # --- drawing ------------------------------------------------------------------------

    def _draw(self, board: Wallboard) -> None:
        from agentdesk.monitor import figures as monitor
        from agentdesk.tickets import taxonomy

        tax = taxonomy.load()
        lang = self.app.lang

        def cat_label(code: str) -> str:
            cat = tax.categories.get(code)
            return cat.label(lang) if cat else code

        def type_label(code: str) -> str:
            names = tax.business_types.get(code)
            return (names[0] if lang == "zh" else names[1]) if names else code

        stamp = clock.local(board.now).strftime("%H:%M:%S")
        self.query_one("#status", Static).update(Text(t(
            "monitor.updated", time=stamp, ms=int(board.seconds * 1000))))
        from agentdesk.tickets import coverage

        gap = self.query_one("#calendar-gap", Static)
        gap.update(Text(coverage.warning(board.calendar_gaps), style="bold yellow"))
        gap.display = bool(board.calendar_gaps)

        states = Text(t("monitor.open_total", n=sum(board.states.values())) + "\n\n",
                      style="bold")
        for level in monitor.LEVELS:
            states.append(f"{t('monitor.state.' + level)}  ", style=STATE_LOOK[level])
            states.append(f"{board.states[level]}\n", style=STATE_LOOK[level])
        self.query_one("#states", Static).update(states)
        self._draw_trend(board.trend)

        self.query_one("#breaches-caption", Static).update(Text(
            t("monitor.breaches", n=board.breach_count) + self._more(board.breach_count,
                                                                    len(board.breaches))))
        self._fill("breaches", [
            (Text(r.number), Text(shown(agent_label(r.owner_name, r.owner_code))),
             Text(t("sla." + r.clock)), Text(duration(r.overdue_s), style="bold red"),
             Text(t("monitor.yes") if r.escalated else t("monitor.no")))
            for r in board.breaches])
        calls = board.outreach
        self.query_one("#outreach-caption", Static).update(Text(t(
            "monitor.outreach", due=calls.due, done=calls.done, late=calls.breached),
            style="bold red" if calls.breached else ""))
        self._draw_dubans(board)
        self._fill("events", [
            (Text(t("monitor.kind." + e.kind)), Text(shown(e.title)), num(e.calls),
             Text(shown(e.area)),
             Text(clock.local(e.since).strftime("%m-%d %H:%M")))
            for e in board.events])
        self.query_one("#offshift-caption", Static).update(Text(
            t("monitor.off_shift", n=board.off_shift_count)
            + self._more(board.off_shift_count, len(board.off_shift))))
        self._fill("offshift", [
            (Text(r.number), Text(shown(agent_label(r.owner_name, r.owner_code))),
             Text(t("status." + r.status))) for r in board.off_shift])
        now = clock.now()
        self._fill("agents", [
            (Text(shown(agent_label(a.name, a.code))),
             Text(t("status.agent." + a.status) if a.status else "—"),
             Text(elapsed(a.status_since, now) if a.status_since and a.status != "off"
                  else "", justify="right"),
             Text(t("monitor.yes") if a.on_shift else t("monitor.no")),
             num(a.open), Text(str(a.breached), justify="right",
                               style="bold red" if a.breached else ""),
             num(a.resolved_today), num(a.callbacks_due)) for a in board.agents])

        periods = monitor.PERIODS
        period_names = [t(f"monitor.period.{p}") for p in periods]
        self._matrix("mix-type", t("monitor.col.business_type"), period_names,
                     {type_label(k): [board.mix[p].by_type.get(k, 0) for p in periods]
                      for k in self._keys(board.mix[periods[-1]].by_type)})
        self._matrix("mix-category", t("monitor.col.category"), period_names,
                     {cat_label(k): [board.mix[p].by_category.get(k, 0) for p in periods]
                      for k in self._keys(board.mix[periods[-1]].by_category)})
        area_mix = board.mix["30d"]
        self.query_one("#mix-area-caption", Static).update(Text(t(
            "monitor.mix.area", period=t("monitor.period.30d"))))
        cats = self._keys(area_mix.by_category)
        self._matrix("mix-area", t("monitor.col.category"),
                     [t(f"monitor.area.{a}") for a in monitor.AREAS] + [t("monitor.col.total")],
                     {cat_label(c): [area_mix.by_category_area.get((c, a), 0)
                                     for a in monitor.AREAS] + [area_mix.by_category[c]]
                      for c in cats})

        hot = board.hot
        self._fill("hot-streets", [(Text(shown(d + s)), num(n)) for d, s, n in hot.streets])
        self._fill("hot-communities", [(Text(shown(d + s + c)), num(n))
                                       for d, s, c, n in hot.communities])
        from agentdesk.customers.phones import display

        self._fill("hot-repeat", [(Text(display(number)), Text(shown(name)), num(n))
                                  for number, name, n in hot.repeat_callers])
        self._draw_kpis(board.kpis, periods, period_names)
        self._draw_review(board, periods, period_names, cat_label)

    def _draw_dubans(self, board: Wallboard) -> None:
        counts = board.duban_counts
        total = sum(counts.values())
        self.query_one("#duban-caption", Static).update(Text(
            t("monitor.duban", n=total, **{s: counts.get(s, 0) for s in
                                           ("raised", "acknowledged", "overdue")})
            + self._more(total, len(board.dubans))))

        def when(value: datetime) -> str:
            return clock.local(value).strftime("%m-%d %H:%M")

        rows = []
        for r in board.dubans:
            why = t("duban.reason." + r.why) if r.kind == "duban" else t("sla." + r.why)
            by = r.raised_by if r.kind == "duban" else t("monitor.duban.by_scan")
            state = Text(t("monitor.duban.state." + r.state),
                         style={"overdue": "bold red", "raised": "bold dark_orange"}.get(
                             r.state, "green"))
            if r.acked_at is not None:
                state.append(f" {r.acked_by} {when(r.acked_at)}")
            rows.append((Text(r.number), Text(shown(agent_label(r.owner_name, r.owner_code))),
                         Text(f"{t('monitor.duban.kind.' + r.kind)}·{why}"),
                         Text(f"{by} {when(r.raised_at)}"), state))
        self._fill("duban", rows)

    @staticmethod
    def _more(total: int, shown: int) -> str:
        return " " + t("monitor.more", n=total - shown) if total > shown else ""

    @staticmethod
    def _keys(counts: dict) -> list:
        return [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    def _fill(self, name: str, rows: list) -> None:
        """New rows, with the reader's place kept: the wall refreshes every few seconds
        and a supervisor scrolled down the breach list must not be sent back to the top."""
        table = self.query_one(f"#{name}", DataTable)
        cursor, scroll = table.cursor_row, table.scroll_y
        table.clear()
        table.add_rows([_shown(row) for row in rows])
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1), animate=False, scroll=False)
            table.scroll_to(y=scroll, animate=False, immediate=True)

    def _matrix(self, name: str, first: str, columns: list[str],
                rows: dict[str, list]) -> None:
        table = self.query_one(f"#{name}", DataTable)
        table.clear(columns=True)
        table.add_column(first)
        for column in columns:
            table.add_column(column)
        table.add_rows([_shown((Text(label), *[num(v) if isinstance(v, int) else v
                                               for v in values]))
                        for label, values in rows.items()])

    def _draw_kpis(self, kpis: dict, periods: tuple, period_names: list[str]) -> None:
        def minutes(value: float | None) -> Text:
            return Text("—" if value is None else t("monitor.minutes", n=round(value / 60)),
                        justify="right")

        rows: dict[str, list] = {
            t("monitor.kpi.tickets"): [num(kpis[p].tickets) for p in periods],
            t("monitor.kpi.fr_on_time"): [pct(kpis[p].fr_on_time_pct) for p in periods],
            t("monitor.kpi.res_on_time"): [pct(kpis[p].res_on_time_pct) for p in periods],
            t("monitor.kpi.fr_avg"): [minutes(kpis[p].fr_avg_s) for p in periods],
            t("monitor.kpi.callback_done"): [pct(kpis[p].callback_done_pct) for p in periods],
            t("monitor.kpi.kb"): [pct(kpis[p].kb_pct) for p in periods],
        }
        from agentdesk.tickets import workflow

        values = list(workflow.SATISFACTION)
        values += sorted({v for p in periods for v in kpis[p].satisfaction} - set(values))
        for value in values:
            rows[t("monitor.kpi.satisfaction", value=satisfaction_label(value))] = [
                num(kpis[p].satisfaction.get(value, 0)) for p in periods]
        self._matrix("kpis", t("monitor.col.kpi"), period_names, rows)

    def _draw_review(self, board: Wallboard, periods: tuple, period_names: list[str],
                     cat_label: Callable[[str], str]) -> None:
        """Issue 17's KPIs: rows under the KPI matrix, then the month's tables."""
        options = getattr(self.app, "options", None)
        target = getattr(getattr(options, "config", None), "satisfaction_target", 95)
        table = self.query_one("#kpis", DataTable)
        for label, values in review.kpi_rows(board.more, periods, target).items():
            table.add_row(*_shown((Text(label), *values)))
        month = board.more[review.REVIEW_PERIOD]
        self._fill("kpi-classes", review.class_rows(month, board.classes, self.app.lang))
        self._fill("kpi-categories", review.group_rows(month.by_category, cat_label))
        self._fill("kpi-agents", review.group_rows(month.by_agent, str))

    def _draw_trend(self, trend: Trend) -> None:
        plot = self.query_one("#trend", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        xs = list(range(len(trend.hours)))
        labels = [clock.local(h).strftime("%H") for h in trend.hours]
        plt.title(t("monitor.trend.title"))
        plt.plot(xs, trend.created, label=t("monitor.trend.created"), marker="braille")
        plt.plot(xs, trend.resolved, label=t("monitor.trend.resolved"), marker="braille")
        plt.plot(xs, trend.breached, label=t("monitor.trend.breached"), marker="braille")
        plt.xticks(xs[::3], labels[::3])
        plot.refresh()

    # --- keys ---------------------------------------------------------------------------

    @on(DataTable.RowSelected)
    def _drill(self, event: DataTable.RowSelected) -> None:
        """Enter on a ticket row (督办, breaches, off shift): that ticket, read-only; on an
        agent's row: their open tickets (issue 19). Rows are drawn in the board's order."""
        from agentdesk.core.i18n import agent_label
        from agentdesk.screens.ticket_readonly import AgentTickets, TicketReadOnly

        board, name, row = self.board, event.data_table.id, event.cursor_row
        if board is None:
            return
        tickets = {"duban": board.dubans, "breaches": board.breaches,
                   "offshift": board.off_shift}
        if name in tickets and 0 <= row < len(tickets[name]):
            self.app.push_screen(TicketReadOnly(tickets[name][row].number))
        elif name == "agents" and 0 <= row < len(board.agents):
            who = board.agents[row]
            self.app.push_screen(AgentTickets(who.code, agent_label(who.name, who.code)))

    def action_tab(self, name: str) -> None:
        self.query_one("#tabs", TabbedContent).active = "agents-tab" if name == "agents" \
            else name

    def action_rotate(self) -> None:
        if self._rotate_timer is not None:
            self._rotate_timer.stop()
            self._rotate_timer = None
            self.notify(t("monitor.rotate.off"), markup=False)
            return
        self._rotate_timer = self.set_interval(ROTATE_S, self._next_tab)
        self.notify(t("monitor.rotate.on"), markup=False)

    def _next_tab(self) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        ids = ["now", "agents-tab", "mix", "hot", "kpi"]
        current = ids.index(tabs.active) if tabs.active in ids else -1
        tabs.active = ids[(current + 1) % len(ids)]
