"""The central store: PostgreSQL (psycopg 3) for a real centre, a SQLite file for one
machine and the quick tests. Every desk talks to it through :class:`Central`.

Schema: the synced desk tables (same columns, no foreign keys: rows of hundreds of desks
arrive in batches, and each desk's own database keeps its references) plus

* ``change_log(seq, entity, row_id, op, payload, origin, change_id, at)``: one row per
  change the centre made; desks pull ``WHERE seq > cursor ORDER BY seq`` and read the
  current rows it names (so a customer changed ten times travels once per pull);
* ``applied_change(change_id)``: every desk change id the centre applied, so a retried
  batch (a crash after the central commit, before the desk cleared its outbox) is
  applied once;
* ``desk(id, no)``: registered desks and their numbers (ticket-number ranges);
* ``customer_key(key, customer_id)``: the lookup keys of every customer, computed here
  once (loads, applied customer edits) and copied by a new desk in key order;
* ``central_meta``: the central schema version; ``search_keys``: the key rules' version
  the keys were computed with (``search_keys.version()``);
* ``central_setting(name, body, updated_at)``: what every desk pulls by name, e.g. the
  centre's SLA policy text (``sla_policy``); logged as entity ``central_setting``.

**The cursor never skips.** Every writer of ``change_log`` runs :meth:`Central._writing`:
on PostgreSQL it first takes ``pg_advisory_xact_lock(LOCK_KEY)``, so writers run one at
a time and a ``seq`` is drawn only while the previous writer has committed (its rows are
visible before the lock is released); on SQLite ``BEGIN IMMEDIATE`` does the same.
Hence seq order is commit order, and a puller that has seen seq N has seen everything
below N.

**Conflicts** are decided here, inside the applying transaction, in receipt order: a
claim or hand-over names the owner it expects to replace; if the ticket's owner is no
longer that one, the event is kept (history is append-only) and followed by a ``conflict``
event restoring the winner, and a ``conflict`` change tells the losing desk. A customer
field edit overwrites in receipt order; the overwritten value goes to the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError

from agentdesk.core.ids import new_id
from agentdesk.core.store import StoreError
from agentdesk.sync import codec

SCHEMA_VERSION = "3"
LOCK_KEY = 0x61676473796E63  # "agdsync": the one advisory lock all change-log writers take
CONNECT_TIMEOUT_S = 5
OWNERSHIP_KINDS = ("claim", "handover")
# Tables the centre keeps, with the desk's columns (desk tables that travel, the settings
# every desk pulls by name, plus the centre's own audit log); customer_key is its own.
CENTRAL_TABLES = ("agent", "customer", "customer_phone", "contact", "incident", "notice",
                  "kb_article", "ticket", "ticket_event", "ticket_article", "central_setting",
                  "audit_log")


class CentralError(StoreError):
    """The central store cannot be used (unreachable, not initialised, refused)."""


class CentralUnavailable(CentralError):
    """The centre cannot be reached now: the desk keeps working and retries later."""


@dataclass
class PushResult:
    applied: int = 0  # changes applied now
    repeated: int = 0  # changes the centre had already applied (a retried batch)
    conflicts: list[dict] = field(default_factory=list)


@dataclass
class Pulled:
    seq: int
    entity: str
    row_id: str
    op: str
    payload: dict | None
    row: tuple | None = None  # the row now, desk column order and form (None: a payload)
    phones: list[tuple] | None = None  # customers: their phones now


def _metadata() -> tuple[sa.MetaData, dict[str, sa.Table]]:
    from sqlmodel import SQLModel

    import agentdesk.core.models  # noqa: F401

    md = sa.MetaData()
    tables: dict[str, sa.Table] = {}
    for name in CENTRAL_TABLES:
        source = SQLModel.metadata.tables[name]
        tables[name] = sa.Table(name, md, *[
            sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in source.columns])
    # Lookup keys, computed here once for every desk (search_keys.customer_keys) whenever
    # a customer is loaded or changed; a new desk copies them in key order. "C" collation
    # on PostgreSQL: key order is then byte order, the desk's SQLite order (appends).
    text = sa.String().with_variant(sa.String(collation="C"), "postgresql")
    tables["customer_key"] = sa.Table(
        "customer_key", md, sa.Column("key", text, primary_key=True),
        sa.Column("customer_id", text, primary_key=True))
    sa.Index("ix_customer_key_customer_id", tables["customer_key"].c.customer_id)
    sa.Index("ix_customer_phone_customer_id", tables["customer_phone"].c.customer_id)
    sa.Index("ix_ticket_event_ticket_id", tables["ticket_event"].c.ticket_id)
    sa.Index("ix_customer_account_no", tables["customer"].c.account_no)
    seq_type = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    tables["change_log"] = sa.Table(
        "change_log", md,
        sa.Column("seq", seq_type, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("row_id", sa.String(80), nullable=False),
        sa.Column("op", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text, nullable=True),
        sa.Column("origin", sa.String(80), nullable=False, server_default=""),
        sa.Column("change_id", sa.String(40), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.current_timestamp()),
        sqlite_autoincrement=True)
    # By row only: an (entity, row_id) index tempts the planner, when statistics are
    # stale after a bulk load, to AND it with the seq range and read every customer entry
    # for each pulled batch.
    sa.Index("ix_change_log_row_id", tables["change_log"].c.row_id)
    tables["applied_change"] = sa.Table(
        "applied_change", md,
        sa.Column("change_id", sa.String(40), primary_key=True),
        sa.Column("desk_id", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.current_timestamp()))
    tables["desk"] = sa.Table(
        "desk", md,
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("no", sa.Integer, nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False, server_default=""),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.current_timestamp()),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True))
    # A new desk's seed (:mod:`agentdesk.sync.seed`): a ready desk database file of the
    # customers, phones and lookup keys as of change-log seq ``seq_hi``, in chunks.
    tables["desk_seed"] = sa.Table(
        "desk_seed", md,
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("seq_hi", sa.BigInteger, nullable=False),
        sa.Column("schema_rev", sa.String(32), nullable=False),  # the desk migration
        sa.Column("keys_version", sa.String(64), nullable=False),  # search_keys.version()
        sa.Column("customers", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("size", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("chunk_size", sa.Integer, nullable=False),
        sa.Column("chunks", sa.Integer, nullable=False, server_default="0"),
        sa.Column("complete", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.current_timestamp()))
    tables["desk_seed_chunk"] = sa.Table(
        "desk_seed_chunk", md,
        sa.Column("seed_id", sa.String(40), primary_key=True),
        sa.Column("n", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False))
    tables["central_meta"] = sa.Table(
        "central_meta", md,
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False, server_default=""))
    return md, tables


METADATA, T = _metadata()


def _upgrade_1_to_2(conn: sa.Connection) -> None:
    """Schema 1 -> 2: the tickets' met times, added and filled from the events exactly as
    the desk's migration 0006 does (the same SQL runs on SQLite and PostgreSQL)."""
    import importlib

    from agentdesk.tickets import workflow

    m0006 = importlib.import_module("db.migrations.versions.0006_ticket_met_times")
    have = {c["name"] for c in sa.inspect(conn).get_columns("ticket")}
    for name in workflow.MET:
        if name not in have:
            kind = T["ticket"].c[name].type.compile(dialect=conn.dialect)
            conn.execute(sa.text(f"ALTER TABLE ticket ADD COLUMN {name} {kind}"))
    conn.execute(sa.text(m0006.BACKFILL))
    conn.execute(sa.text(m0006.BACKFILL_REOPENED))


