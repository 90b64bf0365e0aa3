"""A new desk's first sync (no textual import): from the centre's seed file when it may,
else a bulk copy of the centre's customers, phones and lookup keys that resumes where it
stopped; the next batch is fetched while this one is written (:func:`prefetched`)."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from agentdesk.sync import codec
from agentdesk.sync.bookkeeping import Progress, SyncReport, meta, set_meta, writing

if TYPE_CHECKING:
    from agentdesk.core.store import Store
    from agentdesk.sync.central import Central

SNAPSHOT_BATCH = 10000  # first sync: customers (with their phones) per fetch and transaction
KEY_BATCH = 50000  # first sync: lookup keys per fetch and desk transaction
PREFETCH = True  # fetch the next batch while this one is written (measured: ~10 % faster)


def copy_from_centre(store: Store, central: Central, report: SyncReport,
                     progress: Progress | None, hook: Callable[[str], None], batch: int,
                     key_batch: int, scope: frozenset[str] | None = None) -> int:
    """The first sync of an empty desk copies the centre's customers, phones and lookup
    keys (tables, not the change log: one row each however often it changed) in bulk:
    in id order, then the keys in key order (appends to the B-tree), one desk transaction
    per batch that also records how far it got, so an interrupted first sync resumes
    there. Secondary indexes go for the copy and come back in one pass at the end.

    ``snap_hi`` is the change-log seq read before the first batch: every row copied is at
    least as new as it, so the change-log pull that follows skips customer entries up to
    it and applies the later ones (with exact keys: a customer edited meanwhile may have
    been copied in one state and its keys in another). Returns ``snap_hi``.

    ``scope``: a partial desk keeps only these districts' customers (filtered here, as
    they come) and computes their keys itself (the centre's are for every customer)."""
    began = time.perf_counter()
    with store.engine.connect() as conn:
        hi = meta(conn, "snap_hi")
    if hi is None:
        hi = central.max_seq()
        with writing(store, bulk=True) as conn:
            _drop_indexes(conn)
            set_meta(conn, "snap_stage", "customers")
            set_meta(conn, "snap_after", "")
            set_meta(conn, "snap_hi", hi)  # last: the snapshot has begun
    with store.engine.connect() as conn:
        stage = meta(conn, "snap_stage")
        after = meta(conn, "snap_after") or ""
        # Counted as they come (a count(*) here would read the table through the memory
        # map: all of it would count as the desk's memory).
        done = int(meta(conn, "snap_done") or 0)
    ccols, pcols = codec.columns("customer"), codec.columns("customer_phone")
    put_customers = (f"INSERT OR REPLACE INTO customer ({', '.join(ccols)}) "
                     f"VALUES ({', '.join('?' * len(ccols))})")
    put_phones = (f"INSERT OR REPLACE INTO customer_phone ({', '.join(pcols)}) "
                  f"VALUES ({', '.join('?' * len(pcols))})")
    total = central.customer_count() if progress and stage == "customers" else 0
    batches = prefetched(lambda last: central.snapshot_customers(last, batch), after,
                          lambda got: len(got[0]) == batch, lambda got: got[0][-1][0])
    with closing(batches):  # the prefetch thread stops whatever happens
        while stage == "customers":
            hook("pull.before_fetch")
            rows, phones = next(batches)
            hook("pull.after_fetch")
            last = rows[-1][0] if rows else None
            full = len(rows) == batch
            if scope is not None:
                rows, phones = _within(rows, phones, scope)
            with writing(store, foreign_keys=False, bulk=True) as conn:
                raw = conn.connection.dbapi_connection
                raw.executemany(put_customers, rows)
                raw.executemany(put_phones, phones)
                hook("pull.mid_apply")
                if last is not None:
                    after = last
                    set_meta(conn, "snap_after", after)
                    set_meta(conn, "snap_done", done + len(rows))
                if not full:
                    stage = "keys"
                    set_meta(conn, "snap_stage", stage)
                hook("pull.before_local_commit")
            hook("pull.after_local_commit")
            report.pulled += len(rows)
            done += len(rows)
            del rows, phones
            if progress:
                progress("customers", done, max(total, done))
    if stage == "keys":
        report.phases["customers"] = time.perf_counter() - began
        _snapshot_keys(store, central, progress, hook, key_batch, report.phases,
                       scope is None)
    return int(hi)


def _within(rows: list[tuple], phones: list[tuple], scope: frozenset[str]
            ) -> tuple[list[tuple], list[tuple]]:
    district = codec.columns("customer").index("district")
    customer = codec.columns("customer_phone").index("customer_id")
    rows = [r for r in rows if r[district] in scope]
    kept = {r[0] for r in rows}
    return rows, [p for p in phones if p[customer] in kept]


def _snapshot_keys(store: Store, central: Central, progress: Progress | None,
                   hook: Callable[[str], None], batch: int, phases: dict[str, float],
                   copy: bool = True) -> None:
    """Lookup keys for the copied customers: the centre's (computed once there) when they
    follow this desk's key rules, else computed here; then the dropped indexes return."""
    from agentdesk.core import search_keys

    began = time.perf_counter()
    with store.engine.connect() as conn:
        after = json.loads(meta(conn, "snap_key_after") or "null")
        total = int(meta(conn, "snap_done") or 0)
    if copy and central.keys_version() == search_keys.version():
        done = 0
        batches = prefetched(lambda last: central.snapshot_keys(last, batch),
                              tuple(after) if after else None,
                              lambda got: len(got) == batch,
                              lambda got: (got[-1][0], got[-1][2]))
        with closing(batches):
            while True:
                hook("pull.before_fetch")
                keys = next(batches)
                hook("pull.after_fetch")
                with writing(store, foreign_keys=False, bulk=True) as conn:
                    conn.connection.dbapi_connection.executemany(
                        "INSERT OR IGNORE INTO customer_key (key, customer_id) "
                        "VALUES (?1, coalesce(?2, key_ref(?3)))",  # packed by the centre
                        keys)
                    if keys:
                        after = [keys[-1][0], keys[-1][2]]
                        set_meta(conn, "snap_key_after", json.dumps(after, ensure_ascii=False))
                    hook("pull.before_local_commit")
                hook("pull.after_local_commit")
                done += len(keys)
                if progress:  # the keys are about 8 per customer: shown against customers
                    progress("search keys", min(done // 8, total), total)
                if len(keys) < batch:
                    break
                del keys
        phases["keys"] = time.perf_counter() - began
        began = time.perf_counter()
        with writing(store, bulk=True) as conn:
            _restore_indexes(conn)
        phases["indexes"] = time.perf_counter() - began
    else:
        # Keys made by other rules (or none): computed here, from the copied rows.
        with writing(store, bulk=True) as conn:
            _restore_indexes(conn)
            search_keys.rebuild_all(conn.connection.dbapi_connection, progress)
        phases["keys (computed here)"] = time.perf_counter() - began
    if progress:
        progress("search keys", total, total)


def prefetched(fetch: Callable[[Any], Any], after: Any, full: Callable[[Any], bool],
               last: Callable[[Any], Any]) -> Iterator[Any]:
    """``fetch(after)``, ``fetch(last(that))``, … until a batch is not ``full``: each
    next batch is fetched in a thread while the caller writes this one (the centre's
    driver and SQLite both let go of the GIL while they wait or work). At most three
    batches live at once: the caller's, one waiting, one being fetched."""
    if not PREFETCH:
        while True:
            got = fetch(after)
            yield got
            if not full(got):
                return
            after = last(got)
    box: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: tuple) -> None:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def run(after: Any) -> None:
        try:
            while not stop.is_set():
                got = fetch(after)
                put(("ok", got))
                if not full(got):
                    return
                after = last(got)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            put(("error", exc))

    worker = threading.Thread(target=run, args=(after,), daemon=True, name="sync-prefetch")
    worker.start()
    try:
        while True:
            kind, got = box.get()
            if kind == "error":
                raise got
            yield got
            if not full(got):
                return
    finally:
        stop.set()
        worker.join()


def _restore_indexes(conn: sa.Connection) -> None:
    for (sql,) in json.loads(meta(conn, "bulk_indexes") or "[]"):
        conn.exec_driver_sql(sql)
    conn.exec_driver_sql("DELETE FROM sync_meta WHERE key IN ('bulk_indexes', 'snap_stage', "
                         "'snap_after', 'snap_done', 'snap_key_after')")


def _drop_indexes(conn: sa.Connection) -> None:
    """Secondary indexes of the bulk tables go for the first sync (random inserts into
    indexes bigger than the cache are what makes a million rows slow) and come back in
    one sorted pass at the end; their SQL is kept in sync_meta so a resumed first sync
    restores them too. The automatic indexes (primary key, unique account_no) stay."""
    found = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('customer', 'customer_phone') ORDER BY name").fetchall()
    for name, _sql in found:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    set_meta(conn, "bulk_indexes", json.dumps([[sql] for _name, sql in found]))


