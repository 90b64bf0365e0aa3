"""Outage notices, the supervisor's screen (F6 or the command palette, on a desk whose
config says ``role = "supervisor"``; an agent's desk has no such screen).

The list shows the notices in force or to come; A shows every notice, those in force
first. The selected notice shows its areas, window, cause, expected restoration, status
and its history (who, when, what changed). N publishes, E revises, W withdraws
(:mod:`agentdesk.screens.notice_forms`). Everything is read and written in thread
workers; titles, causes, areas and notes are data, drawn as Text.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Static

from agentdesk.core import clock
from agentdesk.core.i18n import t
from agentdesk.screens.base import DeskScreen
from agentdesk.screens.i18n_bindings import localize
from agentdesk.screens.notice_forms import (PublishForm, ReviseForm, WithdrawForm, Who,
                                            Written)

if TYPE_CHECKING:
    from agentdesk.centre.notices import Revision
    from agentdesk.core.models import Notice

TIME_FIELDS = ("ends_at", "restore_by", "starts_at")


def _label(key: str) -> str:
    """A catalog field name (lower case in English, for messages) as a row's label."""
    text = t(key)
    return text[:1].upper() + text[1:]


def _when(value: datetime | None) -> str:
    return clock.local(value).strftime("%m-%d %H:%M") if value else "—"


def _status(notice: Notice, now: datetime) -> tuple[str, str]:
    """(label, style) of a notice's state now."""
    from agentdesk.centre.notices import in_force

    if notice.status == "withdrawn":
        return t("notice.status.withdrawn"), "dim strike"
    if not in_force(notice, now):
        return t("notices.status.over"), "dim"
    if notice.starts_at > now:
        return t("card.notice.upcoming"), "yellow"
    return t("card.notice.active"), "bold"


def _value(field: str, value: object) -> str:
    """A changed field's old or new value, as the history shows it."""
    from agentdesk.core import areas
    from agentdesk.core.models import UTCDateTime

    if value in (None, ""):
        return "—"
    if field in TIME_FIELDS and isinstance(value, str):
        try:
            return _when(UTCDateTime().process_result_value(value, None))
        except ValueError:
            return value
    if field == "areas" and isinstance(value, str):
        return "、".join(str(a) for a in areas.loads(value))
    return str(value)


def revision_text(rev: Revision) -> Text:
    out = Text(f"r{rev.revision} {_when(rev.at)} ", style="dim")
    out.append(rev.who, style="bold")
    out.append(" ")
    data = rev.data
    if rev.kind == "publish":
        out.append(t("notices.history.publish", customers=data["customers"])
                   if "customers" in data else t("notice.event.publish"))
    elif rev.kind == "withdraw":
        out.append(t("notice.event.withdraw"), style="bold red")
        out.append(" " + str(data.get("reason", "")))
    else:
        out.append(t("notice.event.update"))
        for field, change in data.items():
            old, new = change if isinstance(change, list) and len(change) == 2 else ("", change)
            out.append(f"\n    {_label('notice.field.' + field)}: ", style="dim")
            out.append(_value(field, old))
            out.append(" → ")
            out.append(_value(field, new), style="bold")
    return out


def notice_text(notice: Notice, history: list[Revision], now: datetime) -> Text:
    from agentdesk.core import areas

    out = Text(notice.title, style="bold")
    out.append(f"  {notice.id[:13]}\n", style="dim")

    def row(label: str, value: str, style: str = "") -> None:
        out.append(f"{label}: ", style="dim")
        out.append(value, style=style)
        out.append("\n")

    label, style = _status(notice, now)
    row(t("notices.detail.status"), f"{label} · {t('notices.detail.revision', n=notice.revision)}",
        style)
    row(t("notices.detail.kind"), f"{t('utility.' + notice.utility)} · "
        f"{t('card.notice.' + notice.kind)}")
    row(t("notices.detail.window"), f"{_when(notice.starts_at)} – {_when(notice.ends_at)}")
    row(_label("notice.field.restore_by"), _when(notice.restore_by))
    row(_label("notice.field.cause"), notice.cause)
    if notice.note:
        row(_label("notice.field.note"), notice.note)
    out.append(f"{_label('notice.field.areas')}:", style="dim")
    for area in areas.loads(notice.areas):
        out.append(f"\n  • {area}")
    out.append(f"\n\n{t('notices.detail.history')}:", style="dim")
    for rev in history:
        out.append("\n  ")
        out.append_text(revision_text(rev))
    return out