def safe_url(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL we cannot parse is shown as given, cut short
        return url[:60]


def _engine_url(url: str) -> sa.URL:
    try:
        parsed = sa.make_url(url)
    except Exception:  # noqa: BLE001
        raise CentralError(f"central store URL {url!r} is not a URL like "
                           "postgresql://user@host/db or sqlite:///path") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise CentralError("a SQLite central store needs a file: sqlite:///path/central.db")
        return parsed
    raise CentralError(f"central store {safe_url(url)}: only postgresql:// and sqlite:/// "
                       "are supported")


class Central:
    """One central store. Thread-safe (SQLAlchemy engines pool connections)."""

    def __init__(self, url: str, pool_size: int = 5) -> None:
        self.url = url
        self.shown = safe_url(url)
        engine_url = _engine_url(url)
        self.dialect = engine_url.get_backend_name()
        if self.dialect == "postgresql":
            self.engine = sa.create_engine(
                engine_url, pool_pre_ping=True, pool_size=pool_size,
                connect_args={"connect_timeout": CONNECT_TIMEOUT_S,
                              "application_name": "agentdesk-sync"})
            self.read_engine = self.engine
        else:
            from pathlib import Path

            path = Path(engine_url.database).expanduser()
            if not path.parent.is_dir():
                raise CentralUnavailable(f"central store {self.shown}: folder {path.parent} "
                                         "not found (unreachable?)")
            self.engine = self._sqlite_engine(engine_url, immediate=True)
            self.read_engine = self._sqlite_engine(engine_url, immediate=False)

    @staticmethod
    def _sqlite_engine(url: sa.URL, immediate: bool) -> sa.Engine:
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):  # noqa: ANN001
            dbapi_connection.isolation_level = None  # we say BEGIN ourselves
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA busy_timeout = 30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):  # noqa: ANN001
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()

    # --- errors -------------------------------------------------------------------

    def _explain(self, exc: BaseException) -> CentralError:
        message = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = message[0] if message else type(exc).__name__
        lowered = " ".join(message).lower()
        unreachable = ("connection refused", "could not connect", "timeout", "timed out",
                       "server closed", "connection is closed", "terminating connection",
                       "unable to open", "no route", "network", "consuming input failed",
                       "connection failed", "lost synchronization", "eof detected",
                       "connection reset", "broken pipe", "database is locked")
        if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
            return CentralUnavailable(f"central store {self.shown}: connection lost ({first})")
        if any(w in lowered for w in unreachable) or isinstance(exc, (OSError, ConnectionError)):
            return CentralUnavailable(f"central store {self.shown}: unreachable ({first})")
        if "does not exist" in lowered or "no such table" in lowered:
            return CentralError(f"central store {self.shown}: not initialised ({first}); run "
                                "agentdesk central init --central URL")
        return CentralError(f"central store {self.shown}: {first}")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except CentralError:
            raise
        except (DBAPIError, OSError, ConnectionError) as exc:
            raise self._explain(exc) from exc

    @contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        """A write transaction that holds the change-log lock (seq order = commit order)."""
        with self._guard(), self.engine.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
            yield conn

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        with self._guard(), self.read_engine.connect() as conn:
            yield conn

    # --- schema -------------------------------------------------------------------

    def init_schema(self) -> str:
        """Create what is missing (idempotent); returns "created" or "up to date"."""
        with self._guard(), self.engine.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
            existed = sa.inspect(conn).has_table("central_meta")
            METADATA.create_all(conn, checkfirst=True)
            version = conn.execute(sa.select(T["central_meta"].c.value).where(
                T["central_meta"].c.key == "schema_version")).scalar()
            if version == "1":  # before the tickets' met times (desk migration 0006)
                _upgrade_1_to_2(conn)
                conn.execute(T["central_meta"].update().where(
                    T["central_meta"].c.key == "schema_version").values(value="2"))
                version = "2"
            if version == "2":  # schema 3 adds tables only (created above)
                conn.execute(T["central_meta"].update().where(
                    T["central_meta"].c.key == "schema_version").values(value="3"))
                version = "3"
            if self.dialect == "postgresql":
                # Seed chunks are SQLite pages: not worth compressing again on every read.
                conn.execute(sa.text("ALTER TABLE desk_seed_chunk ALTER COLUMN data "
                                     "SET STORAGE EXTERNAL"))
            if version is not None and version != SCHEMA_VERSION:
                raise CentralError(f"central store {self.shown}: schema version {version!r}, "
                                   f"this agentdesk knows {SCHEMA_VERSION!r}")
            if version is None:
                conn.execute(T["central_meta"].insert(),
                             {"key": "schema_version", "value": SCHEMA_VERSION})
        self.ensure_keys()
        return "up to date" if existed else "created"

    # --- lookup keys (computed once here, copied by new desks) ----------------------

    def keys_version(self) -> str | None:
        """search_keys.version() of the keys this centre keeps (None: it keeps none)."""
        with self.reading() as conn:
            return _get_meta(conn, "search_keys")

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
            with self._writing() as conn:
                ids = list(conn.execute(sa.select(customer.c.id).where(customer.c.id > after)
                                        .order_by(customer.c.id).limit(batch)).scalars())
                _refresh_keys(conn, ids)
                if len(ids) < batch:
                    _set_meta(conn, "search_keys", wanted)
            done += len(ids)
            if len(ids) < batch:
                return done
            after = ids[-1]

    def check(self) -> None:
        with self.reading() as conn:
            version = conn.execute(sa.select(T["central_meta"].c.value).where(
                T["central_meta"].c.key == "schema_version")).scalar()
        if version != SCHEMA_VERSION:
            raise CentralError(f"central store {self.shown}: schema version {version!r}, "
                               f"expected {SCHEMA_VERSION!r}; run agentdesk central init")

    # --- desks --------------------------------------------------------------------

    def register(self, desk_id: str, name: str) -> int:
        """The desk's number (made on first contact; ticket numbers use it)."""
        desk = T["desk"]
        with self.reading() as conn:
            no = conn.execute(sa.select(desk.c.no).where(desk.c.id == desk_id)).scalar()
        if no is not None:
            return int(no)
        with self._writing() as conn:
            no = conn.execute(sa.select(desk.c.no).where(desk.c.id == desk_id)).scalar()
            if no is None:
                no = (conn.execute(sa.select(sa.func.max(desk.c.no))).scalar() or 0) + 1
                conn.execute(desk.insert(), {"id": desk_id, "no": no, "name": name})
        return int(no)

    # --- pushing ------------------------------------------------------------------

    def push(self, desk_id: str, changes: list[dict], hook=None) -> PushResult:  # noqa: ANN001
        """Apply one batch of a desk's changes in one transaction; each change id once.
        ``changes``: dicts with change_id, entity, row_id, op, payload (a dict).
        ``hook(name)`` is called at named points (fault tests)."""
        result = PushResult()
        applied = T["applied_change"]
        with self._writing() as conn:
            ids = [c["change_id"] for c in changes]
            done = set(conn.execute(sa.select(applied.c.change_id)
                                    .where(applied.c.change_id.in_(ids))).scalars())
            todo = [c for c in changes if c["change_id"] not in done]
            result.repeated = len(changes) - len(todo)
            if todo:
                # The centre's clock, never the desk's: desk clocks may be off by hours.
                now = _aware(conn.execute(sa.select(sa.func.current_timestamp())).scalar())
                ctx = _Apply(conn, desk_id, now, result)
                ctx.prepare(todo)
                for change in todo:
                    ctx.apply(change)
                ctx.finish()
                conn.execute(applied.insert(), [{"change_id": c["change_id"], "desk_id": desk_id}
                                                for c in todo])
                result.applied = len(todo)
            conn.execute(T["desk"].update().where(T["desk"].c.id == desk_id)
                         .values(last_seen=sa.func.current_timestamp()))
            if hook:
                hook("central.before_commit")
        return result

    # --- pulling ------------------------------------------------------------------

    def max_seq(self) -> int:
        with self.reading() as conn:
            return int(conn.execute(sa.select(sa.func.coalesce(
                sa.func.max(T["change_log"].c.seq), 0))).scalar())

    def customer_count(self) -> int:
        with self.reading() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(
                T["customer"])).scalar() or 0)

    # --- seeds for new desks (agentdesk.sync.seed) -----------------------------------

    def seed_begin(self, seq_hi: int, schema_rev: str, keys_version: str, customers: int,
                   chunk_size: int) -> str:
        seed_id = new_id()
        with self._guard(), self.engine.begin() as conn:
            conn.execute(T["desk_seed"].insert(), {
                "id": seed_id, "seq_hi": seq_hi, "schema_rev": schema_rev,
                "keys_version": keys_version, "customers": customers,
                "chunk_size": chunk_size})
        return seed_id

    def seed_put(self, seed_id: str, n: int, sha256: str, data: bytes) -> None:
        with self._guard(), self.engine.begin() as conn:
            conn.execute(T["desk_seed_chunk"].insert(),
                         {"seed_id": seed_id, "n": n, "sha256": sha256, "data": data})

    def seed_finish(self, seed_id: str, size: int, chunks: int) -> None:
        """The seed is complete: new desks take it, and the complete seeds made before it
        go (a build still running beside this one is left alone: it finishes later)."""
        seed, chunk = T["desk_seed"], T["desk_seed_chunk"]
        with self._guard(), self.engine.begin() as conn:
            done = conn.execute(seed.update().where(seed.c.id == seed_id).values(
                size=size, chunks=chunks, complete=True)).rowcount
            if done != 1:
                raise CentralError(f"central store {self.shown}: seed {seed_id} was removed "
                                   "while it was being made; make it again")
            # Ids are uuid7: their order is the order the builds began (made_at has only
            # whole seconds on SQLite).
            older = sa.select(seed.c.id).where(seed.c.id < seed_id, seed.c.complete == sa.true())
            conn.execute(chunk.delete().where(chunk.c.seed_id.in_(older)))
            conn.execute(seed.delete().where(seed.c.id.in_(older)))

    def seed_drop(self, seed_id: str) -> None:
        """An unfinished seed's chunks (a build that failed)."""
        with self._guard(), self.engine.begin() as conn:
            conn.execute(T["desk_seed_chunk"].delete().where(
                T["desk_seed_chunk"].c.seed_id == seed_id))
            conn.execute(T["desk_seed"].delete().where(T["desk_seed"].c.id == seed_id))

    def seed_latest(self) -> dict | None:
        seed = T["desk_seed"]
        with self.reading() as conn:
            row = conn.execute(sa.select(seed).where(seed.c.complete == sa.true())
                               .order_by(seed.c.id.desc()).limit(1)).mappings().first()
            return dict(row) if row else None

    def seed_chunk(self, seed_id: str, n: int) -> tuple[str, bytes] | None:
        chunk = T["desk_seed_chunk"]
        with self.reading() as conn:
            if self.dialect == "postgresql":
                # Binary results: bytea as text is hex, twice the bytes and a decode
                # (measured: 113 ms per 8 MB chunk as text, 15 ms binary).
                raw = conn.connection.dbapi_connection
                with raw.cursor(binary=True) as cur:
                    cur.execute("SELECT sha256, data FROM desk_seed_chunk WHERE "
                                "seed_id = %s AND n = %s", (seed_id, n))
                    row = cur.fetchone()
                raw.rollback()
            else:
                row = conn.execute(sa.select(chunk.c.sha256, chunk.c.data).where(
                    chunk.c.seed_id == seed_id, chunk.c.n == n)).first()
            return (row[0], bytes(row[1])) if row else None

    def snapshot_customers(self, after: str, limit: int) -> tuple[list[tuple], list[tuple]]:
        """A new desk's first sync: the next ``limit`` customers by id after ``after``, and
        their phones, read in one snapshot (both as they are at one instant), as tuples in
        the desk's column order and storage form."""
        ccols, pcols = self._desk_columns("customer"), self._desk_columns("customer_phone")
        with self.reading() as conn:
            raw = conn.connection.dbapi_connection
            if self.dialect == "postgresql":
                raw.rollback()  # the pool's ping may have opened a transaction
                raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            else:
                conn.exec_driver_sql("SELECT 1")  # BEGIN: one read snapshot for both
            rows = self._fetch(raw, f"SELECT {ccols} FROM customer x WHERE x.id > @after "
                                    "ORDER BY x.id LIMIT @n", after=after, n=limit)
            phones = self._fetch(raw, f"SELECT {pcols} FROM customer_phone x WHERE "
                                      "x.customer_id > @after AND x.customer_id <= @last "
                                      "ORDER BY x.customer_id, x.position",
                                 after=after, last=rows[-1][0] if rows else after)
            raw.rollback()
            return rows, phones

    def snapshot_keys(self, after: tuple[str, str] | None, limit: int) -> list[tuple]:
        """The next ``limit`` (key, customer_id) lookup keys in key order (byte order, the
        desk's), after ``after``."""
        where = "WHERE (key, customer_id) > (@k, @c) " if after else ""
        with self.reading() as conn:
            raw = conn.connection.dbapi_connection
            keys = self._fetch(raw, f"SELECT key, customer_id FROM customer_key {where}"
                                    "ORDER BY key, customer_id LIMIT @n", n=limit,
                               **({"k": after[0], "c": after[1]} if after else {}))
            raw.rollback()
            return keys

    def _fetch(self, raw, query: str, **params: object) -> list[tuple]:  # noqa: ANN001
        """One query's rows through the driver's own cursor (a DBAPI connection).
        Measured on 200,000 keys: psycopg's C fetchall 0.12 s, COPY ... TO STDOUT read
        with copy.rows() 0.25-0.34 s (a Python call per row), so no COPY here."""
        cur = raw.cursor()
        try:
            cur.execute(self._sql(query), params)
            return cur.fetchall()
        finally:
            cur.close()

    def pull(self, cursor: int, limit: int, skip_customers_to: int = 0) -> list[Pulled]:
        """Changes after ``cursor`` in seq (= commit) order, each with its row as it is
        now: a tuple in the desk's column order and storage form (UTC text, 0/1), so the
        desk inserts it as is. Rows are found by joining the seq range, not by id lists.
        ``skip_customers_to``: customer entries up to this seq are left out (a new desk
        copied the customers as they were after it: :meth:`snapshot_customers`)."""
        skip = " AND (entity <> 'customer' OR seq > @skip)" if skip_customers_to else ""
        with self.reading() as conn:
            entries = [Pulled(int(seq), entity, row_id, op, json.loads(payload) if payload
                              else None)
                       for seq, entity, row_id, op, payload in conn.exec_driver_sql(
                           self._sql("SELECT seq, entity, row_id, op, payload FROM change_log "
                                     f"WHERE seq > @lo{skip} ORDER BY seq LIMIT @n"),
                           self._params(lo=cursor, n=limit, skip=skip_customers_to))]
            if not entries:
                return entries
            window = self._params(lo=cursor, hi=entries[-1].seq)
            rows: dict[tuple[str, str], tuple] = {}
            phones: dict[str, list[tuple]] = {}
            for entity in {p.entity for p in entries
                           if p.entity in codec.MODELS and p.entity not in codec.BY_PAYLOAD}:
                for row in conn.exec_driver_sql(self._sql(
                        f"SELECT {self._desk_columns(entity)} FROM change_log l JOIN {entity} x "
                        f"ON x.{codec.key(entity)} = l.row_id WHERE l.seq > @lo AND "
                        f"l.seq <= @hi AND "
                        f"l.entity = '{entity}'"), window).fetchall():
                    rows[(entity, row[0])] = tuple(row)
                if entity == "customer":
                    for row in conn.exec_driver_sql(self._sql(
                            f"SELECT DISTINCT {self._desk_columns('customer_phone')} FROM "
                            f"change_log l JOIN customer_phone x ON x.customer_id = l.row_id "
                            f"WHERE l.seq > @lo AND l.seq <= @hi AND l.entity = 'customer'"),
                            window).fetchall():
                        phones.setdefault(row[1], []).append(tuple(row))
            for p in entries:
                p.row = rows.get((p.entity, p.row_id))
                if p.entity == "customer":
                    p.phones = phones.get(p.row_id, [])
        return entries

    def _sql(self, sql: str) -> str:
        """Named parameters in the driver's style (exec_driver_sql skips SQLAlchemy)."""
        import re

        style = r"%(\1)s" if self.dialect == "postgresql" else r":\1"
        return re.sub(r"@(\w+)", style, sql)

    @staticmethod
    def _params(**values: object) -> dict:
        return values

    def _desk_columns(self, entity: str) -> str:
        """The select list giving the desk's storage form (PostgreSQL formats it)."""
        from agentdesk.core.models import UTCDateTime

        out = []
        for column in codec.table(entity).columns:
            name = f"x.{column.name}"
            if self.dialect == "postgresql":
                if isinstance(column.type, UTCDateTime):
                    name = (f"to_char({name} AT TIME ZONE 'UTC', "
                            f"'YYYY-MM-DD HH24:MI:SS.US')")
                elif isinstance(column.type, sa.Date):
                    name = f"to_char({name}, 'YYYY-MM-DD')"
                elif isinstance(column.type, sa.Boolean):
                    name = f"{name}::int"
            out.append(name)
        return ", ".join(out)

    # --- centre-side writes (loads) --------------------------------------------------

    def setting(self, name: str) -> str | None:
        """A setting's text as the centre keeps it (None: never loaded)."""
        table = T["central_setting"]
        with self.reading() as conn:
            return conn.execute(sa.select(table.c.body).where(table.c.name == name)).scalar()

    def put_setting(self, name: str, body: str, origin: str = "centre") -> int | None:
        """Store a setting's text (the caller validated it) and log it for the desks, in
        one transaction under the change-log lock. Returns the change-log seq, or None
        when the centre already holds exactly this text (nothing is written or logged)."""
        table, log = T["central_setting"], T["change_log"]
        with self._writing() as conn:
            # Read under the lock: two loads at once cannot both see "changed".
            if conn.execute(sa.select(table.c.body).where(table.c.name == name)).scalar() \
                    == body:
                return None
            now = _aware(conn.execute(sa.select(sa.func.current_timestamp())).scalar())
            _upsert(conn, table, [{"name": name, "body": body, "updated_at": now}])
            return int(conn.execute(log.insert().returning(log.c.seq), {
                "entity": "central_setting", "row_id": name, "op": "upsert",
                "origin": origin}).scalar_one())

    def upsert_rows(self, entity: str, rows: list[dict], phones: dict[str, list] | None = None,
                    origin: str = "centre") -> int:
        """Insert or replace reference rows (customers with their phones, articles,
        notices, agents) and log them for the desks; one transaction."""
        with self._writing() as conn:
            _upsert(conn, T[entity], rows)
            if phones is not None:
                ph = T["customer_phone"]
                ids = list(phones)
                for start in range(0, len(ids), 5000):
                    conn.execute(ph.delete().where(ph.c.customer_id.in_(ids[start:start + 5000])))
                flat = [p for plist in phones.values() for p in plist]
                if flat:
                    conn.execute(ph.insert(), flat)
            if entity == "customer":
                _refresh_keys(conn, [r["id"] for r in rows])
            if rows:
                conn.execute(T["change_log"].insert(), [
                    {"entity": entity, "row_id": r["id"], "op": "upsert", "origin": origin}
                    for r in rows])
        return len(rows)


