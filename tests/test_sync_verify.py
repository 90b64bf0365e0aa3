"""``agentdesk sync --verify [--repair]``: a synced desk equals its centre (PostgreSQL and
the SQLite centre hash every shared table alike); a row deleted or changed by hand on the
desk, or lost on its way to the centre, is found and mended; changes on their way and
the desk's own customer file are not differences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.sync_helpers import centre_rows, desk_rows, new_desk, seed_customers

HEAD = ("account_no,name,phones,district,street,community,building,unit,room,utility,"
        "customer_class,meter_no,credit_list,arrears_yuan,tags")


def _busy(tmp_path: Path, centre, name: str = "desk.db"):
    """A desk synced with a centre of 40 customers, holding tickets with events, an
    article link, a contact, an incident and the centre's SLA setting."""
    import sqlalchemy as sa

    from agentdesk.core.models import Contact, Incident
    from agentdesk.sync import engine
    from agentdesk.tickets import service as tickets

    ids = seed_customers(centre, 40)
    centre.put_setting("sla_policy", "# the centre's policy [bold]\n")
    with centre.writing() as conn:
        conn.execute(sa.text(
            "INSERT INTO kb_article (id, title, category, utility, body, tags, synonyms, "
            "owner, reviewed_on, review_days, updated_at) VALUES ('art-1', '爆管 [/]', "
            "'water', 'water', '关阀', '', '', '', '2026-11-01', 365, "
            "'2026-11-25 01:00:00')"))
        conn.execute(sa.text("INSERT INTO change_log (entity, row_id, op) "
                             "VALUES ('kb_article', 'art-1', 'upsert')"))
    desk = new_desk(tmp_path / name)
    engine.sync_once(desk, centre)
    with desk.session() as s:
        for i, cid in enumerate(ids[:6]):
            t = tickets.create(s, tickets.Draft(category="water.burst",
                                                description=f"漏水 [bold]{i}\t'%_",
                                                customer_id=cid), "A1001")
            if i % 2:
                tickets.add_note(s, t.id, "A1001", "已派单 [/]")
        s.add(Contact(number="13812345678", note="来电 [/]", customer_id=ids[0]))
        s.add(Incident(title="停水", utility="water", category="water.outage",
                       areas='[["金水区", "", "", ""]]'))
        s.commit()
    engine.sync_once(desk, centre)
    return desk, ids


def _run(desk, centre, repair: bool = False):
    from agentdesk.sync import engine, repair as mend, verify

    verdict = verify.verify(desk, centre)
    if repair and not verdict.equal:
        done = mend.repair(desk, centre, verdict.differences)
        engine.sync_once(desk, centre)
        return verdict, done, verify.verify(desk, centre)
    return verdict, None, verdict


def test_a_synced_desk_equals_its_centre(tmp_path: Path, centre) -> None:
    desk, _ids = _busy(tmp_path, centre)
    verdict = _run(desk, centre)[0]
    assert verdict.equal, verdict.differences[:5]
    counts = {t.entity: (t.desk, t.centre) for t in verdict.tables}
    assert counts["customer"] == (40, 40) and counts["customer_phone"] == (40, 40)
    assert counts["ticket"] == (6, 6) and counts["ticket_event"][0] >= 9
    assert counts["kb_article"] == (1, 1) and counts["central_setting"] == (1, 1)
    assert counts["contact"] == (1, 1) and counts["incident"] == (1, 1)
    assert all(t.differing == 0 for t in verdict.tables)
    desk.dispose()


