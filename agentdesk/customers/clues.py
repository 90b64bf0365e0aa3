"""What a caller's words say, for lookup (no textual import): a query is one or more
clues separated by spaces (``王 1122``, ``张伟 桃子湖``, ``岳麓区 张``), and each clue is
read by its shape into :class:`Branch` es: where to look (an index range) and how good a
match it is. A branch can also *test* a customer already found by another clue, so two
clues intersect without a second index scan (:mod:`.lookup`).

Shapes: digits (a phone in any common form, with or without an extension; an account or
meter number; their trailing digits), letters and digits (an account or meter such as
``WX-0003``), Latin letters (pinyin initials or full pinyin), Han characters (a name, a
surname said with an honorific such as 王先生 / 老王, an address part, a district).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentdesk.core import search_keys
from agentdesk.core.i18n import t

# Ranks: lower first. Exact identifiers, then exact names, then partial matches.
EXACT_ID, EXACT_NAME, EXACT_KEY, PARTIAL, LOOSE = 0, 1, 2, 3, 4
MIN_SUFFIX, MAX_SUFFIX = 4, 8  # phone: the last 4-8 digits
# Account and meter numbers: at least this many trailing characters (4 digits are a
# phone's "last four": at 1,000,000 customers they would also name ~200 accounts). The
# config's lookup_min_suffix sets it (cli_support.load_config).
MIN_ID_SUFFIX = 5
MAX_CLUES = 6

_PHONE_PUNCT = re.compile(r"[\s\-().+/]")
_BETWEEN = re.compile(r"[\s,;、，；]+")  # between clues: spaces, and the list commas
_LEADING_PLACE = re.compile(r"^(.+?[区县市旗])(.+)$")
_LATIN = re.compile(r"[a-z ]+")
_ID = re.compile(r"[0-9a-z][0-9a-z\-./]*")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# 王先生 李女士 张师傅 刘阿姨 ...: the surname said with a form of address.
_AFTER = ("先生", "女士", "小姐", "师傅", "阿姨", "叔叔", "大爷", "大妈", "大姐", "大哥",
          "老师", "同志", "老板", "奶奶", "爷爷", "伯伯")
_BEFORE = ("老", "小")
_PLACE = re.compile(r".+[区县市旗]$")  # 岳麓区, 长沙县, 巩义市: a district ...
_NOT_PLACE = ("小区", "社区", "园区", "校区", "片区", "厂区", "营区")  # ... but not 幸福小区


class ClueError(ValueError):
    """A clue that names nobody, with what to type instead."""


@dataclass(frozen=True)
class Branch:
    rank: int
    kind: str  # the match shown: phone / phone_suffix / account / meter / name / ...
    how: str  # key / key_prefix / name / name_prefix / phone / account_prefix / district
    value: str
    seeds: bool = True  # can start a search (an index range); False: only tests


@dataclass(frozen=True)
class Clue:
    text: str
    branches: tuple[Branch, ...]


def split(query: str) -> list[str]:
    """Clues, separated by spaces; a phone written with spaces (``138 1234 5678``,
    ``0571 8888 6666 ext 123``) or pinyin with spaces (``zhang san``) stays one clue."""
    from agentdesk.customers import phones

    if _PHONE_PUNCT.sub("", phones.without_extension(query)).isdigit() \
            or _LATIN.fullmatch(query.lower()):
        return [query]
    words = _BETWEEN.split(query.strip(" ,;、，；"))
    if len(words) > MAX_CLUES:
        raise ClueError(t("lookup.too_many_clues", count=len(words), most=MAX_CLUES))
    return words


def read(word: str) -> Clue:
    """The branches of one clue, best rank first."""
    from agentdesk.customers import phones

    main = phones.without_extension(word)  # the extension is not searched
    digits = _PHONE_PUNCT.sub("", main)
    lowered = word.lower()
    out: list[Branch] = []
    if digits.isdigit():
        try:
            out.append(Branch(EXACT_ID, "phone", "phone", phones.normalise(main)))
        except phones.PhoneError:
            pass
        out += _ids(digits)
        if MIN_SUFFIX <= len(digits) <= MAX_SUFFIX:
            out.append(Branch(PARTIAL, "phone_suffix", "key_prefix", "p" + digits[::-1]))
        if len(digits) >= MIN_ID_SUFFIX:  # four digits are a phone's last four
            out.append(Branch(PARTIAL, "account", "account_prefix", digits))
        return Clue(word, tuple(sorted(out, key=lambda b: b.rank)))
    if _LATIN.fullmatch(lowered):
        letters = lowered.replace(" ", "")
        out += [Branch(EXACT_KEY, "pinyin", "key", "y" + letters),
                Branch(EXACT_KEY, "pinyin", "key", "f" + letters),
                Branch(PARTIAL, "pinyin", "key_prefix", "y" + letters)]
        if len(letters) >= 2:
            out.append(Branch(PARTIAL, "pinyin", "key_prefix", "f" + letters))
        return Clue(word, tuple(out))
    if _ID.fullmatch(lowered) and any(ch.isdigit() for ch in lowered):
        return Clue(word, tuple(sorted(_ids(search_keys.plain_id(word)),
                                       key=lambda b: b.rank)))
    compact = re.sub(r"\s+", "", word)
    han = "".join(_HAN.findall(compact))
    if han and han in _AFTER:
        raise ClueError(t("lookup.honorific_alone", said=han))
    said = _honorific(han) if han == compact else None
    if said:
        # 王先生: the surname; 老王 / 小李 may also be a given name (陈小红 is 小红).
        rank = PARTIAL if han[0] in _BEFORE else EXACT_KEY
        out.append(Branch(rank, "name", "name_prefix", said))
    if han:
        out += [Branch(EXACT_NAME, "name", "name", compact),
                Branch(EXACT_KEY, "name", "key", "g" + compact),
                Branch(PARTIAL, "name", "name_prefix", compact),
                Branch(PARTIAL, "name", "key_prefix", "g" + compact)]
        if _PLACE.fullmatch(han) and not han.endswith(_NOT_PLACE):
            out.append(Branch(LOOSE, "district", "district", han, seeds=False))
    plain = search_keys.plain_text(compact)
    if plain:
        out.append(Branch(LOOSE, "address", "key_prefix", "a" + plain))
    return Clue(word, tuple(out))


def is_place(word: str) -> bool:
    """Whether a word has a district's shape (岳麓区, 长沙县; not 幸福小区)."""
    return bool(_PLACE.fullmatch(word)) and not word.endswith(_NOT_PLACE)


