"""The central store's schema: the synced desk tables (same columns, no foreign keys),
the change log, applied change ids, desks, lookup keys, seeds and ``central_meta``; the
step from schema 1 to 2; reading and writing ``central_meta``."""

from __future__ import annotations

import json

import sqlalchemy as sa

SCHEMA_VERSION = "11"
# Tables the centre keeps, with the desk's columns (desk tables that travel, the settings
# every desk pulls by name, plus the centre's own audit log); customer_key is its own.
CENTRAL_TABLES = ("agent", "agent_status", "customer", "customer_phone", "contact",
                  "incident", "notice",
                  "notice_event", "kb_article", "ticket", "ticket_event", "ticket_article",
                  "central_setting", "audit_log", "outreach_call", "outreach_event")


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
    sa.Index("ix_outreach_event_call_id", tables["outreach_event"].c.call_id)
    sa.Index("ix_customer_account_no", tables["customer"].c.account_no)
    # A partial desk's lookups at the centre (:mod:`agentdesk.sync.remote`, schema 11) run
    # the desk's own rules: names by exact value and leading part, a district with a name,
    # a whole phone number, each an index range as on the desk.
    sa.Index("ix_customer_name", tables["customer"].c.name)
    sa.Index("ix_customer_district_name", tables["customer"].c.district,
             tables["customer"].c.name)
    sa.Index("ix_customer_phone_e164", tables["customer_phone"].c.e164)
    # the monitor's mirror and the agents tab read each agent's latest status
    sa.Index("ix_agent_status_code_since", tables["agent_status"].c.code,
             tables["agent_status"].c.since)
    # every push looks its tickets' numbers up (:mod:`.joining`): not a scan of them all
    sa.Index("ix_ticket_number", tables["ticket"].c.number)
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
    # A desk's customer whose account the centre had under another id (:mod:`.joining`).
    tables["customer_alias"] = sa.Table(
        "customer_alias", md,
        sa.Column("alias_id", sa.String(40), primary_key=True),
        sa.Column("customer_id", sa.String(40), nullable=False),
        sa.Column("desk_id", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.current_timestamp()))
    # A pushed change the centre could not apply (a constraint refused it): set aside with
    # the reason instead of failing every sync of that desk for ever.
    tables["quarantine"] = sa.Table(
        "quarantine", md,
        sa.Column("change_id", sa.String(40), primary_key=True),
        sa.Column("desk_id", sa.String(80), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("row_id", sa.String(80), nullable=False),
        sa.Column("op", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.current_timestamp()))
    # The escalation watch's lease (:mod:`.watch`): one row per watched job, held by one
    # watch at a time until ``expires_at`` (the database's clock); created on demand too.
    tables["watch_lease"] = sa.Table(
        "watch_lease", md,
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False))
    # the watch reads the open tickets every pass: not a scan of every ticket ever made
    sa.Index("ix_ticket_status", tables["ticket"].c.status)
    tables["central_meta"] = sa.Table(
        "central_meta", md,
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False, server_default=""))
    return md, tables


METADATA, T = _metadata()


def upgrade_1_to_2(conn: sa.Connection) -> None:
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


def upgrade_5_to_6(conn: sa.Connection) -> None:
    """Schema 5 -> 6: notices over several areas (desk migration 0010 does the same):
    the new columns added, district/street/community moved into ``areas`` and dropped,
    unplanned called fault, a publish event for each notice (notice_event is created
    with the other tables)."""
    have = {c["name"] for c in sa.inspect(conn).get_columns("notice")}
    notice = T["notice"]
    for name in ("areas", "restore_by", "status", "revision", "agent_id", "note",
                 "updated_at"):
        if name not in have:
            column = notice.c[name]
            kind = column.type.compile(dialect=conn.dialect)
            default = {"areas": "'[]'", "status": "'active'", "revision": "1",
                       "note": "''"}.get(name)
            conn.execute(sa.text(f"ALTER TABLE notice ADD COLUMN {name} {kind}"
                                 + (f" NOT NULL DEFAULT {default}" if default else "")))
    if "district" in have:
        rows = conn.execute(sa.text("SELECT id, district, street, community FROM notice"))
        for nid, district, street, community in rows.all():
            conn.execute(sa.text("UPDATE notice SET areas = :a WHERE id = :i"), {
                "i": nid, "a": json.dumps([[district or "", street or "", community or "",
                                            ""]], ensure_ascii=False)})
        for name in ("district", "street", "community"):
            conn.execute(sa.text(f"ALTER TABLE notice DROP COLUMN {name}"))
    conn.execute(sa.text("UPDATE notice SET kind = 'fault' WHERE kind = 'unplanned'"))
    conn.execute(sa.text("UPDATE notice SET updated_at = created_at WHERE updated_at IS NULL"))
    conn.execute(sa.text(
        "INSERT INTO notice_event (id, notice_id, at, agent_id, kind, revision, data) "
        "SELECT id, id, created_at, NULL, 'publish', 1, '{}' FROM notice n WHERE NOT EXISTS "
        "(SELECT 1 FROM notice_event e WHERE e.id = n.id)"))
    _incident_areas(conn)


