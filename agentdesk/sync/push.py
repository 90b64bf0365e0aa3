"""Push (no textual import): the outbox is sent in batches, oldest first; the centre
applies a batch in one transaction and records its change ids, then the desk deletes
exactly those rows. A crash between the two leaves the rows in the outbox; the retry is
recognised by its change ids and applied once (``Central.push``). First contact
registers the desk and enqueues its rows made before (:func:`register`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import sqlalchemy as sa

from agentdesk.sync import codec, outbox
from agentdesk.sync.bookkeeping import BatchSize, SyncReport, meta, set_meta, writing
from agentdesk.sync.central.connection import CentralError, CentralUnavailable

if TYPE_CHECKING:
    from agentdesk.core.store import Store
    from agentdesk.sync.central import Central

PUSH_BATCH = 500
BACKFILL = ("agent", "contact", "incident", "ticket", "ticket_event", "ticket_article")


class DemoDesk(CentralError):
    """A desk filled with demo data asked to join a centre."""


def register(store: Store, central: Central, me: str, name: str) -> int:
    """First contact: the centre numbers the desk, and the desk's own rows made before
    (agents, the customers its tickets and contacts name, contacts, incidents, tickets,
    events) are enqueued once. A desk of demo data never joins."""
    with store.engine.connect() as conn:
        known = meta(conn, "desk_no")
        demo = meta(conn, "demo")
    if known:
        return int(known)
    if demo:
        from agentdesk.core.i18n import t

        raise DemoDesk(t("sync.demo_refused", path=store.path), kind="demo")
    no = central.register(me, name)
    with writing(store) as conn:
        if not meta(conn, "desk_no"):
            queued = {(e, r) for e, r in conn.exec_driver_sql(
                "SELECT entity, row_id FROM sync_outbox")}
            _backfill_customers(conn, queued)
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


def _backfill_customers(conn: sa.Connection, queued: set[tuple[str, str]]) -> None:
    """The customers this desk's tickets and contacts name, each with its phones in the
    insert (the centre keeps its own row for an account it has: :mod:`.central.joining`).
    Customers nothing names stay local: the centre's customer file is the reference."""
    cols = codec.columns("customer")
    named = "(SELECT customer_id FROM ticket UNION SELECT customer_id FROM contact)"
    rows = [dict(zip(cols, r)) for r in conn.exec_driver_sql(
        f"SELECT {', '.join(cols)} FROM customer WHERE id IN {named} ORDER BY id")]
    phones: dict[str, list[dict]] = {}
    for cid, pid, e164, kind, position in conn.exec_driver_sql(
            f"SELECT customer_id, id, e164, kind, position FROM customer_phone WHERE "
            f"customer_id IN {named} ORDER BY customer_id, position"):
        phones.setdefault(cid, []).append({"id": pid, "e164": e164, "kind": kind,
                                           "position": position})
    outbox.write(conn, [("customer", r["id"], "insert", {**r, "phones": phones.get(r["id"], [])})
                        for r in rows if ("customer", r["id"]) not in queued])


def push(store: Store, central: Central, me: str, batch: int, report: SyncReport,
         hook: Callable[[str], None]) -> None:
    """Send the outbox in batches. A batch cut off by the link (reset, refused) is sent
    again smaller, down to one change; a stall (no answer) ends the sync as offline."""
    size = BatchSize(store, "push_batch", batch)
    while True:
        with store.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT seq, change_id, entity, row_id, op, payload FROM sync_outbox "
                "ORDER BY seq LIMIT ?", (size.now,)).fetchall()
        if not rows:
            size.save()
            return
        hook("push.before_send")
        try:
            result = central.push(me, [{"change_id": r.change_id, "entity": r.entity,
                                        "row_id": r.row_id, "op": r.op,
                                        "payload": json.loads(r.payload)} for r in rows],
                                  hook=hook)
        except CentralUnavailable as exc:
            size.failed(exc)  # raises when smaller will not help
            report.retries += 1
            continue
        size.succeeded()
        hook("push.after_central_commit")
        with writing(store) as conn:
            # New rows written meanwhile have higher seqs: exactly the batch goes.
            conn.exec_driver_sql("DELETE FROM sync_outbox WHERE seq <= ?", (rows[-1].seq,))
            hook("push.before_local_commit")
        hook("push.after_local_commit")
        report.pushed += result.applied
        report.repeated += result.repeated
        report.quarantined.extend(result.quarantined)
