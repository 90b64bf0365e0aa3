"""One sync of a desk (no textual import): push the outbox, then pull and apply.

Push: the outbox is sent in batches, oldest first; the centre applies a batch in one
transaction and records its change ids, then the desk deletes exactly those rows. A
crash between the two leaves the rows in the outbox; the retry is recognised by its
change ids and applied once (:meth:`Central.push`).

Pull: the changes after the desk's cursor, in the centre's commit order, are applied in
one local transaction per batch that also moves the cursor, so an interrupted pull (the
first sync of 1,000,000 customers) resumes at the last batch it committed.

Local writes during a sync are fine: the UI keeps writing (SQLite WAL, short
``BEGIN IMMEDIATE`` transactions here); its new outbox rows wait for the next sync, and
a pulled ticket that still has local events in the outbox gets them re-applied on top.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from agentdesk.core.ids import new_id
from agentdesk.core.store import Store
from agentdesk.sync import codec, outbox
from agentdesk.sync.central import Central, Pulled

PUSH_BATCH = 500
PULL_BATCH = 10000
SNAPSHOT_BATCH = 10000  # first sync: customers (with their phones) per fetch and transaction
KEY_BATCH = 50000  # first sync: lookup keys per fetch and desk transaction
PREFETCH = True  # fetch the next batch while this one is written (measured: ~10 % faster)
CRASH_ENV = "AGENTDESK_SYNC_CRASH_AT"  # fault tests: SIGKILL at the Nth crash point
MMAP_BYTES = 2147483648  # store.py's setting, restored after a bulk transaction
BACKFILL = ("agent", "contact", "incident", "ticket", "ticket_event", "ticket_article")

Progress = Callable[[str, int, int], None]


@dataclass
class SyncReport:
    pushed: int = 0  # changes the centre applied now
    repeated: int = 0  # changes it had applied before (a retry after a crash)
    pulled: int = 0  # change-log entries applied here
    conflicts: list[dict] = field(default_factory=list)  # this desk's, newly recorded
    cursor: int = 0
    waiting: int = 0  # outbox rows left (written while the sync ran)
    desk_no: int = 0
    seconds: float = 0.0
    first: bool = False  # this was the desk's first pull
    phases: dict[str, float] = field(default_factory=dict)  # first sync: seconds by phase

    def as_json(self) -> dict:
        return {"pushed": self.pushed, "repeated": self.repeated, "pulled": self.pulled,
                "conflicts": self.conflicts, "cursor": self.cursor, "waiting": self.waiting,
                "desk_no": self.desk_no, "seconds": round(self.seconds, 3),
                "first": self.first,
                "phases": {k: round(v, 3) for k, v in self.phases.items()}}


_hits = 0


def crash_point(name: str) -> None:
    """Fault tests: ``AGENTDESK_SYNC_CRASH_AT=N`` kills this process with SIGKILL at the
    Nth named point reached (nothing is flushed, nothing is cleaned up)."""
    global _hits
    target = os.environ.get(CRASH_ENV)
    if not target:
        return
    _hits += 1
    if _hits == int(target):
        sys.stderr.write(f"crash point {_hits}: {name}\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)


# --- the desk's bookkeeping -------------------------------------------------------------


@contextmanager
def _writing(store: Store, foreign_keys: bool = True,
             bulk: bool = False) -> Iterator[sa.Connection]:
    """One local write transaction (BEGIN IMMEDIATE: the write lock up front)."""
    with store.engine.connect() as conn:
        if not foreign_keys:
            # Pulled rows are the centre's truth: a reference to a row this desk has not
            # got (another desk's pre-sync data) must not stop the sync.
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        if bulk:
            # The first sync of an empty desk: a power cut loses at most the batches the
            # OS had not written, and the cursor is in the same transactions: it resumes.
            conn.exec_driver_sql("PRAGMA synchronous = OFF")
            # Reads through the memory map count as the process's memory: not for a
            # pass over the whole table.
            conn.exec_driver_sql("PRAGMA mmap_size = 0")
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            if not foreign_keys:
                conn.exec_driver_sql("PRAGMA foreign_keys = ON")
            if bulk:
                conn.exec_driver_sql("PRAGMA synchronous = NORMAL")
                conn.exec_driver_sql(f"PRAGMA mmap_size = {MMAP_BYTES}")


def meta(conn: sa.Connection, key: str) -> str | None:
    return conn.exec_driver_sql("SELECT value FROM sync_meta WHERE key = ?", (key,)).scalar()


def set_meta(conn: sa.Connection, key: str, value: object) -> None:
    conn.exec_driver_sql("INSERT INTO sync_meta (key, value) VALUES (?, ?) ON CONFLICT(key) "
                         "DO UPDATE SET value = excluded.value", (key, str(value)))


def waiting(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM sync_outbox").scalar() or 0


def desk_id(store: Store) -> str:
    with store.engine.connect() as conn:
        found = meta(conn, "desk_id")
    if found:
        return found
    with _writing(store) as conn:
        found = meta(conn, "desk_id")
        if not found:
            found = new_id()
            set_meta(conn, "desk_id", found)
    return found


def _register(store: Store, central: Central, me: str, name: str) -> int:
    """First contact: the centre numbers the desk, and the desk's own rows made before
    (agents, contacts, incidents, tickets, events) are enqueued once."""
    with store.engine.connect() as conn:
        known = meta(conn, "desk_no")
    if known:
        return int(known)
    no = central.register(me, name)
    with _writing(store) as conn:
        if not meta(conn, "desk_no"):
            queued = {(e, r) for e, r in conn.exec_driver_sql(
                "SELECT entity, row_id FROM sync_outbox")}
            for entity in BACKFILL:
                cols = codec.columns(entity)
                order = " ORDER BY at, id" if entity == "ticket_event" else ""
                rows = [dict(zip(cols, r)) for r in conn.exec_driver_sql(
                    f"SELECT {', '.join(cols)} FROM {entity}{order}")]
                outbox.write(conn, [(entity, codec.row_id(entity, r), "insert", r)
                                    for r in rows
                                    if (entity, codec.row_id(entity, r)) not in queued])
            set_meta(conn, "desk_no", no)
    return no


# --- one sync ---------------------------------------------------------------------------


def sync_once(store: Store, central: Central, *, desk_name: str = "",
              push_batch: int = PUSH_BATCH, pull_batch: int = PULL_BATCH,
              snapshot_batch: int | None = None, progress: Progress | None = None,
              hook: Callable[[str], None] = crash_point, seed: bool = False) -> SyncReport:
    """Push everything waiting, then pull everything new. Raises CentralUnavailable when
    the centre cannot be reached (nothing local is lost: the outbox keeps waiting).
    ``seed``: a new desk may be seeded from the centre's seed file (only when this
    process alone has the desk open: :mod:`agentdesk.sync.seed`)."""
    if not outbox.captures(store):
        raise ValueError(f"{store.path}: this desk was opened without the outbox hook, so "
                         "its changes would never reach the centre: open it with "
                         "agentdesk.sync.outbox.open_syncing_desk")
    started = time.perf_counter()
    report = SyncReport()
    central.check()  # a centre of another schema says "run agentdesk central init"
    me = desk_id(store)
    report.desk_no = _register(store, central, me, desk_name)
    _push(store, central, me, push_batch, report, hook)
    _pull(store, central, me, pull_batch, report, progress, hook,
          snapshot_batch or SNAPSHOT_BATCH, KEY_BATCH if snapshot_batch is None
          else snapshot_batch * 8, seed)
    report.waiting = waiting(store)
    report.seconds = time.perf_counter() - started
    return report


def _push(store: Store, central: Central, me: str, batch: int, report: SyncReport,
          hook: Callable[[str], None]) -> None:
    while True:
        with store.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT seq, change_id, entity, row_id, op, payload FROM sync_outbox "
                "ORDER BY seq LIMIT ?", (batch,)).fetchall()
        if not rows:
            return
        hook("push.before_send")
        result = central.push(me, [{"change_id": r.change_id, "entity": r.entity,
                                    "row_id": r.row_id, "op": r.op,
                                    "payload": json.loads(r.payload)} for r in rows],
                              hook=hook)
        hook("push.after_central_commit")
        with _writing(store) as conn:
            # New rows written meanwhile have higher seqs: exactly the batch goes.
            conn.exec_driver_sql("DELETE FROM sync_outbox WHERE seq <= ?", (rows[-1].seq,))
            hook("push.before_local_commit")
        hook("push.after_local_commit")
        report.pushed += result.applied
        report.repeated += result.repeated


def _pull(store: Store, central: Central, me: str, batch: int, report: SyncReport,
          progress: Progress | None, hook: Callable[[str], None],
          snapshot_batch: int = SNAPSHOT_BATCH, key_batch: int = KEY_BATCH,
          use_seed: bool = False) -> None:
    with store.engine.connect() as conn:
        cursor = int(meta(conn, "cursor") or 0)
        snap = meta(conn, "snap_hi")
        fresh = cursor == 0 and snap is None and not conn.exec_driver_sql(
            "SELECT 1 FROM customer LIMIT 1").first()
    report.first = cursor == 0 and snap is None  # (a resumed first sync is not)
    skip, snapshot = 0, fresh or snap is not None
    if snapshot:
        seeded = _seeded(store, central, report, progress, hook) if fresh and use_seed \
            else None
        skip = seeded if seeded is not None else _snapshot(
            store, central, report, progress, hook, snapshot_batch, key_batch)
    began = time.perf_counter()
    start = cursor
    total = central.max_seq() if progress else 0
    while True:
        hook("pull.before_fetch")
        changes = central.pull(cursor, batch, skip_customers_to=skip)
        if not changes and not snapshot:
            break
        hook("pull.after_fetch")
        done = len(changes) < batch
        with _writing(store, foreign_keys=False) as conn:
            report.conflicts.extend(apply(conn, changes, me, hook, exact_keys=snapshot))
            cursor = changes[-1].seq if changes else cursor
            if done and snapshot:
                # Every change after the snapshot is in: its customer entries are covered.
                cursor = max(cursor, skip)
                conn.exec_driver_sql("DELETE FROM sync_meta WHERE key = 'snap_hi'")
            set_meta(conn, "cursor", cursor)  # the cursor moves with the rows it covers
            hook("pull.before_local_commit")
        hook("pull.after_local_commit")
        report.pulled += len(changes)
        if progress and changes:
            progress("sync", cursor - start, max(total - start, cursor - start))
        if done:
            break
    report.cursor = cursor
    if snapshot:
        report.phases["change log"] = time.perf_counter() - began


def _seeded(store: Store, central: Central, report: SyncReport, progress: Progress | None,
            hook: Callable[[str], None]) -> int | None:
    """A new desk from the centre's seed file; None: copy rows instead (no usable seed,
    the desk is open elsewhere, or the seed changed while it came)."""
    from agentdesk.sync import seed

    try:
        got = seed.install(store, central, progress, hook, report.phases)
    except seed.SeedGone as exc:
        print(f"agentdesk: {exc}; copying customers row by row instead", file=sys.stderr)
        return None
    if got is None:
        return None
    seq_hi, customers = got
    report.pulled += customers
    return seq_hi


def _snapshot(store: Store, central: Central, report: SyncReport, progress: Progress | None,
              hook: Callable[[str], None], batch: int, key_batch: int) -> int:
    """The first sync of an empty desk copies the centre's customers, phones and lookup
    keys (tables, not the change log: one row each however often it changed) in bulk:
    in id order, then the keys in key order (appends to the B-tree), one desk transaction
    per batch that also records how far it got, so an interrupted first sync resumes
    there. Secondary indexes go for the copy and come back in one pass at the end.

    ``snap_hi`` is the change-log seq read before the first batch: every row copied is at
    least as new as it, so the change-log pull that follows skips customer entries up to
    it and applies the later ones (with exact keys: a customer edited meanwhile may have
    been copied in one state and its keys in another). Returns ``snap_hi``."""
    began = time.perf_counter()
    with store.engine.connect() as conn:
        hi = meta(conn, "snap_hi")
    if hi is None:
        hi = central.max_seq()
        with _writing(store, bulk=True) as conn:
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
    batches = _prefetched(lambda last: central.snapshot_customers(last, batch), after,
                          lambda got: len(got[0]) == batch, lambda got: got[0][-1][0])
    with closing(batches):  # the prefetch thread stops whatever happens
        while stage == "customers":
            hook("pull.before_fetch")
            rows, phones = next(batches)
            hook("pull.after_fetch")
            with _writing(store, foreign_keys=False, bulk=True) as conn:
                raw = conn.connection.dbapi_connection
                raw.executemany(put_customers, rows)
                raw.executemany(put_phones, phones)
                hook("pull.mid_apply")
                if rows:
                    after = rows[-1][0]
                    set_meta(conn, "snap_after", after)
                    set_meta(conn, "snap_done", done + len(rows))
                if len(rows) < batch:
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
        _snapshot_keys(store, central, progress, hook, key_batch, report.phases)
    return int(hi)


def _snapshot_keys(store: Store, central: Central, progress: Progress | None,
                   hook: Callable[[str], None], batch: int, phases: dict[str, float]) -> None:
    """Lookup keys for the copied customers: the centre's (computed once there) when they
    follow this desk's key rules, else computed here; then the dropped indexes return."""
    from agentdesk.core import search_keys

    began = time.perf_counter()
    with store.engine.connect() as conn:
        after = json.loads(meta(conn, "snap_key_after") or "null")
        total = int(meta(conn, "snap_done") or 0)
    if central.keys_version() == search_keys.version():
        done = 0
        batches = _prefetched(lambda last: central.snapshot_keys(last, batch),
                              tuple(after) if after else None,
                              lambda got: len(got) == batch, lambda got: tuple(got[-1]))
        with closing(batches):
            while True:
                hook("pull.before_fetch")
                keys = next(batches)
                hook("pull.after_fetch")
                with _writing(store, foreign_keys=False, bulk=True) as conn:
                    conn.connection.dbapi_connection.executemany(
                        "INSERT OR IGNORE INTO customer_key (key, customer_id) VALUES (?, ?)",
                        keys)
                    if keys:
                        after = list(keys[-1])
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
        with _writing(store, bulk=True) as conn:
            _restore_indexes(conn)
        phases["indexes"] = time.perf_counter() - began
    else:
        # Keys made by other rules (or none): computed here, from the copied rows.
        with _writing(store, bulk=True) as conn:
            _restore_indexes(conn)
            search_keys.rebuild_all(conn.connection.dbapi_connection, progress)
        phases["keys (computed here)"] = time.perf_counter() - began
    if progress:
        progress("search keys", total, total)