def test_rows_changed_by_hand_on_the_desk_are_found_and_fetched_again(
        tmp_path: Path, centre) -> None:
    desk, ids = _busy(tmp_path, centre)
    customer, ticket = ids[7], desk_rows(desk, "SELECT id FROM ticket ORDER BY id")[0][0]
    event = desk_rows(desk, "SELECT id FROM ticket_event ORDER BY id")[0][0]
    before = desk_rows(desk, f"SELECT * FROM customer WHERE id = '{customer}'")
    with desk.engine.begin() as conn:  # by hand: nothing goes to the outbox
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        conn.exec_driver_sql("DELETE FROM customer WHERE id = ?", (customer,))
        conn.exec_driver_sql("DELETE FROM customer_phone WHERE customer_id = ?", (customer,))
        conn.exec_driver_sql("DELETE FROM customer_key WHERE customer_id = key_ref(?)",
                             (customer,))
        conn.exec_driver_sql("UPDATE ticket SET description = 'edited' WHERE id = ?",
                             (ticket,))
        conn.exec_driver_sql("DELETE FROM sync_event_seq WHERE event_id = ?", (event,))
        conn.exec_driver_sql("DELETE FROM central_setting")
    found, done, after = _run(desk, centre, repair=True)
    assert {(d.entity, d.row_id, d.where) for d in found.differences} == {
        ("customer", customer, "centre"),
        ("customer_phone", found_phone(centre, customer), "centre"),
        ("ticket", ticket, "differs"), ("central_setting", "sla_policy", "centre")}
    assert done == {"fetched": 3, "queued": 0, "set_aside": 0}  # phones come with customers
    assert after.equal, after.differences
    assert desk_rows(desk, f"SELECT * FROM customer WHERE id = '{customer}'") == before
    # its lookup keys are back too: the agent finds the caller by phone again
    from agentdesk.customers import lookup

    with desk.session() as s:
        assert customer in [m.customer_id for m in lookup.search(s, "13800000007")]
    desk.dispose()


def found_phone(centre, customer: str) -> str:
    return centre_rows(centre, f"SELECT id FROM customer_phone WHERE customer_id = "
                               f"'{customer}'")[0][0]


def test_rows_the_centre_lost_are_sent_again(tmp_path: Path, centre) -> None:
    """A push that never arrived (the centre's rows deleted by hand): the desk's rows go
    into the outbox again and reach the centre; nothing is deleted on the desk."""
    import sqlalchemy as sa

    desk, _ids = _busy(tmp_path, centre)
    ticket = desk_rows(desk, "SELECT id FROM ticket ORDER BY id DESC")[0][0]
    events = desk_rows(desk, f"SELECT id FROM ticket_event WHERE ticket_id = '{ticket}'")
    with centre.writing() as conn:
        conn.execute(sa.text("DELETE FROM ticket_event WHERE ticket_id = :t"), {"t": ticket})
        conn.execute(sa.text("DELETE FROM ticket WHERE id = :t"), {"t": ticket})
        conn.execute(sa.text("DELETE FROM contact"))
    found, done, after = _run(desk, centre, repair=True)
    assert {(d.entity, d.where) for d in found.differences} == {
        ("ticket", "desk"), ("ticket_event", "desk"), ("contact", "desk")}
    assert done["queued"] == 2 + len(events)
    assert after.equal, after.differences
    assert centre_rows(centre, f"SELECT count(*) FROM ticket_event WHERE ticket_id = "
                               f"'{ticket}'") == [(len(events),)]
    desk.dispose()


def test_changes_on_their_way_and_the_desks_own_file_are_not_differences(
        tmp_path: Path, centre) -> None:
    import sqlalchemy as sa

    from agentdesk.customers.csvio import import_customers
    from agentdesk.tickets import service as tickets

    desk, ids = _busy(tmp_path, centre)
    csv = tmp_path / "own.csv"
    csv.write_text(HEAD + "\nWX-9001,本地客户,13912345678,金水区,花园路街道,幸福小区,1栋,"
                   "1单元,101室,water,居民,M9,,0,\n", encoding="utf-8")
    assert not import_customers(desk, csv).errors  # never pushed: the desk's own file
    with desk.session() as s:  # waiting in the outbox
        tickets.create(s, tickets.Draft(category="water.burst", description="新",
                                        customer_id=ids[9]), "A1001")
    with centre.writing() as conn:  # after the desk's cursor: the next pull brings it
        conn.execute(sa.text("UPDATE customer SET name = '改名' WHERE id = :c"), {"c": ids[3]})
        conn.execute(sa.text("INSERT INTO change_log (entity, row_id, op) VALUES "
                             "('customer', :c, 'upsert')"), {"c": ids[3]})
    verdict = _run(desk, centre)[0]
    assert verdict.equal, verdict.differences
    checks = {t.entity: t for t in verdict.tables}
    assert checks["customer"].local == 1 and checks["customer_phone"].local == 1
    assert checks["customer"].in_flight == 1
    assert checks["ticket"].in_flight == 1 and checks["ticket_event"].in_flight == 1
    desk.dispose()


