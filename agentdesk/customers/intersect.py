"""Finding customers for clues (no textual import): one clue's candidates from its
indexes, and the customers several clues all match (``王 1122``, ``zw 鑫林嘉园``).

Several clues: every clue's index entries are first *counted* (covering indexes, no
customer row is read), capped at :data:`PROBE` + 1. The clue with the fewest is read and
the other clues test its customers' rows. When every clue matches more than
:data:`PROBE` (two broad clues), the clues whose entries are all in the ``customer_key``
B-tree are intersected by their customer ids, up to :data:`BROAD` entries each, without
reading a customer row; a clue only a row can decide (a district) then tests the few
customers left. Queries run on the SQLite driver's own cursor: at thousands of rows per
query, the ORM's per-row cost was a third of the time.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from agentdesk.core.ids import packed, unpacked
from agentdesk.customers import clues
from agentdesk.customers.clues import EXACT_NAME, LOOSE, PARTIAL

if TYPE_CHECKING:
    import sqlite3

    from sqlmodel import Session

# Several clues: each clue's entries are counted up to this many; the fewest are read
# and tested against the other clues.
PROBE = 300
# Two broad clues: each one's key entries are read up to this many and intersected by id
# (about 0.3 microseconds an entry); past it the answer is from the first ones read.
BROAD = 4_000
# Every clue broad: one that matches at most WIDE customers (the last four digits of a
# phone at ten million customers: about 1,500) is read whole and the others test all its
# rows (about 6 microseconds a row); two key clues past BROAD are both read up to WIDE
# key entries a range. Found beats fast: at ten million customers the first PROBE or
# BROAD of a clue held the caller one time in five (bench lookup, "found").
WIDE = 10_000
WIDE_KEYS = 50_000
_TOP = "\U0010ffff"  # key >= prefix AND key < prefix + U+10FFFF: immune to % and _


def driver(session: Session) -> sqlite3.Connection:
    """The session's own SQLite connection (same transaction), for the hot reads."""
    return session.connection().connection.driver_connection


# One query per branch kind, (sql for ids, sql for a count); an exact value is (v, v)
# bounds of a closed range, a prefix is [v, v + U+10FFFF).
_BRANCH_SQL = {
    "key": ("SELECT customer_id FROM customer_key WHERE key = :v LIMIT :n", None),
    "key_prefix": ("SELECT customer_id FROM customer_key WHERE key >= :v AND key < :hi "
                   "ORDER BY key LIMIT :n", None),
    "name": ("SELECT id FROM customer WHERE name = :v LIMIT :n",
             "SELECT 1 FROM customer WHERE name = :v LIMIT :n"),
    "name_prefix": ("SELECT id FROM customer WHERE name >= :v AND name < :hi "
                    "ORDER BY name LIMIT :n",
                    "SELECT 1 FROM customer WHERE name >= :v AND name < :hi LIMIT :n"),
    "account_prefix": ("SELECT id FROM customer WHERE account_no >= :v AND account_no < :hi "
                       "ORDER BY account_no LIMIT :n",
                       "SELECT 1 FROM customer WHERE account_no >= :v AND account_no < :hi "
                       "LIMIT :n"),
    "phone": ("SELECT DISTINCT customer_id FROM customer_phone WHERE e164 = :v LIMIT :n",
              "SELECT 1 FROM customer_phone WHERE e164 = :v LIMIT :n"),
}
_RANGES = {"key": "key_prefix", "name": "name_prefix"}  # an exact value, and its range
_KEYED = ("key", "key_prefix")  # entries that name their customer id without a row read
# Their ids are as customer_key stores them (ids.packed): turned into text in Python, and
# only where they leave this module (a SQL function call per entry read cost 1 ms a
# thousand entries on the broad clues' 4,000).


def _params(branch: clues.Branch, limit: int) -> dict:
    return {"v": branch.value, "hi": branch.value + _TOP, "n": limit}


