"""Search keys for caller lookup: short strings in one B-tree, found by prefix ranges.

SQLite's trigram index cannot find the two-character names most Chinese callers have
(and the SQLite that Python 3.11 ships returns no rows for some LIKE queries against it),
so lookup keeps its own key table instead: every customer gets a handful of keys, each
with a one-letter kind, and every query is a range scan on ``customer_key``:

* ``p`` + the phone's national digits reversed: a suffix ("last four digits") becomes a
  prefix of the reversed digits;
* ``y`` + pinyin initials (``zs`` for 张三), ``f`` + full pinyin (``zhangsan``), for every
  reading of surnames that have two (单 shan/dan, 曾 zeng/ceng, 解 xie/jie, 区 ou/qu, 仇 qiu/chou);
  a compound surname gives an initial per syllable (尉迟恭 ``ycg``, 万俟卨 ``mqx``);
* ``g`` + the given name (张三丰 → 三丰), so a caller who gives only that is found;
* ``a`` + the address from the street, the community and the building onwards
  (幸福小区3栋2单元301室 finds 幸福小区3栋), punctuation and brackets left out
  (a community imported as ``(金色家园)`` is found by 金色家园);
* ``r`` + the account number and ``m`` + the meter number, reversed, as :func:`plain_id`
  gives them (lower case, letters and digits only): the whole number is an exact key
  whatever its case, spaces or dashes (``WX-0003`` is ``wx0003``), and trailing digits
  are a prefix, as for phones.

Names also use the customer table's own index (exact and leading part).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from agentdesk.core.ids import packed

if TYPE_CHECKING:
    import sqlite3

# Surname readings, the surname reading first, then the everyday one (callers and agents
# use both): single characters whose surname reading is not their everyday one, and every
# compound surname with its syllables apart (尉迟恭 is y-c-g: "yuchi" as one syllable made
# it y-g).
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan", "dan"), "曾": ("zeng", "ceng"), "解": ("xie", "jie"),
    "区": ("ou", "qu"), "仇": ("qiu", "chou"), "朴": ("piao", "pu"), "查": ("zha", "cha"),
    "盖": ("ge", "gai"), "乐": ("yue", "le"), "尉": ("yu", "wei"), "缪": ("miao", "mou"),
    "覃": ("qin", "tan"), "种": ("chong", "zhong"), "繁": ("po", "fan"), "员": ("yun", "yuan"),
    "召": ("shao", "zhao"), "沈": ("shen",),
    "尉迟": ("yu chi", "wei chi"), "万俟": ("mo qi", "wan si", "wan qi"),
    "单于": ("chan yu", "shan yu", "dan yu"), "长孙": ("zhang sun", "chang sun"),
    "澹台": ("tan tai", "dan tai"), "欧阳": ("ou yang",), "司马": ("si ma",),
    "诸葛": ("zhu ge",), "上官": ("shang guan",), "令狐": ("ling hu",),
    "皇甫": ("huang fu",), "东方": ("dong fang",), "公孙": ("gong sun",),
    "慕容": ("mu rong",), "宇文": ("yu wen",), "司徒": ("si tu",), "夏侯": ("xia hou",),
    "端木": ("duan mu",), "独孤": ("du gu",), "闻人": ("wen ren",), "呼延": ("hu yan",),
    "赫连": ("he lian",), "南宫": ("nan gong",), "第五": ("di wu",), "轩辕": ("xuan yuan",),
    "钟离": ("zhong li",), "鲜于": ("xian yu",), "司空": ("si kong",), "西门": ("xi men",),
    "百里": ("bai li",), "东郭": ("dong guo",), "拓跋": ("tuo ba",), "申屠": ("shen tu",),
    "公冶": ("gong ye",), "太叔": ("tai shu",), "濮阳": ("pu yang",), "左丘": ("zuo qiu",),
    "亓官": ("qi guan",), "梁丘": ("liang qiu",), "仲孙": ("zhong sun",),
}
# Every compound surname is two characters and has its readings above.
COMPOUND_SURNAMES = tuple(s for s in SURNAME_READINGS if len(s) == 2)
MAX_READINGS = 4  # a name with several two-reading characters must not explode
# The key rules' version: bump it when customer_keys changes. The central store computes
# keys once (agentdesk.sync.central) and records the version it used; a desk takes the
# centre's keys on its first sync only when the versions (this and pypinyin's) agree,
# otherwise it computes them itself.
RULES = "2"  # 2: account and meter keys, address keys without punctuation


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        pinyin = package_version("pypinyin")
    except PackageNotFoundError:  # pragma: no cover - pypinyin is a dependency
        pinyin = "?"
    return f"{RULES}/pypinyin-{pinyin}"


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=20000)
def reading(char: str) -> str:
    """The everyday reading of one Han character ("" for anything else)."""
    if not _HAN.fullmatch(char):
        return ""
    from pypinyin import Style, lazy_pinyin

    found = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return found[0].lower() if found else ""


def _ascii(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())


_COMPOUND = frozenset(COMPOUND_SURNAMES)  # all two characters long


def split_name(name: str) -> tuple[str, str]:
    """(surname, given name)."""
    if len(name) > 2 and name[:2] in _COMPOUND:
        return name[:2], name[2:]
    return name[:1], name[1:]


def name_readings(name: str) -> list[list[str]]:
    """Each reading of the name as a list of syllables (surname readings first)."""
    if not _HAN.search(name):
        words = [w for w in (_ascii(part) for part in name.split()) if w]
        return [words] if words else []
    name = "".join(_HAN.findall(name))  # readings come from the Han characters only
    surname, given = split_name(name)
    if surname in SURNAME_READINGS:
        heads = [r.split() for r in SURNAME_READINGS[surname]]
    else:
        heads = [[reading(ch) for ch in surname]]
    tail = [reading(ch) for ch in given]
    return [[*head, *tail] for head in heads[:MAX_READINGS]]


@lru_cache(maxsize=1 << 17)  # names repeat a lot: bulk indexing computes each once
def name_keys(name: str) -> frozenset[str]:
    keys: set[str] = set()
    for syllables in name_readings(name):
        syllables = [s for s in syllables if s]
        if not syllables:
            continue
        keys.add("y" + "".join(s[0] for s in syllables))
        keys.add("f" + "".join(syllables))
    keys.update(given_keys(name))
    return frozenset(keys)


def given_keys(name: str) -> set[str]:
    """The ``g`` keys of a name (no pinyin needed): the given name, and an
    organisation's name from its third character on."""
    han = "".join(_HAN.findall(name))
    keys = set()
    if len(han) >= 2:
        keys.add("g" + split_name(han)[1])
    if len(han) > 4:  # an organisation: 郑州鑫源商贸有限公司 is found by 鑫源商贸
        keys.update("g" + han[start:] for start in range(2, min(len(han) - 2, 7)))
    return keys


