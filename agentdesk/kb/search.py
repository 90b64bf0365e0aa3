"""Knowledge-base search (no textual import): bm25 over ``kb_fts`` and safe snippets.

The query is tokenised exactly like the articles (:mod:`agentdesk.kb.tokens`); every
token is quoted before it reaches FTS5, so nothing the agent types is ever FTS syntax.
Titles and caller phrasings weigh more than body text; pinyin columns catch homophone
typos; ASCII letters also try the title's pinyin initials. Snippets are computed here from
the stored article text, as (text, is_match) segments: never markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import re
from dataclasses import dataclass, field
from functools import lru_cache

from sqlmodel import Session

from agentdesk.core.i18n import t
from agentdesk.kb import tokens

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Connection

MAX_QUERY = 200  # characters looked at; a pasted essay is cut, not scanned
MAX_TERMS = 24  # distinct tokens sent to FTS5, rarest first
# Tokens in more than this share of articles are dropped: their bm25 idf is below 0.85
# (a rare token's is 4 or more) and their long posting lists cost the most. No change on
# the quality set; 1.2x faster at 5,000 articles.
MAX_DF = 0.3
CANDIDATES = 1000  # rank only articles holding one of the rarest tokens (see choose_terms)
ROW_TOKENS = 12000  # ... and fewer of them when the question has many tokens
SNIPPET_CHARS = 60
MOST = 100  # hits one search returns at most (`agentdesk kb search --limit` is bounded by it)
# bm25 weights, in kb_fts column order: title, phrases (tags and caller phrasings), body,
# the pinyin of title and phrases, title initials. Pinyin weighs less than the characters:
# it stands in for a mistyped one (or a homophone spelling: 交费 / 缴费).
WEIGHTS = (8.0, 5.0, 1.0, 3.0, 2.0, 4.0)


class KbQueryError(ValueError):
    """A query that cannot be searched, with a message for the agent."""


@dataclass(frozen=True)
class KbHit:
    id: str
    title: str
    score: float
    snippet: tuple[tuple[str, bool], ...]  # (text, is_match) segments
    terms: tuple[str, ...] = field(default=(), repr=False)  # to highlight the title too
    sounds: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # typos' pinyin

    @property
    def snippet_plain(self) -> str:
        return "".join(text for text, _ in self.snippet)

    def as_json(self) -> dict:
        return {"id": self.id, "title": self.title, "score": round(self.score, 4),
                "snippet": self.snippet_plain}


@dataclass(frozen=True)
class Query:
    han: tuple[tuple[str, str], ...]  # (Han bigram, its pinyin bigram)
    lone: tuple[str, ...]  # single Han characters between punctuation: matched as prefixes
    words: tuple[str, ...]  # other letters and digits: app, 95598
    letters: tuple[str, ...]  # ASCII letter words: maybe pinyin initials of a title


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


_ASCII_LETTERS = re.compile(r"^[a-z]{2,}$")


def parse(query: str) -> Query:
    """Tokens of ``query`` (the first :data:`MAX_QUERY` characters after NFKC)."""
    if not query or not query.strip():
        raise KbQueryError(t("kb.error.empty"))
    text = tokens.normalize(query)[:MAX_QUERY]
    han: dict[str, str] = {}
    lone: dict[str, None] = {}
    words: dict[str, None] = {}
    for is_han, run in tokens.pieces(text):
        if is_han and len(run) == 1:
            lone[run] = None
        elif is_han:
            han.update((gram, py) for gram, py in
                       zip(tokens.bigrams(run), tokens.pinyin_bigrams(run)) if gram not in han)
        else:
            words[run] = None
    if not han and not lone and not words:
        raise KbQueryError(t("kb.error.nothing"))
    letters = tuple(w for w in words if _ASCII_LETTERS.match(w))
    return Query(tuple(han.items()), tuple(lone)[:8], tuple(words), letters[:8])


def _frequencies(conn: Connection, terms: list[str]) -> dict[str, int]:
    marks = ",".join("?" * len(terms))
    return dict(conn.exec_driver_sql(
        f"SELECT term, docs FROM kb_term WHERE term IN ({marks})", tuple(terms)).all())


def choose_terms(conn: Connection, q: Query) -> tuple[list[str], list[str], tuple]:
    """(terms, rare, sounds): the tokens worth ranking by, rarest first; the rarest of them
    that together occur in at most :data:`CANDIDATES` articles (fewer for long questions,
    see :data:`ROW_TOKENS`); the readings (two syllables) of the bigrams the index does not
    know but whose pinyin it does (typos), to highlight by sound.

    Every token costs time on every matching row, and a common one adds little to bm25:
    tokens in more than :data:`MAX_DF` of the articles are dropped, and at most
    :data:`MAX_TERMS` are kept (the rarest say the most). Above :data:`CANDIDATES`
    articles, only articles holding one of the rarest tokens are ranked: at 5,000 that is
    2-3x faster and leaves the top three of 98.5% of the quality-set questions as they
    are (``agentdesk bench kb`` prints the share); at or below it nothing is cut.
    """
    grams = [g for g, _ in q.han]
    pinyin = [py for _, py in q.han if py]
    candidates = list(dict.fromkeys([*grams, *q.words, *pinyin]))
    df = _frequencies(conn, candidates)
    articles = conn.exec_driver_sql("SELECT count(*) FROM kb_article").scalar() or 0
    common = max(2, articles * MAX_DF)
    kept = [tok for tok in candidates if 0 < df.get(tok, 0) <= common]
    if not kept:  # only very common tokens: the rarest of them still rank something
        kept = [tok for tok in candidates if df.get(tok, 0)]
    terms = sorted(kept, key=lambda tok: df[tok])[:MAX_TERMS]
    # bm25 costs (candidate rows x tokens): a long question gets fewer candidate rows
    budget = min(CANDIDATES, ROW_TOKENS // max(1, len(terms)))
    rare: list[str] = []
    covered = 0
    for tok in terms:
        if rare and covered + df[tok] > budget and articles > CANDIDATES:
            break
        rare.append(tok)
        covered += df[tok]
    sounds = tuple((tokens.reading(g[0]), tokens.reading(g[1])) for g, py in q.han
                   if py in terms and not df.get(g))
    return terms, rare, sounds


def match_expression(terms: list[str], q: Query, lone: bool = True) -> str:
    """The FTS5 MATCH text: every token quoted (never user syntax), joined by OR. Letters
    may be title initials; a lone character matches the bigrams it starts."""
    parts = [_quote(tok) for tok in terms]
    parts += [f"initials : {_quote(w)}*" for w in q.letters]
    if lone:
        parts += [f"{{title phrases body}} : {_quote(ch)}*" for ch in q.lone]
    return " OR ".join(parts)


# bm25 is computed only for rows that pass the rowid filter; the unary + keeps SQLite from
# turning the IN list into one FTS5 seek per row, which is far slower than the scan.
_RANK = ("SELECT article_id, bm25(kb_fts, {weights}) AS score FROM kb_fts "
         "WHERE kb_fts MATCH ? AND +rowid IN (SELECT rowid FROM kb_fts WHERE kb_fts MATCH ?) "
         "ORDER BY score LIMIT ?")
_ARTICLES = "SELECT id, title, synonyms, body FROM kb_article WHERE id IN ({marks})"


def search(session: Session, query: str, limit: int = 10,
           fill: Callable[[str], str] | None = None) -> list[KbHit]:
    """The best articles for ``query``, best first. Raises :class:`KbQueryError` for a
    query with nothing searchable in it (empty, only punctuation or emoji). ``fill``
    turns an article body's time-limit placeholders into the policy's words before the
    snippet is cut (the caller passes ``agentdesk.tickets.sla_text.fill``)."""
    q = parse(query)
    limit = max(1, min(int(limit), MOST))
    conn = session.connection()
    terms, rare, sounds = choose_terms(conn, q)
    if not terms and not q.letters and not q.lone:
        return []
    sql = _RANK.format(weights=", ".join(str(w) for w in WEIGHTS))
    # a lone character's prefix can match every article: it widens the candidates only
    # when nothing rarer is there
    ranked = conn.exec_driver_sql(sql, (match_expression(terms, q),
                                        match_expression(rare, q, lone=not rare),
                                        limit)).all()
    if not ranked:
        return []
    ids = [r[0] for r in ranked]
    articles = {r[0]: r for r in conn.exec_driver_sql(
        _ARTICLES.format(marks=",".join("?" * len(ids))), tuple(ids))}
    marks = (*(tok for tok in terms if not tok.isascii() or tok in q.words), *q.lone)
    hits = []
    for article_id, score in ranked:
        _, title, synonyms, body = articles[article_id]
        body = fill(body) if fill is not None else body
        hits.append(KbHit(id=article_id, title=title, score=-score,
                          snippet=snippet(synonyms, body, marks, sounds), terms=marks,
                          sounds=sounds))
    return hits


# --- snippets ------------------------------------------------------------------------


def _marks(folded: str, terms: tuple[str, ...], sounds: tuple = ()) -> bytearray:
    marks = bytearray(len(folded))
    for term in terms:
        start = folded.find(term)
        while start != -1:
            marks[start:start + len(term)] = b"\1" * len(term)
            start = folded.find(term, start + 1)
    if sounds:  # 水鸭 typed, 水压 shown: mark the characters that sound like the typo
        wanted = set(sounds)
        before = ""
        for i, ch in enumerate(folded):
            now = tokens.reading(ch) if "\u3400" <= ch <= "\ufaff" else ""
            if now and (before, now) in wanted:
                marks[i - 1:i + 1] = b"\1\1"
            before = now
    return marks


# full-width letters and digits to ASCII, one character for one: snippet offsets stay put
_NARROW = {c: c - 0xFEE0 for c in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B),
                                   *range(0xFF41, 0xFF5B))}
_WIDE_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def _fold(text: str) -> str:
    return (text.translate(_NARROW) if _WIDE_ALNUM.search(text) else text).lower()


def _split(text: str, marks: bytearray) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    begin = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or marks[i] != marks[begin]:
            out.append((text[begin:i], bool(marks[begin])))
            begin = i
    return out


def segments(text: str, terms: tuple[str, ...], sounds: tuple = ()) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_match) by the query terms (case-insensitive; full-width
    letters and digits match their ASCII twins)."""
    if not text:
        return []
    return _split(text, _marks(_fold(text), terms, sounds))


