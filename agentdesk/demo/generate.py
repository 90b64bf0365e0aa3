"""Deterministic demo data: customers, phones, agents, tickets, notices, incidents.

The same seed (and the same ``AGENTDESK_NOW``) gives the same database, byte for byte in
every row: all randomness comes from ``random.Random`` streams derived from the seed, and
ids are uuid7-shaped strings built from those streams (:func:`uuid7_text`), never from the
clock. Word lists and weights live in :mod:`db.demo_data`.

Schemes:

* Customer ids: uuid7 whose time is the customer's ``created_at``; customers are spread
  over a fixed span (2008-2025) in account order, so ids, account numbers and creation
  times all increase together and inserts append to the B-trees.
* Account numbers (户号): 10 digits, utility prefix (water ``31``, power ``41``) +
  2-digit district code + 6-digit serial per (utility, district), increasing with gaps.
* Tickets are timed relative to :func:`agentdesk.core.clock.now`; their ids carry their
  ``created_at``, their numbers are ``GD`` + local date + 5-digit daily serial.

Caller-lookup keys (``customer_key``) are filled here too (:func:`insert_lookup_keys`; a
test checks they equal :func:`agentdesk.core.search_keys.customer_keys`).

Speed: rows are plain tuples inserted with ``executemany`` on one raw sqlite3 connection,
in one transaction (a crash leaves the desk as it was, indexes included), with a rollback
journal instead of WAL for that transaction when no other connection is open. The
secondary indexes of the bulk tables are dropped inside the transaction and rebuilt at the
end: building an index by sorting is faster than keeping it up to date row by row, and
leaves it packed (smaller file).

The parts, by job: :mod:`.places` (ids, picks, places, scenarios), :mod:`.customers`
(customers, phones, lookup keys, agents), :mod:`.tickets` (tickets, contacts, events,
notices, incidents); this module is the batch writer around them (one transaction, the
journal, the indexes).
"""

from __future__ import annotations

import random
import sqlite3
import time
from dataclasses import dataclass

from agentdesk.core.i18n import t
from agentdesk.core import clock
from agentdesk.core.store import Store
from agentdesk.demo import words as D
from agentdesk.demo.customers import insert_agents, insert_customers, insert_lookup_keys
from agentdesk.demo.places import (BULK_TABLES, Progress, build_places, plan_scenarios,
                                   uuid7_text)
from agentdesk.demo.tickets import insert_notices_and_tickets

__all__ = ["DemoSummary", "fill_if_empty", "generate", "is_empty", "uuid7_text"]


@dataclass(frozen=True)
class DemoSummary:
    customers: int
    phones: int
    tickets: int
    events: int
    notices: int
    incidents: int
    agents: int
    seconds: float

# --- the whole fill --------------------------------------------------------------------