def _get_meta(conn: sa.Connection, key: str) -> str | None:
    meta = T["central_meta"]
    return conn.execute(sa.select(meta.c.value).where(meta.c.key == key)).scalar()


def _set_meta(conn: sa.Connection, key: str, value: str) -> None:
    meta = T["central_meta"]
    if conn.execute(meta.update().where(meta.c.key == key).values(value=value)).rowcount == 0:
        conn.execute(meta.insert(), {"key": key, "value": value})


def _refresh_keys(conn: sa.Connection, ids: list[str]) -> None:
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
                for cid, name, street, community, building, unit, room in conn.execute(
                    sa.select(customer.c.id, customer.c.name, customer.c.street,
                              customer.c.community, customer.c.building, customer.c.unit,
                              customer.c.room).where(customer.c.id.in_(chunk)))
                for k in sorted(search_keys.customer_keys(
                    name, street, community, building, unit, room, numbers.get(cid, ())))]
        if rows:
            conn.execute(key.insert(), rows)


def _aware(value: Any) -> datetime:
    """A server timestamp as aware UTC (SQLite gives 'YYYY-MM-DD HH:MM:SS' in UTC)."""
    from datetime import timezone

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _upsert(conn: sa.Connection, table: sa.Table, rows: list[dict], update: bool = True) -> int:
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


