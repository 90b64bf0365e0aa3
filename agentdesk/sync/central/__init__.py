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
  centre's SLA policy text (``sla_policy``); logged as entity ``central_setting``;
* ``customer_alias(alias_id, customer_id)`` and ``quarantine``: see "A desk with a past".

**The cursor never skips.** PostgreSQL numbers ``change_log`` itself (:mod:`.ordering`):
a row gets a provisional negative ``seq`` when written, and a deferred trigger gives the
transaction's rows their real numbers at commit, under ``pg_advisory_xact_lock(LOCK_KEY)``
held only for that step. Any writer, plain SQL in psql included, gets commit-ordered
numbers, and no desk holds the lock while its data crosses the network. On SQLite
``BEGIN IMMEDIATE`` serialises writers. A puller that has seen seq N has seen everything
below N.

**A desk with a past** (:mod:`.joining`): a pushed customer whose account the centre has
under another id becomes an alias of it, and what names the alias is re-pointed; a
ticket numbered before its desk joined whose number another ticket holds gets a new one
(the old number and the desk's tag) and a ``renumbered`` event. A change a constraint
refuses is set aside in ``quarantine`` (the rest of the batch goes on) and recorded as
applied, so it does not fail every push of that desk.

**Conflicts** are decided here, inside the applying transaction, in receipt order: a
claim or hand-over names the owner it expects to replace; if the ticket's owner is no
longer that one, the event is kept (history is append-only) and followed by a ``conflict``
event restoring the winner, and a ``conflict`` change tells the losing desk. A customer
field edit overwrites in receipt order; the overwritten value goes to the audit log.

The parts, by job: :mod:`.connection` (URL, engines, errors, the locked write
transaction), :mod:`.schema` (tables, upgrades, ``central_meta``), :mod:`.changes` (push,
pull, first-sync snapshot), :mod:`.apply` (a pushed batch and the ownership decisions),
:mod:`.joining` (aliases, renumbering), :mod:`.ordering` (the commit-time numbering
triggers), :mod:`.rows` (upserts, lookup keys), :mod:`.seeds` (seed storage), :mod:`.centre`
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
)
from agentdesk.sync.central.rows import aware, refresh_keys, upsert
from agentdesk.sync.central.schema import CENTRAL_TABLES, METADATA, SCHEMA_VERSION, T

__all__ = ["CENTRAL_TABLES", "CONNECT_TIMEOUT_S", "LOCK_KEY", "METADATA", "OWNERSHIP_KINDS",
           "SCHEMA_VERSION", "BatchApply", "Central", "CentralError", "CentralUnavailable",
           "Pulled", "PushResult", "T", "aware", "connect", "refresh_keys",
           "upsert"]
