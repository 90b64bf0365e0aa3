"""The knowledge-base full-text index: one FTS5 row per article (no textual import).

``kb_fts`` (migration 0003) holds tokens made by :mod:`agentdesk.kb.tokens`, one column
per field so bm25 can weigh titles and caller phrasings above body text. The article id
sits in an UNINDEXED column; deletes go by batches of ids, so a bulk import scans the
table once per batch, not once per article. ``kb_term`` counts the articles holding each
token, updated here with every change of ``kb_fts``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from agentdesk.kb import tokens

# No pinyin for the body: measured on the quality set it adds nothing (long text is full of
# chance homophones) and it would be the biggest column.
COLUMNS = ("title", "phrases", "body", "title_py", "phrases_py", "initials")
BATCH = 500


def doc_tokens(title: str, tags: str, synonyms: str, body: str, category: str) -> tuple:
    """The FTS row of one article: space-separated tokens per column."""
    phrases = "\n".join((tags, synonyms, category.replace(".", " ")))
    return (
        " ".join(tokens.han_tokens(title)),
        " ".join(tokens.han_tokens(phrases)),
        " ".join(tokens.han_tokens(body)),
        " ".join(tokens.pinyin_tokens(title)),
        " ".join(tokens.pinyin_tokens(phrases)),
        " ".join(tokens.initials(title)),
    )


_SELECT = ("SELECT id, title, tags, synonyms, body, category FROM kb_article "
           "WHERE id IN ({marks})")
_OLD = f"SELECT {', '.join(COLUMNS)} FROM kb_fts WHERE article_id IN ({{marks}})"
_INSERT = (f"INSERT INTO kb_fts ({', '.join(COLUMNS)}, article_id) "
           f"VALUES ({', '.join('?' * (len(COLUMNS) + 1))})")
_COUNT = ("INSERT INTO kb_term (term, docs) VALUES (?, ?) "
          "ON CONFLICT(term) DO UPDATE SET docs = docs + excluded.docs")


def _terms(row: Sequence[str]) -> set[str]:
    """The distinct tokens of one FTS row (initials are matched by prefix: not counted)."""
    return {tok for column in row[:COLUMNS.index("initials")] for tok in column.split()}


def reindex(conn: sa.Connection, article_ids: Iterable[str]) -> int:
    """Replace the index rows of these articles (inside the writer's transaction; an id no
    longer in kb_article just loses its row), keeping
    ``kb_term`` (articles per token) in step."""
    ids = list(dict.fromkeys(article_ids))
    count = 0
    for start in range(0, len(ids), BATCH):
        chunk = tuple(ids[start:start + BATCH])
        marks = ",".join("?" * len(chunk))
        delta: Counter[str] = Counter()
        for old in conn.exec_driver_sql(_OLD.format(marks=marks), chunk):
            delta.subtract(_terms(old))
        conn.exec_driver_sql(f"DELETE FROM kb_fts WHERE article_id IN ({marks})", chunk)
        rows = [(*doc_tokens(*r[1:]), r[0])
                for r in conn.exec_driver_sql(_SELECT.format(marks=marks), chunk)]
        if rows:
            conn.exec_driver_sql(_INSERT, rows)
        for row in rows:
            delta.update(_terms(row))
        changes = [(term, n) for term, n in delta.items() if n]
        if changes:
            conn.exec_driver_sql(_COUNT, changes)
            gone = [(term,) for term, n in changes if n < 0]
            if gone:
                conn.exec_driver_sql("DELETE FROM kb_term WHERE term = ? AND docs <= 0", gone)
        count += len(rows)
    return count


def rebuild(conn: sa.Connection) -> int:
    """Index every article from scratch (after a tokenizer change)."""
    conn.exec_driver_sql("DELETE FROM kb_fts")
    conn.exec_driver_sql("DELETE FROM kb_term")
    ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM kb_article ORDER BY id")]
    count = reindex(conn, ids)
    conn.exec_driver_sql("INSERT INTO kb_fts(kb_fts) VALUES ('optimize')")
    return count