_NOT_ID = re.compile(r"[^0-9a-z]")
_NOT_PLAIN = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def plain_id(text: str) -> str:
    """An account or meter number as keys hold it: NFKC, lower case, letters and digits
    (``WX-0003``, ``wx 0003`` and ``ＷＸ０００３`` are all ``wx0003``)."""
    return _NOT_ID.sub("", unicodedata.normalize("NFKC", text).lower())


def plain_text(text: str) -> str:
    """Address text as keys hold it: Han characters, letters and digits only (brackets,
    punctuation and spaces dropped, full-width folded)."""
    return _NOT_PLAIN.sub("", unicodedata.normalize("NFKC", text).lower())


def id_keys(account_no: str, meter_no: str) -> set[str]:
    keys = set()
    for kind, value in (("r", account_no), ("m", meter_no)):
        plain = plain_id(value or "")
        if plain:
            keys.add(kind + plain[::-1])
    return keys


def phone_key(e164: str) -> str | None:
    digits = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    return "p" + digits[::-1] if digits.isdigit() else None


def address_keys(street: str, community: str, building: str, unit: str, room: str
                 ) -> set[str]:
    parts = [plain_text(p or "") for p in (street, community, building, unit, room)]
    keys = set()
    for start in range(3):  # from the street, the community, the building
        tail = "".join(parts[start:])
        if parts[start] and tail:
            keys.add("a" + tail)
    return keys


