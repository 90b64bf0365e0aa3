"""Knowledge base: search as you type, results with highlighted snippets, the article as
Markdown, and keys to put its answer into the ticket, link it to the ticket, and list the
articles past their review date.

Article text is data: titles and snippets are ``rich.text.Text``; only the body goes
through the Markdown widget, which renders Markdown and never Rich markup. Control
characters in any of them are shown visibly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Markdown, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from agentdesk.core.controls import shown
from agentdesk.core.i18n import t
from agentdesk.screens.base import SearchScreen
from agentdesk.screens.i18n_bindings import localize
from agentdesk.widgets.inputs import DataInput

if TYPE_CHECKING:
    from agentdesk.kb.catalog import Article
    from agentdesk.kb.search import KbHit

MATCH_STYLE = "bold reverse"


def highlighted(segments: Iterable[tuple[str, bool]], style: str = "") -> Text:
    """(text, is_match) pieces, the matches in reverse video."""
    text = Text(style=style, no_wrap=False)
    for piece, is_match in segments:
        text.append(shown(piece), style=MATCH_STYLE if is_match else None)
    return text


class KbScreen(SearchScreen):
    DEFAULT_CSS = """
    KbScreen #query { margin: 0 1; }
    KbScreen #status { height: 1; margin: 0 2; color: $text-muted; }
    KbScreen #results { width: 2fr; height: 1fr; }
    KbScreen #side { width: 3fr; height: 1fr; padding: 0 1; }
    KbScreen #meta { margin-bottom: 1; }
    """
    BINDINGS = [
        Binding("ctrl+f", "focus_search", "key.search"),
        Binding("ctrl+y", "copy_answer", "kb.key.copy"),
        Binding("ctrl+l", "link_ticket", "kb.key.link"),
        Binding("ctrl+r", "toggle_review", "kb.key.review"),
    ]

    def __init__(self) -> None:
        super().__init__()
        localize(self)
        self.hits: list[KbHit] = []
        self.reviewing = False
        self.article: Article | None = None  # on screen

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield DataInput(placeholder=t("kb.placeholder"), id="query")
        yield Static(t("kb.hint"), id="status", markup=False)
        with Horizontal():
            yield OptionList(id="results")
            with VerticalScroll(id="side"):
                yield Static(Text(t("kb.article.empty"), style="dim"), id="meta")
                yield Markdown("", id="article")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#query", Input).focus()

    def reload(self) -> None:
        self._warm()
        query = self.query_one("#query", Input).value
        if query.strip() and not self.reviewing:
            self._start_search(query)

    @work(thread=True, exclusive=True, group="kb-warm")
    def _warm(self) -> None:
        from agentdesk.kb import tokens

        tokens.warm()  # pypinyin's tables load here, not on the first keystroke

    # --- search ----------------------------------------------------------------------

    def _start_search(self, query: str) -> None:
        if self.store is None:
            return
        self.reviewing = False
        seq = self.next_seq()
        if not query.strip():
            self._show_hits(seq, [], "")
            return
        self._search(seq, query)

    @work(thread=True, exclusive=True, group="kb-search")
    def _search(self, seq: int, query: str) -> None:
        from agentdesk.kb import search
        from agentdesk.tickets import sla, sla_text

        try:
            with self.store.session() as session:  # snippets say the policy's time limits
                policy = sla.for_session(session)
                hits = search.search(session, query, limit=20,
                                     fill=lambda body: sla_text.fill(body, policy))
            error = ""
        except search.KbQueryError as exc:
            hits, error = [], str(exc)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_hits, seq, hits, error)

    def _show_hits(self, seq: int, hits: list[KbHit], error: str) -> None:
        if not self.is_current(seq):
            return  # a newer search is under way: stale results never overwrite it
        from agentdesk.kb.search import segments

        self.hits = hits
        options = []
        for hit in hits:
            prompt = highlighted(segments(hit.title, hit.terms, hit.sounds), style="bold")
            prompt.append("\n")
            prompt.append_text(highlighted(hit.snippet, style="dim"))
            options.append(Option(prompt, id=hit.id))
        self._fill(options)
        status = self.query_one("#status", Static)
        if error:
            status.update(Text(shown(error), style="bold red"))
        elif not hits:
            query = self.query_one("#query", Input).value
            status.update(Text(t("kb.none") if query.strip() else t("kb.hint")))
        else:
            status.update(Text(t("kb.count", n=len(hits))))

    def _fill(self, options: list[Option]) -> None:
        results = self.query_one("#results", OptionList)
        results.clear_options()
        results.add_options(options)
        if options:
            results.highlighted = 0

    # --- the article -----------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#results")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and (self.article is None or self.article.id != event.option.id):
            self._load_article(event.option.id)

    @on(OptionList.OptionSelected, "#results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#side", VerticalScroll).focus()

    @work(thread=True, exclusive=True, group="kb-article")
    def _load_article(self, article_id: str) -> None:
        from agentdesk.kb import catalog
        from agentdesk.tickets import sla, sla_text

        with self.store.session() as session:
            article = catalog.get(session, article_id)
            if article is not None:  # its time limits from the policy in force (Ctrl+Y too)
                article = replace(article, body=sla_text.fill(article.body,
                                                              sla.for_session(session)))
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_article, article_id, article)

    def _show_article(self, article_id: str, article: Article | None) -> None:
        results = self.query_one("#results", OptionList)
        current = results.highlighted_option
        if current is None or current.id != article_id:
            return  # the agent has moved on to another article
        from agentdesk.core import clock

        self.article = article
        meta = self.query_one("#meta", Static)
        if article is None:
            meta.update(Text(t("kb.article.empty"), style="dim"))
            self.query_one("#article", Markdown).update("")
            return
        due = article.due_on.isoformat() if article.due_on else t("kb.review.never")
        text = Text(shown(article.title), style="bold")
        text.append("\n")
        text.append(t("kb.article.meta", id=article.id, owner=article.owner or "-", due=due),
                    style="dim")
        if article.overdue(clock.local().date()):
            text.append("\n")
            text.append(t("kb.article.overdue"), style="bold yellow")
        meta.update(text)
        self.query_one("#article", Markdown).update(shown(article.body, lines=True))
        self.query_one("#side", VerticalScroll).scroll_home(animate=False)

    # --- into the ticket ---------------------------------------------------------------

    def action_copy_answer(self) -> None:
        from agentdesk.kb.answers import answer_of

        article = self.article
        if article is None:
            self.notify(t("kb.no_article"), severity="warning", markup=False)
            return
        answer = answer_of(article)
        if answer is None:
            self.notify(t("kb.no_answer"), severity="warning", markup=False)
            return
        call = self.desk.call
        # For the draft of the caller the form is for (None: the calling number, or the
        # caller chosen next on this call); dropped when the form's caller changes.
        self.desk.call = replace(call, answer=answer,
                                 answer_for=call.card.customer_id if call.card else None)
        from agentdesk.kb.answers import is_outage

        notices = [n for n in call.card.notices if n.active] if call.card else []
        if notices and is_outage(article):  # filled in from the notice rows when saved
            self.notify(t("kb.copied.notice", title=article.title, notice=notices[0].title),
                        markup=False)
        else:
            self.notify(t("kb.copied", title=article.title), markup=False)

    def action_link_ticket(self) -> None:
        if self.article is None:
            self.notify(t("kb.no_article"), severity="warning", markup=False)
            return
        ticket = self.desk.call.ticket
        if ticket is None:
            self.notify(t("kb.no_ticket"), severity="warning", markup=False)
            return
        self._link(ticket.id, ticket.number, self.article.id, self.article.title,
                   self.desk.agent_code)

    @work(thread=True, group="kb-link")
    def _link(self, ticket_id: str, number: str, article_id: str, title: str,
              agent_code: str) -> None:
        from agentdesk.kb import links

        store = self.store
        if store is None:
            return
        try:
            with store.session() as session:
                added = links.link(session, ticket_id, article_id, agent_code)
        except Exception as exc:  # noqa: BLE001 - a missing ticket, a read-only or locked store
            self.app.call_from_thread(self.notify, t("kb.link_failed", error=str(exc)),
                                      severity="error", markup=False)
            return
        # which ticket: the agent may have saved two on this call (issue 19)
        message = t("kb.linked" if added else "kb.already_linked", title=title, number=number)
        self.app.call_from_thread(self.notify, message, markup=False)

    # --- review dates --------------------------------------------------------------------

    def action_toggle_review(self) -> None:
        if self.store is None:
            return
        if self.reviewing:
            self._start_search(self.query_one("#query", Input).value)
            return
        self.reviewing = True
        self._review(self.next_seq())

    @work(thread=True, exclusive=True, group="kb-search")
    def _review(self, seq: int) -> None:
        from agentdesk.core import clock
        from agentdesk.kb import catalog

        with self.store.session() as session:
            late = catalog.overdue(session, clock.local().date())
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_review, seq, late)

    def _show_review(self, seq: int, late: list[Article]) -> None:
        if not self.is_current(seq):
            return
        self.hits = []
        options = []
        for article in late:
            due = article.due_on.isoformat() if article.due_on else t("kb.review.never")
            prompt = Text(shown(article.title), style="bold")
            prompt.append("\n")
            prompt.append(t("kb.review.item", due=due, owner=article.owner or "-"),
                          style="yellow")
            options.append(Option(prompt, id=article.id))
        self._fill(options)
        self.query_one("#status", Static).update(
            Text(t("kb.review.count", n=len(late)) if late else t("kb.review.none")))
        self.query_one("#results", OptionList).focus()
