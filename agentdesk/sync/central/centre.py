"""The central store as the desks and the loads see it: :class:`Central` (its schema made
or upgraded, its lookup keys, settings and reference rows, plus the change log and seed
storage it inherits) and :func:`connect`."""

from __future__ import annotations

import sqlalchemy as sa

from agentdesk.core.i18n import t
from agentdesk.sync.central.changes import ChangeLog
from agentdesk.sync.central import ordering
from agentdesk.sync.central.connection import LOCK_KEY, SETTING_LOCK_KEY, CentralError
from agentdesk.sync.central.rows import aware, refresh_keys, upsert
from agentdesk.sync.central.schema import (
    METADATA,
    SCHEMA_VERSION,
    T,
    get_meta,
    set_meta,
    upgrade_1_to_2,
    upgrade_5_to_6,
    upgrade_7_to_8,
    upgrade_8_to_9,
    upgrade_9_to_10,
)
from agentdesk.sync.central.seeds import SeedStorage


class Central(ChangeLog, SeedStorage):
    """One central store. Thread-safe (SQLAlchemy engines pool connections)."""

    # --- schema -------------------------------------------------------------------

    def init_schema(self) -> str:
        """Create what is missing (idempotent); returns "created" or "up to date"."""
        with self.guard(), self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # An upgrade may rewrite big tables: no per-session time limit here.
                conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
                conn.exec_driver_sql("SET LOCAL lock_timeout = 0")
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
            found = sa.inspect(conn)
            existed = found.has_table("central_meta")
            if existed:
                was = conn.execute(sa.select(T["central_meta"].c.value).where(
                    T["central_meta"].c.key == "schema_version")).scalar()
                if _newer(was):  # a newer agentdesk's centre: leave it as it is
                    raise self._other_version(was)
            elif clash := sorted(set(found.get_table_names()) & set(T)):
                # Another application's tables of the same names: never mix with them.
                raise CentralError(t("msg.sync.central.centre.central_store_not_an_2",
                                     shown=self.shown, clash=', '.join(clash[:5])),
                                   "not-agentdesk")
            METADATA.create_all(conn, checkfirst=True)
            for table in METADATA.tables.values():  # indexes added to tables that existed
                for index in table.indexes:
                    index.create(conn, checkfirst=True)
            version = conn.execute(sa.select(T["central_meta"].c.value).where(
                T["central_meta"].c.key == "schema_version")).scalar()
            if version == "1":  # before the tickets' met times (desk migration 0006)
                upgrade_1_to_2(conn)
                conn.execute(T["central_meta"].update().where(
                    T["central_meta"].c.key == "schema_version").values(value="2"))
                version = "2"
            if version == "2":  # schema 3 adds tables only (created above)
                conn.execute(T["central_meta"].update().where(
                    T["central_meta"].c.key == "schema_version").values(value="3"))
                version = "3"
            ordering.install(conn)  # schema 4: the change log is numbered at commit
            if version == "3":
                conn.execute(T["central_meta"].update().where(
                    T["central_meta"].c.key == "schema_version").values(value="4"))
                version = "4"
            if version == "4":  # schema 5 adds tables only (aliases, quarantine)
                conn.execute(T["central_meta"].update().where(
                    T["central_meta"].c.key == "schema_version").values(value="5"))
                version = "5"
            if version == "5":  # notices over several areas, their events
                upgrade_5_to_6(conn)
                conn.execute(T["central_meta"].update().where(
                    T["central_meta"].c.key == "schema_version").values(value="6"))
                version = "6"
            if version == "6":  # schema 7 adds tables only (outreach calls, their results)
                conn.execute(T["central_meta"].update().where(
                    T["central_meta"].c.key == "schema_version").values(value="7"))
                version = "7"
            if version == "7":  # the ticket's life (desk migration 0013)
                upgrade_7_to_8(conn)
                conn.execute(T["central_meta"].update().where(
                    T["central_meta"].c.key == "schema_version").values(value="8"))
                version = "8"
            if version == "8":  # how every call ended (desk migration 0014)
                upgrade_8_to_9(conn)
                conn.execute(T["central_meta"].update().where(
                    T["central_meta"].c.key == "schema_version").values(value="9"))
                version = "9"
            if version == "9":  # agent status and PIN (desk migration 0015)
                upgrade_9_to_10(conn)
                conn.execute(T["central_meta"].update().where(
                    T["central_meta"].c.key == "schema_version").values(value="10"))
                version = "10"
            if version == "10":  # schema 11 adds indexes only (a partial desk's lookups)
                conn.execute(T["central_meta"].update().where(
                    T["central_meta"].c.key == "schema_version").values(value="11"))
                version = "11"
            if self.dialect == "postgresql":
                # Seed chunks are SQLite pages: not worth compressing again on every read.
                conn.execute(sa.text("ALTER TABLE desk_seed_chunk ALTER COLUMN data "
                                     "SET STORAGE EXTERNAL"))
            if version is not None and version != SCHEMA_VERSION:
                raise self._other_version(version)
            if version is None:
                conn.execute(T["central_meta"].insert(),
                             {"key": "schema_version", "value": SCHEMA_VERSION})
        self.ensure_keys()
        return "up to date" if existed else "created"

    # --- lookup keys (computed once here, copied by new desks) ----------------------

    def keys_version(self) -> str | None:
        """search_keys.version() of the keys this centre keeps (None: it keeps none)."""
        with self.reading() as conn:
            return get_meta(conn, "search_keys")

    def ensure_keys(self, batch: int = 5000) -> int:
        """Compute every customer's lookup keys when the centre has none of this version
        (a centre made before keys lived here, new key rules, another pypinyin): in id
        order, one transaction per batch; the version is recorded at the end, so desks
        compute keys themselves until then. Returns the customers done (0: up to date)."""
        from agentdesk.core import search_keys

        wanted = search_keys.version()
        if self.keys_version() == wanted:
            return 0
        customer, after, done = T["customer"], "", 0
        while True:
            with self.writing() as conn:
                ids = list(conn.execute(sa.select(customer.c.id).where(customer.c.id > after)
                                        .order_by(customer.c.id).limit(batch)).scalars())
                refresh_keys(conn, ids)
                if len(ids) < batch:
                    set_meta(conn, "search_keys", wanted)
            done += len(ids)
            if len(ids) < batch:
                return done
            after = ids[-1]

    def check(self) -> None:
        """Raises CentralError when this is not an agentdesk centre of this schema
        version, saying what to do."""
        try:
            with self.reading() as conn:
                version = conn.execute(sa.select(T["central_meta"].c.value).where(
                    T["central_meta"].c.key == "schema_version")).scalar()
        except CentralError as exc:
            if exc.kind != "not-initialised":
                raise
            # Only now (every sync checks): an empty database, or another application's?
            with self.reading() as conn:
                tables = sorted(sa.inspect(conn).get_table_names())
            if not tables:
                raise CentralError(t("msg.sync.central.centre.central_store_empty_database",
                                     shown=self.shown),
                                   "not-initialised") from None
            raise CentralError(t("msg.sync.central.centre.central_store_not_an", shown=self.shown,
                                 tables=', '.join(tables[:5]),
                                 value=', ...' if len(tables) > 5 else ''),
                               "not-agentdesk") from None
        if version != SCHEMA_VERSION:
            raise self._other_version(version)

    def _other_version(self, version: str | None) -> CentralError:
        if version is None:
            return CentralError(f"central store {self.shown}: no schema version recorded; "
                                "run agentdesk central init --central URL", "not-initialised")
        if _newer(version):
            return CentralError(f"central store {self.shown}: central schema version "
                                f"{version}, newer than this agentdesk knows "
                                f"({SCHEMA_VERSION}); upgrade agentdesk", "schema")
        return CentralError(f"central store {self.shown}: central schema version {version}, "
                            f"this agentdesk needs {SCHEMA_VERSION}; run agentdesk central "
                            "init --central URL (it upgrades the centre)", "schema")

    # --- centre-side writes (loads) --------------------------------------------------

    def setting(self, name: str) -> str | None:
        """A setting's text as the centre keeps it (None: never loaded)."""
        table = T["central_setting"]
        with self.reading() as conn:
            return conn.execute(sa.select(table.c.body).where(table.c.name == name)).scalar()

    def put_setting(self, name: str, body: str, origin: str = "centre") -> int | None:
        """Store a setting's text (the caller validated it) and log it for the desks, in
        one transaction under the setting's lock. Returns the change-log seq, or None
        when the centre already holds exactly this text (nothing is written or logged)."""
        table, log = T["central_setting"], T["change_log"]
        with self.writing() as conn:
            # Read under the lock: two loads at once cannot both see "changed".
            if self.dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"),
                             {"k": SETTING_LOCK_KEY})
            if conn.execute(sa.select(table.c.body).where(table.c.name == name)).scalar() \
                    == body:
                return None
            now = aware(conn.execute(sa.select(sa.func.current_timestamp())).scalar())
            upsert(conn, table, [{"name": name, "body": body, "updated_at": now}])
            conn.execute(log.insert(), {"entity": "central_setting", "row_id": name,
                                        "op": "upsert", "origin": origin})
        # Numbered at commit (on PostgreSQL): the seq is read back once it is final.
        with self.reading() as conn:
            return int(conn.execute(sa.select(sa.func.max(log.c.seq)).where(
                log.c.entity == "central_setting", log.c.row_id == name)).scalar_one())

    def upsert_rows(self, entity: str, rows: list[dict], phones: dict[str, list] | None = None,
                    origin: str = "centre") -> int:
        """Insert or replace reference rows (customers with their phones, articles,
        notices, agents) and log them for the desks; one transaction."""
        with self.writing() as conn:
            upsert(conn, T[entity], rows)
            if phones is not None:
                ph = T["customer_phone"]
                ids = list(phones)
                for start in range(0, len(ids), 5000):
                    conn.execute(ph.delete().where(ph.c.customer_id.in_(ids[start:start + 5000])))
                flat = [p for plist in phones.values() for p in plist]
                if flat:
                    conn.execute(ph.insert(), flat)
            if entity == "customer":
                refresh_keys(conn, [r["id"] for r in rows])
            if rows:
                conn.execute(T["change_log"].insert(), [
                    {"entity": entity, "row_id": r["id"], "op": "upsert", "origin": origin}
                    for r in rows])
        return len(rows)


def _newer(version: str | None) -> bool:
    """A schema version this agentdesk does not know (made by a newer one)."""
    if version is None:
        return False
    return not version.isdigit() or int(version) > int(SCHEMA_VERSION)


def connect(url: str, pool_size: int = 5) -> Central:
    if not url:
        raise CentralError(t("msg.sync.central.centre.no_central_store_configured"), "url")
    return Central(url, pool_size=pool_size)
