"""Pull (no textual import): the changes after the desk's cursor, in the centre's commit
order, applied in one local transaction per batch that also moves the cursor, so an
interrupted pull resumes at the last batch it committed. A pulled ticket that still has
local events in the outbox gets them re-applied on top; a customer made here before the
desk synced gives way to the centre's of the same account number, and a local ticket
holding a pulled ticket's number is renumbered by the centre's rule. A change a
constraint still refuses is set aside in ``sync_quarantine`` (:func:`guarded`).

Pulled text is stored as the centre has it, control characters and all: it was checked
where it entered at its own desk, changing it here would make the desk differ from the
centre (``sync --verify``), and every renderer shows control characters visibly
(:mod:`agentdesk.core.guard`)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import TYPE_CHECKING

import sqlalchemy as sa

from agentdesk.sync import codec, pulled_customers
from agentdesk.sync.bookkeeping import (BatchSize, Progress, SyncReport, crash_point, meta,
                                        record_pull, set_meta, writing)
from agentdesk.sync.central.connection import CentralUnavailable
from agentdesk.sync.seed import from_seed
from agentdesk.sync.snapshot import KEY_BATCH, SNAPSHOT_BATCH, copy_from_centre, prefetched

from agentdesk.sync.central.changes import Pulled

if TYPE_CHECKING:
    from agentdesk.core.store import Store
    from agentdesk.sync.central import Central

PULL_BATCH = 10000


def scope_of(conn: sa.Connection) -> frozenset[str] | None:
    """The districts this desk keeps (``sync_meta`` ``sync_scope``); None: all of them."""
    found = json.loads(meta(conn, "sync_scope") or "[]")
    return frozenset(found) if found else None


def pull(store: Store, central: Central, me: str, batch: int, report: SyncReport,
         progress: Progress | None, hook: Callable[[str], None],
         snapshot_batch: int = SNAPSHOT_BATCH, key_batch: int = KEY_BATCH,
         use_seed: bool = False) -> None:
    with store.engine.connect() as conn:
        cursor = int(meta(conn, "cursor") or 0)
        snap = meta(conn, "snap_hi")
        scope = scope_of(conn)
        fresh = cursor == 0 and snap is None and not conn.exec_driver_sql(
            "SELECT 1 FROM customer LIMIT 1").first()
    report.first = cursor == 0 and snap is None  # (a resumed first sync is not)
    skip, snapshot = 0, fresh or snap is not None
    if snapshot:
        # A partial desk never takes the seed (it holds every customer): it copies its
        # districts' customers and computes their keys.
        seeded = from_seed(store, central, report, progress, hook) \
            if fresh and use_seed and scope is None else None
        skip = seeded if seeded is not None else copy_from_centre(
            store, central, report, progress, hook, snapshot_batch, key_batch, scope)
    began = time.perf_counter()
    start = cursor
    total = central.max_seq() if progress else 0
    size = BatchSize(store, "pull_batch", batch)
    finished = False
    while not finished:
        batches = _batches(central, cursor, size, skip)
        try:
            with closing(batches):
                while True:
                    hook("pull.before_fetch")
                    asked, changes = next(batches)
                    size.succeeded()
                    if not changes and not snapshot:
                        finished = True
                        break
                    hook("pull.after_fetch")
                    done = len(changes) < asked
                    with writing(store, foreign_keys=False) as conn:
                        report.conflicts.extend(guarded(conn, changes, me, hook, snapshot,
                                                        report, scope))
                        cursor = changes[-1].seq if changes else cursor
                        if done and snapshot:
                            # Every change after the snapshot is in: its customer entries
                            # are covered.
                            cursor = max(cursor, skip)
                            conn.exec_driver_sql("DELETE FROM sync_meta WHERE key = 'snap_hi'")
                        set_meta(conn, "cursor", cursor)  # the cursor moves with the rows
                        hook("pull.before_local_commit")
                    hook("pull.after_local_commit")
                    report.pulled += len(changes)
                    if progress and changes:
                        progress("sync", cursor - start, max(total - start, cursor - start))
                    if done:
                        finished = True
                        break
        except CentralUnavailable as exc:
            size.failed(exc)  # raises when a smaller batch will not help
            report.retries += 1
    size.save()
    record_pull(store, _now())
    report.cursor = cursor
    if snapshot:
        report.phases["change log"] = time.perf_counter() - began


def _batches(central: Central, cursor: int, size: BatchSize, skip: int
             ) -> Iterator[tuple[int, list[Pulled]]]:
    """(size asked, changes) from ``cursor`` on, until a batch is not full; the next batch
    is read from the centre while this one is applied (the centre's part of a pull was a
    third of it). A batch the link cuts off raises in the caller's thread."""
    def fetch(after: int) -> tuple[int, list[Pulled]]:
        asked = size.now
        return asked, central.pull(after, asked, skip_customers_to=skip)

    return prefetched(fetch, cursor, lambda got: bool(got[1]) and len(got[1]) >= got[0],
                      lambda got: got[1][-1].seq)