def _stored(conn: sqlite3.Connection, branch: clues.Branch, limit: int) -> list:
    """Up to ``limit`` ids of one branch as stored: packed for the key branches."""
    if branch.how not in _BRANCH_SQL:
        return []  # a test-only branch (a district): never a scan
    return [r[0] for r in conn.execute(_BRANCH_SQL[branch.how][0], _params(branch, limit))]


def _ref(stored: bytes | str) -> bytes | str:
    """One form for every id of an intersection: the desk's keys are packed, the centre's
    (a partial desk's lookup there) and the customer table's are text."""
    return stored if isinstance(stored, bytes) else packed(stored)


def find(conn: sqlite3.Connection, branch: clues.Branch, limit: int) -> list[str]:
    """Up to ``limit`` customer ids of one branch (an index range)."""
    found = _stored(conn, branch, limit)
    return [unpacked(v) for v in found] if branch.how in _KEYED else found


def count(conn: sqlite3.Connection, branch: clues.Branch, cap: int) -> int:
    """A branch's index entries, counted up to ``cap`` from a covering index (no
    customer row read)."""
    ids_sql, count_sql = _BRANCH_SQL[branch.how]
    sql = count_sql or ids_sql.replace("SELECT customer_id", "SELECT 1", 1)
    return conn.execute(f"SELECT count(*) FROM ({sql}) AS hits",  # (PostgreSQL: named)
                        _params(branch, cap)).fetchone()[0]


def candidates(conn: sqlite3.Connection, clue: clues.Clue, limit: int
               ) -> tuple[dict[str, tuple[int, str]], bool]:
    """customer_id -> (best rank, match kind), and whether that is every customer the
    clue matches. Branches run best rank first and stop once ``limit`` customers are
    found: later branches could only add worse matches."""
    best: dict[str, tuple[int, str]] = {}
    complete = True
    for branch in clue.branches:
        if not branch.seeds:
            continue
        if len(best) >= limit and branch.rank > max(r for r, _ in best.values()):
            return best, False
        found = find(conn, branch, limit)
        complete = complete and len(found) < limit
        for cid in found:
            if cid not in best or branch.rank < best[cid][0]:
                best[cid] = (branch.rank, branch.kind)
    return best, complete


def _best_test(clue: clues.Clue, row: dict) -> tuple[int, str] | None:
    for branch in clue.branches:  # best rank first
        if clues.test(branch, row):
            return branch.rank, branch.kind
    return None


_ROWS = """
SELECT c.id, c.name, c.district, c.street, c.community, c.building, c.unit, c.room,
       c.account_no, c.meter_no,
       (SELECT group_concat(e164, ' ') FROM customer_phone p WHERE p.customer_id = c.id)
FROM customer c WHERE c.id IN (SELECT value FROM json_each(:ids))
"""
_ROWS_NO_PHONES = _ROWS.replace(
    "(SELECT group_concat(e164, ' ') FROM customer_phone p WHERE p.customer_id = c.id)", "''")
_ROW_NAMES = ("id", "name", "district", "street", "community", "building", "unit", "room",
              "account_no", "meter_no", "phones")


def _upper(prefix: str) -> str:
    return prefix + _TOP


def _district_seed(conn: sqlite3.Connection, found: list[clues.Clue]
                   ) -> list[tuple[str, str]] | None:
    """A district with a name or surname (岳麓区 张, 王先生 天心区): the customers of that
    district whose name starts so, from the (district, name) index, at most
    :data:`PROBE`, as (id, name) (None: no such pair). The clues then test those rows."""
    districts = [b.value for c in found for b in c.branches if b.how == "district"]
    names = [(b, c) for c in found for b in c.branches if b.how in ("name", "name_prefix")
             and not any(x.how == "district" for x in c.branches)]
    if len(districts) != 1 or not names:
        return None
    branch = min((b for b, _ in names), key=lambda b: len(b.value))  # the broadest name
    ids = conn.execute(
        "SELECT id, name FROM customer WHERE district = :d AND name >= :n AND name < :hi "
        "LIMIT :limit", {"d": districts[0], "n": branch.value, "hi": _upper(branch.value),
                         "limit": PROBE}).fetchall()
    # More than PROBE: the first by name, every one a match of both. None: the index
    # knows no such pair (the "district" may be a name or an address): the clues decide.
    return [(r[0], r[1]) for r in ids] or None


