"""Row writes at the centre: upserts on either dialect, the customers' lookup keys
recomputed from their rows, and server timestamps as aware UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from agentdesk.sync.central.schema import T


def refresh_keys(conn: sa.Connection, ids: list[str]) -> None:
    """Recompute these customers' lookup keys from their rows and phones as they are in
    this transaction (the centre has an index by customer: delete, then insert)."""
    from agentdesk.core import search_keys

    customer, phone, key = T["customer"], T["customer_phone"], T["customer_key"]
    ids = sorted(set(ids))
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        conn.execute(key.delete().where(key.c.customer_id.in_(chunk)))
        numbers: dict[str, list[str]] = {}
        for cid, e164 in conn.execute(sa.select(phone.c.customer_id, phone.c.e164)
                                      .where(phone.c.customer_id.in_(chunk))
                                      .order_by(phone.c.customer_id, phone.c.position)):
            numbers.setdefault(cid, []).append(e164)
        rows = [{"key": k, "customer_id": cid}
                for cid, name, street, community, building, unit, room, account, meter
                in conn.execute(
                    sa.select(customer.c.id, customer.c.name, customer.c.street,
                              customer.c.community, customer.c.building, customer.c.unit,
                              customer.c.room, customer.c.account_no, customer.c.meter_no)
                    .where(customer.c.id.in_(chunk)))
                for k in sorted(search_keys.customer_keys(
                    name, street, community, building, unit, room, numbers.get(cid, ()),
                    account, meter))]
        if rows:
            conn.execute(key.insert(), rows)


def aware(value: Any) -> datetime:
    """A server timestamp as aware UTC (SQLite gives 'YYYY-MM-DD HH:MM:SS' in UTC)."""
    from datetime import timezone

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def upsert(conn: sa.Connection, table: sa.Table, rows: list[dict], update: bool = True) -> int:
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table)
    keys = [c.name for c in table.primary_key.columns]
    if update:
        stmt = stmt.on_conflict_do_update(
            index_elements=keys,
            set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    result = conn.execute(stmt, rows)
    return result.rowcount