# --- applying pulled changes --------------------------------------------------------------


# A constraint's refusal, through SQLAlchemy or straight from the driver (customers are
# applied on the raw connection: pulled_customers).
_REFUSED = (sa.exc.IntegrityError, sqlite3.IntegrityError)


def guarded(conn: sa.Connection, changes: list[Pulled], me: str,
            hook: Callable[[str], None], exact_keys: bool, report: SyncReport,
            scope: frozenset[str] | None = None) -> list[dict]:
    """:func:`apply`, and when a constraint refuses the batch, the batch again change by
    change: a change that still fails is set aside in ``sync_quarantine`` with the
    reason, and the sync goes on (one bad row must not stop a desk for ever)."""
    conn.exec_driver_sql("SAVEPOINT pull_batch")
    try:
        found = apply(conn, changes, me, hook, exact_keys, scope)
    except _REFUSED:
        conn.exec_driver_sql("ROLLBACK TO pull_batch")
    else:
        conn.exec_driver_sql("RELEASE pull_batch")
        return found
    found = []
    for change in changes:
        conn.exec_driver_sql("SAVEPOINT pull_change")
        try:
            found.extend(apply(conn, [change], me, hook, exact_keys, scope))
        except _REFUSED as exc:
            conn.exec_driver_sql("ROLLBACK TO pull_change")
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            conn.exec_driver_sql(
                "INSERT INTO sync_quarantine (seq, entity, row_id, op, row, reason, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (change.seq, change.entity, change.row_id, change.op,
                 json.dumps(change.row if change.row is not None else change.payload,
                            ensure_ascii=False, default=str), reason,
                 codec.to_desk(_now())))
            report.quarantined.append({"seq": change.seq, "entity": change.entity,
                                       "row_id": change.row_id, "reason": reason})
        conn.exec_driver_sql("RELEASE pull_change")
    return found


def _now() -> object:
    from agentdesk.core import clock

    return clock.now()