def districts_first(conn: sqlite3.Connection, word: str) -> list[str]:
    """An address said from its district (岳麓区桃子湖小区3栋) is two clues, when the
    district is one of the file's (the (district, name) index answers at once)."""
    split = clues.leading_place(word)
    if split is None or conn.execute("SELECT 1 FROM customer WHERE district = ? LIMIT 1",
                                     (split[0],)).fetchone() is None:
        return [word]
    return list(split)


def _sizes(conn: sqlite3.Connection, clue: clues.Clue) -> dict[clues.Branch, int]:
    """Each index branch's entries, counted up to PROBE + 1."""
    return {b: count(conn, b, PROBE + 1) for b in clue.branches if b.seeds}


def _keyed_ids(conn: sqlite3.Connection, clue: clues.Clue, sizes: dict[clues.Branch, int],
               among: dict | None, cap: int | None = None
               ) -> tuple[dict[str, clues.Branch], bool]:
    """The customers of a broad clue (only those ``among`` when given) from its key
    ranges (its few other entries read directly), up to ``cap`` (BROAD) entries a range,
    in key order: a prefix range starts with its exact key, so a cut range keeps the best
    matches. (Packed id (ids.packed) -> the best branch that found it, whether no range
    was cut.)"""
    cap = BROAD if cap is None else cap
    whole = True
    best: dict[str, clues.Branch] = {}
    seeded = [b for b in clue.branches if b.seeds and sizes[b]]
    prefixes = [b.value for b in seeded if b.how == "key_prefix"]
    for branch in seeded:  # best rank first
        if branch.how == "key" and any(branch.value.startswith(p) for p in prefixes):
            continue  # read with the range that holds it, ranked by its key
        if branch.how != "key_prefix":
            found = {_ref(cid): branch for cid in _stored(conn, branch, PROBE)}
        else:
            exact = next((b for b in seeded if b.how == "key" and b.value == branch.value),
                         branch)
            rows = conn.execute(
                "SELECT customer_id, key = ? FROM customer_key WHERE key >= ? AND key < ? "
                "ORDER BY key LIMIT ?",
                (branch.value, branch.value, branch.value + _TOP, cap)).fetchall()
            whole = whole and len(rows) < cap
            # reversed: the exact key's rows come first in key order, so they win
            found = {}
            for cid, is_exact in reversed(rows):
                ref = _ref(cid)
                if among is None or ref in among:
                    found[ref] = exact if is_exact else branch
        for cid, hit in found.items():
            if among is not None and cid not in among:
                continue
            if cid not in best or hit.rank < best[cid].rank:
                best[cid] = hit
    return best, whole


