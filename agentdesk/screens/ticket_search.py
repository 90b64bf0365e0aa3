"""Find any ticket (issue 17, item 2): a box that searches as the agent types (full number,
last 4+ digits, or words of the text; :mod:`agentdesk.tickets.search`), in a thread
worker; Enter opens the highlighted ticket (the first one from the box) in the ticket
detail screen. Opened by F12 from anywhere on the desk and from the command palette; with
a customer id, it lists that caller's tickets, open and closed, instead (from the card).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from agentdesk.core.controls import shown
from agentdesk.core.i18n import t
from agentdesk.screens.i18n_bindings import localize
from agentdesk.widgets.inputs import DataInput

if TYPE_CHECKING:
    from agentdesk.tickets.search import Found, Hit


def hit_line(hit: Hit) -> Text:
    """One ticket of the list: number, date, status, caller, owner, text (all as data)."""
    from agentdesk.core import clock

    line = Text()
    line.append(hit.number, "bold")
    when = clock.local(hit.created_at).strftime("%m-%d %H:%M") if hit.created_at else "—"
    line.append(f"  {when}  ", "dim")
    line.append(t("status." + hit.status))
    line.append("  ")
    line.append(shown(hit.caller or "—"))
    line.append(f"  {hit.owner_code or '—'}  ", "dim")
    line.append(shown(" ".join(hit.description.split())[:60]))
    return line


class TicketSearch(ModalScreen[None]):
    DEFAULT_CSS = """
    TicketSearch { align: center middle; }
    TicketSearch > Vertical { width: 96%; height: 80%; border: thick $accent;
                              background: $surface; padding: 0 1; }
    TicketSearch #find-summary { height: auto; }
    TicketSearch #find-hits { height: 1fr; }
    """
    BINDINGS = [Binding("escape", "close", "find.key.close"),
                Binding("down", "move(1)", show=False), Binding("up", "move(-1)", show=False)]

    def __init__(self, customer_id: str | None = None) -> None:
        super().__init__()
        localize(self)
        self.customer_id = customer_id
        self.found: Found | None = None
        self._seq = 0  # searches are numbered: only the newest may draw

    def compose(self) -> ComposeResult:
        with Vertical():
            title = t("find.card.title") if self.customer_id else t("find.title")
            yield Static(Text(title, style="bold"))
            if not self.customer_id:
                yield DataInput(placeholder=t("find.placeholder"), id="find-query")
            yield Static("", id="find-summary", markup=False)
            yield OptionList(id="find-hits")
        yield Footer()

    def on_mount(self) -> None:
        if self.customer_id:
            self._search("", self._seq)
            self.query_one("#find-hits", OptionList).focus()

    @on(Input.Changed, "#find-query")
    def _typed(self, event: Input.Changed) -> None:
        self._seq += 1
        if event.value.strip():
            self.query_one("#find-summary", Static).update(t("find.searching"))
            self._search(event.value, self._seq)
        else:
            self.found = None
            self.query_one("#find-summary", Static).update("")
            self.query_one("#find-hits", OptionList).clear_options()

    @work(thread=True, exclusive=True, group="find")
    def _search(self, query: str, seq: int) -> None:
        from agentdesk.tickets import search

        store = self.app.store
        try:
            with store.session() as session:
                if self.customer_id:
                    found = search.all_for_customer(session, self.customer_id)
                else:
                    found = search.search(session, query)
        except search.SearchError as exc:
            self.app.call_from_thread(self._refused, str(exc), seq)
            return
        self.app.call_from_thread(self._show, found, seq)

    def _refused(self, message: str, seq: int) -> None:
        if seq != self._seq:  # the agent typed on: a newer search draws
            return
        self.found = None
        self.query_one("#find-summary", Static).update(message)
        self.query_one("#find-hits", OptionList).clear_options()

    def _show(self, found: Found, seq: int) -> None:
        if seq != self._seq:
            return
        self.found = found
        self.query_one("#find-summary", Static).update(found.summary())
        hits = self.query_one("#find-hits", OptionList)
        hits.clear_options()
        hits.add_options([Option(hit_line(h), id=h.ticket_id) for h in found.hits])
        if found.hits:
            hits.highlighted = 0

    @on(Input.Submitted, "#find-query")
    def _enter(self) -> None:
        hits = self.query_one("#find-hits", OptionList)
        if self.found and self.found.hits:
            index = hits.highlighted or 0
            self._open(self.found.hits[index].ticket_id)

    @on(OptionList.OptionSelected, "#find-hits")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self._open(event.option.id)

    def _open(self, ticket_id: str) -> None:
        from agentdesk.screens.ticket_detail import TicketDetail

        self.app.push_screen(TicketDetail(ticket_id))

    def action_move(self, step: int) -> None:
        """Up and down from the query box move through the list."""
        hits = self.query_one("#find-hits", OptionList)
        if hits.option_count:
            at = (hits.highlighted or 0) + step
            hits.highlighted = max(0, min(hits.option_count - 1, at))

    def action_close(self) -> None:
        self.dismiss(None)
