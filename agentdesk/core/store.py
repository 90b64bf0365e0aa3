"""The one place that opens databases.

* :func:`open_desk`: the desk's SQLite file (WAL, foreign keys, busy timeout); the schema
  is migrated to the newest version on open.
* :func:`open_readonly`: the same file opened with SQLite ``mode=ro`` plus ``query_only``,
  so no code path can write, whatever the UI does.

What a writable session does besides writing is the opener's choice: ``session_hook`` is
called on every writable session (the sync outbox attaches itself there, see
``agentdesk.sync.outbox.open_syncing_desk``); core knows nothing about sync. Code writing
raw SQL tells that hook about its row with :func:`note_change`.

Failures (missing, locked, damaged, too new) become :class:`StoreError` with a message an
agent or an administrator can act on.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from agentdesk.core.i18n import t
from agentdesk.core import ids, private
from agentdesk.core.errors import StoreError

BUSY_TIMEOUT_MS = 5000
CHANGE_NOTE = "change_note"  # session.info key: where note_change sends a raw-SQL row

SessionHook = Callable[[Session], None]
ChangeRecorder = Callable[[Session, str, dict[str, Any] | list[dict[str, Any]]], None]


try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: no sole-user operations there
    fcntl = None


@dataclass
class Store:
    engine: sa.Engine
    path: Path
    readonly: bool
    lock_fd: int | None = None  # a shared lock on <db>.lock while this store is open
    session_hook: SessionHook | None = None  # called on every writable session

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        with Session(self.engine, expire_on_commit=False) as session:
            if not self.readonly and self.session_hook is not None:
                self.session_hook(session)  # e.g. local changes -> sync_outbox
            try:
                yield session
                if not self.readonly:
                    session.commit()
            except (DBAPIError, sqlite3.Error) as exc:
                session.rollback()
                if _storage_problem(exc):
                    raise explain(exc, self.path) from exc
                raise
            except BaseException:
                session.rollback()
                raise

    def raw(self) -> sqlite3.Connection:
        """A plain sqlite3 connection with the same settings (bulk loads, benchmarks)."""
        return _raw_connect(self.path, self.readonly)

    @contextmanager
    def sole_user(self) -> Iterator[bool]:
        """Yields True when no other open store (any process) holds this desk file, and
        keeps it so for the block (others opening it wait). Replacing the whole file (a
        new desk's first sync from the centre's seed) is safe only then.

        Linux drops a shared flock whose upgrade fails, so attempts are serialised by a
        second lock (``<db>.lock.excl``): while one runs, nobody else can take the
        exclusive lock, and the shared one is taken back at once."""
        if fcntl is None or self.lock_fd is None:
            yield False
            return
        try:
            gate = private.open_fd(f"{_lock_path(self.path)}.excl", os.O_RDWR)
        except OSError:
            yield False
            return
        try:
            try:
                fcntl.flock(gate, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # another sole-user step runs now
                yield False
                return
            try:
                fcntl.flock(self.lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fcntl.flock(self.lock_fd, fcntl.LOCK_SH)  # nobody holds EX: immediate
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(self.lock_fd, fcntl.LOCK_SH)
        finally:
            os.close(gate)  # releases the gate

    def dispose(self) -> None:
        self.engine.dispose()
        if self.lock_fd is not None:
            os.close(self.lock_fd)  # releases the lock
            self.lock_fd = None


def note_change(session: Session, entity: str, row: dict[str, Any]) -> None:
    """A row this session wrote by raw SQL (no ORM flush sees it), for whatever records
    the session's changes (the hook put a :data:`ChangeRecorder` in ``session.info``
    under :data:`CHANGE_NOTE`); nothing when no hook listens."""
    recorder = session.info.get(CHANGE_NOTE)
    if recorder is not None:
        recorder(session, entity, row)


def note_changes(session: Session, entity: str, rows: list[dict[str, Any]]) -> None:
    """Many rows written by one raw statement (a notice's outreach list): as
    :func:`note_change`, recorded in one go."""
    recorder = session.info.get(CHANGE_NOTE)
    if recorder is not None and rows:
        recorder(session, entity, rows)


def _pragmas(dbapi_connection: sqlite3.Connection, readonly: bool) -> None:
    ids.register(dbapi_connection)  # key_ref / key_id: customer_key's packed ids
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA cache_size = -32000")  # 32 MB: lookups revisit hot pages
    # Reads through a memory map skip a system call per page (lookups touch ~50 pages).
    cursor.execute("PRAGMA mmap_size = 2147483648")
    if readonly:
        cursor.execute("PRAGMA query_only = ON")
    else:
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _ro_uri(path: Path) -> str:
    return f"file:{quote(str(path.resolve()))}?mode=ro"


def _raw_connect(path: Path, readonly: bool) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(_ro_uri(path), uri=True, check_same_thread=False)
    else:
        conn = sqlite3.connect(path, check_same_thread=False)
    _pragmas(conn, readonly)
    return conn


def _storage_problem(exc: BaseException) -> bool:
    message = str(getattr(exc, "orig", None) or exc).lower()
    return any(word in message for word in ("locked", "busy", "not a database", "malformed",
                                            "disk i/o", "disk is full"))


def explain(exc: BaseException, path: Path) -> StoreError:
    """Turn a driver error into a message that says what to do."""
    message = str(getattr(exc, "orig", None) or exc)
    lowered = message.lower()
    if "locked" in lowered or "busy" in lowered:
        return StoreError(
            f"{path}: the database is locked by another program (waited "
            f"{BUSY_TIMEOUT_MS // 1000} s). Close the other agentdesk or tool using it and retry."
        )
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return StoreError(
            f"{path}: this file is damaged or is not an agentdesk database ({message}). "
            "Move it aside (or restore a backup) and start again; a new desk database "
            "is created and refilled by sync."
        )
    if "disk is full" in lowered:
        return StoreError(f"{path}: the disk is full; nothing was saved. Free space and retry.")
    if "unable to open" in lowered or "readonly" in lowered or "read-only" in lowered:
        return StoreError(f"{path}: cannot open the database ({message}). Check the path and "
                          "its permissions.")
    return StoreError(f"{path}: database error: {message}")


def sqlite_engine(path: Path, readonly: bool) -> sa.Engine:
    """An engine on the desk file with the desk's settings on every connection (no
    migration, no lock: :func:`open_desk` adds those)."""
    if readonly:
        url = f"sqlite:///{_ro_uri(path)}&uri=true"
    else:
        url = f"sqlite:///{path}"
    engine = sa.create_engine(url, connect_args={"check_same_thread": False,
                                                 "timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        _pragmas(dbapi_connection, readonly)

    return engine


def open_desk(path: Path | str, migrate: bool = True, *,
              session_hook: SessionHook | None = None) -> Store:
    """Open (creating if needed) the desk database and bring its schema up to date.
    ``session_hook`` is called on each writable session (None: plain sessions, nothing
    recorded besides the writes; a desk that syncs is opened by
    ``agentdesk.sync.outbox.open_syncing_desk``)."""
    path = Path(path).expanduser()
    if path.exists() and path.is_dir():
        raise StoreError(t("msg.core.store.is_a_directory_not", path=path))
    try:
        private.folder(path.parent)
    except OSError as exc:
        raise StoreError(t("msg.core.store.cannot_create_the_folder", parent=path.parent,
                           exc=exc)) from None
    _refuse_foreign(path)  # before anything is written to it, or beside it
    try:
        private.create(path)  # 0600 before SQLite makes it (its -wal and -shm follow)
    except OSError as exc:
        raise StoreError(t("msg.core.store.cannot_create_the_database", path=path,
                           exc=exc)) from None
    lock_fd = _share(path, readonly=False)  # before the first connection (see _share)
    engine = sqlite_engine(path, readonly=False)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
        if migrate:
            from agentdesk.core import migrations

            migrations.upgrade(engine, path)
    except (DBAPIError, sqlite3.Error) as exc:
        engine.dispose()
        _unshare(lock_fd)
        raise explain(exc, path) from None
    except StoreError:
        engine.dispose()
        _unshare(lock_fd)
        raise
    return Store(engine=engine, path=path, readonly=False, lock_fd=lock_fd,
                 session_hook=session_hook)


def _refuse_foreign(path: Path) -> None:
    """Another program's SQLite file (tables, but no agentdesk schema) is refused before
    anything touches it: never migrated into, never switched to WAL. Read through a
    read-only connection; a file that cannot be read so is left to the open to explain."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(_ro_uri(path), uri=True)
        try:
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        finally:
            conn.close()
    except sqlite3.Error:
        return
    # agentdesk's own: a schema version and its tickets (another program's Alembic
    # has a version too, but none of our tables)
    ours = "alembic_version" in names and ("ticket" in names or names == ["alembic_version"])
    if not names or ours:
        return
    from agentdesk.core.i18n import t, visible

    shown = ", ".join(visible(n) for n in names[:8]) + (", …" if len(names) > 8 else "")
    raise StoreError(t("store.foreign", path=path, tables=shown))


