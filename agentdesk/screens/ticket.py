"""The ticket form: a burst-pipe report from a known caller in a handful of keys.

From the customer card, Ctrl+N opens this form for the caller: the category box takes
pinyin initials (bg), Chinese (爆管) or a code; Enter picks the first match and shows the
priority and every deadline at once (refreshed while the form is open; the ones stored are
computed at save and shown then); the description is typed; Ctrl+S runs the quality gate,
then the duplicate check (an open ticket at the same building, an open incident, an outage
notice in force is offered first: Ctrl+L links to it) and saves. The creating agent is the
first responder and owner. An unknown caller's ticket is kept under the calling number (its
contact); a KB answer taken for this caller is shown under the description and goes on
this draft's ticket only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from agentdesk.core import clock
from agentdesk.core.controls import shown, shown_text
from agentdesk.core.i18n import t
from agentdesk.screens.base import DeskScreen
from agentdesk.screens.dialogs import FormDialog
from agentdesk.screens.handover import HandOver  # named here too (the detail screen's)
from agentdesk.screens.i18n_bindings import localize
from agentdesk.screens.state import TicketSaved, answer_for, with_card
from agentdesk.widgets.class_picker import ClassPicker, read_classes
from agentdesk.widgets.inputs import DataArea, DataInput

if TYPE_CHECKING:
    from sqlmodel import Session

    from agentdesk.customers.lookup import Card
    from agentdesk.kb.answers import KbAnswer
    from agentdesk.tickets.service import Draft, Duplicate
    from agentdesk.tickets.taxonomy import Category


def _when(value: datetime | None) -> str:
    return clock.local(value).strftime("%m-%d %H:%M") if value else "—"


class DuplicateChoice(ModalScreen[str]):
    """Offer what already covers this report: Ctrl+L links to it, Ctrl+N opens a new ticket
    anyway, Esc goes back. It opens while the agent may still be typing: no key that can be
    typed chooses anything, and what is typed goes on into the form (``typed``)."""

    DEFAULT_CSS = """
    DuplicateChoice { align: center middle; }
    DuplicateChoice > Vertical { width: 80; height: auto; border: thick $warning;
                                 background: $surface; padding: 1 2; }
    """
    BINDINGS = [
        Binding("ctrl+l", "choose('link')", "ticket.dup.link"),
        Binding("ctrl+n", "choose('new')", "ticket.dup.new"),
        Binding("escape", "choose('cancel')", "ticket.dup.cancel"),
    ]

    def __init__(self, found: list[Duplicate],
                 typed: Callable[[events.Key], None] | None = None) -> None:
        super().__init__()
        localize(self)
        self.found = found
        self.typed = typed

    def on_key(self, event: events.Key) -> None:
        if self.typed is not None and (event.is_printable or event.key in ("enter", "backspace")):
            event.stop()
            event.prevent_default()
            self.typed(event)

    def compose(self) -> ComposeResult:
        body = Text(t("ticket.dup.title") + "\n\n", style="bold")
        for dup in self.found:
            body.append(f"• {t('ticket.dup.' + dup.kind)} ", style="bold")
            body.append(dup.label)
            body.append(f"  ({t('ticket.dup.detail.' + dup.detail)})\n")
        body.append("\n" + t("ticket.dup.keys"), style="dim")
        with Vertical():
            yield Static(shown_text(body))

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


class TicketScreen(DeskScreen):
    DEFAULT_CSS = """
    TicketScreen #caller { height: auto; margin: 0 1; }
    TicketScreen #left { width: 2fr; padding: 0 1; }
    TicketScreen #right { width: 3fr; padding: 0 1; }
    TicketScreen #categories { height: 9; }
    TicketScreen.-tall #categories { height: 18; }
    TicketScreen.-short #categories { height: 6; }
    TicketScreen #sla { height: auto; min-height: 5; border: round $primary; }
    TicketScreen #description { height: 1fr; min-height: 5; }
    TicketScreen #answer { height: auto; max-height: 6; border: round $secondary; }
    TicketScreen #result { height: auto; margin: 0 1; }
    """
    BINDINGS = [Binding("ctrl+s", "save", "ticket.key.save", priority=True),
                Binding("ctrl+o", "hand_over", "ticket.key.handover")]
    PREVIEW_EVERY_S = 30.0  # the deadlines shown move on while the agent types

    def __init__(self) -> None:
        super().__init__()
        localize(self)
        self.category: Category | None = None  # chosen
        self.preview: dict[str, Any] | None = None
        self.customer: Card | None = None  # the caller (the call's card)
        self.serial = 0  # the call the draft is for: a new call starts a new draft
        self.created: dict[str, Any] | None = None  # the ticket saved last (its JSON summary)
        # The saved ticket's deadlines stay on screen until the next draft picks a category.
        self.showing_saved = False

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static("", id="caller", markup=False)
        with Horizontal():
            with Vertical(id="left"):
                yield DataInput(placeholder=t("ticket.category.placeholder"), id="category")
                yield OptionList(id="categories")
                yield ClassPicker(self.desk.lang, id="picker")  # complaints only (issue 17)
                yield Static(Text(t("ticket.sla.empty"), style="dim"), id="sla")
            with Vertical(id="right"):
                yield DataArea(id="description")
                yield Static("", id="answer", markup=False)
                yield DataInput(placeholder=t("ticket.location.placeholder"), id="location")
                yield DataInput(placeholder=t("ticket.party.placeholder"), id="party")
        yield Static("", id="result", markup=False)
        yield from self.compose_footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#description", TextArea).border_title = t("ticket.description")
        self.set_interval(self.PREVIEW_EVERY_S, self._refresh_preview)
        self._warm()

    @work(thread=True)
    def _warm(self) -> None:
        from agentdesk.tickets import taxonomy

        taxonomy.warm()  # pinyin of every category name, off the UI thread
        if self.store is not None:  # the complaint class lists in force, and their pinyin
            self.app.call_from_thread(self.query_one(ClassPicker).use, read_classes(self.store))

    def on_screen_resume(self) -> None:
        call = self.desk.call
        if call.card is None and call.caller is not None:
            # F4 right after a pop: the form is for the one customer with the number
            self._load_caller(call.serial, call.caller.customer_id, self.desk.agent_code)
        self._show_call()
        box = self.query_one("#category", Input)
        self._fill_categories(box.value if self.category is None else "")
        self._refresh_preview()
        if self.category is None:  # else focus stays where it was (back from a dialog)
            box.focus()

    def _show_call(self, keep_draft: bool = False) -> None:
        """The caller line and the pending answer; a new caller or call starts a new draft
        (``keep_draft``: the caller of this call has just been filled in)."""
        from agentdesk.customers.phones import display

        call = self.desk.call
        card = call.card
        if card is not self.customer or call.serial != self.serial:
            self.customer, self.serial = card, call.serial
            if not keep_draft:
                self._reset()
        caller = self.query_one("#caller", Static)
        if card is None and call.recorded and call.number and not call.callers:
            caller.update(Text(t("ticket.for_number", number=display(call.number)),
                               style="bold"))
        elif card is None:
            caller.update(Text(t("ticket.no_caller"), style="dim"))
        else:
            line = Text(t("ticket.for", name=card.name, account=card.account_no), style="bold")
            line.append("  " + card.address, style="")
            if card.tags:
                line.append("  ⚠ " + " ".join(card.tags), style="bold reverse red")
            caller.update(shown_text(line))
        self._show_answer()

    def _show_answer(self) -> None:
        """The answer that goes on this draft, under the description, where it is read."""
        box = self.query_one("#answer", Static)
        answer = answer_for(self.desk.call, self._customer_id())
        box.display = answer is not None and not self.showing_saved
        if answer is not None:
            out = Text(t("ticket.answer_pending", article=answer.article_id), style="italic")
            out.append(f"  {answer.title}\n", style="bold")
            out.append(answer.text)
            box.update(shown_text(out))

    @work(thread=True, exclusive=True, group="caller")
    def _load_caller(self, serial: int, customer_id: str, agent_code: str) -> None:
        from agentdesk.customers import lookup

        store = self.store
        if store is None:
            return
        with store.session() as session:
            card = lookup.card(session, customer_id)
            if card is not None and not store.readonly:
                lookup.audit_read(session, agent_code, customer_id)
        self.app.call_from_thread(self._caller_loaded, serial, card)

    def _caller_loaded(self, serial: int, card: Card | None) -> None:
        call = self.desk.call
        if card is None or call.serial != serial or call.card is not None:
            return  # another call, or the agent chose the caller meanwhile
        self.desk.call = with_card(call, card)
        self._show_call(keep_draft=self.serial == serial and self.customer is None)
        self._fill_categories(self.query_one("#category", Input).value
                              if self.category is None else "")
        self._refresh_preview()

    def _customer_id(self) -> str | None:
        return self.customer.customer_id if self.customer else None

    def _reset(self) -> None:
        self.category, self.preview, self.created = None, None, None
        self.showing_saved = False
        for selector in ("#category", "#location", "#party"):
            self.query_one(selector, Input).value = ""
        self.query_one("#description", TextArea).text = ""
        self.query_one(ClassPicker).show_for(False, "")
        self.query_one("#sla", Static).update(Text(t("ticket.sla.empty"), style="dim"))
        self.query_one("#result", Static).update("")

    # --- category type-ahead -----------------------------------------------------------

    def _fill_categories(self, query: str) -> None:
        from agentdesk.tickets import taxonomy

        utility = self.customer.utility if self.customer else ""
        options = self.query_one("#categories", OptionList)
        options.clear_options()
        for cat in taxonomy.search(query, utility):
            options.add_option(Option(Text(f"{cat.label(self.desk.lang)}  {cat.code}"),
                                      id=cat.code))
        if options.option_count:
            options.highlighted = 0

    @on(Input.Changed, "#category")
    def _category_typed(self, event: Input.Changed) -> None:
        if self.category is None or event.value != self.category.label(self.desk.lang):
            self.category = None
            self._fill_categories(event.value)

    def on_key(self, event: events.Key) -> None:
        # Up and down move in the category list while the agent types in the box.
        if self.focused is self.query_one("#category", Input) and event.key in ("up", "down"):
            options = self.query_one("#categories", OptionList)
            options.action_cursor_down() if event.key == "down" else options.action_cursor_up()
            event.stop()

    @on(Input.Submitted, "#category")
    def _category_chosen(self, event: Input.Submitted) -> None:
        options = self.query_one("#categories", OptionList)
        if options.highlighted is None:
            return
        self._choose(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected, "#categories")
    def _option_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    def _choose(self, code: str) -> None:
        from agentdesk.tickets import taxonomy

        self.category = taxonomy.load().category(code)
        self.showing_saved = False  # a new draft: its own deadlines from now
        self.query_one("#category", Input).value = self.category.label(self.desk.lang)
        picker, cat = self.query_one(ClassPicker), self.category
        picker.show_for(cat.business_type == "complaint",
                        self.customer.utility if self.customer else cat.utility)
        (picker.query_one(Input) if picker.display else self.query_one("#description")).focus()
        self._preview(code)

    def on_class_picker_picked(self) -> None:
        self.query_one("#description", TextArea).focus()

    def _refresh_preview(self) -> None:
        # Deadlines run from now: shown again while the form is open, and at save.
        if self.category is not None and not self.showing_saved and self.is_current:
            self._preview(self.category.code)

    @work(thread=True, exclusive=True, group="preview")
    def _preview(self, code: str) -> None:
        from agentdesk.tickets import coverage, service as tickets

        if self.store is None:
            return  # no desk database: nothing could be saved either
        with self.store.session() as session:  # the same terms create will store
            terms = tickets.preview(session, code, self._customer_id())
        self.app.call_from_thread(self._show_preview, code, terms.priority, terms.due, False,
                                  coverage.warning(terms.calendar_gaps))  # '' or a warning

    def _show_preview(self, code: str, priority: str, due: dict, saved: bool = False,
                      gap: str | None = None) -> None:
        if self.category is None or self.category.code != code:
            return
        if self.showing_saved and not saved:
            return  # the saved ticket's deadlines stay on screen
        gap = (self.preview or {}).get("gap", "") if gap is None else gap  # saved: as shown
        self.preview = {"priority": priority, "due": due, "gap": gap}
        out = Text()
        if saved:
            out.append(t("ticket.sla.saved") + "\n", style="bold green")
        out.append(t("ticket.priority") + ": ", style="dim")
        out.append(t(f"priority.{priority}"),
                   style="bold red" if priority == "urgent" else "bold")
        for name in ("first_response", "arrival", "resolution"):
            out.append(f"\n{t('sla.' + name)}: ", style="dim")
            out.append(_when(due.get(name)))
        out.append(f"\n{t('sla.callback')}: ", style="dim")
        out.append(t("ticket.sla.callback_after"))
        out.append(f"\n{gap}" if gap else "", style="bold yellow")
        self.query_one("#sla", Static).update(out)

    # --- saving --------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.store is None:
            return
        if self.category is None:
            self._error(t("ticket.need_category"))
            self.query_one("#category", Input).focus()
            return
        self._check(self._draft())

    def _draft(self) -> Draft:
        from agentdesk.tickets.service import Draft

        assert self.category is not None  # action_save asked for one first
        return Draft(category=self.category.code,
                     description=self.query_one("#description", TextArea).text,
                     customer_id=self._customer_id(),
                     location=self.query_one("#location", Input).value,
                     complained_party=self.query_one("#party", Input).value,
                     complaint_class=self.query_one(ClassPicker).code,
                     contact_id=self.desk.call.contact_id)

    @work(thread=True, exclusive=True, group="save")
    def _check(self, draft: Draft) -> None:
        """The quality gate first: nothing is offered for a draft that could not be saved."""
        from agentdesk.tickets import service as tickets

        try:
            with self.store.session() as session:
                tickets.check(session, draft)
                found = tickets.duplicates(session, draft.category, draft.customer_id)
        except tickets.TicketError as exc:
            self.app.call_from_thread(self._error, str(exc))
            return
        self.app.call_from_thread(self._offer, found)

    def _offer(self, found: list[Duplicate]) -> None:
        if not found:
            self._submit(None)
            return

        def chosen(choice: str | None) -> None:
            if choice == "link":
                self._submit(found[0])
            elif choice == "new":
                self._submit(None)
            else:
                self.query_one("#description", TextArea).focus()

        self.app.push_screen(DuplicateChoice(found, self._typed), chosen)

    def _typed(self, event: events.Key) -> None:
        """A key typed while the duplicate offer was up goes where the agent was typing."""
        box = self.focused
        if isinstance(box, TextArea):
            if event.key == "backspace":
                box.action_delete_left()
            else:
                box.insert("\n" if event.key == "enter" else event.character or "")
        elif isinstance(box, Input) and event.key != "enter":
            if event.key == "backspace":
                box.action_delete_left()
            else:
                box.insert_text_at_cursor(event.character or "")

    def _submit(self, link: Duplicate | None) -> None:
        # The call's state is read here, on the UI thread; the worker gets plain values.
        call = self.desk.call
        self._save(self._draft(), link, answer_for(call, self._customer_id()),
                   self.desk.agent_code, call.serial)

    @work(thread=True, exclusive=True, group="save")
    def _save(self, draft: Draft, link: Duplicate | None, answer: KbAnswer | None,
              agent: str, serial: int) -> None:
        from dataclasses import replace

        from agentdesk.tickets import service as tickets

        try:
            with self.store.session() as session:
                if link is not None and link.kind == "ticket":
                    ticket = tickets.link_report(session, link.id, agent, draft.customer_id,
                                                 draft.description)
                elif link is not None and link.kind == "notice":
                    ticket = None  # told the caller about the notice: no repair dispatched
                    tickets.note_notice(session, link.id, agent, draft.contact_id)
                else:
                    if link is not None and link.kind == "incident":
                        draft = replace(draft, incident_id=link.id)
                    ticket = tickets.create(session, draft, agent)
                    if answer is not None:
                        _note_answer(session, ticket.id, answer, agent, draft.customer_id)
                summary = tickets.as_json(session, ticket) if ticket else None
        except tickets.TicketError as exc:
            self.app.call_from_thread(self._error, str(exc))
            return
        self.post_message(TicketSaved(summary, link, serial))  # the app puts it on the call

    def on_ticket_saved(self, message: TicketSaved) -> None:
        summary, link = message.summary, message.link
        self.created = summary
        self.query_one("#answer", Static).display = False  # used by this draft
        result = self.query_one("#result", Static)
        if summary is None:
            result.update(Text(t("ticket.notice_told", title=link.label if link else ""),
                               style="bold"))
            self._clear_draft()
            return
        linked = link is not None and link.kind == "ticket"
        text = t("ticket.linked" if linked else "ticket.saved", number=summary["number"])
        if not linked:  # the deadlines stored, computed at save: they replace the preview
            due = {name: datetime.fromisoformat(value) if value else None
                   for name, value in summary["deadlines"].items()}
            self._show_preview(summary["category"], summary["priority"], due, saved=True)
            text += "  " + t("ticket.saved.due", when=_when(due.get("first_response")))
        result.update(Text(text, style="bold green"))
        self.notify(text, markup=False)
        self._clear_draft()

    def _clear_draft(self) -> None:
        """After a save the draft is empty (issue 19: a second Ctrl+S must not file the same
        text twice); the saved ticket's number and deadlines stay until the next category,
        and Ctrl+O still hands that ticket over."""
        self.showing_saved = True
        self.category, self.preview = None, None
        for selector in ("#category", "#location", "#party"):
            self.query_one(selector, Input).value = ""
        self.query_one("#description", TextArea).text = ""
        self.query_one(ClassPicker).show_for(False, "")
        self.query_one("#category", Input).focus()

    def action_hand_over(self) -> None:
        if not self.created:
            self._error(t("ticket.handover.none"))
            return
        number, agent = self.created["number"], self.desk.agent_code
        self.app.push_screen(HandOver(number, lambda answer, dialog: self._hand_over(
            number, agent, *answer, dialog)))

    @work(thread=True, exclusive=True, group="save")
    def _hand_over(self, number: str, agent: str, to_agent: str, reason: str,
                   dialog: FormDialog) -> None:
        from agentdesk.tickets import service as tickets

        try:
            with self.store.session() as session:
                summary = tickets.as_json(session, tickets.hand_over(
                    session, number, agent, to_agent, reason))
        except tickets.TicketError as exc:
            self.app.call_from_thread(dialog.refuse, str(exc))  # what was typed stays
            return
        self.app.call_from_thread(self._handed_over, summary, dialog)

    def _handed_over(self, summary: dict[str, Any], dialog: FormDialog) -> None:
        dialog.done()
        self.created = summary
        message = t("ticket.handover.done", number=summary["number"], agent=summary["owner"])
        self.query_one("#result", Static).update(Text(message, style="bold"))
        self.notify(message, markup=False)
        self.desk.data_version += 1

    def _error(self, message: str) -> None:
        self.query_one("#result", Static).update(Text(shown(message), style="bold red"))


def _note_answer(session: Session, ticket_id: str, answer: KbAnswer, agent: str,
                 customer_id: str | None = None) -> None:
    """The answer taken from the knowledge base (Ctrl+Y there) goes on the ticket as a note,
    and the article is linked (the monitor counts answers from the KB). An outage answer
    for a caller under a notice in force is filled in from the notice rows, read now."""
    from agentdesk.kb import answers, catalog, links
    from agentdesk.tickets import service as tickets

    article = catalog.get(session, answer.article_id)
    if customer_id and article is not None and answers.is_outage(article):
        from agentdesk.customers import lookup

        answer = answers.with_notices(answer, lookup.notices_in_force(session, customer_id,
                                                                       clock.now()))
    links.link(session, ticket_id, answer.article_id, agent)
    tickets.add_note(session, ticket_id, agent,
                     answers.note_text(answer, tickets.MAX_DESCRIPTION))