def test_cli_verify_exit_status_json_and_repair(tmp_path: Path, centre, capsys) -> None:
    from agentdesk.cli import main

    desk, ids = _busy(tmp_path, centre)
    with desk.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        conn.exec_driver_sql("DELETE FROM customer_phone WHERE customer_id = ?", (ids[5],))
    desk.dispose()
    base = ["--db", str(tmp_path / "desk.db"), "sync", "--central", centre.url]
    capsys.readouterr()
    assert main([*base, "--verify", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and not out["equal"] and out["more_differences"] == 0
    assert out["sync"]["pushed"] == 0 and "cursor" in out["sync"]  # it synced first
    assert [d["entity"] for d in out["differences"]] == ["customer_phone"]
    phones = out["tables"]["customer_phone"]
    assert (phones["desk"], phones["centre"], phones["differing_ranges"], phones["in_flight"],
            phones["local"]) == (39, 40, 1, 0, 0)
    assert all(t["differing_ranges"] == 0 for name, t in out["tables"].items()
               if name != "customer_phone")
    assert main([*base, "--verify", "--repair", "--lang", "en"]) == 0
    said = capsys.readouterr().out
    assert said.startswith("synced first: pushed 0, pulled 0")
    assert "repaired: 1 found, 1 row(s) fetched again" in said
    assert "desk and centre agree" in said
    assert main([*base, "--verify", "--lang", "en"]) == 0
    assert main([*base, "--repair", "--lang", "en"]) == 2
    assert "--repair goes with --verify" in capsys.readouterr().err
    assert "password" not in said


@pytest.mark.parametrize("value", ["a\x1b[31mb", None, "", "[/]"])
def test_row_hash_is_md5_of_the_documented_row_text(value) -> None:
    """md5 of the columns as text, NULL as \\N, 0x1f between: the text the PostgreSQL
    side builds in SQL (test_a_synced_desk_equals_its_centre[postgres] checks they agree)."""
    import hashlib

    from agentdesk.sync import verify

    text = "\x1f".join(["x", "\\N" if value is None else value, "1"])
    want = int(hashlib.md5(text.encode()).hexdigest()[:10], 16)
    assert verify.row_hash(["x", value, 1]) == want


def test_syncs_while_it_compares_are_not_differences(tmp_path: Path, centre,
                                                     monkeypatch) -> None:
    """The desk app syncs while ``--verify`` runs (its own new ticket goes up and leaves
    the outbox), and another desk edits a customer between the two sides' reads of the
    same rows: neither is a difference."""
    from agentdesk.core.models import Customer
    from agentdesk.sync import engine, verify
    from agentdesk.tickets import service as tickets

    desk, ids = _busy(tmp_path, centre)
    other = new_desk(tmp_path / "other.db", (("A2001", "赵六"),))
    engine.sync_once(other, centre)
    real_sums, real_rows = verify.Sides.centre_sums, verify.Sides.desk_rows
    edits = iter(["改名一", "改名二"])

    def elsewhere() -> None:
        with other.session() as s:
            s.get(Customer, ids[2]).name = next(edits)
            s.commit()
        engine.sync_once(other, centre)
        with desk.session() as s:
            tickets.create(s, tickets.Draft(category="water.burst", description="途中",
                                            customer_id=ids[1]), "A1001")
        engine.sync_once(desk, centre)  # the new ticket went up, the edit came down

    def centre_sums(self, entity: str) -> dict:
        found = real_sums(self, entity)
        if entity == "customer":  # the desk's sums will see the edit, these did not
            elsewhere()
        return found

    def desk_rows(self, entity: str, ranges: list[str]) -> dict:
        found = real_rows(self, entity, ranges)
        if entity == "customer":  # the centre's rows will see the second edit
            elsewhere()
        return found

    class InTurn:  # the centre's sums first, then the desk's: the edit falls between
        def __init__(self, **_kw: object) -> None:
            pass

        def __enter__(self) -> InTurn:
            return self

        def __exit__(self, *_exc: object) -> None:
            pass

        @staticmethod
        def submit(fn, *args):
            from concurrent.futures import Future

            done: Future = Future()
            done.set_result(fn(*args))
            return done

    monkeypatch.setattr(verify, "ThreadPoolExecutor", InTurn)
    monkeypatch.setattr(verify.Sides, "centre_sums", centre_sums)
    monkeypatch.setattr(verify.Sides, "desk_rows", desk_rows)
    verdict = verify.verify(desk, centre)
    assert next(edits, None) is None  # both edits happened mid-comparison
    assert verdict.equal, verdict.differences
    assert {t.entity: t.in_flight for t in verdict.tables}["customer"] == 1
    other.dispose()
    desk.dispose()