def _prefetched(fetch: Callable[[Any], Any], after: Any, full: Callable[[Any], bool],
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


# --- applying pulled changes --------------------------------------------------------------


def _upsert_sql(entity: str, cols: list[str], key: str = "id") -> str:
    return (f"INSERT INTO {entity} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT({key}) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in cols if c != key))


def apply(conn: sa.Connection, changes: list[Pulled], me: str,
          hook: Callable[[str], None] = crash_point, exact_keys: bool = False) -> list[dict]:
    """Apply one pulled batch inside the caller's transaction; returns this desk's new
    conflicts. Rows are tuples in the desk's column order (the id first).
    ``exact_keys``: the pulled customers' keys are replaced whole (after a first sync's
    snapshot, see :func:`_snapshot`), not by difference to their rows here."""
    groups: dict[str, dict[str, Pulled]] = {}
    event_seq: dict[str, int] = {}
    for change in changes:
        groups.setdefault(change.entity, {})[change.row_id] = change  # latest wins
        if change.entity == "ticket_event":
            event_seq.setdefault(change.row_id, change.seq)
    conflicts: list[dict] = []
    for entity in codec.APPLY_ORDER:
        group = groups.get(entity)
        if not group:
            continue
        rows = [c.row for c in group.values() if c.row is not None]
        if entity == "central_setting":
            # The centre's settings (its SLA policy text): written by raw SQL, so never
            # captured into the outbox; a row the centre no longer has goes here too.
            if rows:
                conn.exec_driver_sql(_upsert_sql(entity, codec.columns(entity), "name"), rows)
            gone = [(c.row_id,) for c in group.values() if c.row is None]
            if gone:
                conn.exec_driver_sql("DELETE FROM central_setting WHERE name = ?", gone)
        elif entity == "agent":
            _agents(conn, rows)
        elif entity == "customer":
            _customers(conn, [c for c in group.values() if c.row is not None], exact_keys)
            hook("pull.mid_apply")
        elif entity in ("incident", "notice", "contact", "kb_article", "ticket"):
            conn.exec_driver_sql(_upsert_sql(entity, codec.columns(entity)), rows)
            if entity == "kb_article":
                from agentdesk.kb import index

                index.reindex(conn, [r[0] for r in rows])
            if entity == "ticket":
                _reapply_local(conn, {r[0] for r in rows})
        elif entity == "ticket_event":
            cols = codec.columns(entity)
            conn.exec_driver_sql(
                f"INSERT OR IGNORE INTO ticket_event ({', '.join(cols)}) "
                f"VALUES ({', '.join('?' * len(cols))})", rows)
            conn.exec_driver_sql("INSERT OR IGNORE INTO sync_event_seq (event_id, seq) "
                                 "VALUES (?, ?)", list(event_seq.items()))
        elif entity == "ticket_article":
            cols = codec.columns(entity)
            conn.exec_driver_sql(
                f"INSERT OR IGNORE INTO ticket_article ({', '.join(cols)}) "
                f"VALUES ({', '.join('?' * len(cols))})",
                [tuple(c.payload.get(k) for k in cols) for c in group.values() if c.payload])
        elif entity == "conflict":
            for c in group.values():
                p = c.payload or {}
                if p.get("desk_id") != me:
                    continue
                inserted = conn.exec_driver_sql(
                    "INSERT OR IGNORE INTO sync_conflict (id, ticket_id, ticket_number, "
                    "event_id, agent_id, winner_id, winner_name, taken_at, decided_at, seen) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                    (p["id"], p["ticket_id"], p["ticket_number"], p["event_id"],
                     p["agent_id"], p["winner_id"], p["winner_name"], p["taken_at"],
                     p["decided_at"])).rowcount
                if inserted:
                    conflicts.append(p)
    return conflicts


def _agents(conn: sa.Connection, rows: list[tuple]) -> None:
    cols = codec.columns("agent")
    code = cols.index("code")
    for row in rows:
        other = conn.exec_driver_sql("SELECT id FROM agent WHERE code = ? AND id != ?",
                                     (row[code], row[0])).scalar()
        if other is None:  # an agent made with a random id before ids came from codes: keep it
            conn.exec_driver_sql(_upsert_sql("agent", cols), row)


def _customers(conn: sa.Connection, changes: list[Pulled], exact_keys: bool) -> None:
    from agentdesk.core import search_keys

    raw = conn.connection.dbapi_connection
    rows = [c.row for c in changes]
    if not rows:
        return
    ids = [r[0] for r in rows]
    present = [r[0] for r in raw.execute(
        "SELECT id FROM customer WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(ids),))]
    _give_way(conn, rows)
    if exact_keys and present:
        # One pass over the key table (it has no index by customer), once per sync.
        raw.execute("DELETE FROM customer_key WHERE customer_id IN "
                    "(SELECT value FROM json_each(?))", (json.dumps(present),))
        stale: set[tuple[str, str]] = set()
    else:
        stale = search_keys.current(raw, present)
    raw.executemany(_upsert_sql("customer", codec.columns("customer")), rows)
    if present:
        raw.execute("DELETE FROM customer_phone WHERE customer_id IN "
                    "(SELECT value FROM json_each(?))", (json.dumps(present),))
    pcols = codec.columns("customer_phone")
    raw.executemany(f"INSERT OR REPLACE INTO customer_phone ({', '.join(pcols)}) "
                    f"VALUES ({', '.join('?' * len(pcols))})",
                    [p for c in changes for p in c.phones or ()])
    search_keys.refresh(raw, ids, stale)


def _give_way(conn: sa.Connection, rows: list[tuple]) -> None:
    """The centre's identity wins: a local customer with the same account number under
    another id (made on this desk before it synced) gives way, its references re-pointed."""
    account = codec.columns("customer").index("account_no")
    accounts = {r[account]: r[0] for r in rows}
    for local_id, number in conn.exec_driver_sql(
            "SELECT id, account_no FROM customer WHERE account_no IN "
            "(SELECT value FROM json_each(?))", (json.dumps(list(accounts)),)).fetchall():
        if accounts[number] != local_id:
            for table in ("ticket", "contact"):
                conn.exec_driver_sql(f"UPDATE {table} SET customer_id = ? WHERE "
                                     "customer_id = ?", (accounts[number], local_id))
            conn.exec_driver_sql("DELETE FROM customer_key WHERE customer_id = ?", (local_id,))
            conn.exec_driver_sql("DELETE FROM customer_phone WHERE customer_id = ?",
                                 (local_id,))
            conn.exec_driver_sql("DELETE FROM customer WHERE id = ?", (local_id,))


_TIME_COLS = {"created_at", "updated_at", "due_first_response", "due_arrival",
              "due_resolution", "due_callback", "resolved_at", "closed_at", "paused_at"}


def _reapply_local(conn: sa.Connection, ticket_ids: set[str]) -> None:
    """Pulled ticket rows are the centre's projection; events of this desk still in the
    outbox are applied on top, so the agent keeps seeing their own latest change."""
    from agentdesk.tickets import workflow
    from agentdesk.core.models import UTCDateTime

    pending = [json.loads(p) for (p,) in conn.exec_driver_sql(
        "SELECT payload FROM sync_outbox WHERE entity = 'ticket_event' ORDER BY seq")]
    pending = [p for p in pending if p.get("ticket_id") in ticket_ids]
    load = UTCDateTime().process_result_value
    cols = codec.columns("ticket")
    for ev in pending:
        row = conn.exec_driver_sql(f"SELECT {', '.join(cols)} FROM ticket WHERE id = ?",
                                   (ev["ticket_id"],)).first()
        state = {k: (load(v, None) if k in _TIME_COLS else v)  # type: ignore[arg-type]
                 for k, v in zip(cols, row)}
        new = workflow.apply(state, ev["kind"], ev["to_status"], workflow.decode(ev["data"]),
                             load(ev["at"], None))  # type: ignore[arg-type]
        values = {k: codec.to_desk(v) for k, v in new.items()
                  if k in cols and k not in ("id", "created_at")}
        conn.exec_driver_sql(
            f"UPDATE ticket SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
            (*values.values(), ev["ticket_id"]))


def conflicts(store: Store, unseen_only: bool = True) -> list[dict[str, Any]]:
    """This desk's ownership conflicts (newest first), for the agent to see."""
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id, ticket_id, ticket_number, winner_name, taken_at, seen FROM "
            "sync_conflict" + (" WHERE NOT seen" if unseen_only else "")
            + " ORDER BY decided_at DESC").mappings().all()
    return [dict(r) for r in rows]