class NoticesScreen(DeskScreen):
    DEFAULT_CSS = """
    NoticesScreen #scope { height: 1; margin: 0 1; color: $text-muted; }
    NoticesScreen #notices { width: 3fr; height: 1fr; }
    NoticesScreen #side { width: 2fr; height: 1fr; padding: 0 1; border-left: solid $primary; }
    """
    BINDINGS = [
        Binding("n", "publish", "notices.key.publish"),
        Binding("e", "revise", "notices.key.update"),
        Binding("w", "withdraw", "notices.key.withdraw"),
        Binding("a", "toggle_all", "notices.key.all"),
    ]

    def __init__(self) -> None:
        super().__init__()
        localize(self)
        self.show_all = False
        self.rows: list[Notice] = []
        self.selected: Notice | None = None  # on the right, as last read
        self.wanted: str | None = None  # the notice to select when the list is loaded
        self.history: list[Revision] = []

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static("", id="scope", markup=False)
        with Horizontal():
            table: DataTable = DataTable(id="notices", cursor_type="row", zebra_stripes=True)
            for key in ("status", "utility", "window", "title", "areas"):
                table.add_column(t(f"notices.col.{key}"), key=key)
            yield table
            with VerticalScroll(id="side"):
                yield Static(Text(t("notices.detail.empty"), style="dim"), id="detail")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#notices", DataTable).focus()

    @property
    def who(self) -> Who:
        return Who(self.desk.agent_code, self.desk.agent_name, self.desk.role)

    # --- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        if self.store is not None:
            self._load(self.show_all)

    @work(thread=True, exclusive=True, group="notices-load")
    def _load(self, show_all: bool) -> None:
        from agentdesk.centre import notices

        store = self.store
        if store is None:
            return
        now = clock.now()
        with store.session() as session:
            rows = notices.listing(session, now, active_only=not show_all)
        if show_all:  # those in force first, each part newest first (listing's order)
            rows.sort(key=lambda n: not notices.in_force(n, now))
        self.app.call_from_thread(self._loaded, show_all, rows, now)

    def _loaded(self, show_all: bool, rows: list[Notice], now: datetime) -> None:
        from agentdesk.core import areas

        if show_all != self.show_all:
            return  # toggled again while this loaded
        self.rows = rows
        table = self.query_one("#notices", DataTable)
        keep = self.wanted or (self.selected.id if self.selected else None)
        self.wanted = None
        table.clear()
        for n in rows:
            label, style = _status(n, now)
            table.add_row(Text(label, style=style), Text(t(f"utility.{n.utility}")),
                          Text(f"{_when(n.starts_at)}–{_when(n.ends_at)}"),
                          Text(n.title, overflow="ellipsis", no_wrap=True),
                          Text(areas.label(n.areas), overflow="ellipsis", no_wrap=True),
                          key=n.id)
        scope = t("notices.scope.all" if show_all else "notices.scope.active", n=len(rows))
        self.query_one("#scope", Static).update(Text(scope + "  " + t("notices.hint")))
        ids = [n.id for n in rows]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
            self._read(keep)  # its history may have grown
        elif not rows:
            self.selected, self.history = None, []
            self.query_one("#detail", Static).update(
                Text(t("notices.none"), style="dim"))

    @on(DataTable.RowHighlighted, "#notices")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value:
            self._read(event.row_key.value)

    @work(thread=True, exclusive=True, group="notice-detail")
    def _read(self, notice_id: str) -> None:
        from agentdesk.centre import notices

        store = self.store
        if store is None:
            return
        with store.session() as session:
            try:
                notice = notices.get(session, notice_id)
            except notices.NoticeError:
                return
            history = notices.revisions(session, notice_id)
        self.app.call_from_thread(self._show, notice, history)

    def _show(self, notice: Notice, history: list[Revision]) -> None:
        table = self.query_one("#notices", DataTable)
        if not table.row_count or table.coordinate_to_cell_key(
                table.cursor_coordinate).row_key.value != notice.id:
            return  # the cursor moved on while this was read
        self.selected, self.history = notice, history
        self.query_one("#detail", Static).update(notice_text(notice, history, clock.now()))

    # --- actions -------------------------------------------------------------------------

    def _written(self, written: Written | None) -> None:
        if written is None:
            return
        self.notify(written.message, markup=False)
        self.wanted = written.notice_id  # the list shows it selected once reloaded
        self.desk.data_version += 1  # this list, and every card, read the notices again

    def action_publish(self) -> None:
        if self.store is not None:
            self.app.push_screen(PublishForm(self.store, self.who), self._written)

    def _chosen(self) -> Notice | None:
        if self.store is None or self.selected is None:
            self.notify(t("notices.select_first"), severity="warning", markup=False)
            return None
        if self.selected.status != "active":
            self.notify(t("notice.err.withdrawn", title=self.selected.title),
                        severity="warning", markup=False)
            return None
        return self.selected

    def action_revise(self) -> None:
        notice = self._chosen()
        if notice is not None:
            self.app.push_screen(ReviseForm(self.store, self.who, notice), self._written)

    def action_withdraw(self) -> None:
        notice = self._chosen()
        if notice is not None:
            self.app.push_screen(WithdrawForm(self.store, self.who, notice), self._written)

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self.reload()
