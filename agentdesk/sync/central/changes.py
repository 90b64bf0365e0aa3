"""The change log, desk side of the centre: registering a desk, applying a pushed batch
(each change id once), pulling changes after a cursor with their rows as they are now,
and a new desk's first copy of the customers and lookup keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from agentdesk.core.i18n import t
from agentdesk.sync import codec
from agentdesk.sync.central.apply import BatchApply, PushResult
from agentdesk.sync.central.connection import CentralBase, CentralError
from agentdesk.sync.central.rows import aware
from agentdesk.sync.central.schema import T

# A canonical (lower-case) uuid's text: the ids the desk packs into 16 bytes.
UUID_TEXT = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

@dataclass(slots=True)
class Pulled:
    seq: int
    entity: str
    row_id: str
    op: str
    payload: dict | None
    row: tuple | None = None  # the row now, desk column order and form (None: a payload)
    phones: list[tuple] | None = None  # customers: their phones now


class ChangeLog(CentralBase):
    """Push, pull and the first sync's snapshot."""

    # --- desks --------------------------------------------------------------------

    def register(self, desk_id: str, name: str) -> int:
        """The desk's number (made on first contact; ticket numbers use it)."""
        desk = T["desk"]
        with self.reading() as conn:
            no = conn.execute(sa.select(desk.c.no).where(desk.c.id == desk_id)).scalar()
        if no is not None:
            return int(no)
        for _attempt in range(20):
            try:
                with self.writing() as conn:
                    no = conn.execute(sa.select(desk.c.no).where(desk.c.id == desk_id)).scalar()
                    if no is None:
                        no = (conn.execute(sa.select(sa.func.max(desk.c.no))).scalar() or 0) + 1
                        conn.execute(desk.insert(), {"id": desk_id, "no": no, "name": name})
                return int(no)
            except CentralError as exc:
                # Two desks registering at once drew the same number: the unique number
                # refused one of them, which draws again.
                if not isinstance(exc.__cause__, sa.exc.IntegrityError):
                    raise
        raise CentralError(t("msg.sync.central.changes.central_store_could_not", shown=self.shown,
                             desk_id=desk_id))

    # --- pushing ------------------------------------------------------------------

    def push(self, desk_id: str, changes: list[dict],
             hook: Callable[[str], None] | None = None) -> PushResult:
        """Apply one batch of a desk's changes in one transaction; each change id once.
        ``changes``: dicts with change_id, entity, row_id, op, payload (a dict).
        ``hook(name)`` is called at named points (fault tests)."""
        result = PushResult()
        applied = T["applied_change"]
        with self.writing() as conn:
            ids = [c["change_id"] for c in changes]
            done = set(conn.execute(sa.select(applied.c.change_id)
                                    .where(applied.c.change_id.in_(ids))).scalars())
            todo = [c for c in changes if c["change_id"] not in done]
            result.repeated = len(changes) - len(todo)
            if todo:
                # The centre's clock, never the desk's: desk clocks may be off by hours.
                now = aware(conn.execute(sa.select(sa.func.current_timestamp())).scalar())
                try:
                    with conn.begin_nested():
                        self._apply(conn, desk_id, now, result, todo)
                except sa.exc.IntegrityError:
                    # One change a constraint refuses must not fail this desk's every
                    # push: again change by change, the refused ones set aside.
                    result.conflicts.clear()
                    result.quarantined.clear()  # refusals are made again below
                    for change in todo:
                        try:
                            with conn.begin_nested():
                                self._apply(conn, desk_id, now, result, [change])
                        except sa.exc.IntegrityError as exc:
                            self._quarantine(conn, desk_id, change, exc, result)
                conn.execute(applied.insert(), [{"change_id": c["change_id"], "desk_id": desk_id}
                                                for c in todo])
                result.applied = len(todo)
            conn.execute(T["desk"].update().where(T["desk"].c.id == desk_id)
                         .values(last_seen=sa.func.current_timestamp()))
            if hook:
                hook("central.before_commit")
        return result

    @staticmethod
    def _apply(conn: sa.Connection, desk_id: str, now: object, result: PushResult,
               changes: list[dict]) -> None:
        ctx = BatchApply(conn, desk_id, now, result)  # type: ignore[arg-type]
        ctx.prepare(changes)
        for change in changes:
            ctx.apply(change)
        ctx.finish()

    @staticmethod
    def _quarantine(conn: sa.Connection, desk_id: str, change: dict,
                    exc: sa.exc.IntegrityError, result: PushResult) -> None:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        conn.execute(T["quarantine"].insert(), {
            "change_id": change["change_id"], "desk_id": desk_id, "entity": change["entity"],
            "row_id": change["row_id"], "op": change["op"], "reason": reason,
            "payload": json.dumps(change["payload"], ensure_ascii=False, default=str)})
        result.quarantined.append({"change_id": change["change_id"],
                                   "entity": change["entity"], "row_id": change["row_id"],
                                   "reason": reason})

    # --- pulling ------------------------------------------------------------------

    def max_seq(self) -> int:
        with self.reading() as conn:
            return int(conn.execute(sa.select(sa.func.coalesce(
                sa.func.max(T["change_log"].c.seq), 0))).scalar())

    def customer_count(self) -> int:
        with self.reading() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(
                T["customer"])).scalar() or 0)

    def snapshot_customers(self, after: str, limit: int) -> tuple[list[tuple], list[tuple]]:
        """A new desk's first sync: the next ``limit`` customers by id after ``after``, and
        their phones, read in one snapshot (both as they are at one instant), as tuples in
        the desk's column order and storage form."""
        ccols, pcols = self.desk_columns("customer"), self.desk_columns("customer_phone")
        with self.reading() as conn:
            raw = conn.connection.dbapi_connection
            if self.dialect == "postgresql":
                raw.rollback()  # the pool's ping may have opened a transaction
                raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            else:
                conn.exec_driver_sql("SELECT 1")  # BEGIN: one read snapshot for both
            rows = self.fetch(raw, f"SELECT {ccols} FROM customer x WHERE x.id > @after "
                                    "ORDER BY x.id LIMIT @n", after=after, n=limit)
            phones = self.fetch(raw, f"SELECT {pcols} FROM customer_phone x WHERE "
                                      "x.customer_id > @after AND x.customer_id <= @last "
                                      "ORDER BY x.customer_id, x.position",
                                 after=after, last=rows[-1][0] if rows else after)
            raw.rollback()
            return rows, phones

    def snapshot_keys(self, after: tuple[str, str] | None, limit: int) -> list[tuple]:
        """The next ``limit`` (key, packed id or None, customer_id) lookup keys in key
        order (byte order, the desk's), after ``after``. PostgreSQL packs a canonical id
        into the 16 bytes the desk stores (:func:`agentdesk.core.ids.packed`): a Python
        call per key cost a quarter of a seed's build; otherwise the desk packs it."""
        where = "WHERE (key, customer_id) > (@k, @c) " if after else ""
        packed = (f"CASE WHEN customer_id ~ '{UUID_TEXT}' THEN "
                  "decode(replace(customer_id, '-', ''), 'hex') END"
                  if self.dialect == "postgresql" else "NULL")
        with self.reading() as conn:
            raw = conn.connection.dbapi_connection
            keys = self.fetch(raw, f"SELECT key, {packed}, customer_id FROM customer_key "
                                    f"{where}ORDER BY key, customer_id LIMIT @n", n=limit,
                               **({"k": after[0], "c": after[1]} if after else {}))
            raw.rollback()
            return keys

    def pull(self, cursor: int, limit: int, skip_customers_to: int = 0) -> list[Pulled]:
        """Changes after ``cursor`` in seq (= commit) order, each with its row as it is
        now: a tuple in the desk's column order and storage form (UTC text, 0/1), so the
        desk inserts it as is. Rows are found by joining the seq range, not by id lists.
        ``skip_customers_to``: customer entries up to this seq are left out (a new desk
        copied the customers as they were after it: :meth:`snapshot_customers`)."""
        skip = " AND (entity <> 'customer' OR seq > @skip)" if skip_customers_to else ""
        with self.reading() as conn:
            # the driver's own cursor: SQLAlchemy's rows cost as much as the query here
            raw = conn.connection.dbapi_connection
            if self.dialect != "postgresql":
                conn.exec_driver_sql("SELECT 1")  # BEGIN: the rows and phones of one commit
            entries = [Pulled(int(seq), entity, row_id, op, json.loads(payload) if payload
                              else None)
                       for seq, entity, row_id, op, payload in self.fetch(
                           raw, "SELECT seq, entity, row_id, op, payload FROM change_log "
                                f"WHERE seq > @lo{skip} ORDER BY seq LIMIT @n",
                           lo=cursor, n=limit, skip=skip_customers_to)]
            if not entries:
                raw.rollback()
                return entries
            window = {"lo": cursor, "hi": entries[-1].seq}
            rows: dict[tuple[str, str], tuple] = {}
            phones: dict[str, list[tuple]] = {}
            for entity in {p.entity for p in entries
                           if p.entity in codec.MODELS and p.entity not in codec.BY_PAYLOAD}:
                rows.update({(entity, row[0]): row for row in self.fetch(
                    raw, f"SELECT {self.desk_columns(entity)} FROM change_log l "
                         f"JOIN {entity} x ON x.{codec.key(entity)} = l.row_id "
                         f"WHERE l.seq > @lo AND l.seq <= @hi AND l.entity = '{entity}'",
                    **window)})
                if entity == "customer":
                    for row in self.fetch(
                            raw, f"SELECT DISTINCT {self.desk_columns('customer_phone')} "
                                 "FROM change_log l JOIN customer_phone x ON x.customer_id = "
                                 "l.row_id WHERE l.seq > @lo AND l.seq <= @hi AND "
                                 "l.entity = 'customer'", **window):
                        phones.setdefault(row[1], []).append(row)
            raw.rollback()
            for p in entries:
                p.row = rows.get((p.entity, p.row_id))
                if p.entity == "customer":
                    p.phones = phones.get(p.row_id, [])
        return entries

