"""An article's answer taken into a ticket (no textual import): the value the desk keeps
while the agent moves from the knowledge base to the ticket form, and the note it becomes
on the ticket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentdesk.kb.catalog import Article

NOTE_FORMAT = "答复口径（{article_id}）：{text}"  # how the ticket's history shows it


@dataclass(frozen=True)
class KbAnswer:
    article_id: str
    title: str
    text: str  # the article's answer section, as written (data, never markup)


def answer_of(article: Article) -> KbAnswer | None:
    """The answer an agent can read out from ``article``; None when it has none."""
    text = article.answer
    return KbAnswer(article.id, article.title, text) if text else None


def note_text(answer: KbAnswer, limit: int) -> str:
    """The note written into the ticket, cut to the ticket's ``limit`` for a note."""
    return NOTE_FORMAT.format(article_id=answer.article_id, text=answer.text)[:limit]
