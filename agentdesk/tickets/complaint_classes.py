"""Complaint classes (issue 17, no textual import): every complaint is filed under one
second-level item of its utility's list (power: 95598's five classes 服务 / 营业 / 停送电 /
供电质量 / 电网建设 and their items; water: the water centre's own list), stored in
``ticket.complaint_class`` as the item's code (``service.attitude``).

The lists are data: ``complaint_classes`` (first level, with ``utility``) and
``complaint_items`` (code ``<first level>.<item>``) in ``taxonomy.toml``. A centre replaces a
utility's list with its own TOML file of the same shape, loaded with ``agentdesk central
load complaint-classes FILE.toml`` into the central setting ``complaint_classes``, which
every desk pulls like the SLA policy: each utility the centre's file names replaces the
shipped list of that utility whole (classes and items); the other utility keeps the
shipped one.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from agentdesk.core.i18n import t
from agentdesk.tickets.taxonomy import DEFAULT_FILE

if TYPE_CHECKING:
    import sqlite3

    import sqlalchemy as sa
    from sqlmodel import Session

CENTRAL_SETTING = "complaint_classes"  # central_setting.name of the centre's file
UTILITIES = ("power", "water")
LIST_HINT = "agentdesk ticket classes"  # how an agent lists the codes (the CLI)


class ClassError(ValueError):
    """A class list that cannot be used, or a code a complaint cannot take."""


@dataclass(frozen=True)
class ComplaintClass:
    code: str  # first level: "service"; item: "service.attitude"
    zh: str
    en: str
    utility: str  # power / water

    @property
    def first(self) -> str:
        """The first-level class's code (the item's prefix; a first level's own code)."""
        return self.code.split(".", 1)[0]

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Classes:
    first: dict[str, ComplaintClass]  # first-level code -> class
    items: dict[str, ComplaintClass]  # item code -> item

    def for_utility(self, utility: str) -> list[ComplaintClass]:
        """The items of ``utility`` ("" or "any": of every utility), in file order."""
        return [c for c in self.items.values() if utility in ("", "any", c.utility)]

    def label(self, code: str, lang: str = "zh", first_too: bool = True) -> str:
        """``服务 / 服务态度`` for an item (the code itself when unknown)."""
        item = self.items.get(code) or self.first.get(code)
        if item is None:
            return code
        top = self.first.get(item.first)
        if first_too and top is not None and top is not item:
            return f"{top.label(lang)} / {item.label(lang)}"
        return item.label(lang)

    def check(self, code: str, utility: str) -> ComplaintClass:
        """The item ``code`` names for a complaint of ``utility`` ("" or "any": the ticket's
        utility is not known, any list's item is taken), else :class:`ClassError`."""
        code = (code or "").strip()
        if not code:
            raise ClassError(t("msg.tickets.complaint_classes.a_complaint_needs_a",
                               LIST_HINT=LIST_HINT))
        item = self.items.get(code)
        if item is None:
            shown = code if len(code) <= 40 else code[:40] + "…"
            hint = " (a first-level class: pick one of its items)" if code in self.first else ""
            raise ClassError(t("msg.tickets.complaint_classes.unknown_complaint_class_list",
                               shown=shown, hint=hint, LIST_HINT=LIST_HINT))
        if utility not in ("", "any", item.utility):
            raise ClassError(t("msg.tickets.complaint_classes.complaint_class_is_a", code=code,
                               utility=item.utility, utility2=utility, LIST_HINT=LIST_HINT))
        return item


