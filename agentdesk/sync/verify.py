"""``agentdesk sync --verify [--repair]`` (no textual import): is this desk the centre's copy?

Cheap on a 1,000,000-customer desk: every shared table is split into key ranges by the
last two characters of its key (ids are uuid7, whose tail is random: 256 even ranges),
and each side sums a 40-bit slice of every row's md5 per range, with a count.
PostgreSQL computes its sums itself (256 numbers cross the network, not the rows); the
desk, and a SQLite centre, hash in Python. Only a range whose count or sum differs is
then read row by row from both sides. A row is hashed in the desk's storage form (the
form a pull writes: UTC text, ISO dates, 0/1), so both sides hash the same text.

Not a difference: a row with a change on its way (in this desk's outbox, or in the
centre's log after this desk's cursor: the next sync brings it), and a row that never
travels up which the centre does not have (customers of the desk's own file that no
ticket or contact names, its own KB articles and notices: see :mod:`.outbox`).

Repair (:func:`repair`): the centre is the reference. A row it has that the desk lacks or
holds differently is fetched again and applied as a pull applies it (a constraint that
refuses it sets it aside in ``sync_quarantine``). A row of an entity desks author that
only the desk has (a push that never arrived) is put in the outbox again, never dropped.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa

from agentdesk.sync import codec

if TYPE_CHECKING:
    import sqlite3

    from agentdesk.core.store import Store
    from agentdesk.sync.central import Central

# The tables every desk holds a copy of (the centre's audit log stays there).
SHARED = ("agent", "agent_status", "customer", "customer_phone", "contact", "incident", "notice",
          "notice_event", "kb_article", "ticket", "ticket_event", "ticket_article",
          "central_setting", "outreach_call", "outreach_event")
# Entities desks author: a row only a desk has was meant to reach the centre.
UP = frozenset({"agent", "agent_status", "customer", "customer_phone", "contact", "incident",
                "notice",
                "notice_event", "ticket",
                "ticket_event", "ticket_article", "outreach_call", "outreach_event"})
# The row a change of this one travels with (a phone with its customer).
OWNER = {"customer_phone": "customer_id", "ticket_event": "ticket_id",
         "ticket_article": "ticket_id"}
NULL, SEP = "\\N", "\x1f"
SUMS_TIMEOUT_S = 300.0  # one table's sums at the centre (10,000,000 rows: about a minute)
LISTED = 10000  # differences --json lists; the rest are counted


def key_expr(entity: str) -> str:
    if entity == "ticket_article":
        return "x.ticket_id || '/' || x.article_id"  # its change-log row id
    return f"x.{codec.key(entity)}"


def row_hash(values: Iterable[object]) -> int:
    """The first 40 bits of the md5 of the row's text: each column as text, NULL as
    \\N, 0x1f between (what :func:`_sqlite_text` and :func:`_pg_text` build in SQL)."""
    return _hash(SEP.join(NULL if v is None else str(v) for v in values).encode())


def _hash(text: bytes) -> int:
    return int.from_bytes(hashlib.md5(text).digest()[:5], "big")


@dataclass
class Difference:
    entity: str
    row_id: str
    where: str  # "desk": only on this desk; "centre": only there; "differs"
    owner: str | None = None  # the customer of a phone, the ticket of an event

    def as_json(self) -> dict:
        return {"entity": self.entity, "row_id": self.row_id, "where": self.where}


@dataclass
class TableCheck:
    entity: str
    desk: int = 0  # rows
    centre: int = 0
    ranges: int = 0  # key ranges either side has
    differing: int = 0  # ranges whose count or checksum differ
    in_flight: int = 0  # rows differing only because a change is on its way
    local: int = 0  # rows only this desk has, that never travel up
    outside: int = 0  # a partial desk: the centre's customers of other districts


@dataclass
class Verdict:
    tables: list[TableCheck] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)  # all of them
    seconds: float = 0.0
    repaired: dict[str, int] | None = None

    @property
    def equal(self) -> bool:
        return not self.differences

    def as_json(self) -> dict:
        return {"equal": self.equal, "seconds": round(self.seconds, 3),
                "tables": {t.entity: {"desk": t.desk, "centre": t.centre, "ranges": t.ranges,
                                      "differing_ranges": t.differing,
                                      "in_flight": t.in_flight, "local": t.local,
                                      "outside": t.outside}
                           for t in self.tables},
                "differences": [d.as_json() for d in self.differences[:LISTED]],
                "more_differences": max(0, len(self.differences) - LISTED),
                "repaired": self.repaired}


# --- the two sides -------------------------------------------------------------------


def _sqlite_text(exprs: list[str]) -> str:
    """The row's text built by SQLite, as bytes (UTF-8: nothing decoded into Python and
    encoded again; twice as fast as joining the values in Python). ``||`` writes an
    integer as PostgreSQL's ``::text`` does; the shared tables have no REAL column."""
    return "CAST(" + " || char(31) || ".join(f"coalesce({e}, '{NULL}')" for e in exprs) \
        + " AS BLOB)"