_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
# headings (in every article), list markers and code ticks are not snippet text
_MARKDOWN = re.compile(r"^\s*#.*$|^\s*(?:\d+\.|[-*>])\s+|`", re.MULTILINE)


@lru_cache(maxsize=512)  # the same articles come back keystroke after keystroke
def _candidates(synonyms: str, body: str) -> str:
    return synonyms + "\n" + _MARKDOWN.sub("", body)


def snippet(synonyms: str, body: str, terms: tuple[str, ...], sounds: tuple = (),
            width: int = SNIPPET_CHARS) -> tuple[tuple[str, bool], ...]:
    """The sentence that matches most query text, cut to ``width`` characters around its
    first match, as (text, is_match) segments. Matches by sound (typos) are costly to
    find: they choose the sentence only when nothing matches by character."""
    text = _candidates(synonyms, body)
    folded = _fold(text)
    marks = _marks(folded, terms)
    (start, end), score = _best_sentence(text, marks)
    if score == 0 and sounds:
        marks = _marks(folded, terms, sounds)
        (start, end), score = _best_sentence(text, marks)
    while start < end and text[start].isspace():
        start += 1
    if end - start > width:
        first = marks.find(1, start, end)
        lead = max(start, min(first - width // 4, end - width)) if first >= 0 else start
        start, end = lead, lead + width
    parts = _split(text[start:end], _marks(folded[start:end], terms, sounds))
    if start > 0 and text[start - 1] != "\n":
        parts.insert(0, ("…", False))
    if end < len(text) and text[end] != "\n" and text[end - 1] not in "。！？!?；;":
        parts.append(("…", False))
    return tuple(parts)


def _best_sentence(text: str, marks: bytearray) -> tuple[tuple[int, int], int]:
    best, best_score = (0, 0), -1
    for start, end in _sentences(text):
        score = marks.count(1, start, end)
        if score > best_score:
            best, best_score = (start, end), score
    return best, best_score


@lru_cache(maxsize=512)
def _sentences(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(m.span() for m in _SENTENCE.finditer(text))
