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

The parts, by job: :mod:`.connection` (URL, engines, errors, the locked write
transaction), :mod:`.schema` (tables, upgrades, ``central_meta``), :mod:`.changes` (push,
pull, first-sync snapshot), :mod:`.apply` (a pushed batch and the ownership decisions),
:mod:`.rows` (upserts, lookup keys), :mod:`.seeds` (seed storage), :mod:`.centre`
(:class:`Central` and :func:`connect`).
"""

from __future__ import annotations

from agentdesk.sync.central.apply import OWNERSHIP_KINDS, BatchApply, PushResult
from agentdesk.sync.central.centre import Central, connect
from agentdesk.sync.central.changes import Pulled
from agentdesk.sync.central.connection import (
                                               CONNECT_TIMEOUT_S,
                                               LOCK_KEY,
                                               CentralError,
                                               CentralUnavailable,
                                               safe_url,
)
from agentdesk.sync.central.rows import aware, refresh_keys, upsert
from agentdesk.sync.central.schema import CENTRAL_TABLES, METADATA, SCHEMA_VERSION, T

__all__ = ["CENTRAL_TABLES", "CONNECT_TIMEOUT_S", "LOCK_KEY", "METADATA", "OWNERSHIP_KINDS",
           "SCHEMA_VERSION", "BatchApply", "Central", "CentralError", "CentralUnavailable",
           "Pulled", "PushResult", "T", "aware", "connect", "refresh_keys", "safe_url",
           "upsert"]