def _sqlite_sums(raw: sqlite3.Connection, entity: str, exprs: list[str]) -> dict:
    sums: dict[str, list[int]] = {}
    cur = raw.execute(f"SELECT substr({key_expr(entity)}, -2), {_sqlite_text(exprs)} "
                      f"FROM {entity} x")
    while rows := cur.fetchmany(10000):
        for bucket, text in rows:
            h = _hash(text)
            s = sums.get(bucket)
            if s is None:
                sums[bucket] = [1, h]
            else:
                s[0] += 1
                s[1] += h
    return {b: tuple(s) for b, s in sums.items()}


def _sqlite_rows(raw: sqlite3.Connection, entity: str, exprs: list[str],
                 ranges: list[str]) -> dict[str, tuple[int, str | None]]:
    owner = f"x.{OWNER[entity]}" if entity in OWNER else "NULL"
    key = key_expr(entity)
    cur = raw.execute(f"SELECT {key}, {owner}, {_sqlite_text(exprs)} FROM {entity} x "
                      f"WHERE substr({key}, -2) IN (SELECT value FROM json_each(?))",
                      (json.dumps(ranges),))
    return {k: (_hash(text), o) for k, o, text in cur}


def _pg_text(exprs: list[str]) -> str:
    return " || chr(31) || ".join(f"coalesce(({e})::text, '{NULL}')" for e in exprs)


def _pg_hash(exprs: list[str]) -> str:
    return f"('x' || substr(md5({_pg_text(exprs)}), 1, 10))::bit(40)::bigint"


class Sides:
    """The desk's and the centre's counts, checksums and row hashes of one table."""

    def __init__(self, store: Store, central: Central) -> None:
        from agentdesk.sync.bookkeeping import meta

        self.store, self.central = store, central
        self.desk_exprs = {e: [f"x.{c}" for c in codec.columns(e)] for e in SHARED}
        # Read before any row: whatever the centre logs after it (another desk's change,
        # or this desk's own, pushed by its app while we compare) is on its way.
        with store.engine.connect() as conn:
            self.cursor = int(meta(conn, "cursor") or 0)
            from agentdesk.sync.pull import scope_of

            self.scope = scope_of(conn)  # None: the desk holds the whole file

    def desk_sums(self, entity: str) -> dict:
        with self.store.engine.connect() as conn:
            return _sqlite_sums(conn.connection.dbapi_connection, entity,  # type: ignore
                                self.desk_exprs[entity])

    def desk_rows(self, entity: str, ranges: list[str]) -> dict:
        with self.store.engine.connect() as conn:
            return _sqlite_rows(conn.connection.dbapi_connection, entity,  # type: ignore
                                self.desk_exprs[entity], ranges)

    def centre_sums(self, entity: str) -> dict:
        exprs = self.central.desk_exprs(entity)
        with self.central.reading(SUMS_TIMEOUT_S) as conn:
            if self.central.dialect != "postgresql":
                return _sqlite_sums(conn.connection.dbapi_connection, entity, exprs)  # type: ignore
            # One statement reads the whole table (about 1 s per 200,000 customers): more
            # than the session's 15 s is allowed on a big centre, in this transaction only.
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = '{SUMS_TIMEOUT_S:.0f}s'")
            return {b: (int(n), int(s)) for b, n, s in conn.exec_driver_sql(
                f"SELECT right({key_expr(entity)}, 2), count(*), sum({_pg_hash(exprs)}) "
                f"FROM {entity} x GROUP BY 1")}

    def centre_rows(self, entity: str, ranges: list[str]) -> dict:
        exprs = self.central.desk_exprs(entity)
        with self.central.reading() as conn:
            if self.central.dialect != "postgresql":
                return _sqlite_rows(conn.connection.dbapi_connection, entity, exprs,  # type: ignore
                                    ranges)
            owner = f"x.{OWNER[entity]}" if entity in OWNER else "NULL"
            key = key_expr(entity)
            return {k: (int(h), o) for k, o, h in conn.exec_driver_sql(
                f"SELECT {key}, {owner}, {_pg_hash(exprs)} FROM {entity} x "
                f"WHERE right({key}, 2) = ANY(%(r)s)", {"r": ranges})}

    # --- what is on its way ---------------------------------------------------------

    def in_flight(self) -> set[tuple[str, str]]:
        """(entity, row id) of every change on its way: this desk's outbox, and the
        centre's log after the desk's cursor as it was when the comparison began. Read
        after the rows were compared, so a change made meanwhile is covered."""
        found: set[tuple[str, str]] = set()
        with self.store.engine.connect() as conn:
            for entity, row_id, payload in conn.exec_driver_sql(
                    "SELECT entity, row_id, payload FROM sync_outbox"):
                found.add((entity, row_id))
                if entity == "ticket_event":  # the desk's ticket shows its own events
                    found.add(("ticket", json.loads(payload).get("ticket_id")))
                elif entity == "outreach_event":  # and a call its own results
                    found.add(("outreach_call", json.loads(payload).get("call_id")))
        with self.central.reading() as conn:
            found.update((e, r) for e, r in conn.exec_driver_sql(self.central.sql(
                "SELECT entity, row_id FROM change_log WHERE seq > @c"), {"c": self.cursor}))
        return found

    def centre_districts(self, ids: list[str]) -> dict[str, str]:
        """The district of each of these centre customers."""
        customer = codec.table("customer")
        found: dict[str, str] = {}
        with self.central.reading() as conn:
            for start in range(0, len(ids), 5000):
                found.update(conn.execute(
                    sa.select(customer.c.id, customer.c.district)
                    .where(customer.c.id.in_(ids[start:start + 5000]))).all())
        return found

    def named_customers(self, ids: list[str]) -> set[str]:
        """Which of these desk customers a ticket or contact on the desk names."""
        with self.store.engine.connect() as conn:
            return {c for (c,) in conn.exec_driver_sql(
                "SELECT customer_id FROM ticket WHERE customer_id IN (SELECT value FROM "
                "json_each(?1)) UNION SELECT customer_id FROM contact WHERE customer_id IN "
                "(SELECT value FROM json_each(?1))", (json.dumps(ids),))}


