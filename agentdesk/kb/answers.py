"""An article's answer taken into a ticket (no textual import): the value the desk keeps
while the agent moves from the knowledge base to the ticket form, and the note it becomes
on the ticket.

An outage answer (an article of a no-supply category, :data:`OUTAGE_CATEGORIES`) taken
for a caller whose area has a notice in force is filled in from that notice when it goes
on the ticket (:func:`with_notices`): the article's placeholders (``某日某时至某时``,
``预计某时``) become the notice's window and expected restoration, and a line naming the
notice (title, window, cause, restoration) is appended, so the ticket records which notice
the caller was told. The times are the notice row's, read when the ticket is saved.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from agentdesk.kb.catalog import Article

NOTE_FORMAT = "答复口径（{article_id}）：{text}"  # how the ticket's history shows it
# What a notice puts into an answer: in the articles' language, like NOTE_FORMAT.
WINDOW_FORMAT = "{start}至{end}"
EXPECTED_FORMAT = "预计{when}"
NOTICE_FORMAT = "【公告】{title}：{start}至{end}；原因：{cause}；预计恢复：{restore}"
# Categories whose articles answer "no water / no power": the ones a notice fills in.
OUTAGE_CATEGORIES = frozenset({"power.outage", "power.fault", "water.no_water"})
# The shipped articles' placeholders, longest first: (placeholder, what replaces it).
WINDOW_PLACEHOLDERS = ("某日某时至某时", "某时至某时")
RESTORE_PLACEHOLDER = "预计某时"


@dataclass(frozen=True)
class KbAnswer:
    article_id: str
    title: str
    text: str  # the article's answer section, as written (data, never markup)


class NoticeFacts(Protocol):
    """What an answer takes from a notice (the card's notice line has it)."""

    title: str
    starts_at: datetime
    ends_at: datetime
    cause: str
    restore_by: datetime | None


def answer_of(article: Article) -> KbAnswer | None:
    """The answer an agent can read out from ``article``; None when it has none."""
    text = article.answer
    return KbAnswer(article.id, article.title, text) if text else None


def is_outage(article: Article) -> bool:
    return article.category in OUTAGE_CATEGORIES


def _when(value: datetime) -> str:
    from agentdesk.core import clock

    return clock.local(value).strftime("%m-%d %H:%M")  # as the card shows it


def with_notices(answer: KbAnswer, found: list[NoticeFacts] | tuple[NoticeFacts, ...]
                 ) -> KbAnswer:
    """``answer`` filled in from the notices in force (the first fills the placeholders;
    each gets its own line). Unchanged when there is none."""
    if not found:
        return answer
    first = found[0]
    window = WINDOW_FORMAT.format(start=_when(first.starts_at), end=_when(first.ends_at))
    text = answer.text
    for placeholder in WINDOW_PLACEHOLDERS:
        text = text.replace(placeholder, window)
    text = text.replace(RESTORE_PLACEHOLDER, EXPECTED_FORMAT.format(
        when=_when(first.restore_by or first.ends_at)))
    for notice in found:
        text += "\n" + NOTICE_FORMAT.format(
            title=notice.title, start=_when(notice.starts_at), end=_when(notice.ends_at),
            cause=notice.cause or "—", restore=_when(notice.restore_by or notice.ends_at))
    return replace(answer, text=text)


def note_text(answer: KbAnswer, limit: int) -> str:
    """The note written into the ticket, cut to the ticket's ``limit`` for a note."""
    return NOTE_FORMAT.format(article_id=answer.article_id, text=answer.text)[:limit]
