"""Change-log order enforced by the database, not by its writers' manners (PostgreSQL).

Desks pull ``WHERE seq > cursor ORDER BY seq``, so a row must never become visible with a
seq below one a desk has already passed: seq order must be commit order. A sequence
drawn at insert time is not (a transaction that drew an early number can commit late),
and a lock taken by every writer at the start of its transaction makes it so only while
every writer takes it, and holds it while the writer's data crosses the network.

So here the database numbers the rows at commit, whoever wrote them (the project's code,
a script, plain SQL in psql):

* a ``BEFORE INSERT`` trigger gives every new row a *provisional* negative seq (whatever
  seq the writer asked for); pulls read ``seq > cursor >= 0``, so they never see one;
* a deferred constraint trigger runs when the transaction commits: it takes the order
  lock (:data:`~.connection.LOCK_KEY`), and numbers the transaction's provisional rows
  after the highest committed seq, in insertion order. The lock is held from there to
  the end of the commit only: no client round trip happens in between, so a desk whose
  link goes silent never holds it;
* a ``BEFORE UPDATE`` trigger refuses any other change of ``seq``.

A SQLite centre needs none of this: its writers run one at a time (``BEGIN IMMEDIATE``),
so its autoincrement seq is commit order already."""

from __future__ import annotations

import sqlalchemy as sa

from agentdesk.sync.central.connection import LOCK_KEY

INSTALL = f"""
CREATE SEQUENCE IF NOT EXISTS change_log_provisional;

CREATE OR REPLACE FUNCTION change_log_provisional() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.seq := -nextval('change_log_provisional');
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION change_log_number() RETURNS trigger
LANGUAGE plpgsql
-- The provisional rows are only this transaction's, a sliver of the log: by index, always.
-- (Statistics just after a bulk load say otherwise and chose a scan of the whole log.)
SET enable_seqscan = off
AS $$
DECLARE
    base bigint;
    upto bigint;
BEGIN
    -- Fires once per inserted row; the first firing numbers them all. The others return
    -- on the transaction's own note of how far it numbered: a probe of the table would
    -- step over every row version the numbering just replaced (N firings x N versions).
    upto := coalesce(nullif(current_setting('agentdesk.numbered_upto', true), ''), '0')::bigint;
    IF -NEW.seq <= upto THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock({LOCK_KEY});
    PERFORM set_config('agentdesk.numbering', 'on', true);
    SELECT coalesce(-min(seq), 0) INTO upto FROM change_log WHERE seq < 0;
    PERFORM set_config('agentdesk.numbered_upto', upto::text, true);
    SELECT coalesce(max(seq), 0) INTO base FROM change_log WHERE seq > 0;
    UPDATE change_log c SET seq = base + n.rn
      FROM (SELECT seq AS old, row_number() OVER (ORDER BY seq DESC) AS rn
              FROM change_log WHERE seq < 0) n
     WHERE c.seq < 0 AND c.seq = n.old;
    PERFORM set_config('agentdesk.numbering', 'off', true);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION change_log_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq IS DISTINCT FROM OLD.seq
       AND coalesce(current_setting('agentdesk.numbering', true), '') <> 'on' THEN
        RAISE EXCEPTION 'change_log.seq is given at commit, in commit order; it cannot '
                        'be set or changed';
    END IF;
    RETURN NEW;
END $$;

ALTER TABLE change_log ALTER COLUMN seq SET DEFAULT -nextval('change_log_provisional');
DROP TRIGGER IF EXISTS change_log_provisional ON change_log;
CREATE TRIGGER change_log_provisional BEFORE INSERT ON change_log
    FOR EACH ROW EXECUTE FUNCTION change_log_provisional();
DROP TRIGGER IF EXISTS change_log_number ON change_log;
CREATE CONSTRAINT TRIGGER change_log_number AFTER INSERT ON change_log
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION change_log_number();
DROP TRIGGER IF EXISTS change_log_guard ON change_log;
CREATE TRIGGER change_log_guard BEFORE UPDATE ON change_log
    FOR EACH ROW EXECUTE FUNCTION change_log_guard();
"""


def install(conn: sa.Connection) -> None:
    """Put the triggers in place (idempotent; PostgreSQL only)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(INSTALL)


def installed(conn: sa.Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return True
    return bool(conn.exec_driver_sql(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'change_log'::regclass AND "
        "tgname IN ('change_log_provisional', 'change_log_number', 'change_log_guard')"
    ).scalar() == 3)