def _add_columns(conn: sa.Connection, table: str, names: tuple[str, ...],
                 defaults: dict[str, str]) -> None:
    have = {c["name"] for c in sa.inspect(conn).get_columns(table)}
    for name in names:
        if name not in have:
            kind = T[table].c[name].type.compile(dialect=conn.dialect)
            default = defaults.get(name)
            conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {name} {kind}"
                                 + (f" NOT NULL DEFAULT {default}" if default else "")))


def _incident_areas(conn: sa.Connection) -> None:
    """Incidents' district/street/community into ``areas``, their new columns; a call's
    incident (desk migration 0010 does the same)."""
    _add_columns(conn, "incident", ("areas", "address", "cause", "opened_by", "closed_by",
                                    "ticket_id"),
                 {"areas": "'[]'", "address": "''", "cause": "''"})
    _add_columns(conn, "contact", ("incident_id",), {})
    if "district" in {c["name"] for c in sa.inspect(conn).get_columns("incident")}:
        rows = conn.execute(sa.text("SELECT id, district, street, community FROM incident"))
        for iid, district, street, community in rows.all():
            conn.execute(sa.text("UPDATE incident SET areas = :a WHERE id = :i"), {
                "i": iid, "a": json.dumps([[district or "", street or "", community or "",
                                            ""]], ensure_ascii=False)})
        for name in ("district", "street", "community"):
            conn.execute(sa.text(f"ALTER TABLE incident DROP COLUMN {name}"))


def upgrade_7_to_8(conn: sa.Connection) -> None:
    """Schema 7 -> 8: the ticket's life (desk migration 0013 adds the same columns and
    counts the reopenings the same way)."""
    import importlib

    _add_columns(conn, "ticket", ("complaint_class", "channel", "chase_count",
                                  "reopen_count", "reply", "reply_due", "follows_id"),
                 {"complaint_class": "''", "channel": "'phone'", "chase_count": "0",
                  "reopen_count": "0", "reply": "''"})
    m0013 = importlib.import_module("db.migrations.versions.0013_ticket_life")
    conn.execute(sa.text(m0013.BACKFILL))
    conn.execute(sa.text(m0013.CHANNEL))


def upgrade_8_to_9(conn: sa.Connection) -> None:
    """Schema 8 -> 9: how every call ended (desk migration 0014 adds the same columns)."""
    import importlib

    m0014 = importlib.import_module("db.migrations.versions.0014_call_outcome")
    _add_columns(conn, "contact", m0014.COLUMNS, dict.fromkeys(m0014.COLUMNS, "''"))


def upgrade_9_to_10(conn: sa.Connection) -> None:
    """Schema 9 -> 10: the agent's PIN hash (desk migration 0015 adds the same column;
    ``agent_status`` is a new table, created with the others)."""
    _add_columns(conn, "agent", ("pin_hash",), {"pin_hash": "''"})


def get_meta(conn: sa.Connection, key: str) -> str | None:
    meta = T["central_meta"]
    return conn.execute(sa.select(meta.c.value).where(meta.c.key == key)).scalar()


def set_meta(conn: sa.Connection, key: str, value: str) -> None:
    meta = T["central_meta"]
    if conn.execute(meta.update().where(meta.c.key == key).values(value=value)).rowcount == 0:
        conn.execute(meta.insert(), {"key": key, "value": value})