def _secondary_indexes(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(name, CREATE INDEX sql) of the bulk tables' own indexes (not the automatic ones
    behind PRIMARY KEY / UNIQUE, which have no sql and cannot be dropped)."""
    marks = ",".join("?" * len(BULK_TABLES))
    return conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks}) ORDER BY name", BULK_TABLES).fetchall()


def _journal(conn: sqlite3.Connection, mode: str) -> str:
    try:
        return conn.execute(f"PRAGMA journal_mode = {mode}").fetchone()[0]
    except sqlite3.OperationalError:  # "database is locked": another connection is open
        return ""


def _count(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def generate(store: Store, customers: int, tickets: int, seed: int,
             progress: Progress | None = None) -> DemoSummary:
    """Fill an empty desk database with demo data; same seed, same data."""
    if customers < 0 or tickets < 0:
        raise ValueError(t("msg.demo.generate.customers_and_tickets_must"))
    began = time.perf_counter()
    root = random.Random(seed)
    # Independent streams, so that e.g. the ticket count does not change the customers.
    rng_places, rng_scen, rng_cust, rng_agents, rng_tickets = (
        random.Random(root.getrandbits(64)) for _ in range(5))
    now = clock.now()

    places, weights = build_places(rng_places)
    scenarios, pins = plan_scenarios(rng_scen, places, customers)
    incident_calls = sum(len(s.pinned) for s in scenarios
                         if "incident" in s.spec or "calls" in s.spec)
    picks: list[int | None] = [
        None if not customers or rng_tickets.random() < D.NO_CUSTOMER_SHARE
        else rng_tickets.randrange(customers)
        for _ in range(max(0, tickets - incident_calls))]
    wanted = {i for i in picks if i is not None}
    wanted.update(i for s in scenarios for i in s.pinned)

    store.engine.dispose()  # idle pooled connections would block the journal switch below
    conn = store.raw()
    conn.isolation_level = None  # explicit BEGIN/COMMIT, DDL included
    try:
        # The data is consistent by construction: skip per-row foreign-key lookups, and
        # let the OS flush (a crash before COMMIT loses the whole fill, nothing else).
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        # Bounded memory at any size (issue 21, item 3): the big sorts (indexes, lookup
        # keys) spill to temporary files past a 32 MiB cache, on one thread (each sorter
        # thread holds a cache of its own), and the file is read, not memory-mapped (the
        # store's 2 GiB mmap made every page read count as resident: 1.76 GB at 1,000,000).
        conn.execute("PRAGMA cache_size = -32768")  # 32 MiB
        conn.execute("PRAGMA temp_store = FILE")
        conn.execute("PRAGMA threads = 0")
        conn.execute("PRAGMA mmap_size = 0")
        # WAL would write every page twice (log, then checkpoint); a rollback journal holds
        # only the few pages that existed, and still undoes the fill after a crash. Not
        # possible while another connection is open: then WAL it is.
        wal = _journal(conn, "delete") != "delete"
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT EXISTS(SELECT 1 FROM customer) OR "
                            "EXISTS(SELECT 1 FROM ticket)").fetchone()[0]:
                raise ValueError(t("msg.demo.generate.demo_data_needs_an", path=store.path))
            indexes = _secondary_indexes(conn)
            for name, _sql in indexes:
                conn.execute(f'DROP INDEX "{name}"')
            agents = insert_agents(conn, rng_agents)
            phones, info = insert_customers(conn, rng_cust, customers, places, weights, pins,
                                            wanted, progress)
            for n, (_name, sql) in enumerate(indexes):
                if progress:
                    progress("indexes", n, len(indexes))
                conn.execute(sql)
            if progress:
                progress("indexes", len(indexes), len(indexes))
            insert_lookup_keys(conn, progress)
            n_tickets, n_events, n_notices, n_incidents = insert_notices_and_tickets(
                conn, rng_tickets, now, scenarios, picks, info, agents, tickets, progress)
            n_agents = _count(conn, "agent")
            # Demo data never leaves the desk: a sync refuses to register this desk.
            conn.execute("INSERT OR REPLACE INTO sync_meta (key, value) VALUES ('demo', ?)",
                         (str(seed),))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")  # the dropped indexes come back with everything else
            raise
        if wal:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        _journal(conn, "wal")
        conn.close()
    return DemoSummary(customers, phones, n_tickets, n_events, n_notices, n_incidents,
                       n_agents, round(time.perf_counter() - began, 2))


def is_empty(store: Store) -> bool:
    """True when the desk has no customers (a new desk, or one never filled)."""
    conn = store.raw()
    try:
        return not conn.execute("SELECT EXISTS(SELECT 1 FROM customer)").fetchone()[0]
    finally:
        conn.close()


def fill_if_empty(store: Store, customers: int = 2000, tickets: int = 300, seed: int = 1,
                  progress: Progress | None = None) -> DemoSummary | None:
    """Demo data for a desk without customers; None when it already has some."""
    if not is_empty(store):
        return None
    return generate(store, customers, tickets, seed, progress)