def _upsert_sql(entity: str, cols: list[str], key: str = "id") -> str:
    return (f"INSERT INTO {entity} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT({key}) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in cols if c != key))


def apply(conn: sa.Connection, changes: list[Pulled], me: str,
          hook: Callable[[str], None] = crash_point,
          exact_keys: bool = False, scope: frozenset[str] | None = None) -> list[dict]:
    """Apply one pulled batch inside the caller's transaction; returns this desk's new
    conflicts. Rows are tuples in the desk's column order (the id first).
    ``scope``: a partial desk's districts: a customer outside them is applied only when
    this desk has it already (one it opened from the centre); everything else travels.
    ``exact_keys``: the pulled customers' keys are replaced whole (after a first sync's
    snapshot, see :func:`~agentdesk.sync.snapshot.copy_from_centre`), not by difference
    to their rows here."""
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
            pulled_customers.apply(conn, in_scope(
                conn, [c for c in group.values() if c.row is not None], scope), exact_keys)
            hook("pull.mid_apply")
        elif entity in ("incident", "notice", "contact", "kb_article", "ticket",
                        "outreach_call"):
            if entity == "ticket":
                _make_room(conn, rows, me)
            conn.exec_driver_sql(_upsert_sql(entity, codec.columns(entity)), rows)
            if entity == "kb_article":
                from agentdesk.kb import index

                index.reindex(conn, [r[0] for r in rows])
            if entity == "ticket":
                _reapply_local(conn, {r[0] for r in rows})
        elif entity in ("notice_event", "outreach_event", "agent_status"):  # each row once
            cols = codec.columns(entity)
            conn.exec_driver_sql(
                f"INSERT OR IGNORE INTO {entity} ({', '.join(cols)}) "
                f"VALUES ({', '.join('?' * len(cols))})", rows)
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
    _reapply_calls(conn, {r[0] for r in _rows(groups, "outreach_call")}
                   | {r[1] for r in _rows(groups, "outreach_event")})
    return conflicts


def _rows(groups: dict[str, dict[str, Pulled]], entity: str) -> list[tuple]:
    return [c.row for c in groups.get(entity, {}).values() if c.row is not None]


def _reapply_calls(conn: sa.Connection, call_ids: set[str]) -> None:
    """Pulled call rows are the centre's projection of the results it holds; a result of
    this desk still in the outbox is projected on top (as :func:`_reapply_local` does
    for tickets), so the agent keeps seeing their own latest result."""
    if not call_ids:
        return
    from agentdesk.core import outreach_state
    from agentdesk.core.models import OutreachCall, OutreachEvent

    pending = {json.loads(p).get("call_id") for (p,) in conn.exec_driver_sql(
        "SELECT payload FROM sync_outbox WHERE entity = 'outreach_event'")}
    if pending & call_ids:
        outreach_state.reproject(conn, OutreachCall.__table__, OutreachEvent.__table__,
                                 pending & call_ids)


def _agents(conn: sa.Connection, rows: list[tuple]) -> None:
    cols = codec.columns("agent")
    code = cols.index("code")
    for row in rows:
        other = conn.exec_driver_sql("SELECT id FROM agent WHERE code = ? AND id != ?",
                                     (row[code], row[0])).scalar()
        if other is None:  # an agent made with a random id before ids came from codes: keep it
            conn.exec_driver_sql(_upsert_sql("agent", cols), row)


def in_scope(conn: sa.Connection, changes: list[Pulled], scope: frozenset[str] | None
             ) -> list[Pulled]:
    """The pulled customers a desk of this scope keeps: its districts', and those it has."""
    if scope is None or not changes:
        return changes
    district = codec.columns("customer").index("district")
    outside = [c.row_id for c in changes if c.row[district] not in scope]  # type: ignore[index]
    if not outside:
        return changes
    have = {r[0] for r in conn.exec_driver_sql(
        "SELECT id FROM customer WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(outside),))}
    return [c for c in changes if c.row[district] in scope  # type: ignore[index]
            or c.row_id in have]


def put_customers(conn: sa.Connection, rows: list[tuple], phones: list[tuple]) -> None:
    """Customer rows and their phones (desk column order and form, e.g. from the centre
    for a partial desk's lookup) written as a pull writes them, lookup keys included."""
    customer_at = codec.columns("customer_phone").index("customer_id")
    by_customer: dict[str, list[tuple]] = {}
    for phone in phones:
        by_customer.setdefault(phone[customer_at], []).append(phone)
    pulled_customers.apply(conn, [Pulled(0, "customer", r[0], "upsert", None, r,
                                         by_customer.get(r[0], [])) for r in rows], False)


def _make_room(conn: sa.Connection, rows: list[tuple], me: str) -> None:
    """Pulled ticket numbers held here by another ticket (numbered before this desk
    joined): one the batch renumbers too steps aside; one the centre has not seen yet is
    renumbered by the centre's own rule (:mod:`.central.joining`), so both agree."""
    from agentdesk.sync.central.joining import new_number, renumber_event

    number = codec.columns("ticket").index("number")
    pulled = {r[0]: r[number] for r in rows}
    clashes = conn.exec_driver_sql(
        "SELECT t.id, t.number FROM ticket t JOIN json_each(?) p ON p.value = t.number",
        (json.dumps(list(pulled.values())),)).fetchall()
    for local_id, held in clashes:
        if pulled.get(local_id) == held:
            continue  # the same ticket
        if local_id in pulled:
            conn.exec_driver_sql("UPDATE ticket SET number = number || '~' || id "
                                 "WHERE id = ?", (local_id,))
            continue
        taken = {n for (n,) in conn.exec_driver_sql(
            "SELECT number FROM ticket WHERE number LIKE ? || '-%'", (held,))}
        new = new_number(held, me, taken | set(pulled.values()))
        ev = renumber_event(local_id, held, new, _now())
        cols = codec.columns("ticket_event")
        conn.exec_driver_sql(
            f"INSERT OR IGNORE INTO ticket_event ({', '.join(cols)}) "
            f"VALUES ({', '.join('?' * len(cols))})",
            tuple(codec.to_desk(ev.get(c)) for c in cols))
        conn.exec_driver_sql("UPDATE ticket SET number = ? WHERE id = ?", (new, local_id))


_TIME_COLS = {"created_at", "updated_at", "due_first_response", "due_arrival",
              "due_resolution", "due_callback", "resolved_at", "closed_at", "paused_at"}


def _reapply_local(conn: sa.Connection, ticket_ids: set[str]) -> None:
    """Pulled ticket rows are the centre's projection; events of this desk still in the
    outbox are applied on top, so the agent keeps seeing their own latest change."""
    from agentdesk.core.models import UTCDateTime
    from agentdesk.tickets import workflow

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


