"""The ticket taxonomy, read from ``taxonomy.toml`` (data, not code)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from agentdesk.core.i18n import t

DEFAULT_FILE = Path(__file__).with_name("taxonomy.toml")
PRIORITIES = ("urgent", "important", "general")


@dataclass(frozen=True)
class Category:
    code: str
    zh: str
    en: str
    utility: str  # water / power / any
    business_type: str
    priority: str

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Taxonomy:
    business_types: dict[str, tuple[str, str]]  # code -> (zh, en)
    complaint_classes: dict[str, tuple[str, str]]
    categories: dict[str, Category]

    def category(self, code: str) -> Category:
        try:
            return self.categories[code]
        except KeyError:
            raise KeyError(f"unknown category {code!r}") from None

    def for_utility(self, utility: str) -> list[Category]:
        return [c for c in self.categories.values() if c.utility in (utility, "any")]


class TaxonomyError(ValueError):
    pass


def parse(text: str, source: str = "taxonomy.toml") -> Taxonomy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"{source}: {exc}") from None
    types = {t["code"]: (t["zh"], t["en"]) for t in data.get("business_types", [])}
    classes = {t["code"]: (t["zh"], t["en"]) for t in data.get("complaint_classes", [])}
    categories: dict[str, Category] = {}
    for entry in data.get("category", []):
        try:
            cat = Category(**entry)
        except TypeError as exc:
            raise TaxonomyError(t("msg.tickets.taxonomy.category", source=source,
                                  get=entry.get('code'), exc=exc)) from None
        if cat.business_type not in types:
            raise TaxonomyError(t("msg.tickets.taxonomy.category_unknown_business_type",
                                  source=source, code=cat.code, business_type=cat.business_type))
        if cat.priority not in PRIORITIES:
            raise TaxonomyError(t("msg.tickets.taxonomy.category_unknown_priority", source=source,
                                  code=cat.code, priority=cat.priority))
        if cat.code in categories:
            raise TaxonomyError(t("msg.tickets.taxonomy.category_defined_twice", source=source,
                                  code=cat.code))
        categories[cat.code] = cat
    return Taxonomy(types, classes, categories)


@cache
def load(path: Path = DEFAULT_FILE) -> Taxonomy:
    return parse(path.read_text(encoding="utf-8"), str(path))


def initials_and_full(text: str) -> tuple[str, str]:
    from agentdesk.core import search_keys

    readings = [search_keys.reading(ch) for ch in text]  # the everyday reading per character
    syllables = [r for r in readings if r]
    return "".join(s[0] for s in syllables), "".join(syllables)


@cache
def _search_index(path: Path = DEFAULT_FILE) -> list[tuple[Category, str, str]]:
    return [(c, *initials_and_full(c.zh)) for c in load(path).categories.values()]


def warm() -> None:
    """Work out the pinyin of every category name now (slow: the desk does it in a worker,
    not on the first keystroke)."""
    _search_index()


def match_score(query: str, code: str, names: tuple[str, ...], initials: str, full: str
                ) -> int | None:
    """How well ``query`` names an entry (0 best; None: not at all), the one type-ahead
    rule of categories and complaint classes: exact code or name, code prefix, pinyin
    initials, part of a name (``names[0]`` is the entry's own), full pinyin."""
    q = query.strip().lower()
    if not q:
        return 5
    if code == q or names[0] == query.strip():
        return 0
    if code.startswith(q) or code.split(".")[-1].startswith(q):
        return 1
    if initials.startswith(q):
        return 2
    if any(q in name for name in names):
        return 3
    if full.startswith(q) or (len(q) >= 2 and q in full):
        return 4
    return None


def search(query: str, utility: str = "", limit: int = 8) -> list[Category]:
    """Category type-ahead: Chinese name, pinyin initials (bg for 爆管), full pinyin or code.

    Categories of the caller's utility come first; among them, the better match first.
    """
    scored: list[tuple[int, int, str, Category]] = []
    for cat, initials, full in _search_index():
        score = match_score(query, cat.code, (cat.zh,), initials, full)
        if score is None:
            continue
        other = 0 if not utility or cat.utility in (utility, "any") else 1
        scored.append((other, score, cat.code, cat))
    scored.sort(key=lambda item: item[:3])
    return [cat for *_, cat in scored[:limit]]
