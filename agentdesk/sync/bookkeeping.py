"""What every step of a sync shares on the desk's side (no textual import): the report,
the crash points of the fault tests, the local write transaction, ``sync_meta`` (desk id,
number, cursor, first-sync progress), the outbox's length and the conflicts recorded."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from agentdesk.core.ids import new_id

if TYPE_CHECKING:
    from agentdesk.core.store import Store
    from agentdesk.sync.central import CentralUnavailable

CRASH_ENV = "AGENTDESK_SYNC_CRASH_AT"  # fault tests: SIGKILL at the Nth crash point
MMAP_BYTES = 2147483648  # store.py's setting, restored after a bulk transaction

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
    retries: int = 0  # batches the link cut off, sent again smaller
    quarantined: list[dict] = field(default_factory=list)  # changes set aside, with why
    widened: list[str] = field(default_factory=list)  # districts a wider scope added
    refetched: int = 0  # their customers, fetched from the centre

    def as_json(self) -> dict:
        return {"pushed": self.pushed, "repeated": self.repeated, "pulled": self.pulled,
                "conflicts": self.conflicts, "cursor": self.cursor, "waiting": self.waiting,
                "desk_no": self.desk_no, "seconds": round(self.seconds, 3),
                "first": self.first, "retries": self.retries,
                "quarantined": self.quarantined, "widened": self.widened,
                "refetched": self.refetched,
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
def writing(store: Store, foreign_keys: bool = True,
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


def record_pull(store: Store, at: datetime) -> None:
    """The last successful pull (``pulled_at``): how old this desk's notices are, also
    after a restart while the centre is unreachable."""
    from agentdesk.core.models import utc_text

    with writing(store) as conn:
        set_meta(conn, "pulled_at", utc_text(at))


def pulled_at(store: Store) -> datetime | None:
    from agentdesk.core.models import UTCDateTime

    with store.engine.connect() as conn:
        found = meta(conn, "pulled_at")
    return UTCDateTime().process_result_value(found, None) if found else None


def waiting(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM sync_outbox").scalar() or 0


def desk_id(store: Store) -> str:
    with store.engine.connect() as conn:
        found = meta(conn, "desk_id")
    if found:
        return found
    with writing(store) as conn:
        found = meta(conn, "desk_id")
        if not found:
            found = new_id()
            set_meta(conn, "desk_id", found)
    return found


def conflicts(store: Store, unseen_only: bool = True) -> list[dict[str, Any]]:
    """This desk's ownership conflicts (newest first), for the agent to see."""
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id, ticket_id, ticket_number, winner_name, taken_at, seen FROM "
            "sync_conflict" + (" WHERE NOT seen" if unseen_only else "")
            + " ORDER BY decided_at DESC").mappings().all()
    return [dict(r) for r in rows]


class BatchSize:
    """A push or pull batch size that follows the link: halved after a batch the link cut
    off (down to one change), grown by half after each success up to ``largest``. Kept
    in ``sync_meta`` under ``key``, so the next sync starts where this one ended."""

    GIVE_UP_AFTER = 12  # cut-off batches in a row
    GIVE_UP_AFTER_S = 15.0  # ... or this long without a batch through

    def __init__(self, store: Store, key: str, largest: int) -> None:
        self.store, self.key, self.largest = store, key, largest
        with store.engine.connect() as conn:
            saved = meta(conn, key)
        self.now = min(largest, int(saved)) if saved and saved.isdigit() else largest
        self.saved = self.now
        self.failures = 0
        self.failing_since = 0.0

    def failed(self, exc: CentralUnavailable) -> None:
        """Smaller next time; re-raises when smaller will not help: the link went silent,
        the server is down, or batches keep failing."""
        now = time.monotonic()
        if not self.failures:
            self.failing_since = now
        self.failures += 1
        self.now = max(1, self.now // 2)
        if (exc.stalled or exc.down or self.failures >= self.GIVE_UP_AFTER
                or now - self.failing_since > self.GIVE_UP_AFTER_S):
            self.save()
            raise exc

    def succeeded(self) -> None:
        self.failures = 0
        self.now = min(self.largest, self.now + max(1, self.now // 2))

    def save(self) -> None:
        """Remember the size for the next sync (a failed save is no loss: the size is
        only a starting point)."""
        if self.now == self.saved:
            return
        try:
            with writing(self.store) as conn:
                set_meta(conn, self.key, self.now)
            self.saved = self.now
        except sa.exc.OperationalError:
            pass
