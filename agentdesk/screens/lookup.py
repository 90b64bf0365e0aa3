"""Caller lookup: a search box that searches as you type, results, and the customer card.
When a call is on record (the app's call context says so) the ringing number pops here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from agentdesk.core.controls import shown
from agentdesk.core.i18n import t
from agentdesk.screens.base import SearchScreen
from agentdesk.screens.i18n_bindings import localize
from agentdesk.widgets.card import CustomerCard
from agentdesk.widgets.inputs import DataInput

if TYPE_CHECKING:
    from agentdesk.customers.lookup import Card, Match
    from agentdesk.screens.state import CallContext


class LookupScreen(SearchScreen):
    DEFAULT_CSS = """
    LookupScreen #query { margin: 0 1; }
    LookupScreen #status { height: 1; margin: 0 2; color: $text-muted; }
    LookupScreen #results { width: 3fr; height: 1fr; }
    LookupScreen #side { width: 2fr; height: 1fr; overflow-y: auto; }
    /* under 100 columns the card takes the width, the matches a few lines above it */
    LookupScreen.-narrow #panes { layout: vertical; }
    LookupScreen.-narrow #results { width: 1fr; height: auto; max-height: 7; }
    LookupScreen.-narrow #side { width: 1fr; }
    """
    BINDINGS = [
        Binding("ctrl+f", "focus_search", "key.search"),
        Binding("ctrl+n", "new_ticket", "key.new_ticket"),
        Binding("ctrl+l", "link_incident", "key.link_incident"),
        Binding("ctrl+d", "caller_details", "key.caller_details", show=False),  # card hint
        Binding("ctrl+k", "make_customer", "key.make_customer", show=False),  # issue 19
        Binding("ctrl+g", "chase", "key.chase", show=False),  # 催办: newest open ticket
        Binding("ctrl+t", "caller_tickets", "find.key.caller", show=False),  # issue 17: all
    ]

    def __init__(self) -> None:
        super().__init__()
        localize(self)
        self._last_query = ""
        self._popped: str | None = None
        self._popped_call = 0  # the serial of the last call popped here
        # Card loads are numbered; only the newest may draw. A pop takes a number too, so
        # a card still loading for an earlier caller never lands on a later call.
        self._card_seq = 0
        self.matches: list[Match] = []
        self.card: Card | None = None
        self.unknown_call = 0  # the serial of the call whose unknown-caller card is up
        self._from_centre: set[str] = set()  # matches a partial desk's centre gave

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield DataInput(placeholder=t("lookup.placeholder"), id="query")
        yield Static(t("lookup.hint"), id="status", markup=False)
        with Horizontal(id="panes"):
            table: DataTable = DataTable(id="results", cursor_type="row", zebra_stripes=True)
            # What matched goes before the long address, so it is never scrolled away.
            table.add_column(t("lookup.col.account"), key="account")
            table.add_column(t("lookup.col.name"), key="name")
            table.add_column(t("lookup.col.match"), key="match")
            table.add_column(t("lookup.col.phone"), key="phone")
            table.add_column(t("lookup.col.address"), key="address")
            yield table
            with Vertical(id="side"):
                yield CustomerCard(t("card.empty"), id="card", markup=False)
        yield from self.compose_footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.watch(self.app, "call", self._call_changed, init=True)
        self.query_one("#query", Input).focus()

    def _call_changed(self, call: CallContext) -> None:
        # Once the call is on record, so that its card lists it and links it to the caller.
        if call.recorded and call.number and call.serial != self._popped_call:
            self._popped_call = call.serial
            self.pop(call.number, call.callers)

    def action_new_ticket(self) -> None:
        from agentdesk.screens.state import with_card

        call = self.desk.call
        if self.card is not None:
            self.desk.call = with_card(call, self.card)
        elif self.unknown_call and self.unknown_call == call.serial:
            self.desk.call = with_card(call, None)  # the ticket is under the calling number
        else:
            return
        self.app.switch_mode("ticket")

    def action_caller_details(self) -> None:
        """Ctrl+D on an unknown caller's card: their name, address, call-back number."""
        from agentdesk.screens import wrapup

        if not self.unknown_call or self.unknown_call != self.desk.call.serial:
            self.query_one("#status", Static).update(Text(t("caller.not_unknown")))
            return
        wrapup.open_caller_details(self.app, self.desk.call.number)

    def action_make_customer(self) -> None:
        """Ctrl+K on the unknown-caller card: the caller's kept details as a customer
        record, when the centre allows it (issue 19)."""
        from agentdesk.screens.new_customer import make_customer

        make_customer(self)

    def action_chase(self) -> None:
        from agentdesk.screens.ticket_life import chase_from_card

        chase_from_card(self)
    def action_caller_tickets(self) -> None:
        """Ctrl+T on the card: the caller's tickets, open and closed, newest first."""
        from agentdesk.screens.ticket_search import TicketSearch

        if self.card is None:
            self.query_one("#status", Static).update(Text(t("find.no_card")))
            return
        self.app.push_screen(TicketSearch(customer_id=self.card.customer_id))

    def action_link_incident(self) -> None:
        """One key from the popped card: this call is about the open incident over the
        caller's address (the newest, when there are several)."""
        status = self.query_one("#status", Static)
        if self.card is None or not self.card.incidents:
            status.update(Text(t("lookup.no_incident")))
            return
        contact_id = self.desk.call.contact_id
        if not contact_id:
            status.update(Text(t("lookup.no_call")))
            return
        self._link_incident(self.card.incidents[0].incident_id,
                            self.card.incidents[0].title, contact_id)

    @work(thread=True, group="link")
    def _link_incident(self, incident_id: str, title: str, contact_id: str) -> None:
        from agentdesk.centre import incidents

        store = self.store
        if store is None or store.readonly:
            return
        try:
            with store.session() as session:
                incidents.link_call(session, incident_id, contact_id)
            message = Text(t("lookup.linked_incident", title=title))
        except incidents.IncidentError as exc:
            message = Text(shown(exc), style="bold red")
        self.app.call_from_thread(self.query_one("#status", Static).update, message)

    def reload(self) -> None:
        query = self.query_one("#query", Input).value
        if query.strip():
            self._start_search(query, force=True)

    def pop(self, number: str, callers: tuple[Match, ...] = ()) -> None:
        """Screen pop: show the customers the ringing number names (found when the call was
        recorded: the number is not parsed again) and the number in the search box."""
        from agentdesk.customers.phones import display

        self._popped = number
        self._card_seq += 1
        self.card = None  # the last caller's card goes now, not when the next one loads
        self.unknown_call = 0
        self.query_one("#card", CustomerCard).show(None)
        shown = display(number)
        self._last_query = shown  # the box's own debounced search would only repeat it
        self.query_one("#query", Input).value = shown
        self._show_results(self.next_seq(), list(callers), "")

    def _start_search(self, query: str, force: bool = False) -> None:
        if self.store is None or not query.strip():
            return
        if query == self._last_query and not force:
            return  # the debounce timer after a pop or Enter: already searched
        self._last_query = query
        config = self.desk.options.config
        self._search(self.next_seq(), query, config.sync_scope, config.central_url)

    @work(thread=True, exclusive=True, group="lookup")
    def _search(self, seq: int, query: str, scope: tuple[str, ...] = (), url: str = ""
                ) -> None:
        from agentdesk.customers import lookup
        from agentdesk.sync import remote

        store = self.store
        if store is None:
            return
        centre: frozenset[str] = frozenset()
        state = ""
        try:
            with store.session() as session:
                found = lookup.search(session, query)
            error = ""
            if url and remote.wanted(scope, query, len(found)):
                # A partial desk: the centre is asked in this worker, never on the UI thread.
                far, state = remote.ask(url, query)
                here = {m.customer_id for m in found}
                extra = [m for m in far if m.customer_id not in here]
                centre = frozenset(m.customer_id for m in extra)
                if extra:
                    more = getattr(found, "more", False) or getattr(far, "more", False)
                    found = lookup.Matches([*found, *extra])
                    found.more = more
        except lookup.QueryError as exc:
            found, error = [], str(exc)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_results, seq, found, error, centre, state)

    def _show_results(self, seq: int, found: list[Match], error: str,
                      centre: frozenset[str] = frozenset(), state: str = "") -> None:
        if not self.is_current(seq):
            return  # a newer search is under way: stale results never overwrite it
        from agentdesk.customers.lookup import match_label
        from agentdesk.customers.phones import display

        self.matches = found
        self._from_centre = set(centre)
        table = self.query_one("#results", DataTable)
        table.clear()
        for m in found:
            label = match_label(m.match)
            if m.customer_id in centre:
                label += " · " + t("card.from_centre")
            table.add_row(Text(shown(m.account_no)), Text(shown(m.name)), Text(label),
                          Text(display(m.phones[0]) if m.phones else ""),
                          Text(shown(m.address), overflow="ellipsis", no_wrap=True),
                          key=m.customer_id)
        if self._popped is not None:
            number, self._popped = self._popped, None
            if not found:
                self.card = None
                self.unknown_call = self._popped_call
                self.query_one("#card", CustomerCard).show_unknown(number)
            table.focus()
        status = self.query_one("#status", Static)
        if error:
            status.update(Text(shown(error), style="bold red"))
        elif not found:
            status.update(Text(t({"offline": "lookup.outside_scope", "error":
                                  "lookup.outside_scope", "centre": "lookup.centre_none"}
                                 .get(state, "lookup.none"))))
        elif centre and len(centre) == len(found):
            status.update(Text(t("lookup.from_centre", n=len(found))))
        else:
            more = getattr(found, "more", False)
            status.update(Text(t("lookup.count_more" if more else "lookup.count",
                                 n=len(found))))

    @on(DataTable.RowHighlighted, "#results")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # A highlight queued before a newer pop or search replaced the rows is stale.
        if event.row_key.value and event.row_key in event.data_table.rows:
            self._load_card(event.row_key.value)

    def show_customer(self, customer_id: str) -> None:
        self._load_card(customer_id)

    def _load_card(self, customer_id: str) -> None:
        # The call's contact is read here, on the UI thread, not from the worker.
        self._card_seq += 1
        url = self.desk.options.config.central_url if customer_id in self._from_centre else ""
        self._read_card(self._card_seq, customer_id, self.desk.agent_code,
                        self.desk.call.contact_id, url)

    @work(thread=True, exclusive=True, group="card")
    def _read_card(self, seq: int, customer_id: str, agent_code: str,
                   contact_id: str | None, centre_url: str = "") -> None:
        from dataclasses import replace

        from agentdesk.customers import contacts, lookup
        from agentdesk.tickets import taxonomy

        store = self.store
        if store is None:
            return
        taxonomy.load()  # the card names ticket categories: read the file here, not in draw
        if centre_url and not store.readonly:
            from agentdesk.sync import remote

            # A centre match: copied here first (phones, keys), so the card, the audit and
            # the next lookup are all local.
            if not remote.open_from_centre(store, centre_url, customer_id):
                if not get_current_worker().is_cancelled:
                    self.app.call_from_thread(self._centre_failed, seq)
                return
        with store.session() as session:
            card = lookup.card(session, customer_id)
            if card is not None and not store.readonly:
                lookup.audit_read(session, agent_code, customer_id)
                if contact_id:  # the caller on the line is this customer
                    contacts.link(session, contact_id, customer_id)
        if card is not None and centre_url:
            card = replace(card, from_centre=True)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_card, seq, card)

    def _centre_failed(self, seq: int) -> None:
        if seq != self._card_seq:
            return
        self.card = None
        self.query_one("#card", CustomerCard).show(None)
        self.query_one("#status", Static).update(Text(t("card.centre_failed"),
                                                      style="bold red"))

    def _show_card(self, seq: int, card: Card | None) -> None:
        if seq != self._card_seq:
            return  # a newer card load or pop came since: this one is stale
        shown_in = self.query("#card").results(CustomerCard)
        box = next(shown_in, None)
        if box is None:
            return  # the screen closed while the card was read (the desk is quitting)
        self.card = card
        self.unknown_call = 0
        box.show(card, self.desk.notices_stale_since)