def verify(store: Store, central: Central) -> Verdict:
    """Compare every shared table of the desk with the centre's."""
    began = time.perf_counter()
    sides, verdict = Sides(store, central), Verdict()
    # The centre sums while the desk does, and the desk's two big tables at once (SQLite
    # builds a row's text without the GIL while the other thread hashes).
    with ThreadPoolExecutor(max_workers=1) as far, ThreadPoolExecutor(max_workers=2) as near:
        centre_sums = {e: far.submit(sides.centre_sums, e) for e in SHARED}
        mine = {e: near.submit(sides.desk_sums, e) for e in SHARED}
        desk_sums = {e: f.result() for e, f in mine.items()}
        centre = {e: f.result() for e, f in centre_sums.items()}
    candidates: list[tuple[TableCheck, dict, dict]] = []
    for entity in SHARED:
        mine, theirs = desk_sums[entity], centre[entity]
        check = TableCheck(entity, desk=sum(n for n, _ in mine.values()),
                           centre=sum(n for n, _ in theirs.values()),
                           ranges=len(mine.keys() | theirs.keys()))
        verdict.tables.append(check)
        ranges = sorted(b for b in mine.keys() | theirs.keys() if mine.get(b) != theirs.get(b))
        check.differing = len(ranges)
        if ranges:
            candidates.append((check, sides.desk_rows(entity, ranges),
                               sides.centre_rows(entity, ranges)))
    if not candidates:
        verdict.seconds = time.perf_counter() - began
        return verdict
    flying = sides.in_flight()
    found: list[Difference] = []
    for check, mine, theirs in candidates:
        entity = check.entity
        for row_id in sorted(mine.keys() | theirs.keys()):
            here, there = mine.get(row_id), theirs.get(row_id)
            if here is not None and there is not None and here[0] == there[0]:
                continue
            owner = (here or there)[1]  # type: ignore[index]
            if (entity, row_id) in flying or (entity == "customer_phone"
                                              and ("customer", owner) in flying):
                check.in_flight += 1
                continue
            where = "differs" if here and there else "desk" if here else "centre"
            found.append(Difference(entity, row_id, where, owner))
    if sides.scope is not None:
        found = _set_outside_aside(sides, verdict, found)
    _set_local_aside(sides, verdict, found)
    verdict.seconds = time.perf_counter() - began
    return verdict


def _set_outside_aside(sides: Sides, verdict: Verdict, found: list[Difference]
                       ) -> list[Difference]:
    """A partial desk holds only its districts (``sync_scope``): the customers (and their
    phones) only the centre has, in other districts, are not differences, and a repair
    must not copy them here."""
    def customer_of(d: Difference) -> str | None:
        return d.row_id if d.entity == "customer" else d.owner

    theirs = [d for d in found if d.where == "centre"
              and d.entity in ("customer", "customer_phone")]
    districts = sides.centre_districts(sorted({c for d in theirs if (c := customer_of(d))}))
    checks = {t.entity: t for t in verdict.tables}
    only_there = {id(d) for d in theirs}
    kept = []
    for d in found:
        if id(d) in only_there and districts.get(customer_of(d) or "") not in sides.scope:
            checks[d.entity].outside += 1
        else:
            kept.append(d)
    return kept


def _set_local_aside(sides: Sides, verdict: Verdict, found: list[Difference]) -> None:
    """Rows only this desk has that never travel up are the desk's own, not differences:
    centre-authored entities, and customers (with their phones) nothing here names."""
    checks = {t.entity: t for t in verdict.tables}
    desk_only = {d.row_id for d in found if d.entity == "customer" and d.where == "desk"}
    centre_has = {d.owner for d in found if d.entity == "customer_phone"
                  and d.where != "desk"}
    unnamed = desk_only - sides.named_customers(sorted(desk_only))
    for d in found:
        local = d.where == "desk" and (
            d.entity not in UP
            or (d.entity == "customer" and d.row_id in unnamed)
            or (d.entity == "customer_phone" and d.owner in unnamed
                and d.owner not in centre_has))
        if local:
            checks[d.entity].local += 1
        else:
            verdict.differences.append(d)
