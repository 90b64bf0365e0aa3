"""Every command that prints customer data leaves an audit row (issue 20): the agent, the
command and what was shown, written before anything is printed; ``agentdesk audit`` lists
them for a supervisor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from agentdesk import cli
from agentdesk.core import audit


def _rows(db: Path) -> list[dict]:
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT agent_id, action, command, entity, entity_id, shown, shown_count, "
                "detail FROM audit_log ORDER BY at, id")).mappings().all()
    finally:
        engine.dispose()
    return [{**r, "shown": json.loads(r["shown"] or "[]"),
             "detail": json.loads(r["detail"]) if r["detail"] else {}} for r in rows]


def _ids(desk, *accounts: str) -> list[str]:
    with desk.session() as s:
        return [s.connection().execute(sa.text(
            "SELECT id FROM customer WHERE account_no = :a"), {"a": a}).scalar()
            for a in accounts]


def test_lookup_json_is_audited_with_agent_command_and_customers(desk, capsys) -> None:
    assert cli.main(["--agent", "A2002", "lookup", "张", "--json", "--db", str(desk.path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [m["account_no"] for m in printed] == ["3100000002"]
    [row] = _rows(desk.path)
    assert row["agent_id"] == "A2002" and row["action"] == "show"
    assert (row["command"], row["entity"]) == ("lookup", "customer")
    assert row["shown"] == [m["customer_id"] for m in printed] == _ids(desk, "3100000002")
    assert row["shown_count"] == 1
    assert row["detail"] == {"query": "张", "limit": 20, "json": True}


def test_nothing_is_printed_when_the_audit_row_cannot_be_written(desk, capsys,
                                                                monkeypatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise sa.exc.OperationalError("INSERT INTO audit_log", {}, Exception("disk I/O error"))

    monkeypatch.setattr(audit, "record", broken)
    for command in (["lookup", "张"], ["ticket", "list"], ["ticket", "show", "GD2026112500001"]):
        assert cli.main([*command, "--db", str(desk.path)]) == 2
        out = capsys.readouterr()
        assert out.out == "" and "disk I/O error" in out.err


def test_ticket_show_and_list_are_audited(desk, capsys) -> None:
    assert cli.main(["ticket", "show", "GD2026112500001", "--db", str(desk.path)]) == 0
    assert cli.main(["ticket", "list", "--open", "--json", "--db", str(desk.path)]) == 0
    capsys.readouterr()
    show, listing = _rows(desk.path)
    assert (show["command"], show["entity"], show["shown"]) == (
        "ticket show", "ticket", ["GD2026112500001"])
    assert show["entity_id"] and show["detail"] == {"ticket": "GD2026112500001", "json": False}
    assert (listing["command"], listing["shown"], listing["shown_count"]) == (
        "ticket list", ["GD2026112500001"], 1)
    assert listing["detail"] == {"mine": False, "open": True, "limit": 50, "json": True}


def test_a_ticket_not_found_shows_nothing_and_records_nothing(desk, capsys) -> None:
    assert cli.main(["ticket", "show", "GD0000", "--db", str(desk.path)]) == 2
    assert _rows(desk.path) == []


def test_export_is_audited_with_its_count(desk, tmp_path: Path, capsys) -> None:
    assert cli.main(["--agent", "A3003", "export", "customers", str(tmp_path / "c.csv"),
                     "--db", str(desk.path)]) == 0
    [row] = _rows(desk.path)
    assert (row["agent_id"], row["action"], row["command"]) == (
        "A3003", "export", "export customers")
    assert (row["shown"], row["shown_count"]) == ([], 3)


def test_report_is_audited_with_the_callers_it_names(tmp_path: Path, capsys) -> None:
    from tests.monitor_data import build

    db = tmp_path / "desk.db"
    build(db)
    assert cli.main(["--agent", "S0001", "report", "--db", str(db), "--from", "2026-11-18",
                     "--to", "2026-11-25", "--csv", str(tmp_path / "r")]) == 0
    [row] = [r for r in _rows(db) if r["command"] == "report"]
    assert (row["agent_id"], row["action"], row["entity"]) == ("S0001", "export", "caller")
    assert row["shown"] == ["+8613812345678", "+8613900009999"]
    assert row["detail"]["from"] == "2026-11-18" and row["detail"]["to"] == "2026-11-25"
    assert row["detail"]["dir"] == str((tmp_path / "r").absolute())


def test_sync_conflict_listing_is_audited(english, tmp_path: Path, capsys) -> None:
    from agentdesk.sync import central, engine
    from agentdesk.tickets import service as tickets
    from tests.sync_helpers import new_desk, seed_customers

    url = f"sqlite:///{tmp_path / 'central.db'}"
    centre = central.connect(url)
    centre.init_schema()
    ids = seed_customers(centre, 1)
    desks = [new_desk(tmp_path / f"{n}.db", ((code, name),))
             for n, code, name in (("o", "A1000", "张班长"), ("a", "A1001", "王芳"),
                                   ("b", "A1002", "李强"))]
    origin, a, b = desks

    def sync(desk) -> None:
        engine.sync_once(desk, centre, hook=lambda name: None)

    for desk in desks:
        sync(desk)
    with origin.session() as s:
        number = tickets.create(s, tickets.Draft(category="water.burst", description="漏水",
                                                 customer_id=ids[0]), "A1000").number
    for desk in desks:
        sync(desk)
    for desk, code in ((a, "A1001"), (b, "A1002")):
        with desk.session() as s:
            tickets.claim(s, number, code, "原负责人下班")
    sync(a)
    for desk in desks:
        desk.dispose()
    centre.dispose()
    assert cli.main(["--agent", "A1002", "sync", "--once", "--db", str(tmp_path / "b.db"),
                     "--central", url]) == 0
    assert f"conflict: ticket {number} was taken by 王芳" in capsys.readouterr().out
    [row] = [r for r in _rows(tmp_path / "b.db") if r["command"] == "sync"]
    assert (row["agent_id"], row["entity"], row["shown"]) == ("A1002", "ticket", [number])


@pytest.fixture
def supervisor(monkeypatch) -> None:
    monkeypatch.setenv("AGENTDESK_ROLE", "supervisor")


def test_only_a_supervisor_lists_the_audit_log(desk, capsys) -> None:
    cli.main(["lookup", "张", "--db", str(desk.path)])
    capsys.readouterr()
    assert cli.main(["audit", "--db", str(desk.path), "--lang", "en"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "only a supervisor lists the audit log" in out.err
    assert [r["command"] for r in _rows(desk.path)] == ["lookup"]


def test_audit_lists_rows_for_a_supervisor(desk, supervisor, capsys) -> None:
    path = str(desk.path)
    cli.main(["--agent", "A1001", "lookup", "张", "--db", path])
    cli.main(["--agent", "A2002", "lookup", "李\x1b[31m", "--db", path])
    cli.main(["--agent", "A2002", "ticket", "list", "--db", path])
    capsys.readouterr()
    assert cli.main(["audit", "--db", path, "--lang", "en"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].split() == ["time", "agent", "action", "command", "of", "count", "shown",
                               "detail"]
    assert len(text) == 4  # newest first
    assert "ticket list" in text[1] and "GD2026112500001" in text[1]
    assert "\x1b" not in text[2] and "\\u001b[31m" in text[2]  # a query is data, not escapes
    assert "3100000002" in text[3] and "A1001" in text[3]  # customers named by account
    assert cli.main(["audit", "--db", path, "--agent", "A2002", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [e["command"] for e in listed] == ["ticket list", "lookup"]
    assert {e["agent"] for e in listed} == {"A2002"}
    assert listed[0]["shown"] == ["GD2026112500001"] and listed[0]["count"] == 1
    # the listing is itself a read of the log: audited too
    assert [r["command"] for r in _rows(desk.path)][-2:] == ["audit", "audit"]


def test_audit_since(desk, supervisor, monkeypatch, capsys) -> None:
    path = str(desk.path)
    monkeypatch.setenv("AGENTDESK_NOW", "2026-11-24T23:59:00+08:00")
    cli.main(["lookup", "张", "--db", path])
    monkeypatch.setenv("AGENTDESK_NOW", "2026-11-25T08:00:00+08:00")
    cli.main(["lookup", "李", "--db", path])
    capsys.readouterr()
    for since, queries in (("2026-11-25", ["李"]), ("2026-11-24T23:00", ["李", "张"]),
                           ("2026-11-26", [])):
        assert cli.main(["audit", "--db", path, "--since", since, "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert [e["detail"]["query"] for e in listed if e["command"] == "lookup"] == queries
    assert cli.main(["audit", "--db", path, "--since", "yesterday", "--lang", "en"]) == 2
    assert "--since: not a day or a time" in capsys.readouterr().err


def test_old_rows_survive_the_migration_and_the_log_stays_append_only(tmp_path: Path) -> None:
    from agentdesk.core import migrations, store

    path = tmp_path / "old.db"
    engine = store.sqlite_engine(path, readonly=False)
    migrations.upgrade(engine, path, target="0010")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO audit_log (id, at, agent_id, action, entity, entity_id, detail) "
            "VALUES ('r1', '2026-11-01 01:00:00.000000', 'A1001', 'read', 'customer', "
            "'c1', '')")
    engine.dispose()
    desk = store.open_desk(path)
    try:
        with desk.session() as s:
            [entry] = audit.entries(s)
            assert (entry.command, entry.shown, entry.count, entry.entity_id) == (
                "", (), 0, "c1")
        for sql in ("UPDATE audit_log SET agent_id = 'X'", "DELETE FROM audit_log"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                with desk.session() as s:
                    s.connection().exec_driver_sql(sql)
    finally:
        desk.dispose()