def open_readonly(path: Path | str) -> Store:
    """Open an existing database so that no write can happen (SQLite ``mode=ro``)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise StoreError(t("msg.core.store.database_file_not_found", path=path))
    lock_fd = _share(path, readonly=True)
    engine = sqlite_engine(path, readonly=True)
    try:
        from agentdesk.core import migrations

        migrations.check_current(engine, path)
    except (DBAPIError, sqlite3.Error) as exc:
        engine.dispose()
        _unshare(lock_fd)
        raise explain(exc, path) from None
    except StoreError:
        engine.dispose()
        _unshare(lock_fd)
        raise
    return Store(engine=engine, path=path, readonly=True, lock_fd=lock_fd)


LOCK_WAIT_S = 60  # how long an opener waits for a sole-user step (a seed's install)


def _lock_path(path: Path) -> Path:
    """``<db>.lock`` beside the real file (a symlinked desk path names the same lock)."""
    return Path(f"{os.path.realpath(path)}.lock")


def _share(path: Path, readonly: bool) -> int | None:
    """A shared lock on ``<db>.lock``, taken before the database is opened and held while
    the store is open: a sole-user step (:meth:`Store.sole_user`) replaces the file only
    when nobody holds one. An opener waits while such a step runs (about a second).
    None where locks do not exist (Windows: no sole-user step runs there either) or for
    a read-only store of a file whose folder it cannot write (a copy: replacing it is
    not this store's business); a writable store that cannot lock is refused."""
    if fcntl is None:
        return None
    lock = _lock_path(path)
    fd = None
    for flags in (os.O_RDWR, os.O_RDONLY):  # flock works on either
        try:
            fd = private.open_fd(lock, flags) if flags == os.O_RDWR else os.open(lock, flags)
            break
        except OSError:
            continue
    if fd is None:
        if readonly:
            return None
        raise StoreError(t("msg.core.store.cannot_open_the_desk", lock=lock))
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise StoreError(t("msg.core.store.the_desk_is_being", path=path,
                                   LOCK_WAIT_S=LOCK_WAIT_S)) from None
            time.sleep(0.05)
        except OSError as exc:
            os.close(fd)
            if readonly:
                return None
            raise StoreError(t("msg.core.store.cannot_lock", lock=lock, exc=exc)) from None


def _unshare(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)
