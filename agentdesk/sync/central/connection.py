"""The central store's connection: its URL, the engines (PostgreSQL via psycopg 3, or a
SQLite file), errors said plainly, and the transactions.

No desk can hold the centre: on PostgreSQL every session sets its own keepalives and
statement, lock and idle-in-transaction timeouts (server settings are not relied on), and
every round of work (a push batch, a pull, a ping) runs under a :class:`Watchdog` that
cuts the socket when no answer came in :data:`OP_TIMEOUT_S`: a link that goes silent
(the far side keeps the connection open and forwards nothing, so TCP never notices)
ends as :class:`CentralUnavailable` with ``stalled`` set. The change-log order lock is
taken at commit only, by the database (:mod:`.ordering`), never while data crosses the
network. :class:`CentralBase` is what the other parts of
:class:`~agentdesk.sync.central.Central` build on."""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError

from agentdesk.core import redact
from agentdesk.core.i18n import t
from agentdesk.core.store import StoreError
from agentdesk.sync import codec

if TYPE_CHECKING:
    import sqlite3

    from sqlalchemy.engine.interfaces import DBAPIConnection

# A cut link already ends in CentralUnavailable with one clear line; psycopg's own
# "error ignored terminating <Pipeline>" would print a second, raw one on stderr.
logging.getLogger("psycopg").addHandler(logging.NullHandler())
logging.getLogger("psycopg").propagate = False
redact.guard_logging()  # no log line of any library shows a password

LOCK_KEY = 0x61676473796E63  # "agdsync": the change-log order lock, taken at commit
SETTING_LOCK_KEY = LOCK_KEY + 1  # two loads of one setting: one compares, then the other
CONNECT_TIMEOUT_S = 5
# One round of work (a batch, a pull, a chunk) that gets no answer for this long is cut:
# with the connect timeout a desk gives up within 30 s.
OP_TIMEOUT_S = 20.0
# Per session, set by the client (not the server's defaults): a stalled client's backend
# lets go of its row locks, another desk waits for a row lock a few seconds at most.
SESSION_OPTIONS = ("-c statement_timeout=15000 -c lock_timeout=5000 "
                   "-c idle_in_transaction_session_timeout=10000 "
                   # The server's end of the socket too: a backend whose desk vanished
                   # mid-message waits in ClientRead (no timeout above applies there)
                   # holding its rows' locks, until keepalive finds the peer gone.
                   "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 "
                   "-c tcp_keepalives_count=3 -c tcp_user_timeout=15000 "
                   # A centre's statements are short and many: JIT compiled each batch of a
                   # seed's key copy anew (15 ms a query, 2,000 queries at ten million).
                   "-c jit=off")
# Sessions are named "agentdesk-sync <desk id>" once a sync says which desk it serves
# (:meth:`CentralBase.as_desk`): that desk's next sync can find its own stalled sessions.
APP_NAME = "agentdesk-sync"
# A write transaction of ours older than this has been given up by its own watchdog.
STALLED_AFTER_S = OP_TIMEOUT_S
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
              "keepalives_count": 3, "tcp_user_timeout": 15000}


class CentralError(StoreError):
    """The central store cannot be used as configured: unless it is a
    :class:`CentralUnavailable`, trying again will not help. ``kind`` says why, for
    scripts (``agentdesk sync --json``): "auth" (login refused), "no-database",
    "not-initialised" (no centre there yet), "not-agentdesk" (another application's
    tables), "schema" (another schema version), "url" (a bad or missing URL), "demo" (this
    desk holds demo data: it never joins), "unusable" (anything else the centre said)."""

    def __init__(self, message: str, kind: str = "unusable") -> None:
        super().__init__(message)
        self.kind = kind


class CentralUnavailable(CentralError):
    """The centre cannot be reached now: the desk keeps working and retries later.
    ``stalled``: the link went silent; ``down``: nothing answers (refused, no such host).
    Either way a smaller batch will not help."""

    def __init__(self, message: str, stalled: bool = False, down: bool = False) -> None:
        super().__init__(message, "stalled" if stalled else "unreachable")
        self.stalled, self.down = stalled, down


# The server answered the login and said no: it will say so again, so these are not
# "unreachable". libpq gives no SQLSTATE for a failed connection, hence the texts
# (the server's English ones; a server set to another lc_messages falls through to
# "unreachable" and is retried, the safe side).
REFUSED = (
    (re.compile(r'database "[^"]*" does not exist'), "no-database", "",
     "check the database name in the URL (or create it, then agentdesk central init)"),
    (re.compile(r"password authentication failed|no password supplied|role \"[^\"]*\" "
                r"does not exist|is not permitted to log in|no pg_hba\.conf entry|"
                r"permission denied for database|authentication failed"), "auth",
     "login refused: ", "check the user and password (URL, ~/.pgpass or PGPASSWORD) and "
     "the server's pg_hba.conf"),
)