def leading_place(word: str) -> tuple[str, str] | None:
    """岳麓区桃子湖小区3栋 -> (岳麓区, 桃子湖小区3栋): an address said from its district
    (the caller checks that the place is a district of the file)."""
    found = _LEADING_PLACE.match(word)
    if not found or not _HAN.fullmatch(found.group(1)[-1]) or \
            found.group(1).endswith(_NOT_PLACE):
        return None
    return found.group(1), found.group(2)


def as_id(query: str) -> Clue | None:
    """The whole query as one account or meter number (``WX 0003``), when it has the
    shape of one: letters and digits, no Han characters."""
    plain = search_keys.plain_id(query)
    if _HAN.search(query) or not plain or plain.isdigit() or plain.isalpha():
        return None
    return Clue(query, tuple(b for b in _ids(plain) if b.rank == EXACT_ID))


def _ids(plain: str) -> list[Branch]:
    """An account or meter number: the whole (any case, spaces, dashes), or its end."""
    if not plain:
        return []
    rev = plain[::-1]
    out = [Branch(EXACT_ID, "account", "key", "r" + rev),
           Branch(EXACT_ID, "meter", "key", "m" + rev)]
    if len(plain) >= MIN_ID_SUFFIX:
        out += [Branch(PARTIAL, "account", "key_prefix", "r" + rev),
                Branch(PARTIAL, "meter", "key_prefix", "m" + rev)]
    return out


def _honorific(han: str) -> str | None:
    """The surname (or name) in 王先生 / 欧阳女士 / 王芳女士 / 老王 / 小李 (None: not
    such a form)."""
    for form in _AFTER:
        if han.endswith(form) and 1 <= len(han) - len(form) <= 4:
            return han[:-len(form)]
    if len(han) == 2 and han[0] in _BEFORE:
        return han[1]
    return None


def test(branch: Branch, row: dict) -> bool:
    """Whether a customer found by another clue matches this branch, by the same rules
    the keys were made with (``row``: name, address parts, district, account_no,
    meter_no, phones)."""
    how, value = branch.how, branch.value
    if how == "name":
        return row["name"] == value
    if how == "name_prefix":
        return row["name"].startswith(value)
    if how == "phone":
        return value in row["phones"]
    if how == "account_prefix":
        return row["account_no"].startswith(value)
    if how == "district":
        return row["district"] == value
    if not _may_hold(row, value):
        return False
    keys = _keys(row, value[0])
    if how == "key":
        return value in keys
    return any(k.startswith(value) for k in keys)


def _may_hold(row: dict, key: str) -> bool:
    """A cheap first look: a row can hold this key only if the key's text appears in
    the field it is made from (most rows tested are not matches: no pinyin for them)."""
    kind, text = key[0], key[1:]
    if kind == "g":
        return text in row["name"]
    if kind == "a":
        return text in search_keys.plain_text("".join(
            (row["street"], row["community"], row["building"], row["unit"], row["room"])))
    if kind == "p":
        return any(text[::-1] in phone for phone in row["phones"])
    if kind in "rm":
        return text[::-1] in search_keys.plain_id(row["account_no"] + row["meter_no"])
    return True  # pinyin: only the keys can say


def _keys(row: dict, kind: str) -> set[str]:
    if kind == "g":
        return search_keys.given_keys(row["name"])
    if kind in "yf":
        return set(search_keys.name_keys(row["name"]))
    if kind == "a":
        return search_keys.address_keys(row["street"], row["community"], row["building"],
                                        row["unit"], row["room"])
    if kind == "p":
        return {k for k in map(search_keys.phone_key, row["phones"]) if k}
    return search_keys.id_keys(row["account_no"], row["meter_no"])