class _Apply:
    """Applies one batch of a desk's changes inside the centre's transaction.

    Tickets and events are worked in memory (the batch's tickets read in one query,
    projected event by event in receipt order, written once at the end); change-log rows
    are written together at the end in receipt order. Other rows are written at once."""

    def __init__(self, conn: sa.Connection, desk_id: str, now: datetime,
                 result: PushResult) -> None:
        self.conn, self.desk_id, self.now, self.result = conn, desk_id, now, result
        self.logs: list[dict] = []
        self.tickets: dict[str, dict] = {}  # id -> state (python values)
        self.new_tickets: list[str] = []
        self.dirty: set[str] = set()
        self.new_events: list[dict] = []
        self.known_events: set[str] = set()
        self.owner_since: dict[str, datetime] = {}
        self.customers: set[str] = set()  # changed: their lookup keys are recomputed

    def log(self, entity: str, row_id: str, op: str, change_id: str | None,
            payload: dict | None = None) -> None:
        self.logs.append({
            "entity": entity, "row_id": row_id, "op": op, "origin": self.desk_id,
            "change_id": change_id,
            "payload": json.dumps(payload, ensure_ascii=False) if payload else None})

    def prepare(self, changes: list[dict]) -> None:
        ticket_ids = {c["payload"]["ticket_id"] for c in changes if c["entity"] == "ticket_event"}
        ticket_ids |= {c["row_id"] for c in changes if c["entity"] == "ticket"}
        event_ids = [c["row_id"] for c in changes if c["entity"] == "ticket_event"]
        ticket, events = T["ticket"], T["ticket_event"]
        ids = sorted(ticket_ids)
        for start in range(0, len(ids), 1000):
            for row in self.conn.execute(sa.select(ticket).where(
                    ticket.c.id.in_(ids[start:start + 1000]))).mappings():
                self.tickets[row["id"]] = dict(row)
        for start in range(0, len(event_ids), 1000):
            self.known_events.update(self.conn.execute(sa.select(events.c.id).where(
                events.c.id.in_(event_ids[start:start + 1000]))).scalars())

    def finish(self) -> None:
        ticket = T["ticket"]
        if self.new_tickets:
            self.conn.execute(ticket.insert(), [self.tickets[i] for i in self.new_tickets])
        old = [i for i in self.dirty if i not in set(self.new_tickets)]
        if old:
            cols = [c.name for c in ticket.columns if c.name not in ("id", "created_at")]
            self.conn.execute(
                ticket.update().where(ticket.c.id == sa.bindparam("_id"))
                .values({c: sa.bindparam(c) for c in cols}),
                [{"_id": i, **{c: self.tickets[i][c] for c in cols}} for i in sorted(old)])
        if self.customers:
            _refresh_keys(self.conn, list(self.customers))
        if self.new_events:
            self.conn.execute(T["ticket_event"].insert(), self.new_events)
        for i in sorted(self.dirty):
            self.log("ticket", i, "update", None)
        if self.logs:
            self.conn.execute(T["change_log"].insert(), self.logs)

    def apply(self, change: dict) -> None:
        entity, op, payload = change["entity"], change["op"], change["payload"]
        cid, row_id = change["change_id"], change["row_id"]
        conn = self.conn
        if entity == "agent":
            row = codec.to_python(entity, payload)
            taken = conn.execute(sa.select(T["agent"].c.id).where(
                sa.or_(T["agent"].c.id == row["id"], T["agent"].c.code == row["code"]))).first()
            if taken is None:
                conn.execute(T["agent"].insert(), row)
                self.log(entity, row_id, op, cid)
        elif entity in ("contact", "incident"):
            _upsert(conn, T[entity], [codec.to_python(entity, payload)])
            self.log(entity, row_id, op, cid)
        elif entity == "customer":
            self.customer(change)
        elif entity == "ticket":
            if row_id not in self.tickets:
                self.tickets[row_id] = codec.to_python(entity, payload)
                self.new_tickets.append(row_id)
                self.log(entity, row_id, op, cid)
        elif entity == "ticket_event":
            self.ticket_event(change)
        elif entity == "ticket_article":  # a link: kept once, carried in the log entry
            row, link = codec.to_python(entity, payload), T["ticket_article"]
            if conn.execute(sa.select(link.c.ticket_id).where(
                    link.c.ticket_id == row["ticket_id"],
                    link.c.article_id == row["article_id"])).first() is None:
                conn.execute(link.insert(), row)
                self.log(entity, row_id, op, cid, payload)
        else:
            raise CentralError(f"unknown change entity {entity!r} (change {cid})")

    # customers: field edits win in receipt order; the overwritten value is audited
    def customer(self, change: dict) -> None:
        conn, customer, payload = self.conn, T["customer"], change["payload"]
        cid = change["row_id"]
        current = conn.execute(sa.select(customer).where(customer.c.id == cid)).mappings().first()
        if change["op"] == "phones":
            ph = T["customer_phone"]
            old = [r.e164 for r in conn.execute(sa.select(ph.c.e164).where(
                ph.c.customer_id == cid).order_by(ph.c.position))]
            new = payload["phones"]
            conn.execute(ph.delete().where(ph.c.customer_id == cid))
            if new:
                conn.execute(ph.insert(), [{**p, "customer_id": cid} for p in new])
            if old != [p["e164"] for p in new]:
                self.audit(cid, change, {"field": "phones", "old": old,
                                         "new": [p["e164"] for p in new]})
        elif current is None:
            if change["op"] != "insert":
                return  # an edit of a customer the centre does not have: nothing to edit
            conn.execute(customer.insert(), codec.to_python("customer", payload))
        else:
            fields = payload if change["op"] == "insert" else payload["fields"]
            values = codec.to_python("customer", {k: v for k, v in fields.items()
                                                  if k not in ("id", "created_at")})
            changed = {k: v for k, v in values.items() if current[k] != v}
            for key, value in changed.items():
                if key == "updated_at":
                    continue
                self.audit(cid, change, {"field": key, "old": codec.wire(current[key]),
                                         "new": codec.wire(value),
                                         "desk_old": payload.get("old", {}).get(key)})
            if changed:
                conn.execute(customer.update().where(customer.c.id == cid).values(**changed))
        self.customers.add(cid)
        self.log("customer", cid, change["op"], change["change_id"])

    def audit(self, customer_id: str, change: dict, detail: dict) -> None:
        self.conn.execute(T["audit_log"].insert(), {
            "id": new_id(), "at": self.now, "agent_id": f"sync:{self.desk_id}",
            "action": "sync_overwrite", "entity": "customer", "entity_id": customer_id,
            "detail": json.dumps({**detail, "change_id": change["change_id"]},
                                 ensure_ascii=False)})

    # ticket events: append-only, projected onto the ticket in receipt order
    def ticket_event(self, change: dict) -> None:
        from agentdesk.tickets import workflow

        ev = codec.to_python("ticket_event", change["payload"])
        if ev["id"] in self.known_events:
            return  # the same event again (another change id, e.g. a re-enqueue)
        self.known_events.add(ev["id"])
        self.new_events.append(ev)
        self.log("ticket_event", ev["id"], "insert", change["change_id"])
        state = self.tickets.get(ev["ticket_id"])
        if state is None:
            return  # a ticket the centre never received (a desk's pre-sync data)
        data = workflow.decode(ev["data"])
        owner_before = state["owner_id"]
        rejected = (ev["kind"] in OWNERSHIP_KINDS and "expect_owner" in data
                    and owner_before != data["expect_owner"])
        self.project(state, ev["kind"], ev["to_status"], data, ev["at"])
        if rejected:
            self.reject(state, owner_before, ev)
            comp = {"id": new_id(), "ticket_id": state["id"], "at": self.now, "agent_id": None,
                    "kind": "conflict", "from_status": "", "to_status": "",
                    "note": "所有权冲突：已由他人先行接手",
                    "data": workflow.encode({"owner_id": owner_before,
                                             "rejected_event": ev["id"],
                                             "rejected_owner": data.get("owner_id")})}
            self.new_events.append(comp)
            self.known_events.add(comp["id"])
            self.log("ticket_event", comp["id"], "insert", None)
            self.project(state, "conflict", "", {"owner_id": owner_before}, self.now)
        elif state["owner_id"] != owner_before:
            self.owner_since[state["id"]] = self.now
        self.dirty.add(state["id"])

    @staticmethod
    def project(state: dict, kind: str, to_status: str, data: dict, at: datetime) -> None:
        from agentdesk.tickets import workflow

        current = {k: state[k] for k in workflow.FIELDS if k in state}
        current["status"] = state["status"]
        new = workflow.apply(current, kind, to_status, data, at)
        state.update({k: v for k, v in new.items()
                      if k in T["ticket"].c and k not in ("id", "created_at")})

    def reject(self, state: dict, winner_id: str, ev: dict) -> None:
        """Tell the losing desk: a conflict change with who holds the ticket since when."""
        conn, agent, log, events = self.conn, T["agent"], T["change_log"], T["ticket_event"]
        winner = conn.execute(sa.select(agent.c.name, agent.c.code).where(
            agent.c.id == winner_id)).first()
        taken_at = self.owner_since.get(state["id"])
        if taken_at is None:
            for at, data in conn.execute(
                    sa.select(log.c.at, events.c.data)
                    .join(events, events.c.id == log.c.row_id)
                    .where(log.c.entity == "ticket_event", events.c.ticket_id == state["id"],
                           events.c.kind.in_((*OWNERSHIP_KINDS, "created", "conflict")))
                    .order_by(log.c.seq.desc())):
                if json.loads(data or "{}").get("owner_id") == winner_id:
                    taken_at = _aware(at)
                    break
        conflict = {
            "id": new_id(), "desk_id": self.desk_id, "ticket_id": state["id"],
            "ticket_number": state["number"], "event_id": ev["id"],
            "agent_id": ev["agent_id"] or "", "winner_id": winner_id,
            "winner_name": winner.name if winner else "",
            "winner_code": winner.code if winner else "",
            "taken_at": codec.wire(taken_at) if taken_at else None,
            "decided_at": codec.wire(self.now)}
        self.result.conflicts.append(conflict)
        self.log("conflict", conflict["id"], "insert", None, conflict)


def connect(url: str, pool_size: int = 5) -> Central:
    if not url:
        raise CentralError("no central store configured: set central_url in the config "
                           "(or AGENTDESK_CENTRAL_URL, or --central URL)")
    return Central(url, pool_size=pool_size)