class Watchdog:
    """Cuts a PostgreSQL connection's socket when a round of work outlasts its time: the
    blocked driver call then fails at once (a socket shut down reads as closed)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def arm(self, dbapi_connection: object) -> None:
        pgconn = getattr(dbapi_connection, "pgconn", None)
        if pgconn is None:
            return
        fd = pgconn.socket
        self._timer = threading.Timer(self.seconds, self._cut, (fd,))
        self._timer.daemon = True
        self._timer.start()

    def disarm(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _cut(self, fd: int) -> None:
        with self._lock:
            if self._timer is None:
                return
            self.fired = True
            try:
                # shutdown acts on the socket itself, so a duplicate descriptor will do;
                # closing the duplicate leaves the driver's own descriptor valid.
                sock = socket.socket(fileno=os.dup(fd))
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                finally:
                    sock.close()
            except OSError:
                pass


def _engine_url(url: str) -> sa.URL:
    shown = redact.shown_url(url)
    if not redact.read_alike(url):
        if redact.at_in_userinfo(url):  # drivers read "a:b@c@host" as host "c@host"
            raise CentralError(t("central.url.at_sign", url=shown), "url")
        raise CentralError(t("msg.sync.central.connection.central_store_url_is_2",
                             shown=shown), "url")
    try:
        parsed = sa.make_url(url)
    except Exception:  # noqa: BLE001 - its text may quote the URL: ours never does
        raise CentralError(t("msg.sync.central.connection.central_store_url_is",
                             shown=shown), "url") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise CentralError(t("msg.sync.central.connection.a_sqlite_central_store"),
                               "url")
        return parsed
    raise CentralError(t("msg.sync.central.connection.central_store_only_postgresql",
                         shown=shown), "url")


class CentralBase:
    """One central store's engines and transactions. Thread-safe (SQLAlchemy engines pool
    connections)."""

    def __init__(self, url: str, pool_size: int = 5) -> None:
        self.url = url
        self.shown = redact.shown_url(url)
        self.app_name = APP_NAME
        engine_url = _engine_url(url)
        self.dialect = engine_url.get_backend_name()
        if self.dialect == "postgresql":
            self.engine = sa.create_engine(
                engine_url, pool_size=pool_size,
                connect_args={"connect_timeout": CONNECT_TIMEOUT_S,
                              "application_name": APP_NAME,
                              "options": SESSION_OPTIONS, **KEEPALIVES})
            self.read_engine = self.engine
            event.listen(self.engine, "checkout", self._ping)
        else:
            from pathlib import Path

            path = Path(engine_url.database).expanduser()
            if not path.parent.is_dir():
                raise CentralUnavailable(t("msg.sync.central.connection.central_store_folder_not",
                                           shown=self.shown, parent=path.parent))
            from agentdesk.core import private

            try:
                private.create(path)  # the centre's data too: 0600 before SQLite makes it
            except OSError:
                pass  # SQLite says why when it opens it
            self.engine = self._sqlite_engine(engine_url, immediate=True)
            self.read_engine = self._sqlite_engine(engine_url, immediate=False)

    @staticmethod
    def _sqlite_engine(url: sa.URL, immediate: bool) -> sa.Engine:
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
            dbapi_connection.isolation_level = None  # we say BEGIN ourselves
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA busy_timeout = 30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: sa.Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    def _ping(self, dbapi_connection: DBAPIConnection, _record: object, _proxy: object
              ) -> None:
        """Pessimistic disconnect handling, under a watchdog (SQLAlchemy's own pre-ping
        would wait for ever on a silent link): a dead pooled connection is replaced. The
        same round trip names the session after the desk it now serves."""
        watch = Watchdog(CONNECT_TIMEOUT_S)
        watch.arm(dbapi_connection)
        try:
            cur = dbapi_connection.cursor()
            cur.execute("SELECT set_config('application_name', %s, false)",
                        (self.app_name,))
            cur.close()
            dbapi_connection.commit()  # a rollback would undo the name
        except Exception as exc:  # noqa: BLE001 - any failure: the pool reconnects
            raise sa.exc.DisconnectionError(str(exc)) from exc
        finally:
            watch.disarm()

    def as_desk(self, desk_id: str) -> None:
        """Name this centre's sessions after the desk they serve (from the next checkout)."""
        self.app_name = f"{APP_NAME} {desk_id}"[:63]  # PostgreSQL keeps 63 bytes

    def release_stalled(self) -> int:
        """End this desk's own write transactions that its watchdogs gave up on: a link
        that went silent (the far side keeps the socket open, TCP never notices) leaves
        its backend waiting for the rest of a message, holding the rows it wrote, and
        this desk's next push would wait on its own rows. Other desks' sessions and
        this desk's reads are never touched. Returns how many were ended."""
        if self.dialect != "postgresql" or self.app_name == APP_NAME:
            return 0
        with self.reading() as conn:
            return conn.execute(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name AND pid <> pg_backend_pid() "
                "AND backend_xid IS NOT NULL "
                "AND xact_start < now() - make_interval(secs => :secs)"),
                {"name": self.app_name, "secs": STALLED_AFTER_S}).scalar() or 0

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()

    # --- errors -------------------------------------------------------------------

    def explain(self, exc: BaseException) -> CentralError:
        # Drivers do not quote the password; should one ever (or the URL), it is hidden.
        message = redact.redact(str(getattr(exc, "orig", None) or exc), self.url
                                ).strip().splitlines()
        first = message[0] if message else type(exc).__name__
        lowered = " ".join(message).lower()
        for pattern, kind, label, advice in REFUSED:
            if pattern.search(first):
                # "connection failed: connection to server at ..., port N failed: FATAL:"
                # repeats the URL: the server's own words are the news.
                said = re.sub(r"^.* failed: (?:FATAL:\s+)?", "", first)
                return CentralError(f"central store {self.shown}: {label}{said}; {advice}", kind)
        unreachable = ("connection refused", "could not connect", "timeout", "timed out",
                       "server closed", "connection is closed", "terminating connection",
                       "unable to open", "no route", "network", "consuming input failed",
                       "connection failed", "lost synchronization", "eof detected",
                       "connection reset", "broken pipe", "database is locked",
                       "deadlock detected", "could not translate host name",
                       "name or service not known", "temporary failure in name resolution")
        if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
            return CentralUnavailable(f"central store {self.shown}: connection lost ({first})")
        if any(w in lowered for w in unreachable) or isinstance(exc, (OSError, ConnectionError)):
            down = any(w in lowered for w in ("connection refused", "timeout expired",
                                               "could not translate host name",
                                               "name or service not known",
                                               "temporary failure in name resolution"))
            return CentralUnavailable(f"central store {self.shown}: unreachable ({first})",
                                      down=down)
        if "does not exist" in lowered or "no such table" in lowered:
            return CentralError(f"central store {self.shown}: not initialised ({first}); run "
                                "agentdesk central init --central URL", "not-initialised")
        return CentralError(f"central store {self.shown}: {first}")

    @contextmanager
    def guard(self, watch: Watchdog | None = None) -> Iterator[None]:
        try:
            yield
        except CentralError:
            raise
        except (DBAPIError, self.engine.dialect.loaded_dbapi.Error, OSError, ConnectionError,
                sa.exc.DisconnectionError) as exc:
            if watch is not None and watch.fired:
                raise CentralUnavailable(
                    t("msg.sync.central.connection.central_store_no_answer", shown=self.shown,
                      seconds=f"{watch.seconds:.0f}"), stalled=True) from exc
            raise self.explain(exc) from exc

    @contextmanager
    def writing(self) -> Iterator[sa.Connection]:
        """A write transaction, commit included, under the watchdog. Change-log rows
        written in it are numbered at commit, in commit order (:mod:`.ordering`)."""
        watch = Watchdog(OP_TIMEOUT_S)
        try:
            with self.guard(watch), self.engine.begin() as conn:
                watch.arm(conn.connection.dbapi_connection)
                with self._driver_errors(conn):
                    yield conn
        finally:
            watch.disarm()

    @contextmanager
    def reading(self, seconds: float = OP_TIMEOUT_S) -> Iterator[sa.Connection]:
        """A read; ``seconds``: a longer watchdog for one known-long statement (its
        caller raises the statement timeout to match)."""
        watch = Watchdog(seconds)
        try:
            with self.guard(watch), self.read_engine.connect() as conn:
                watch.arm(conn.connection.dbapi_connection)
                with self._driver_errors(conn):
                    yield conn
        finally:
            watch.disarm()

    @contextmanager
    def _driver_errors(self, conn: sa.Connection) -> Iterator[None]:
        """An error from the driver's own cursor (:meth:`fetch`) passes SQLAlchemy by: a
        lost connection is dropped from the pool here, as SQLAlchemy drops its own."""
        try:
            yield
        except conn.dialect.loaded_dbapi.Error as exc:
            if not conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, None):
                raise
            conn.invalidate(exc)
            # said as SQLAlchemy's own lost connection is (explain: "connection lost")
            raise DBAPIError.instance(None, None, exc, conn.dialect.loaded_dbapi.Error,
                                      connection_invalidated=True) from exc


    def fetch(self, raw: DBAPIConnection, query: str, **params: object) -> list[tuple]:
        """One query's rows through the driver's own cursor (a DBAPI connection).
        Measured on 200,000 keys: psycopg's C fetchall 0.12 s, COPY ... TO STDOUT read
        with copy.rows() 0.25-0.34 s (a Python call per row), so no COPY here."""
        cur = raw.cursor()
        try:
            cur.execute(self.sql(query), params)
            return cur.fetchall()
        finally:
            cur.close()

    def sql(self, sql: str) -> str:
        """Named parameters in the driver's style (exec_driver_sql skips SQLAlchemy)."""
        style = r"%(\1)s" if self.dialect == "postgresql" else r":\1"
        return re.sub(r"@(\w+)", style, sql)

    @staticmethod
    def params(**values: object) -> dict:
        return values

    def desk_columns(self, entity: str) -> str:
        """The select list giving the desk's storage form (PostgreSQL formats it)."""
        return ", ".join(self.desk_exprs(entity))

    def desk_exprs(self, entity: str) -> list[str]:
        """One expression per desk column (alias ``x``), in the desk's storage form:
        UTC text, ISO dates, 0/1."""
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
        return out
