"""Sync between the desk's database and the central store (PostgreSQL, or a SQLite file): the
outbox, the central store, push and pull, a new desk's seed, the schedule and the monitor's
mirror.

* :mod:`.outbox`: every local change is written to ``sync_outbox`` in the same
  transaction (the store's session hook: :func:`.outbox.open_syncing_desk`), unless the
  session applies pulled changes.
* :mod:`.central`: the central store (PostgreSQL via psycopg 3, or a SQLite file):
  connection, schema, the change log desks pull, idempotent batch apply and ownership
  decisions, row upserts, seeds.
* :mod:`.engine`: one sync (:mod:`.push`, :mod:`.pull`, :mod:`.snapshot` for a first sync,
  :mod:`.bookkeeping`); :mod:`.seed`: a new desk from the centre's seed file.
* :mod:`.schedule` and :mod:`.desk_runner`: when the desk syncs next (interval, jitter,
  back-off) and the header text; :mod:`.mirror`: the monitor's pull-only copy.
* :mod:`.verify` and :mod:`.repair`: ``agentdesk sync --verify [--repair]``, the desk
  compared with the centre by key-range checksums, and what differs fetched or sent
  again.
* :mod:`.load`: customers, articles and the SLA policy into the centre; :mod:`.cli`:
  ``agentdesk central ...`` and ``agentdesk sync``.
"""
