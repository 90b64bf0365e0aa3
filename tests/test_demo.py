"""The demo-data generator: deterministic, realistic enough, consistent with the schema."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import phonenumbers
import pytest
from sqlmodel import select

from agentdesk.core import clock, search_keys
from agentdesk.demo import generate as demo
from agentdesk.tickets import taxonomy, workflow
from agentdesk.core.models import Customer, Ticket, utc_text
from agentdesk.core.store import open_desk
from agentdesk.demo import words as D

NOW = "2026-11-25T09:00:00+08:00"
CUSTOMERS, TICKETS = 2000, 300
UTC_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$")
UTC = timezone.utc


def _fill(path: Path, seed: int = 1, customers: int = CUSTOMERS, tickets: int = TICKETS):
    store = open_desk(path)
    summary = demo.generate(store, customers, tickets, seed)
    return store, summary


def _checksum(conn: sqlite3.Connection, table: str) -> str:
    digest = hashlib.sha256()
    for row in conn.execute(f"SELECT * FROM {table} ORDER BY id"):
        digest.update(repr(row).encode())
    return digest.hexdigest()


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AGENTDESK_NOW", NOW)
        store, summary = _fill(tmp_path_factory.mktemp("demo") / "desk.db")
        conn = store.raw()
        yield store, summary, conn
        conn.close()
        store.dispose()


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setenv("AGENTDESK_NOW", NOW)


def test_uuid7_text_is_a_valid_uuid7():
    ms = 1_764_032_400_123
    for bits in (0, 1, (1 << 74) - 1, 0x2_5A5A_5A5A_5A5A_5A5A_5A5A):
        text = demo.uuid7_text(ms, bits)
        value = uuid.UUID(text)
        assert str(value) == text
        assert value.version == 7
        assert value.variant == uuid.RFC_4122
        assert value.int >> 80 == ms
    assert demo.uuid7_text(ms, 5) < demo.uuid7_text(ms + 1, 0)  # time-ordered
    assert demo.uuid7_text(ms, 5) == demo.uuid7_text(ms, 5)


def test_same_seed_same_data_different_seed_different_data(tmp_path, desk):
    _store, _summary, conn = desk
    again, _ = _fill(tmp_path / "again.db", seed=1)
    other, _ = _fill(tmp_path / "other.db", seed=2)
    c2, c3 = again.raw(), other.raw()
    try:
        for table in ("customer", "customer_phone", "agent", "notice", "incident", "ticket",
                      "ticket_event", "contact"):
            assert _checksum(conn, table) == _checksum(c2, table), table
        for table in ("customer", "customer_phone", "ticket"):
            assert _checksum(conn, table) != _checksum(c3, table), table
    finally:
        c2.close()
        c3.close()


def test_counts_exactly_as_asked(desk):
    _store, summary, conn = desk
    count = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (
        "customer", "customer_phone", "ticket", "ticket_event", "notice", "incident", "agent")}
    assert count["customer"] == summary.customers == CUSTOMERS
    assert count["ticket"] == summary.tickets == TICKETS
    assert count["customer_phone"] == summary.phones
    assert count["ticket_event"] == summary.events
    assert count["agent"] == summary.agents == len(D.AGENTS)
    assert 3 <= count["notice"] == summary.notices <= 5
    assert 2 <= count["incident"] == summary.incidents <= 3
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_ids_are_uuid7_carrying_the_creation_time(desk):
    _store, _summary, conn = desk
    for table in ("customer", "ticket"):
        for id_, created in conn.execute(f"SELECT id, created_at FROM {table} LIMIT 200"):
            value = uuid.UUID(id_)
            assert value.version == 7 and value.variant == uuid.RFC_4122
            assert value.int >> 80 == int(_parse(created).timestamp() * 1000)
    for (id_,) in conn.execute("SELECT id FROM customer_phone LIMIT 200"):
        assert uuid.UUID(id_).version == 7
    # Inserted in id order (appends to the primary-key B-tree).
    ids = [r[0] for r in conn.execute("SELECT id FROM customer ORDER BY rowid")]
    assert ids == sorted(ids)


def test_phones_are_valid_e164_one_to_three_each(desk):
    _store, _summary, conn = desk
    kinds = Counter()
    for e164, kind in conn.execute("SELECT e164, kind FROM customer_phone"):
        number = phonenumbers.parse(e164, "CN")
        assert phonenumbers.is_valid_number(number), e164
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == e164
        expected = (phonenumbers.PhoneNumberType.MOBILE if kind == "mobile"
                    else phonenumbers.PhoneNumberType.FIXED_LINE)
        assert phonenumbers.number_type(number) == expected
        if kind == "landline":
            assert e164.startswith("+86371") and len(e164) == 14 and e164[6] in "568"
        kinds[kind] += 1
    per_customer = Counter(n for (n,) in conn.execute(
        "SELECT count(*) FROM customer_phone GROUP BY customer_id"))
    assert set(per_customer) <= {1, 2, 3}
    assert sum(per_customer.values()) == CUSTOMERS  # everybody has a phone
    positions = conn.execute("SELECT count(*) FROM customer_phone p WHERE position >= "
                             "(SELECT count(*) FROM customer_phone q "
                             "WHERE q.customer_id = p.customer_id)").fetchone()[0]
    assert positions == 0
    with_landline = conn.execute("SELECT count(DISTINCT customer_id) FROM customer_phone "
                                 "WHERE kind = 'landline'").fetchone()[0]
    assert 0.12 * CUSTOMERS < with_landline < 0.28 * CUSTOMERS
    assert kinds["mobile"] > 3 * kinds["landline"]


def test_addresses_accounts_and_classes(desk):
    _store, _summary, conn = desk
    area_of = {d[0]: d[2] for d in D.DISTRICTS}
    streets_of = {d[0]: set(d[4]) for d in D.DISTRICTS}
    rows = conn.execute("SELECT account_no, utility, customer_class, district, street, "
                        "community, building, unit, room, area_class, meter_no, meter_type, "
                        "created_at, updated_at, status FROM customer").fetchall()
    for (account, utility, cls, district, street, community, building, unit, room, area,
         meter_no, meter_type, created, updated, status) in rows:
        assert all((district, street, community, building, unit, room))
        assert building.endswith("栋") and unit.endswith("单元") and room.endswith("室")
        assert street in streets_of[district]
        assert area == area_of[district]
        assert re.fullmatch(D.ACCOUNT_PREFIX[utility] + r"\d{8}", account), account
        assert meter_no.startswith(D.METER_PREFIX[utility])
        assert meter_type in ("mechanical", "smart", "prepaid")
        assert cls in D.CUSTOMER_CLASSES[utility][area]
        assert UTC_TEXT.match(created) and UTC_TEXT.match(updated)
        assert status in ("active", "closed")
    assert {r[9] for r in rows} == {"urban", "rural", "remote"}
    assert Counter(r[1] for r in rows)["water"] > 0.4 * CUSTOMERS
    assert Counter(r[2] for r in rows)["居民"] > 0.8 * CUSTOMERS


def test_shared_buildings_and_duplicate_addresses(desk):
    _store, _summary, conn = desk
    shared = conn.execute("SELECT count(*) FROM (SELECT 1 FROM customer GROUP BY district, "
                          "street, community, building HAVING count(*) > 1)").fetchone()[0]
    assert shared > 20
    # Households with a water and a power account: same address, name and phone.
    pairs = conn.execute(
        "SELECT count(*) FROM customer a JOIN customer b ON a.district = b.district "
        "AND a.street = b.street AND a.community = b.community AND a.building = b.building "
        "AND a.unit = b.unit AND a.room = b.room AND a.name = b.name "
        "WHERE a.utility = 'water' AND b.utility = 'power'").fetchone()[0]
    assert pairs >= 5


def test_vulnerable_black_listed_and_key_customers_are_a_few_percent(desk):
    _store, _summary, conn = desk

    def share(where: str) -> float:
        return conn.execute(f"SELECT count(*) FROM customer WHERE {where}").fetchone()[0] / \
            CUSTOMERS

    assert 0.02 <= share("tags != ''") <= 0.07
    assert 0.005 <= share("credit_list = 'black'") <= 0.03
    assert 0.01 <= share("key_level > 0") <= 0.07
    assert share("arrears_periods > 0") > 0.05
    assert share("credit_list = 'black' AND arrears_periods < 5") == 0
    assert share("arrears_periods > 0 AND arrears_fen <= 0") == 0
    tags = {t for (s,) in conn.execute("SELECT DISTINCT tags FROM customer WHERE tags != ''")
            for t in s.split(";")}
    assert tags <= {"吸氧", "独居老人", "残障", "孤寡"} and len(tags) >= 3
    for surname in D.TWO_READING_SURNAMES:
        assert share(f"name LIKE '{surname}%' AND customer_class = '居民'") > 0, surname


def test_tickets_are_consistent(desk):
    _store, _summary, conn = desk
    now = clock.now()
    tax = taxonomy.load()
    conn.row_factory = sqlite3.Row
    try:
        tickets = conn.execute("SELECT t.*, c.utility AS cu FROM ticket t "
                               "LEFT JOIN customer c ON c.id = t.customer_id").fetchall()
        events = conn.execute("SELECT * FROM ticket_event ORDER BY at, id").fetchall()
    finally:
        conn.row_factory = None
    by_ticket: dict[str, list] = {}
    for e in events:
        by_ticket.setdefault(e["ticket_id"], []).append(e)
    numbers = set()
    for t in tickets:
        assert re.fullmatch(r"GD\d{8}\d{5}", t["number"])
        numbers.add(t["number"])
        cat = tax.category(t["category"])
        assert t["business_type"] == cat.business_type
        if t["customer_id"]:
            assert cat.utility in (t["cu"], "any")
        created = _parse(t["created_at"])
        assert now - timedelta(days=30) <= created <= now
        for col in ("created_at", "updated_at", "due_first_response", "due_resolution"):
            assert UTC_TEXT.match(t[col]), col
        assert _parse(t["due_first_response"]) > created
        assert _parse(t["due_resolution"]) >= _parse(t["due_first_response"])
        if t["priority"] == "urgent":
            assert _parse(t["due_first_response"]) - created == timedelta(minutes=15)
        mine = by_ticket[t["id"]]
        created_events = [e for e in mine if e["kind"] == "created"]
        assert len(created_events) == 1 and created_events[0]["at"] == t["created_at"]
        assert created_events[0]["to_status"] == "accepted"
        chain = [e for e in mine if e["kind"] == "status"]
        status = "accepted"
        for e in chain:
            assert e["from_status"] == status
            status = e["to_status"]
        assert status == t["status"]
        # the met times on the row (the monitor reads them) are the reducer's replay
        state = workflow.rebuild([(e["kind"], e["to_status"], e["data"], _parse(e["at"]))
                                  for e in mine])
        for key in workflow.MET:
            assert t[key] == (utc_text(state[key]) if state[key] else None), key
        assert all(_parse(e["at"]) <= now for e in mine)
        assert (t["resolved_at"] is not None) == (status in ("resolved", "called_back",
                                                             "archived"))
        assert (t["closed_at"] is not None) == (status == "archived")
        if t["first_responder_id"] != t["owner_id"]:
            assert any(e["kind"] == "handover" for e in mine)
    assert len(numbers) == len(tickets)
    statuses = Counter(t["status"] for t in tickets)
    assert len(statuses) >= 5, statuses
    handed = sum(t["first_responder_id"] != t["owner_id"] for t in tickets)
    assert 0 < handed < 0.25 * len(tickets)
    open_ages = [now - _parse(t["created_at"]) for t in tickets
                 if t["status"] in ("accepted", "dispatched", "on_site")]
    assert open_ages and sorted(open_ages)[len(open_ages) // 2] < timedelta(days=3)
    assert len({t["category"] for t in tickets}) > 15
    assert len({t["area_class"] for t in tickets}) == 3
    linked = conn.execute("SELECT count(*) FROM ticket WHERE incident_id IS NOT NULL "
                          ).fetchone()[0]
    with_contact = conn.execute("SELECT count(*) FROM ticket WHERE contact_id IS NOT NULL "
                                ).fetchone()[0]
    assert linked >= 6 and 0.5 * len(tickets) < with_contact < len(tickets)


def test_active_notices_cover_real_customers(desk):
    _store, _summary, conn = desk
    now = utc_text(clock.now())
    active = conn.execute("SELECT utility, json_extract(areas, '$[0][0]'), "
                          "json_extract(areas, '$[0][1]'), json_extract(areas, '$[0][2]') "
                          "FROM notice WHERE starts_at <= ? AND ? <= ends_at",
                          (now, now)).fetchall()
    assert len(active) >= 2
    assert {a[0] for a in active} == {"water", "power"}
    for utility, district, street, community in active:
        covered = conn.execute(
            "SELECT count(*) FROM customer WHERE utility = ? AND district = ? "
            "AND (? = '' OR street = ?) AND (? = '' OR community = ?)",
            (utility, district, street, street, community, community)).fetchone()[0]
        assert covered >= 3, (district, street, community)
    kinds = {k for (k,) in conn.execute("SELECT kind FROM notice")}
    assert kinds == {"planned", "fault"}
    assert conn.execute("SELECT count(*) FROM incident WHERE status = 'open'").fetchone()[0] >= 2


def test_lookup_keys_are_those_search_keys_computes(desk):
    _store, _summary, conn = desk
    expected = set()
    for (cid, name, street, community, building, unit, room, phones, account,
         meter) in conn.execute(
            "SELECT c.id, c.name, c.street, c.community, c.building, c.unit, c.room, "
            "(SELECT group_concat(e164, ' ') FROM customer_phone p "
            "WHERE p.customer_id = c.id), c.account_no, c.meter_no FROM customer c"):
        expected.update((key, cid) for key in search_keys.customer_keys(
            name, street, community, building, unit, room, phones.split(), account, meter))
    stored = set(conn.execute("SELECT key, key_id(customer_id) FROM customer_key"))
    assert stored == expected


def test_rows_load_through_the_models(desk):
    store, _summary, _conn = desk
    with store.session() as session:
        customer = session.exec(select(Customer).limit(1)).one()
        assert customer.created_at.tzinfo is not None
        assert customer.address.startswith(customer.district)
        ticket = session.exec(select(Ticket).order_by(Ticket.created_at.desc()).limit(1)).one()
        assert ticket.created_at <= clock.now()


def test_demo_data_matches_the_taxonomy():
    codes = set(taxonomy.load().categories)
    assert set(D.CATEGORY_WEIGHTS) <= codes
    assert codes <= set(D.DESCRIPTIONS) and codes <= set(D.DEPARTMENTS)
    for district in D.TOWN_REPAIR_DEPARTMENTS:
        assert district in {d[0] for d in D.DISTRICTS if d[2] != "urban"}


def test_fill_if_empty_and_refusal(english, tmp_path):
    store = open_desk(tmp_path / "desk.db")
    assert demo.is_empty(store)
    summary = demo.fill_if_empty(store, customers=300, tickets=40, seed=7)
    assert summary is not None and summary.customers == 300 and summary.tickets == 40
    conn = store.raw()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # switched back
    conn.close()
    assert not demo.is_empty(store)
    assert demo.fill_if_empty(store) is None
    with pytest.raises(ValueError, match="empty desk"):
        demo.generate(store, 10, 0, 1)


def test_an_open_session_falls_back_to_wal(tmp_path):
    store = open_desk(tmp_path / "desk.db")
    with store.session() as session:
        assert session.exec(select(Customer)).first() is None  # holds a pooled connection
        summary = demo.generate(store, 200, 20, 1)
    assert summary.customers == 200
    conn = store.raw()
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM customer").fetchone()[0] == 200
    finally:
        conn.close()


def test_tiny_sizes(tmp_path):
    store = open_desk(tmp_path / "desk.db")
    summary = demo.generate(store, 0, 5, 3)
    assert (summary.customers, summary.phones, summary.tickets) == (0, 0, 5)
    store2 = open_desk(tmp_path / "desk2.db")
    summary = demo.generate(store2, 7, 0, 3)
    assert (summary.customers, summary.tickets) == (7, 0)


def test_failure_leaves_the_desk_as_it_was(tmp_path, monkeypatch):
    store = open_desk(tmp_path / "desk.db")
    conn = store.raw()
    indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                           "ORDER BY name").fetchall()

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(demo, "insert_notices_and_tickets", boom)
    with pytest.raises(RuntimeError):
        demo.generate(store, 500, 50, 1)
    assert conn.execute("SELECT count(*) FROM customer").fetchone()[0] == 0
    assert conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                        "ORDER BY name").fetchall() == indexes
    conn.close()
    monkeypatch.undo()
    monkeypatch.setenv("AGENTDESK_NOW", NOW)
    assert demo.generate(store, 500, 50, 1).customers == 500


def test_progress_is_reported(tmp_path):
    seen = []
    demo.generate(open_desk(tmp_path / "desk.db"), 45_000, 20, 1,
                  progress=lambda stage, done, total: seen.append((stage, done, total)))
    customers = [s for s in seen if s[0] == "customers"]
    assert customers == [("customers", 20_000, 45_000), ("customers", 40_000, 45_000),
                         ("customers", 45_000, 45_000)]
    assert ("tickets", 20, 20) in seen
