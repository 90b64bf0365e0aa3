"""The store: migrations on open, read-only by construction, clear errors, append-only."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from agentdesk.core import migrations, store
from agentdesk.core.models import Agent, AuditLog, Customer, TicketEvent


def test_open_creates_schema_at_head(tmp_path: Path) -> None:
    desk = store.open_desk(tmp_path / "sub" / "d.db")
    assert migrations.current(desk.engine) == migrations.HEAD
    with desk.session() as s:
        assert s.connection().execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.connection().execute(text("PRAGMA foreign_keys")).scalar() == 1
    desk.dispose()


def test_head_constant_matches_alembic() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrations.alembic_config())
    assert scripts.get_current_head() == migrations.HEAD
    assert [r.revision for r in reversed(list(scripts.walk_revisions()))] == list(
        migrations.REVISIONS)


def test_schema_matches_models(tmp_path: Path) -> None:
    """The migrations create exactly what the models declare (no drift)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    desk = store.open_desk(tmp_path / "d.db")
    with desk.engine.connect() as conn:
        # FTS5 virtual tables (and their shadow tables) have no model: leave them out
        virtual = [r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'")]
        assert virtual, "expected the knowledge-base FTS table"

        def include(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
            return not (type_ == "table" and any(name == v or name.startswith(v + "_")
                                                 for v in virtual))

        context = MigrationContext.configure(conn, opts={"include_object": include})
        diff = compare_metadata(context, SQLModel.metadata)
    desk.dispose()
    assert diff == []


def test_reopen_is_idempotent(desk: store.Store) -> None:
    again = store.open_desk(desk.path)
    with again.session() as s:
        assert s.connection().execute(text("SELECT count(*) FROM customer")).scalar() == 3
    again.dispose()


def test_readonly_refuses_every_write(desk: store.Store) -> None:
    ro = store.open_readonly(desk.path)
    writes = [
        "INSERT INTO agent (id, code, name, role, team, on_shift, created_at) "
        "VALUES ('x', 'x', 'x', 'agent', '', 1, '2026-01-01 00:00:00.000000')",
        "UPDATE customer SET name = 'x'",
        "DELETE FROM ticket",
        "CREATE TABLE sneaky (id INTEGER)",
        "DROP TABLE customer",
        "PRAGMA user_version = 7",
    ]
    for sql in writes:
        with pytest.raises(Exception, match="(?i)readonly|read-only|attempt to write"):
            with ro.session() as s:
                s.connection().execute(text(sql))
                s.commit()
    with pytest.raises(Exception, match="(?i)readonly|read-only|attempt to write"):
        with ro.session() as s:
            s.add(Agent(code="B1", name="x"))
            s.commit()
    raw = ro.raw()
    with pytest.raises(sqlite3.OperationalError):
        raw.execute("DELETE FROM customer")
    raw.close()
    with ro.session() as s:
        assert s.connection().execute(text("SELECT count(*) FROM customer")).scalar() == 3
    ro.dispose()


def test_readonly_missing_file(english, tmp_path: Path) -> None:
    with pytest.raises(store.StoreError, match="not found"):
        store.open_readonly(tmp_path / "nope.db")
    assert not (tmp_path / "nope.db").exists()


def test_readonly_refuses_old_schema(english, tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(store.StoreError, match="no schema version"):
        store.open_readonly(path)


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(b"this is not a database" * 200)
    with pytest.raises(store.StoreError, match="damaged or is not an agentdesk database"):
        store.open_desk(path)
    assert path.read_bytes().startswith(b"this is not")  # untouched


def test_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(store.StoreError, match="directory"):
        store.open_desk(tmp_path)


def test_locked_database_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "d.db"
    store.open_desk(path).dispose()
    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 200)
    blocker = sqlite3.connect(path)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(store.StoreError, match="locked"):
            locked = store.open_desk(path)
            with locked.session() as s:
                s.add(Agent(code="Z", name="z"))
    finally:
        blocker.rollback()
        blocker.close()


def test_newer_schema_is_refused(english, tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    store.open_desk(path).dispose()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    with pytest.raises(store.StoreError, match="newer than this agentdesk"):
        store.open_desk(path)


@pytest.mark.parametrize("table", ["ticket_event", "audit_log"])
def test_history_tables_are_append_only(desk: store.Store, table: str) -> None:
    with desk.session() as s:
        s.add(AuditLog(agent_id="A1001", action="read", entity="customer"))
    for sql in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
        with pytest.raises(Exception, match="append-only"):
            with desk.session() as s:
                s.connection().execute(text(sql))


def test_timestamps_are_aware_utc_and_naive_is_refused(english, desk: store.Store) -> None:
    with desk.session() as s:
        event = s.exec(__import__("sqlmodel").select(TicketEvent)).first()
        assert event.at.utcoffset().total_seconds() == 0
    with pytest.raises(Exception, match="naive"):
        with desk.session() as s:
            s.add(AuditLog(at=datetime(2026, 1, 1), action="x", entity="y"))
            s.flush()


def test_failed_transaction_leaves_nothing(desk: store.Store) -> None:
    with pytest.raises(RuntimeError):
        with desk.session() as s:
            s.add(Customer(account_no="9", name="半途", utility="water"))
            s.flush()
            raise RuntimeError("crash mid-way")
    with desk.session() as s:
        n = s.connection().execute(text("SELECT count(*) FROM customer WHERE account_no='9'"))
        assert n.scalar() == 0


def test_a_desk_from_before_0006_gets_its_met_times_from_the_events(tmp_path: Path) -> None:
    """Migration 0006 fills responded_at / arrived_at / called_back_at of existing tickets
    from their events, exactly as a replay through the reducer gives them."""
    import sqlalchemy as sa

    from agentdesk.tickets import service as tickets, workflow
    from agentdesk.core.models import Ticket

    path = tmp_path / "old.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    migrations.upgrade(engine, path, target="0005")
    day = "2026-11-24 "

    def ev(tid: str, n: int, hhmm: str, kind: str, frm: str, to: str, data: str = "{}"):  # noqa: ANN202
        return (f"{tid}-{n}", tid, f"{day}{hhmm}:00.000000", "ag1", kind, frm, to, data)

    created = '{"due_first_response": "2026-11-24T01:15:00+00:00"}'
    events = [
        # the service writes the creation as accepted -> accepted: not a response
        ev("t1", 0, "01:00", "created", "accepted", "accepted", created),
        ev("t1", 1, "01:10", "status", "accepted", "dispatched"),
        ev("t1", 2, "01:40", "status", "dispatched", "on_site"),
        ev("t1", 3, "03:00", "status", "on_site", "resolved"),
        ev("t1", 4, "04:00", "callback", "resolved", "called_back", '{"satisfaction": "不满意"}'),
        ev("t1", 5, "04:00", "reopen", "called_back", "accepted"),
        ev("t1", 6, "05:00", "status", "accepted", "dispatched"),
        ev("t1", 7, "05:30", "note", "", ""),
        ev("t2", 0, "02:00", "created", "", "accepted"),  # untouched since
        ev("t2", 1, "02:05", "pause", "", ""),
        ev("t3", 0, "02:00", "created", "accepted", "accepted"),
        ev("t3", 1, "02:03", "status", "accepted", "resolved"),  # answered on the call
    ]
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO agent (id, code, name, role, team, on_shift, "
                             "created_at) VALUES ('ag1', 'A0900', '老坐席', 'agent', '', 1, "
                             "'2026-11-24 00:00:00.000000')")
        for n, (tid, status) in enumerate((("t1", "dispatched"), ("t2", "accepted"),
                                           ("t3", "resolved"))):
            conn.exec_driver_sql(
                "INSERT INTO ticket (id, number, business_type, category, priority, status, "
                "description, location, area_class, first_responder_id, owner_id, "
                "department, satisfaction, created_at, updated_at) VALUES (?, ?, 'repair', "
                "'water.burst', 'urgent', ?, '', '', 'urban', 'ag1', 'ag1', '', '', ?, ?)",
                (tid, f"GD202611240000{n}", status, f"{day}01:00:00.000000",
                 f"{day}01:00:00.000000"))
        conn.exec_driver_sql("INSERT INTO ticket_event (id, ticket_id, at, agent_id, kind, "
                             "from_status, to_status, note, data) VALUES (?,?,?,?,?,?,?,'',?)",
                             events)
    engine.dispose()
    desk = store.open_desk(path)
    assert migrations.current(desk.engine) == migrations.HEAD == "0016"
    with desk.session() as s:
        rows = {r[0]: r[1:] for r in s.connection().exec_driver_sql(
            "SELECT id, responded_at, arrived_at, called_back_at FROM ticket")}
        assert rows == {
            # reopened at 04:00 and not called back since: its new call-back clock is unmet
            "t1": (f"{day}01:10:00.000000", f"{day}01:40:00.000000", None),
            "t2": (None, None, None),
            "t3": (f"{day}02:03:00.000000", f"{day}02:03:00.000000", None)}
        for tid in rows:
            ticket, state = s.get(Ticket, tid), tickets.rebuilt(s, tid)
            for key in workflow.MET:
                assert getattr(ticket, key) == state[key], (tid, key)
        indexes = {r[0] for r in s.connection().exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"ix_ticket_resolved_at", "ix_ticket_incident_id", "ix_contact_started_at"} <= indexes
    desk.dispose()
