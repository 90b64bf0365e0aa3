"""Turning article text and queries into search tokens (no textual import).

SQLite's trigram tokenizer cannot match the two-character words Chinese is made of, so the
index is built here and stored space-separated in FTS5 tables with the ``unicode61``
tokenizer, which then only splits on spaces:

* Han text becomes overlapping character bigrams (停水通知 -> 停水 水通 通知); a run of one
  character stays a unigram;
* pinyin bigrams without tones (水压 -> shuiya) let a homophone typo from a pinyin input
  method (水鸭) still meet the word it meant;
* other letters and digits become lower-case words (app, 95598, 12345);
* the pinyin initials of the title, every suffix of them, so ``sy`` finds 水压.

Full-width characters are folded by NFKC; emoji are removed, punctuation separates. The same
functions tokenise documents and queries, so both sides always agree.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

VERSION = "1"  # bump when tokens change: desks rebuild their index on the next start

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PIECES = re.compile(rf"([{HAN}]+)|([^\W_{HAN}]+)")


# Emoji (with their joiners, variation selectors and keycaps) vanish rather than split a
# word: 停水😀通知 reads as 停水通知.
_EMOJI = re.compile("[\u00a9\u00ae\u200d\u203c\u2049\u20e3\u2122\u2139\u2190-\u21ff"
                    "\u2300-\u23ff\u24c2\u25a0-\u27bf\u2934\u2935\u2b00-\u2bff\u3030"
                    "\u303d\u3297\u3299\ufe00-\ufe0f\U0001f000-\U0001faff"
                    "\U000e0000-\U000e007f]")


def normalize(text: str) -> str:
    """NFKC (full-width letters, digits, punctuation), lower case, no emoji."""
    return _EMOJI.sub("", unicodedata.normalize("NFKC", text).lower())


def pieces(text: str) -> list[tuple[bool, str]]:
    """(is_han, run) for every run of Han characters or of other letters and digits."""
    return [(bool(m.group(1)), m.group(0)) for m in _PIECES.finditer(normalize(text))]


@lru_cache(maxsize=30000)
def reading(char: str) -> str:
    """The everyday toneless reading of one Han character, per character (no phrase
    context) so a document and a query always read the same character the same way."""
    from pypinyin import Style, lazy_pinyin

    found = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return found[0] if found else ""


def bigrams(run: str) -> list[str]:
    if len(run) < 2:
        return [run] if run else []
    return [run[i:i + 2] for i in range(len(run) - 1)]


def pinyin_bigrams(run: str) -> list[str]:
    syllables = [reading(ch) for ch in run]
    if len(syllables) < 2:
        return []
    return [a + b for a, b in zip(syllables, syllables[1:]) if a and b]


def han_tokens(text: str) -> list[str]:
    out: list[str] = []
    for is_han, run in pieces(text):
        out.extend(bigrams(run) if is_han else [run])
    return out


def pinyin_tokens(text: str) -> list[str]:
    out: list[str] = []
    for is_han, run in pieces(text):
        if is_han:
            out.extend(pinyin_bigrams(run))
    return out


def initials(text: str) -> list[str]:
    """Every suffix of the pinyin initials of each Han run (a prefix query on these is a
    substring match: ``syd`` and ``yd`` both find 水压低)."""
    out: list[str] = []
    for is_han, run in pieces(text):
        if is_han:
            letters = "".join(reading(ch)[:1] for ch in run)
            out.extend(letters[i:] for i in range(len(letters)) if len(letters) - i >= 2)
    return out


def warm() -> None:
    """Load pypinyin's tables now (a worker calls this) rather than on the first search."""
    reading("水")