def parse(text: str, source: str = "taxonomy.toml") -> Classes:
    """The classes and items of a TOML text, checked (:class:`ClassError` names what)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ClassError(f"{source}: {exc}") from None
    first: dict[str, ComplaintClass] = {}
    items: dict[str, ComplaintClass] = {}
    for entry in data.get("complaint_classes", []):
        made = _entry(entry, source, "class")
        if "." in made.code:
            raise ClassError(t("msg.tickets.complaint_classes.complaint_class_a_first",
                               source=source, code=made.code))
        if made.code in first:
            raise ClassError(t("msg.tickets.complaint_classes.complaint_class_defined_twice",
                               source=source, code=made.code))
        first[made.code] = made
    for entry in data.get("complaint_items", []):
        made = _entry({"utility": "", **entry}, source, "item")
        top = first.get(made.first)
        if top is None or "." not in made.code:
            raise ClassError(t("msg.tickets.complaint_classes.complaint_item_its_code",
                               source=source, code=made.code))
        if made.code in items:
            raise ClassError(t("msg.tickets.complaint_classes.complaint_item_defined_twice",
                               source=source, code=made.code))
        items[made.code] = ComplaintClass(made.code, made.zh, made.en, top.utility)
    return Classes(first, items)


def _entry(entry: object, source: str, kind: str) -> ComplaintClass:
    what = t("complaint.what." + kind)  # 投诉分类 / 投诉条目, in the chosen language
    if not isinstance(entry, dict):
        raise ClassError(t("msg.tickets.complaint_classes.a_must_be_a", source=source, what=what))
    code = entry.get("code")
    try:
        made = ComplaintClass(code=str(entry["code"]), zh=str(entry["zh"]),
                              en=str(entry["en"]), utility=str(entry.get("utility", "power")))
    except KeyError as exc:
        raise ClassError(t("msg.tickets.complaint_classes.has_no", source=source, what=what,
                           code=code, args=exc.args[0])) from None
    if kind == "class" and made.utility not in UTILITIES:
        raise ClassError(t("msg.tickets.complaint_classes.utility_must_be_one", source=source,
                           what=what, code=code, UTILITIES=', '.join(UTILITIES),
                           utility=made.utility))
    if not made.code or len(made.code) > 40 or not all(
            ch.isascii() and (ch.isalnum() or ch in "._") for ch in made.code):
        raise ClassError(t("msg.tickets.complaint_classes.code_letters_digits_and", source=source,
                           what=what, code=made.code))
    return made


@cache
def shipped() -> Classes:
    """The lists in the shipped ``taxonomy.toml``."""
    return parse(DEFAULT_FILE.read_text(encoding="utf-8"), str(DEFAULT_FILE))


def merged(base: Classes, over: Classes) -> Classes:
    """``base`` with each utility that ``over`` names replaced by ``over``'s list."""
    replaced = {c.utility for c in over.first.values()}
    first = {k: c for k, c in base.first.items() if c.utility not in replaced}
    items = {k: c for k, c in base.items.items() if c.utility not in replaced}
    return Classes({**first, **over.first}, {**items, **over.items})


@lru_cache(maxsize=8)
def _with_centre(text: str | None) -> Classes:
    if text is None:
        return shipped()
    try:
        return merged(shipped(), parse(text, "centre complaint classes"))
    except ClassError:
        return shipped()  # checked when loaded; a text that cannot be used changes nothing


def central_text(session: Session | sa.Connection | sqlite3.Connection,
                 name: str = CENTRAL_SETTING) -> str | None:
    """The centre's class file (or another central setting: ``name``) as this desk last
    pulled it, or None."""
    import sqlite3

    import sqlalchemy as sa

    sql, args = "SELECT body FROM central_setting WHERE name = ?", (name,)
    try:
        if isinstance(session, sqlite3.Connection):  # the monitor's read-only connection
            row = session.execute(sql, args).fetchone()
            return row[0] if row else None
        conn = session if isinstance(session, sa.Connection) else session.connection()
        return conn.exec_driver_sql(sql, args).scalar()
    except (sa.exc.OperationalError, sqlite3.OperationalError) as exc:
        if "no such table" in str(exc):
            return None  # a database older than migration 0007 (tests that build one)
        raise


def for_session(session: Session | sa.Connection | sqlite3.Connection) -> Classes:
    """The lists in force on this desk: the shipped ones, the centre's on top."""
    return _with_centre(central_text(session))


@cache
def _readings(code: str, zh: str) -> tuple[str, str]:
    from agentdesk.tickets.taxonomy import initials_and_full

    return initials_and_full(zh)


def search(classes: Classes, query: str, utility: str = "", limit: int = 8
           ) -> list[ComplaintClass]:
    """Type-ahead like the category's: item or class name in Chinese, pinyin initials
    (fwtd for 服务态度), full pinyin or code. Only ``utility``'s items ("": every list)."""
    from agentdesk.tickets.taxonomy import match_score

    scored: list[tuple[int, int, ComplaintClass]] = []
    for order, item in enumerate(classes.for_utility(utility)):
        top = classes.first.get(item.first)
        initials, full = _readings(item.code, item.zh)
        score = match_score(query, item.code, (item.zh, *([top.zh] if top else [])),
                            initials, full)
        if score is None:
            continue
        scored.append((score, order, item))
    scored.sort(key=lambda s: s[:2])
    return [item for *_, item in scored[:limit]]
