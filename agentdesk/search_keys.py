"""Search keys for caller lookup: short strings in one B-tree, found by prefix ranges.

SQLite's trigram index cannot find the two-character names most Chinese callers have
(and the SQLite that Python 3.11 ships returns no rows for some LIKE queries against it),
so lookup keeps its own key table instead: every customer gets a handful of keys, each
with a one-letter kind, and every query is a range scan on ``customer_key``:

* ``p`` + the phone's national digits reversed: a suffix ("last four digits") becomes a
  prefix of the reversed digits;
* ``y`` + pinyin initials (``zs`` for 张三), ``f`` + full pinyin (``zhangsan``), for every
  reading of surnames that have two (单 shan/dan, 曾 zeng/ceng, 解 xie/jie, 区 ou/qu, 仇 qiu/chou);
* ``g`` + the given name (张三丰 → 三丰), so a caller who gives only that is found;
* ``a`` + the address from the street, the community and the building onwards
  (幸福小区3栋2单元301室 finds 幸福小区3栋).

Names and account numbers use the customer table's own indexes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

# Surnames whose reading differs from the character's everyday one: the surname reading
# first, then the everyday one (callers and agents use both).
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan", "dan"), "曾": ("zeng", "ceng"), "解": ("xie", "jie"),
    "区": ("ou", "qu"), "仇": ("qiu", "chou"), "朴": ("piao", "pu"), "查": ("zha", "cha"),
    "盖": ("ge", "gai"), "乐": ("yue", "le"), "尉": ("yu", "wei"), "缪": ("miao", "mou"),
    "覃": ("qin", "tan"), "种": ("chong", "zhong"), "繁": ("po", "fan"), "员": ("yun", "yuan"),
    "召": ("shao", "zhao"), "沈": ("shen",), "万俟": ("moqi", "wanqi"), "尉迟": ("yuchi",),
}
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容",
                     "令狐", "长孙", "宇文", "司徒", "夏侯", "万俟", "澹台", "端木", "独孤")
MAX_READINGS = 4  # a name with several two-reading characters must not explode


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=20000)
def _reading(char: str) -> str:
    """The everyday reading of one Han character ("" for anything else)."""
    if not _HAN.fullmatch(char):
        return ""
    from pypinyin import Style, lazy_pinyin

    found = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return found[0].lower() if found else ""


def _ascii(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())


def split_name(name: str) -> tuple[str, str]:
    """(surname, given name)."""
    for compound in COMPOUND_SURNAMES:
        if name.startswith(compound) and len(name) > len(compound):
            return compound, name[len(compound):]
    return name[:1], name[1:]


def name_readings(name: str) -> list[list[str]]:
    """Each reading of the name as a list of syllables (surname readings first)."""
    if not _HAN.search(name):
        words = [w for w in (_ascii(part) for part in name.split()) if w]
        return [words] if words else []
    name = "".join(_HAN.findall(name))  # readings come from the Han characters only
    surname, given = split_name(name)
    if surname in SURNAME_READINGS:
        heads = [[r] for r in SURNAME_READINGS[surname]]
    else:
        heads = [[_reading(ch) for ch in surname]]
    tail = [_reading(ch) for ch in given]
    return [[*head, *tail] for head in heads[:MAX_READINGS]]


def name_keys(name: str) -> set[str]:
    keys: set[str] = set()
    for syllables in name_readings(name):
        syllables = [s for s in syllables if s]
        if not syllables:
            continue
        keys.add("y" + "".join(s[0] for s in syllables))
        keys.add("f" + "".join(syllables))
    han = "".join(_HAN.findall(name))
    if len(han) >= 2:
        keys.add("g" + split_name(han)[1])
    return keys


def phone_key(e164: str) -> str | None:
    digits = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    return "p" + digits[::-1] if digits.isdigit() else None


def address_keys(street: str, community: str, building: str, unit: str, room: str
                 ) -> set[str]:
    parts = [street, community, building, unit, room]
    keys = set()
    for start in range(3):  # from the street, the community, the building
        tail = "".join(parts[start:])
        if parts[start] and tail:
            keys.add("a" + tail)
    return keys


def customer_keys(name: str, street: str, community: str, building: str, unit: str,
                  room: str, phones: Iterable[str]) -> set[str]:
    keys = name_keys(name) | address_keys(street, community, building, unit, room)
    keys.update(k for k in map(phone_key, phones) if k)
    return keys


_SELECT = """
SELECT c.id, c.name, c.street, c.community, c.building, c.unit, c.room,
       (SELECT group_concat(e164, ' ') FROM customer_phone p WHERE p.customer_id = c.id)
FROM customer c WHERE c.id IN ({marks})
"""


def rows_for(conn, customer_ids: list[str]) -> Iterator[tuple[str, str]]:  # noqa: ANN001
    """(key, customer_id) rows for these customers; ``conn`` is a sqlite3 connection."""
    for start in range(0, len(customer_ids), 500):
        chunk = customer_ids[start:start + 500]
        sql = _SELECT.format(marks=",".join("?" * len(chunk)))
        for cid, name, street, community, building, unit, room, phones in conn.execute(
                sql, chunk):
            for key in customer_keys(name, street, community, building, unit, room,
                                     (phones or "").split()):
                yield key, cid


def reindex(conn, customer_ids: list[str]) -> int:  # noqa: ANN001
    """Replace the keys of these customers (call inside the writer's transaction)."""
    ids = list(customer_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        conn.execute(f"DELETE FROM customer_key WHERE customer_id IN "
                     f"({','.join('?' * len(chunk))})", chunk)
    rows = list(rows_for(conn, ids))
    conn.executemany("INSERT OR IGNORE INTO customer_key (key, customer_id) VALUES (?, ?)",
                     rows)
    return len(rows)


_QUERY_ASCII = re.compile(r"[a-z]+")
