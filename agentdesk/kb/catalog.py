"""Reading articles: one article, its sections, and those past their review date
(no textual import)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

ANSWER = "答复口径"  # the section an agent reads out to the caller


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    utility: str
    category: str
    tags: tuple[str, ...]
    synonyms: tuple[str, ...]
    owner: str
    reviewed_on: date | None
    review_days: int
    body: str

    @property
    def due_on(self) -> date | None:
        """The day the article should be reviewed again."""
        if self.reviewed_on is None:
            return None
        return self.reviewed_on + timedelta(days=self.review_days)

    def overdue(self, today: date) -> bool:
        return self.due_on is None or self.due_on < today

    def section(self, heading: str) -> str:
        return section(self.body, heading)

    @property
    def answer(self) -> str:
        return self.section(ANSWER)


_HEADING = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)


def section(body: str, heading: str) -> str:
    """The text under ``## heading`` up to the next ``##`` heading ("" when absent)."""
    found = [m for m in _HEADING.finditer(body)]
    for n, m in enumerate(found):
        if m.group(1) == heading:
            end = found[n + 1].start() if n + 1 < len(found) else len(body)
            return body[m.end():end].strip()
    return ""


_COLUMNS = ("id, title, utility, category, tags, synonyms, owner, reviewed_on, review_days, "
            "body")


def _article(row: Sequence[Any]) -> Article:
    reviewed = row[7]
    if isinstance(reviewed, str):
        reviewed = date.fromisoformat(reviewed[:10]) if reviewed else None
    return Article(id=row[0], title=row[1], utility=row[2], category=row[3],
                   tags=tuple(filter(None, row[4].splitlines())),
                   synonyms=tuple(filter(None, row[5].splitlines())), owner=row[6],
                   reviewed_on=reviewed, review_days=row[8], body=row[9])


def get(session: Session, article_id: str) -> Article | None:
    row = session.connection().exec_driver_sql(
        f"SELECT {_COLUMNS} FROM kb_article WHERE id = ?", (article_id,)).first()
    return _article(row) if row else None


def overdue(session: Session, today: date) -> list[Article]:
    """Articles whose review date (reviewed + review_days) is before ``today``, or that
    were never reviewed; the longest overdue first. Bodies are left out (open one with
    :func:`get`)."""
    light = _COLUMNS.replace("body", "'' AS body")
    rows = session.connection().exec_driver_sql(f"SELECT {light} FROM kb_article").all()
    late = [a for a in map(_article, rows) if a.overdue(today)]
    return sorted(late, key=lambda a: (a.due_on or date.min, a.id))
