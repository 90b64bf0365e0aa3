"""One sync of a desk (no textual import): push the outbox, then pull and apply.

Push: the outbox is sent in batches, oldest first; the centre applies a batch in one
transaction and records its change ids, then the desk deletes exactly those rows. A
crash between the two leaves the rows in the outbox; the retry is recognised by its
change ids and applied once (:meth:`Central.push`).

Pull: the changes after the desk's cursor, in the centre's commit order, are applied in
one local transaction per batch that also moves the cursor, so an interrupted pull (the
first sync of 1,000,000 customers) resumes at the last batch it committed.

Local writes during a sync are fine: the UI keeps writing (SQLite WAL, short
``BEGIN IMMEDIATE`` transactions here); its new outbox rows wait for the next sync, and
a pulled ticket that still has local events in the outbox gets them re-applied on top.

This module is the sequence (:func:`sync_once`) and the names callers use; the steps
live by job in :mod:`.push`, :mod:`.pull`, :mod:`.snapshot` (a new desk's first sync)
and :mod:`.bookkeeping` (report, crash points, ``sync_meta``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from agentdesk.core.i18n import t
from agentdesk.sync import outbox
from agentdesk.sync.bookkeeping import (CRASH_ENV, Progress, SyncReport, conflicts, crash_point,
                                        desk_id, meta, set_meta, waiting)
from agentdesk.sync.pull import PULL_BATCH, apply, pull
from agentdesk.sync.push import PUSH_BATCH, push, register
from agentdesk.sync.snapshot import KEY_BATCH, SNAPSHOT_BATCH

if TYPE_CHECKING:
    from agentdesk.core.store import Store
    from agentdesk.sync.central import Central

__all__ = ["CRASH_ENV", "KEY_BATCH", "PULL_BATCH", "PUSH_BATCH", "SNAPSHOT_BATCH", "Progress",
           "SyncReport", "apply", "conflicts", "crash_point", "desk_id", "meta", "pull",
           "push", "register", "set_meta", "sync_once", "waiting"]


def sync_once(store: Store, central: Central, *, desk_name: str = "",
              push_batch: int = PUSH_BATCH, pull_batch: int = PULL_BATCH,
              snapshot_batch: int | None = None, progress: Progress | None = None,
              hook: Callable[[str], None] = crash_point, seed: bool = False,
              scope: tuple[str, ...] | None = None) -> SyncReport:
    """Push everything waiting, then pull everything new. Raises CentralUnavailable when
    the centre cannot be reached (nothing local is lost: the outbox keeps waiting).
    ``seed``: a new desk may be seeded from the centre's seed file (only when this
    process alone has the desk open: :mod:`agentdesk.sync.seed`). ``scope``: the
    config's ``sync_scope`` (a partial desk's districts; () the whole file; None: as
    recorded), see :func:`rescope`."""
    if not outbox.captures(store):
        raise ValueError(t("msg.sync.engine.this_desk_was_opened", path=store.path))
    started = time.perf_counter()
    report = SyncReport()
    central.check()  # a centre of another schema says "run agentdesk central init"
    me = desk_id(store)
    central.as_desk(me)
    central.release_stalled()  # its own session a silent link left holding its rows
    report.desk_no = register(store, central, me, desk_name)
    push(store, central, me, push_batch, report, hook)
    if scope is not None:
        rescope(store, central, scope, report)
    pull(store, central, me, pull_batch, report, progress, hook,
          snapshot_batch or SNAPSHOT_BATCH, KEY_BATCH if snapshot_batch is None
          else snapshot_batch * 8, seed)
    report.waiting = waiting(store)
    report.seconds = time.perf_counter() - started
    return report


def rescope(store: Store, central: Central, scope: tuple[str, ...], report: SyncReport
            ) -> None:
    """Record the desk's scope in ``sync_meta``. A new desk just takes it; a scope that
    grew needs the new districts' customers, which the pulls never brought: they are
    fetched now (``report.widened``: the districts, ["*"] for the whole file;
    ``report.refetched``: how many customers), and the scope is recorded once they are in
    (an interrupted fetch is redone). A narrower scope keeps what the desk holds."""
    import json

    from agentdesk.sync import remote

    with store.engine.connect() as conn:
        recorded = meta(conn, "sync_scope")
        started = meta(conn, "cursor") is not None or meta(conn, "snap_hi") is not None
    old = json.loads(recorded) if recorded is not None else None
    if old == list(scope):
        return
    added = remote.widened(old, scope) if started else []
    if added is None or added:
        report.widened = ["*"] if added is None else list(added)
        report.refetched = remote.refetch(store, central, added, old or [])
    from agentdesk.sync.bookkeeping import writing

    with writing(store) as conn:
        set_meta(conn, "sync_scope", json.dumps(list(scope), ensure_ascii=False))


