"""customer_key stores each customer id packed, 16 bytes instead of 36 characters (issue 21,
item 2; migration 0016), and everything that reads it gets the id text back."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from agentdesk.core import ids, migrations, search_keys, store
from agentdesk.customers import lookup


@pytest.mark.parametrize("text", [
    ids.new_id(), "01173b62-e213-750a-8afd-6f42bfad3c24",
    "c1", "", "01173B62-E213-750A-8AFD-6F42BFAD3C24",  # upper case is not what new_id makes
    "01173b62-e213-750a-8afd-6f42bfad3c2g", "01173b62+e213-750a-8afd-6f42bfad3c24",
    "客户-0001", "[bold]-e213-750a-8afd-6f42bfad3c24", "0117 3b62-e213-750a-8afd-6f42bfad3c24",
    "01170362-0213-7500-8000-600200003024"])
def test_an_id_comes_back_exactly(text: str) -> None:
    stored = ids.packed(text)
    assert ids.unpacked(stored) == text
    # only canonical uuid text is packed: anything else is kept as it was given
    assert isinstance(stored, bytes) == (text == text.lower() and len(text) == 36
                                         and text.count("-") == 4 and text[8] == "-"
                                         and all(c in "0123456789abcdef-" for c in text))


def test_packed_ids_sort_as_their_text() -> None:
    made = sorted(ids.new_id() for _ in range(200))
    assert sorted(made, key=ids.packed) == made


CUSTOMER = (
    "INSERT INTO customer (id, account_no, name, utility, customer_class, district, street, "
    "community, building, unit, room, area_class, meter_no, meter_type, credit_list, "
    "arrears_fen, arrears_periods, tags, key_level, status, created_at, updated_at) VALUES "
    "(?, ?, ?, 'water', '居民', '岳麓区', '麓山路街道', '金色家园', '1栋', '2单元', '301室', "
    "'urban', '', '', '', 0, 0, '', 0, 'active', '2026-11-24 00:00:00.000000', "
    "'2026-11-24 00:00:00.000000')")


def test_a_desk_at_0015_gets_its_keys_packed_and_finds_the_same_customers(tmp_path) -> None:
    path = tmp_path / "old.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    migrations.upgrade(engine, path, target="0015")
    uid = ids.new_id()
    people = [(uid, "3100000001", "张三", "+8613812345678"), ("c-old", "3100000002", "李四",
                                                              "+8613912345679")]
    with engine.begin() as conn:
        raw = conn.connection.dbapi_connection
        for cid, account, name, phone in people:
            raw.execute(CUSTOMER, (cid, account, name))
            raw.execute("INSERT INTO customer_phone (id, customer_id, e164, kind, position) "
                        "VALUES (?, ?, ?, 'mobile', 0)", (ids.new_id(), cid, phone))
        # as 0002-0015 kept them: the id as text
        raw.executemany("INSERT INTO customer_key (key, customer_id) VALUES (?, ?)",
                        sorted(search_keys.current(raw, [p[0] for p in people])))
        before = raw.execute("SELECT count(*) FROM customer_key").fetchone()[0]
    engine.dispose()

    desk = store.open_desk(path)
    try:
        assert migrations.current(desk.engine) == migrations.HEAD
        with desk.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            kinds = dict(raw.execute("SELECT key_id(customer_id), group_concat(DISTINCT "
                                     "typeof(customer_id)) FROM customer_key GROUP BY 1"))
            pairs = set(raw.execute("SELECT key, key_id(customer_id) FROM customer_key"))
            assert pairs == search_keys.current(raw, [p[0] for p in people])
            assert len(pairs) == before
            sql = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'customer_key'"
                              ).fetchone()[0]
        assert kinds == {uid: "blob", "c-old": "text"}  # a non-uuid id stays text
        assert "WITHOUT ROWID" in sql and "REFERENCES" not in sql
        with desk.session() as s:
            for query, want in (("5678", "张三"), ("zs", "张三"), ("ls", "李四"),
                                ("金色家园1栋", None), ("3100000002", "李四")):
                names = sorted(m.name for m in lookup.search(s, query))
                assert names == ([want] if want else sorted(["张三", "李四"])), query
    finally:
        desk.dispose()


def test_keys_follow_an_edit_and_a_delete_through_the_writers(tmp_path) -> None:
    """search_keys.refresh deletes the stale keys by their packed id: none is left behind."""
    desk = store.open_desk(tmp_path / "d.db")
    try:
        uid = ids.new_id()
        with desk.engine.begin() as conn:
            raw = conn.connection.dbapi_connection
            raw.execute(CUSTOMER, (uid, "3100000001", "张三"))
            search_keys.refresh(raw, [uid])
            before = search_keys.current(raw, [uid])
            raw.execute("UPDATE customer SET name = '王五' WHERE id = ?", (uid,))
            search_keys.refresh(raw, [uid], before)
            have = set(raw.execute("SELECT key, key_id(customer_id) FROM customer_key"))
            assert have == search_keys.current(raw, [uid])
            assert ("yww", uid) in have and ("yzs", uid) not in have
            assert raw.execute("SELECT DISTINCT typeof(customer_id) FROM customer_key"
                               ).fetchall() == [("blob",)]
            assert search_keys.rebuild_all(raw) == len(have)
            assert set(raw.execute("SELECT key, key_id(customer_id) FROM customer_key")) == have
    finally:
        desk.dispose()


def test_a_plain_sqlite3_connection_can_read_the_ids_with_the_registered_functions(
        tmp_path) -> None:
    desk = store.open_desk(tmp_path / "d.db")
    uid = ids.new_id()
    with desk.engine.begin() as conn:
        raw = conn.connection.dbapi_connection
        raw.execute(CUSTOMER, (uid, "3100000001", "张三"))
        search_keys.refresh(raw, [uid])
    desk.dispose()
    conn = sqlite3.connect(tmp_path / "d.db")
    try:
        ids.register(conn)
        assert conn.execute("SELECT DISTINCT key_id(customer_id) FROM customer_key"
                            ).fetchall() == [(uid,)]
        assert conn.execute("SELECT count(*) FROM customer_key WHERE customer_id = key_ref(?)",
                            (uid,)).fetchone()[0] > 5
    finally:
        conn.close()
