"""Knowledge base (the knowledge-base issue builds search and the article view)."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import Static

from agentdesk.i18n import t
from agentdesk.screens.base import DeskScreen


class KbScreen(DeskScreen):
    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(Text(t("kb.title"), style="bold"), id="title")
        yield Static("", id="body", markup=False)
        yield from self.compose_footer()

    def reload(self) -> None:
        self._count()

    @work(thread=True, exclusive=True)
    def _count(self) -> None:
        from sqlalchemy import text

        with self.store.session() as session:
            n = session.connection().execute(text("SELECT count(*) FROM kb_article")).scalar()
        self.app.call_from_thread(self.query_one("#body", Static).update,
                                  Text(t("kb.pending", n=n)))