def _broad(conn: sqlite3.Connection, order: list[tuple[clues.Clue, dict]],
           enough: int = PROBE
           ) -> tuple[dict[str, list], list[clues.Clue], list[clues.Clue]] | None:
    """Two or more broad clues whose entries are (nearly) all keys: their customers
    intersected by id. None when fewer than two clues can be read so. Each range is
    read up to BROAD entries first; when a range was cut and fewer than ``enough``
    customers are left, again wider: the first clue read is one whose every customer
    fits in BROAD entries a range, when either of the first two is, else it is read up
    to WIDE_KEYS, and the others up to WIDE_KEYS a range."""
    keyed = [(c, s) for c, s in order if all(b.seeds for b in c.branches)
             and sum(n for b, n in s.items() if b.how not in _KEYED) <= PROBE]
    if len(keyed) < 2:
        return None
    first, whole = _keyed_ids(conn, *keyed[0], None)
    found, exact = _chain(conn, keyed, first, BROAD)
    if len(found[-1]) < enough and not (whole and exact):
        if not whole:
            other, other_whole = _keyed_ids(conn, *keyed[1], None)
            if other_whole:
                keyed[0], keyed[1] = keyed[1], keyed[0]
                first = other
            else:
                first, _ = _keyed_ids(conn, *keyed[0], None, WIDE_KEYS)
        found, _ = _chain(conn, keyed, first, WIDE_KEYS)
    ranks = {unpacked(cid): [(f[cid].rank, f[cid].kind) for f in found] for cid in found[-1]}
    read = [c for c, _ in keyed[:len(found)]]
    return ranks, read, [c for c, _ in order if all(c is not k for k in read)]


def _chain(conn: sqlite3.Connection, keyed: list[tuple[clues.Clue, dict]],
           first: dict[str, clues.Branch], cap: int
           ) -> tuple[list[dict[str, clues.Branch]], bool]:
    """Each clue after the first reads only the customers the ones before kept, up to
    ``cap`` entries a range; and whether no range was cut."""
    found, whole = [first], True
    for clue, sizes in keyed[1:]:
        if not found[-1]:
            break
        kept, complete = _keyed_ids(conn, clue, sizes, found[-1], cap)
        found.append(kept)
        whole = whole and complete
    return found, whole


def _test_rows(conn: sqlite3.Connection, ranks: dict[str, list], untested: list[clues.Clue],
               cap: int | None = None, enough: int = PROBE) -> dict[str, list]:
    """The customers whose rows every untested clue matches, with those clues' ranks: the
    first ``cap`` (PROBE) of them tested, best ranks first (``ranks`` is in rank order),
    PROBE rows, then four times as many each round, until ``enough`` match (what the
    screen orders: 巩义市 万家超市, one of thousands, stops after the first PROBE rows)."""
    phones = any(b.how == "phone" or b.value[:1] == "p" for c in untested
                 for b in c.branches)
    ids = list(ranks)[:PROBE if cap is None else cap]
    kept: dict[str, list] = {}
    start, step = 0, PROBE
    while start < len(ids) and len(kept) < enough:
        rows = conn.execute(_ROWS if phones else _ROWS_NO_PHONES,
                            {"ids": json.dumps(ids[start:start + step])})
        start, step = start + step, step * 4
        for values in rows:
            row = dict(zip(_ROW_NAMES, values))
            row["phones"] = (row["phones"] or "").split()
            tested = [_best_test(clue, row) for clue in untested]
            if all(tested):
                kept[row["id"]] = [*ranks[row["id"]], *tested]
    return kept


def _narrowest(conn: sqlite3.Connection, order: list[tuple]) -> clues.Clue | None:
    """Every clue broad: the one with the fewest index entries when they are at most
    WIDE (counted from covering indexes, no row read), else None."""
    best, fewest = None, WIDE + 1
    for tested_only, _, clue, _ in order:
        if tested_only:
            continue
        # 张伟 is inside the range of names that start with 张伟: counted once
        ranges = {(b.how, b.value) for b in clue.branches if b.how in _RANGES.values()}
        n = sum(count(conn, b, fewest) for b in clue.branches
                if b.seeds and (_RANGES.get(b.how), b.value) not in ranges)
        if n < fewest:
            best, fewest = clue, n
    return best


