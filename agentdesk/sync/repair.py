"""``agentdesk sync --verify --repair`` (no textual import): the differences
:func:`agentdesk.sync.verify.verify` found, mended. The centre is the reference: a row it
has is fetched again and applied as a pull applies it (:func:`agentdesk.sync.pull.guarded`,
so a row a constraint refuses is set aside, not fatal); a row desks author that only this
desk has is put in the outbox again (the next push sends it); nothing is deleted."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from agentdesk.sync import codec, outbox
from agentdesk.sync.bookkeeping import SyncReport, crash_point, desk_id, writing
from agentdesk.sync.central import Pulled
from agentdesk.sync.verify import Difference, key_expr

if TYPE_CHECKING:
    from agentdesk.core.store import Store
    from agentdesk.sync.central import Central

# A link is pulled with INSERT OR IGNORE: a differing one goes first. (A differing ticket
# event stays as it is and is reported again: the desk's history is append-only, by
# trigger, so only a hand that bypassed it can have changed one.)
_IMMUTABLE = ("ticket_article",)
_ORDER = ("agent", "agent_status", "customer", "incident", "notice", "notice_event", "contact",
          "ticket",
          "ticket_event", "ticket_article", "outreach_call", "outreach_event")


def repair(store: Store, central: Central, found: list[Difference]) -> dict[str, int]:
    """Mend ``found``; returns counts: fetched (from the centre), queued (sent again),
    set_aside (a constraint refused the centre's row here too)."""
    fetch: dict[str, set[str]] = {}
    send: dict[str, set[str]] = {}
    for d in found:
        entity, row_id = d.entity, d.row_id
        if entity == "customer_phone":  # phones travel with their customer
            entity, row_id = "customer", d.owner or ""
            centre_has = d.where != "desk" or _centre_has(central, "customer", row_id)
            (fetch if centre_has else send).setdefault(entity, set()).add(row_id)
        elif d.where == "desk":
            send.setdefault(entity, set()).add(row_id)
        else:
            fetch.setdefault(entity, set()).add(row_id)
    stale = {(d.entity, d.row_id) for d in found
             if d.where == "differs" and d.entity in _IMMUTABLE}
    pulled = [p for entity, ids in fetch.items() for p in _from_centre(central, entity, ids)]
    report = SyncReport()
    me = desk_id(store)
    with writing(store, foreign_keys=False) as conn:
        for entity, row_id in sorted(stale):
            where = key_expr(entity).replace("x.", "")
            conn.exec_driver_sql(f"DELETE FROM {entity} WHERE {where} = ?", (row_id,))
        if pulled:
            from agentdesk.sync.pull import guarded

            guarded(conn, pulled, me, crash_point, False, report)
        queued = _queue(conn, send)
    return {"fetched": len(pulled) - len(report.quarantined), "queued": queued,
            "set_aside": len(report.quarantined)}


def _centre_has(central: Central, entity: str, row_id: str) -> bool:
    with central.reading() as conn:
        return conn.exec_driver_sql(central.sql(
            f"SELECT 1 FROM {entity} x WHERE {key_expr(entity)} = @k"), {"k": row_id}
        ).first() is not None


def _from_centre(central: Central, entity: str, ids: set[str]) -> list[Pulled]:
    """The centre's rows now, as a pull carries them (desk form; customers with phones),
    each with the seq of its latest change-log entry."""
    if central.dialect == "postgresql":
        among, wanted = "= ANY(@ids)", sorted(ids)
    else:
        among, wanted = "IN (SELECT value FROM json_each(@ids))", json.dumps(sorted(ids))
    key = key_expr(entity)
    with central.reading() as conn:
        rows = conn.exec_driver_sql(central.sql(
            f"SELECT {key}, {central.desk_columns(entity)} FROM {entity} x "
            f"WHERE {key} {among}"), {"ids": wanted}).fetchall()
        seqs = dict(conn.exec_driver_sql(central.sql(
            f"SELECT row_id, max(seq) FROM change_log x WHERE x.row_id {among} AND "
            "x.entity = @e GROUP BY row_id"), {"ids": wanted, "e": entity}).fetchall())
        phones: dict[str, list[tuple]] = {}
        if entity == "customer":
            for row in conn.exec_driver_sql(central.sql(
                    f"SELECT {central.desk_columns('customer_phone')} FROM customer_phone x "
                    f"WHERE x.customer_id {among} ORDER BY x.customer_id, x.position"),
                    {"ids": wanted}):
                phones.setdefault(row[1], []).append(tuple(row))
    cols = codec.columns(entity)
    out = []
    for key_value, *values in rows:
        payload = dict(zip(cols, values)) if entity in codec.BY_PAYLOAD else None
        out.append(Pulled(int(seqs.get(key_value) or 0), entity, key_value, "upsert",
                          payload, None if payload else tuple(values),
                          phones.get(key_value, []) if entity == "customer" else None))
    return out


def _queue(conn: object, send: dict[str, set[str]]) -> int:
    """Rows only this desk has, into the outbox as inserts (a customer with its phones)."""
    changes: list[tuple[str, str, str, dict]] = []
    for entity in _ORDER:
        ids = sorted(send.get(entity, ()))
        if not ids:
            continue
        cols = codec.columns(entity)
        key = key_expr(entity)
        rows = [dict(zip(cols, r)) for r in conn.exec_driver_sql(  # type: ignore[attr-defined]
            f"SELECT {', '.join(f'x.{c}' for c in cols)} FROM {entity} x WHERE {key} IN "
            "(SELECT value FROM json_each(?))", (json.dumps(ids),))]
        if entity == "customer":
            for row in rows:
                row["phones"] = [{"id": p, "e164": e, "kind": k, "position": n}
                                 for p, e, k, n in conn.exec_driver_sql(  # type: ignore
                                     "SELECT id, e164, kind, position FROM customer_phone "
                                     "WHERE customer_id = ? ORDER BY position", (row["id"],))]
        if entity == "ticket_event":
            rows.sort(key=lambda r: (r["at"], r["id"]))
        changes.extend((entity, codec.row_id(entity, r), "insert", r) for r in rows)
    outbox.write(conn, changes)  # type: ignore[arg-type]
    return len(changes)

