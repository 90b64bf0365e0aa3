"""Sync between the desk's database and the central store (no textual import).

* :mod:`.outbox`: every local change is written to ``sync_outbox`` in the same
  transaction (a session hook), unless the session applies pulled changes.
* :mod:`.central`: the central store (PostgreSQL via psycopg 3, or a SQLite file):
  schema, idempotent batch apply, ownership decisions, the change log that desks pull.
* :mod:`.engine`: one sync: push the outbox in batches, pull since the cursor, apply.
* :mod:`.schedule`: when to sync next (interval, jitter, back-off) and the header text.
* :mod:`.cli`: ``agentdesk central init|load`` and ``agentdesk sync --once``.
"""