def intersect(conn: sqlite3.Connection, found: list[clues.Clue], enough: int = PROBE
              ) -> dict[str, tuple[int, str]]:
    """Customers every clue matches, as customer_id -> (rank, kinds joined by "+");
    rows are tested until ``enough`` match (the caller's pool; PROBE at most)."""
    enough = min(enough, PROBE)
    district = _district_seed(conn, found)
    if district is not None and len(found) == 2:
        # The index matched both clues: rank by the name alone, no rows read.
        name_clue = next(c for c in found if not any(b.how == "district" for b in c.branches))
        return {cid: (LOOSE * 100 + LOOSE + (EXACT_NAME if name == name_clue.text
                                             else PARTIAL), "name+district")
                for cid, name in district}
    if district is not None:  # the customers of that district and name: test them all
        ranks: dict[str, list] = {cid: [] for cid, _ in district}
        seq, untested = [], found
    else:
        order = []
        for clue in found:
            sizes = _sizes(conn, clue)
            total = sum(sizes.values())
            # A clue only a test can decide (a district: no index) cannot start the
            # search, nor can its index branches when they found nobody (岳麓区 is no name).
            tested_only = not total and not all(b.seeds for b in clue.branches)
            order.append((tested_only, total, clue, sizes))
        order.sort(key=lambda p: (p[0], p[1]))
        if order[0][0]:
            return {}  # no clue can be looked up (districts only): nothing to start from
        if order[0][1] > PROBE and (both := _broad(conn, [(c, s) for t, _, c, s in order
                                                         if not t], enough)) is not None:
            ranks, seq, untested = both
            untested += [c for t, _, c, _ in order if t]
        elif order[0][1] > PROBE and (narrow := _narrowest(conn, order)) is not None:
            # Its first PROBE customers tested first (as fast as before: most queries
            # stop there), then the rest of it when too few of those matched.
            others = [c for _, _, c, _ in order if c is not narrow]
            head = candidates(conn, narrow, PROBE)[0]
            ranks = _test_rows(conn, {cid: [r] for cid, r in head.items()}, others, PROBE,
                               enough)
            if len(ranks) < enough:
                rest = {cid: [r] for cid, r in candidates(conn, narrow, WIDE)[0].items()
                        if cid not in head}
                ranks.update(_test_rows(conn, rest, others, WIDE, enough - len(ranks)))
            seq, untested = [narrow, *others], []
        else:
            start = order[0][2]
            if order[0][1] > PROBE:  # broad clues a row must decide: start from the one
                # whose best branches hold the fewest (张伟's exact names, not 鑫林嘉园's
                # addresses), as their first PROBE customers are the best matches
                read = {id(c): candidates(conn, c, PROBE)[0] for t, _, c, _ in order if not t}
                start = min((c for t, _, c, _ in order if not t),
                            key=lambda c: sum(r for r, _ in read[id(c)].values()))
                order = [p for p in order if p[2] is not start]
                order.insert(0, (False, 0, start, {}))
                best = read[id(start)]
            else:
                best, _ = candidates(conn, start, PROBE)
            ranks = {cid: [r] for cid, r in best.items()}
            seq, untested = [start], []
            for _, total, clue, _ in order[1:]:
                if 0 < total <= PROBE:  # every customer of this clue is cheap to know
                    other, _ = candidates(conn, clue, PROBE)
                    ranks = {cid: [*r, other[cid]] for cid, r in ranks.items()
                             if cid in other}
                    seq.append(clue)
                else:
                    untested.append(clue)
    if untested and ranks:
        ranks = _test_rows(conn, ranks, untested, enough=enough)
    # Worst clue first (a match is as good as its weakest clue), then the sum; the kinds
    # in the order the clues were said. A broad pair may leave thousands: the best PROBE.
    said = sorted(range(len(found)), key=lambda n: found.index([*seq, *untested][n]))
    out = {cid: (max(r for r, _ in parts) * 100 + sum(r for r, _ in parts),
                 "+".join(dict.fromkeys(parts[n][1] for n in said)))
           for cid, parts in ranks.items()}
    if len(out) > PROBE:
        out = dict(sorted(out.items(), key=lambda item: (item[1][0], item[0]))[:PROBE])
    return out