# The customer columns the keys are made of, with its phones: a change to any other
# column (arrears, tags, status) leaves the keys and the phone rows as they are.
KEYED_COLUMNS = ("name", "street", "community", "building", "unit", "room", "account_no",
                 "meter_no")


def customer_keys(name: str, street: str, community: str, building: str, unit: str,
                  room: str, phones: Iterable[str], account_no: str = "",
                  meter_no: str = "") -> set[str]:
    keys = address_keys(street, community, building, unit, room)
    keys.update(id_keys(account_no, meter_no))
    keys.update(name_keys(name))
    keys.update(k for k in map(phone_key, phones) if k)
    return keys


_SELECT = """
SELECT c.id, c.name, c.street, c.community, c.building, c.unit, c.room,
       (SELECT group_concat(e164, ' ') FROM customer_phone p WHERE p.customer_id = c.id),
       c.account_no, c.meter_no
FROM customer c WHERE c.id IN ({marks})
"""


def current(conn: sqlite3.Connection, customer_ids: list[str]) -> set[tuple[str, str]]:
    """(key, customer_id) pairs computed from these customers' rows as they are now."""
    pairs: set[tuple[str, str]] = set()
    ids = list(customer_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        sql = _SELECT.format(marks=",".join("?" * len(chunk)))
        for (cid, name, street, community, building, unit, room, phones, account,
             meter) in conn.execute(sql, chunk):
            pairs.update((key, cid) for key in customer_keys(
                name, street, community, building, unit, room, (phones or "").split(),
                account, meter))
    return pairs


def refresh(conn: sqlite3.Connection, customer_ids: list[str],
            before: set[tuple[str, str]] = frozenset()) -> int:
    """Bring these customers' keys in step with their rows, inside the writer's
    transaction. ``before`` is :func:`current` taken before the rows changed (empty for
    new customers): the key table has no index by customer (it would double its size),
    so stale keys are deleted by their exact primary key instead."""
    after = current(conn, customer_ids)
    conn.executemany("DELETE FROM customer_key WHERE key = ? AND customer_id = ?",
                     [(key, packed(cid)) for key, cid in sorted(before - after)])
    added = sorted(after - before)
    conn.executemany("INSERT OR IGNORE INTO customer_key (key, customer_id) VALUES (?, ?)",
                     [(key, packed(cid)) for key, cid in added])
    return len(added)


def rebuild_all(conn: sqlite3.Connection,
                progress: Callable[[str, int, int], None] | None = None) -> int:
    """Recompute every customer's keys (bulk loads, repairs), inside the caller's
    transaction. Keys are staged in a temporary table and copied over in key order:
    appending to the B-tree in order is several times faster than random inserts."""
    total = conn.execute("SELECT count(*) FROM customer").fetchone()[0]
    conn.execute("DELETE FROM customer_key")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS staged_key (key TEXT, customer_id BLOB)")
    conn.execute("DELETE FROM temp.staged_key")
    rows = conn.execute(
        "SELECT c.id, c.name, c.street, c.community, c.building, c.unit, c.room, "
        "(SELECT group_concat(e164, ' ') FROM customer_phone p WHERE p.customer_id = c.id), "
        "c.account_no, c.meter_no FROM customer c")
    batch: list[tuple[str, str]] = []
    done = 0
    for cid, name, street, community, building, unit, room, phones, account, meter in rows:
        ref = packed(cid)
        batch.extend((key, ref) for key in customer_keys(
            name, street, community, building, unit, room, (phones or "").split(),
            account, meter))
        done += 1
        if len(batch) >= 100_000:
            conn.executemany("INSERT INTO temp.staged_key VALUES (?, ?)", batch)
            batch.clear()
            if progress:
                progress("search keys", done, total)
    conn.executemany("INSERT INTO temp.staged_key VALUES (?, ?)", batch)
    conn.execute("INSERT OR IGNORE INTO customer_key (key, customer_id) "
                 "SELECT key, customer_id FROM temp.staged_key ORDER BY key, customer_id")
    count = conn.execute("SELECT count(*) FROM temp.staged_key").fetchone()[0]
    conn.execute("DROP TABLE temp.staged_key")
    if progress:
        progress("search keys", total, total)
    return count
