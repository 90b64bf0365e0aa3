"""Pulled customers applied set-based (no textual import): the batch is staged in
temporary tables and compared with the desk's rows in SQL, so only what changed is
written, and only the customers whose name, address, numbers or phones changed get their
lookup keys recomputed (pinyin, in Python) and their phones rewritten.

Why in SQL: a centre's monthly billing file changes every customer's arrears. Reading
each old row and phone into Python to compare it, then updating it row by row, was most
of an incremental pull (issue 21: 19,000 entries/s at 50,000), and each row crossed into
Python while the next batch was being fetched on another thread."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import TYPE_CHECKING

import sqlalchemy as sa

from agentdesk.core import search_keys
from agentdesk.sync import codec

if TYPE_CHECKING:
    import sqlite3

    from agentdesk.sync.central.changes import Pulled

REKEY_ALL = False  # every pulled customer's keys recomputed, as before: bench pull's baseline

_P = "temp.pulled_customer"
_PH = "temp.pulled_phone"
_D = "temp.pulled_diff"  # the pulled customers that differ from this desk's, and how
_DIFF = ("id", "new", "moved", "keyed", "indexed")


def apply(conn: sa.Connection, changes: list[Pulled], exact_keys: bool) -> None:
    """Upsert the pulled customers (rows in the desk's column order) with their phones.
    ``exact_keys``: their keys are replaced whole (after a first sync's snapshot), not
    by difference."""
    if not changes:
        return
    raw = conn.connection.dbapi_connection
    cols, pcols = codec.columns("customer"), codec.columns("customer_phone")
    ids = [c.row_id for c in changes]
    batch = set(ids)
    indexed = _indexed()
    _stage(raw, cols, pcols, changes, indexed)
    new, moved, changed = set(), set(), set()
    for cid, absent, account in raw.execute(
            f"SELECT id, new, moved FROM {_D} WHERE new OR keyed"):
        (new if absent else changed).add(cid)
        if absent or account:
            moved.add(cid)
    # only a new id, or an account number that changed, can meet a local customer's
    if moved:
        gone = _give_way(conn, [c.row for c in changes if c.row_id in moved], batch) & batch
        if gone:  # one of this batch's own went: written again as new
            new |= gone
            changed -= gone
            raw.execute(f"UPDATE {_D} SET new = 1 WHERE id IN (SELECT value FROM json_each(?))",
                        (json.dumps(sorted(gone)),))
    rephone = _differ(raw, pcols)
    if exact_keys:
        present = [cid for cid in ids if cid not in new]
        if present:  # one pass over the key table (no index by customer), once a sync
            raw.execute("DELETE FROM customer_key WHERE customer_id IN "
                        "(SELECT key_ref(value) FROM json_each(?))", (json.dumps(present),))
        rekey, stale = ids, set()
    else:
        wanted = new | changed | _numbers_changed(raw, rephone - new)
        rekey = ids if REKEY_ALL else [cid for cid in ids if cid in wanted]
        stale = search_keys.current(raw, [cid for cid in rekey if cid not in new])
    _write(raw, cols, indexed)
    if rephone:
        listed = json.dumps(sorted(rephone))
        raw.execute("DELETE FROM customer_phone WHERE customer_id IN "
                    "(SELECT value FROM json_each(?))", (listed,))
        raw.execute(f"INSERT OR REPLACE INTO customer_phone ({', '.join(pcols)}) "
                    f"SELECT {', '.join(pcols)} FROM {_PH} WHERE customer_id IN "
                    "(SELECT value FROM json_each(?)) ORDER BY customer_id, position, id",
                    (listed,))
    search_keys.refresh(raw, rekey, stale)
    for table in (_P, _PH, _D):  # the batch is not kept in the connection's temp store
        raw.execute(f"DELETE FROM {table}")


def _stage(raw: sqlite3.Connection, cols: list[str], pcols: list[str],
           changes: list[Pulled], indexed: frozenset[str]) -> None:
    # emptied for each batch, made anew only when the columns differ (a migration between
    # two pulls may have added one): a schema change makes SQLite prepare every statement
    # again, and a refused batch is applied again change by change
    for name, names, extra in (("pulled_customer", cols, ", PRIMARY KEY (id)"),
                               ("pulled_phone", pcols, ""),
                               ("pulled_diff", _DIFF, "")):
        have = [c for (c,) in raw.execute("SELECT name FROM pragma_table_info(?, 'temp')",
                                          (name,))]
        if have == list(names):
            raw.execute(f"DELETE FROM temp.{name}")
        else:
            raw.execute(f"DROP TABLE IF EXISTS temp.{name}")
            raw.execute(f"CREATE TEMP TABLE {name} ({', '.join(names)}{extra})")
    raw.executemany(f"INSERT INTO {_P} VALUES ({', '.join('?' * len(cols))})",
                    [c.row for c in changes])
    raw.executemany(f"INSERT INTO {_PH} VALUES ({', '.join('?' * len(pcols))})",
                    [p for c in changes for p in c.phones or ()])
    keyed = search_keys.KEYED_COLUMNS

    def differ(names: list[str] | tuple[str, ...]) -> str:
        return f"({_row('c', names)}) IS NOT ({_row('p', names)})"

    # LEFT JOIN: the pulled rows outer, each desk row found by its id (never a scan)
    raw.execute(f"INSERT INTO {_D} ({', '.join(_DIFF)}) SELECT p.id, c.id IS NULL, "
                f"c.account_no IS NOT p.account_no, {differ(keyed)}, "
                f"{differ([c for c in cols[1:] if c in indexed])} "
                f"FROM {_P} p LEFT JOIN customer c ON c.id = p.id "
                f"WHERE c.id IS NULL OR {differ(cols[1:])}")


def _differ(raw: sqlite3.Connection, pcols: list[str]) -> set[str]:
    """The pulled customers whose phone rows differ from this desk's (compared whole, as
    sets: the order is a column). A row on one side only is there once: a phone's id is
    its primary key on both sides, so no row is twice on one (one GROUP BY is half the
    cost of two EXCEPTs). CROSS JOIN: the pulled customers outer, their phones here found
    by the customer index (the planner would scan every phone)."""
    mine = (f"SELECT {_row('ph', pcols)} FROM {_P} p "
            f"CROSS JOIN customer_phone ph ON ph.customer_id = p.id")
    theirs = f"SELECT {_row('pp', pcols)} FROM {_PH} pp"
    return {cid for (cid,) in raw.execute(
        f"SELECT customer_id FROM ({theirs} UNION ALL {mine}) "
        f"GROUP BY {', '.join(pcols)} HAVING count(*) = 1")}


def _numbers_changed(raw: sqlite3.Connection, ids: set[str]) -> set[str]:
    """Of these customers (phone rows changed), those whose numbers changed: their phone
    keys must be made again; a new phone id or kind alone changes no key."""
    if not ids:
        return set()
    listed = json.dumps(sorted(ids))
    numbers: dict[tuple[str, str], set[str]] = {}
    for side, sql in (("mine", "customer_phone"), ("theirs", _PH)):
        for cid, e164 in raw.execute(f"SELECT customer_id, e164 FROM {sql} WHERE customer_id "
                                     "IN (SELECT value FROM json_each(?))", (listed,)):
            numbers.setdefault((side, cid), set()).add(e164)
    return {cid for cid in ids
            if numbers.get(("mine", cid), set()) != numbers.get(("theirs", cid), set())}


def _write(raw: sqlite3.Connection, cols: list[str], indexed: frozenset[str]) -> None:
    """Changed customers updated, new ones inserted. A row whose indexed columns are as
    they were is updated in its other columns only: SQLite rewrites an index entry for
    every indexed column a SET names, whatever its value (an arrears edit would rewrite
    the name, address and account indexes of every customer). ``id IN (...)``: each row
    found by its id (UPDATE ... FROM let the planner scan the whole customer table)."""
    plain = [c for c in cols[1:] if c not in indexed]
    for names, which in ((plain, "NOT indexed"), (cols[1:], "indexed")):
        raw.execute(f"UPDATE customer SET ({', '.join(names)}) = (SELECT {_row('p', names)} "
                    f"FROM {_P} p WHERE p.id = customer.id) WHERE id IN "
                    f"(SELECT id FROM {_D} WHERE NOT new AND {which})")
    raw.execute(f"INSERT INTO customer ({', '.join(cols)}) SELECT {_row('p', cols)} "
                f"FROM {_D} d CROSS JOIN {_P} p ON p.id = d.id WHERE d.new")


@cache
def _indexed() -> frozenset[str]:
    """The customer columns an index or a unique constraint holds, or a partial index's
    condition reads (the model's; migrations give every desk that schema)."""
    table = codec.table("customer")
    found = {c.name for c in table.primary_key.columns}
    found.update(c.name for con in table.constraints if isinstance(con, sa.UniqueConstraint)
                 for c in con.columns)
    for index in table.indexes:
        found.update(c.name for c in index.columns)
        where = index.dialect_options["sqlite"].get("where")
        if where is not None:
            found.update(w for w in re.findall(r"\w+", str(where)) if w in table.columns)
    return frozenset(found)


def _row(alias: str, columns: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"{alias}.{c}" for c in columns)


def _give_way(conn: sa.Connection, rows: list[tuple], batch: set[str]) -> set[str]:
    """The centre's identity wins: a local customer with the same account number under
    another id (made on this desk before it synced) gives way, its references re-pointed.
    One that is itself in the ``batch`` (its account number moved on at the centre) only
    clears the way: it is written again, its tickets and contacts still its own.
    Returns the ids that went."""
    account = codec.columns("customer").index("account_no")
    accounts = {r[account]: r[0] for r in rows}
    gone = set()
    for local_id, number in conn.exec_driver_sql(
            "SELECT id, account_no FROM customer WHERE account_no IN "
            "(SELECT value FROM json_each(?))", (json.dumps(list(accounts)),)).fetchall():
        if accounts[number] != local_id:
            for table in ("ticket", "contact") if local_id not in batch else ():
                conn.exec_driver_sql(f"UPDATE {table} SET customer_id = ? WHERE "
                                     "customer_id = ?", (accounts[number], local_id))
            conn.exec_driver_sql("DELETE FROM customer_key WHERE customer_id = key_ref(?)",
                                 (local_id,))
            conn.exec_driver_sql("DELETE FROM customer_phone WHERE customer_id = ?",
                                 (local_id,))
            conn.exec_driver_sql("DELETE FROM customer WHERE id = ?", (local_id,))
            gone.add(local_id)
    return gone
