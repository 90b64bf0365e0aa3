"""Lookup on real customer files and real callers (issue 18): accounts of any shape,
meter numbers, two clues at once, honorific forms, punctuation in addresses, and who
comes first among equal matches."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agentdesk.core import search_keys
from agentdesk.core.models import Contact, Customer, CustomerPhone
from agentdesk.customers import lookup


def _add(desk, name: str, account: str, *, phone: str | None = None, meter: str = "",
         district: str = "岳麓区", community: str = "桃子湖小区", street: str = "桃子湖街道"
         ) -> str:
    with desk.session() as s:
        c = Customer(account_no=account, name=name, utility="water", district=district,
                     street=street, community=community, building="1栋", unit="1单元",
                     room="101室", meter_no=meter)
        s.add(c)
        s.flush()
        if phone:
            s.add(CustomerPhone(customer_id=c.id, e164=phone))
            s.flush()
        search_keys.refresh(s.connection().connection.driver_connection, [c.id])
        s.commit()
        return c.id


def _accounts(desk, query: str) -> list[str]:
    with desk.session() as s:
        return [m.account_no for m in lookup.search(s, query)]


def _first(desk, query: str) -> lookup.Match:
    with desk.session() as s:
        return lookup.search(s, query)[0]


@pytest.mark.parametrize("query", ["WX-0003", "wx-0003", "wx0003", "WX 0003", "ＷＸ－０００３",
                                   "Wx0003"])
def test_account_with_letters_exact_in_any_case_spaces_and_dashes(desk, query) -> None:
    _add(desk, "王五", "WX-0003")
    found = _first(desk, query)
    assert (found.account_no, found.match, found.rank) == ("WX-0003", "account",
                                                          lookup.EXACT_ID)


def test_account_with_a_dash_and_its_trailing_digits(desk) -> None:
    _add(desk, "刘一", "0731-20001234")
    _add(desk, "刘二", "P77001234")
    assert _accounts(desk, "0731-20001234") == ["0731-20001234"]
    assert _accounts(desk, "073120001234") == ["0731-20001234"]
    assert sorted(_accounts(desk, "01234")) == ["0731-20001234", "P77001234"]
    assert _first(desk, "77001234").account_no == "P77001234"
    assert _first(desk, "77001234").match == "account"


def test_meter_numbers_exact_and_trailing(desk) -> None:
    _add(desk, "赵七", "4300000001", meter="SB-2024-008812")
    found = _first(desk, "sb2024008812")
    assert (found.account_no, found.match, found.rank) == ("4300000001", "meter",
                                                          lookup.EXACT_ID)
    found = _first(desk, "08812")
    assert (found.account_no, found.match) == ("4300000001", "meter")


def test_two_clues_narrow(desk) -> None:
    _add(desk, "王建国", "5000000001", phone="+8613800001122")
    _add(desk, "王建军", "5000000002", phone="+8613800003344")
    _add(desk, "李建国", "5000000003", phone="+8613900001122")
    _add(desk, "张伟", "5000000004", community="桃子湖小区")
    _add(desk, "张伟", "5000000005", community="阳光小区", street="观沙岭街道")
    _add(desk, "张伟", "5000000006", district="天心区", community="金色家园",
         street="坡子街街道")
    assert _accounts(desk, "王 1122") == ["5000000001"]
    assert _accounts(desk, "1122 王") == ["5000000001"]
    assert _accounts(desk, "张伟 桃子湖") == ["5000000004"]
    assert sorted(_accounts(desk, "岳麓区 张伟")) == ["5000000004", "5000000005"]
    assert _accounts(desk, "天心区 张") == ["5000000006"]
    assert _accounts(desk, "zw 阳光小区") == ["5000000005"]
    assert _accounts(desk, "张伟 阳光小区") == ["5000000005"]  # 小区 is no district
    assert _first(desk, "王 1122").match == "name+phone_suffix"
    assert _accounts(desk, "王 9999") == []


@pytest.mark.parametrize("query", ["王先生", "王女士", "老王", "小王", "王师傅", "王阿姨"])
def test_honorific_forms_resolve_to_the_surname(desk, query) -> None:
    _add(desk, "王建国", "5000000001", phone="+8613800001122")
    _add(desk, "李建国", "5000000003", phone="+8613900001122")
    assert _accounts(desk, query) == ["5000000001"]
    assert _accounts(desk, f"{query} 1122") == ["5000000001"]


def test_compound_surname_with_honorific(desk) -> None:
    _add(desk, "欧阳明月", "5000000007")
    _add(desk, "欧大明", "5000000008")
    assert _accounts(desk, "欧阳女士") == ["5000000007"]


@pytest.mark.parametrize("query", ["先生", "女士"])
def test_an_honorific_alone_gets_a_clear_message(desk, query) -> None:
    from agentdesk.core import i18n

    i18n.set_lang("en")
    try:
        with desk.session() as s, pytest.raises(lookup.QueryError, match="surname"):
            lookup.search(s, query)
        i18n.set_lang("zh")
        with desk.session() as s, pytest.raises(lookup.QueryError, match="连姓"):
            lookup.search(s, query)
    finally:
        i18n.set_lang("zh")


@pytest.mark.parametrize("query", ["!!!", "（）", "%%", "。。。"])
def test_only_punctuation_finds_nobody(desk, query) -> None:
    assert _accounts(desk, query) == []


def test_too_many_clues_get_a_clear_message(desk) -> None:
    with desk.session() as s, pytest.raises(lookup.QueryError, match="7"):
        lookup.search(s, " ".join("张王李赵刘陈杨"))


def test_address_ignores_punctuation_and_brackets(desk) -> None:
    _add(desk, "孙八", "5000000009", community="(金色家园)", street="")
    _add(desk, "周九", "5000000010", community="星光·花园", street="")
    assert _accounts(desk, "金色家园") == ["5000000009"]
    assert _accounts(desk, "（金色家园）1栋") == ["5000000009"]
    assert _accounts(desk, "星光花园") == ["5000000010"]
    assert _accounts(desk, "星光·花园") == ["5000000010"]


def test_equal_matches_recent_caller_first_then_open_tickets(desk) -> None:
    from agentdesk.core import clock
    from agentdesk.tickets import service as tickets

    a = _add(desk, "陈静", "6000000001")
    b = _add(desk, "陈静", "6000000002")
    c = _add(desk, "陈静", "6000000003")
    assert _accounts(desk, "陈静") == ["6000000001", "6000000002", "6000000003"]
    with desk.session() as s:
        tickets.create(s, tickets.Draft(category="water.burst", description="漏水",
                                        customer_id=b), "A1001")
    assert _accounts(desk, "陈静") == ["6000000002", "6000000001", "6000000003"]
    with desk.session() as s:
        s.add(Contact(number="+8613800000000", customer_id=c,
                      started_at=clock.now() - timedelta(minutes=10)))
        s.add(Contact(number="+8613800000000", customer_id=a,
                      started_at=clock.now() - timedelta(days=3)))
        s.commit()
    assert _accounts(desk, "陈静") == ["6000000003", "6000000001", "6000000002"]
    # ties at the cut to the limit are decided the same way
    with desk.session() as s:
        assert [m.account_no for m in lookup.search(s, "陈静", limit=1)] == ["6000000003"]


def test_a_desk_from_before_0009_finds_lettered_accounts_once_it_opens(tmp_path) -> None:
    """Migration 0009 computes every customer's keys again by rules 2 (account and meter
    keys, address keys without punctuation) and adds the (district, name) index."""
    import sqlalchemy as sa

    from agentdesk.core import migrations, store

    path = tmp_path / "old.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    migrations.upgrade(engine, path, target="0008")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO customer (id, account_no, name, utility, customer_class, district, "
            "street, community, building, unit, room, area_class, meter_no, meter_type, "
            "credit_list, arrears_fen, arrears_periods, tags, key_level, status, created_at, "
            "updated_at) VALUES ('c1', 'WX-0003', '王五', 'water', '居民', '岳麓区', '', "
            "'(金色家园)', '1栋', '', '', 'urban', 'SB-88', '', '', 0, 0, '', 0, 'active', "
            "'2026-11-24 00:00:00.000000', '2026-11-24 00:00:00.000000')")
        conn.exec_driver_sql("INSERT INTO customer_key VALUES ('a(金色家园)1栋', 'c1')")
    engine.dispose()
    desk = store.open_desk(path)
    assert migrations.current(desk.engine) == migrations.HEAD
    assert _accounts(desk, "wx0003") == ["WX-0003"]
    assert _accounts(desk, "sb88") == ["WX-0003"]
    assert _accounts(desk, "金色家园") == ["WX-0003"]
    assert _accounts(desk, "岳麓区 王") == ["WX-0003"]
    with desk.session() as s:
        plan = " ".join(r[-1] for r in s.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM customer WHERE district = '岳麓区' AND "
            "name >= '王' AND name < '王\U0010ffff'"))
    assert "ix_customer_district_name" in plan
    desk.dispose()


def test_match_labels_come_from_the_catalog() -> None:
    from agentdesk.core import i18n

    assert lookup.match_label("name+phone_suffix") == "姓名+电话尾号"
    i18n.set_lang("en")
    try:
        assert lookup.match_label("meter") == "meter"
        assert lookup.match_label("name+district") == "name+district"
    finally:
        i18n.set_lang("zh")


def test_min_suffix_comes_from_the_config(desk, tmp_path, monkeypatch) -> None:
    import argparse

    from agentdesk.cli_support import load_config
    from agentdesk.core.config import ConfigError
    from agentdesk.customers import clues

    _add(desk, "刘一", "0731-20001234")
    path = tmp_path / "config.toml"
    monkeypatch.setenv("AGENTDESK_CONFIG", str(path))
    monkeypatch.setattr(clues, "MIN_ID_SUFFIX", clues.MIN_ID_SUFFIX)  # restored after
    path.write_text("lookup_min_suffix = 7\n", encoding="utf-8")
    load_config(argparse.Namespace())
    assert _accounts(desk, "001234") == []  # six: too few now
    assert _accounts(desk, "0001234") == ["0731-20001234"]
    path.write_text("lookup_min_suffix = 40\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="lookup_min_suffix"):
        load_config(argparse.Namespace())


def test_two_broad_clues_intersect_in_full(desk, monkeypatch) -> None:
    """Both clues match more than PROBE: every customer of both is found, not only those
    among the first PROBE of one (at 1,000,000 customers, zw 鑫林嘉园 found nobody for
    one query in seven)."""
    from agentdesk.customers import intersect

    monkeypatch.setattr(intersect, "PROBE", 4)
    for n in range(12):  # 张伟 in other communities: zw is broad, and read first
        _add(desk, "张伟", f"A{n:03d}", community="别的小区")
    for n in range(8):  # 鑫林嘉园 without zw: the community is broad too
        _add(desk, "李四", f"B{n:03d}", community="鑫林嘉园")
    wanted = {_add(desk, "张伟", "C001", community="鑫林嘉园"),
              _add(desk, "张文", "C002", community="鑫林嘉园"),
              _add(desk, "赵伟明", "C003", community="鑫林嘉园")}
    with desk.session() as s:
        found = lookup.search(s, "zw 鑫林嘉园")
    assert {m.customer_id for m in found} == wanted
    # 张伟 and 张文 are zw exactly, 赵伟明 only starts so: the exact ones first
    assert [m.account_no for m in found][2] == "C003"
    assert {m.match for m in found} == {"pinyin+address"}


def test_broad_clues_past_the_cap_keep_the_exact_matches(desk, monkeypatch) -> None:
    """Past BROAD entries a clue is cut in key order: its exact key comes first, so the
    exact match survives the cut, and the answer is the first ones, not a scan."""
    from agentdesk.customers import intersect

    monkeypatch.setattr(intersect, "PROBE", 2)
    monkeypatch.setattr(intersect, "BROAD", 6)
    for n in range(10):  # 张伟安: zwa sorts after zw, in key order and in the cut
        _add(desk, "张伟安", f"A{n:03d}", community="鑫林嘉园")
    wanted = _add(desk, "张伟", "C001", community="别的小区")
    for n in range(3):
        _add(desk, "李四", f"B{n:03d}", community="别的小区")
    with desk.session() as s:
        found = lookup.search(s, "zw 别的小区")
        cut = lookup.search(s, "zw 鑫林嘉园")
    assert [m.customer_id for m in found] == [wanted]
    assert 0 < len(cut) < 10  # the ten 张伟安 are past the cap: the first of them


def test_a_surname_and_a_phone_end_past_the_probe_find_the_caller(desk, monkeypatch) -> None:
    """老张 1234 at ten million customers: about 1,500 phones end in 1234 and hundreds of
    thousands of names start with 张, both past PROBE. The phone clue is read whole (it is
    within WIDE) and every one of its rows tested, so the caller is found wherever their
    phone falls in key order (the first PROBE of it found them one time in eight)."""
    from agentdesk.customers import intersect

    monkeypatch.setattr(intersect, "PROBE", 3)
    monkeypatch.setattr(intersect, "WIDE", 40)
    for n in range(12):  # other surnames with the same last four, before it in key order
        _add(desk, "李四", f"A{n:03d}", phone=f"+861390{n:03d}1234")
    for n in range(6):  # 张 with other phones: the surname is broad too
        _add(desk, f"张{n}", f"B{n:03d}", phone=f"+8613700{n:02d}5678")
    wanted = _add(desk, "张伟", "C001", phone="+8613999991234")
    with desk.session() as s:
        found = lookup.search(s, "老张 1234")
    assert [m.customer_id for m in found] == [wanted]
    assert found[0].match == "name+phone_suffix"


def test_rows_are_tested_in_rounds_until_enough_match(desk, monkeypatch) -> None:
    """A clue read whole is tested PROBE rows first, then four times as many a round:
    it stops once enough match (the caller's pool), and goes on when few do."""
    from agentdesk.customers import clues, intersect

    monkeypatch.setattr(intersect, "PROBE", 2)
    ids = [_add(desk, "王五", f"A{n:03d}", district="岳麓区" if n in (1, 9) else "天心区")
           for n in range(12)]
    for n in range(12):
        _add(desk, "李四", f"B{n:03d}", district="岳麓区")
    ranks = {cid: [(1, "name")] for cid in ids}
    place = clues.read("岳麓区")
    with desk.session() as s:
        conn = intersect.driver(s)
        seen = []
        execute = conn.execute

        class Spy:  # sqlite3.Connection.execute cannot be patched: wrap the connection
            def execute(self, sql, params=()):
                seen.append(params)
                return execute(sql, params)

        kept = intersect._test_rows(Spy(), ranks, [place], cap=12, enough=1)
        assert list(kept) == [ids[1]] and len(seen) == 1  # two rows read, one matched
        seen.clear()
        kept = intersect._test_rows(Spy(), ranks, [place], cap=12, enough=5)
        assert set(kept) == {ids[1], ids[9]} and len(seen) == 3  # rows 2, 8, the last 2


def test_a_clue_past_wide_keeps_the_first_probe_rows(desk, monkeypatch) -> None:
    """Past WIDE the clue is not read whole: the answer stays the bounded one (a few
    rows tested, no scan), however many customers the clues match."""
    from agentdesk.customers import intersect

    monkeypatch.setattr(intersect, "PROBE", 3)
    monkeypatch.setattr(intersect, "WIDE", 5)
    for n in range(12):
        _add(desk, "张三", f"A{n:03d}", phone=f"+861390{n:03d}1234")
    with desk.session() as s:
        found = lookup.search(s, "老张 1234")
    assert 0 < len(found) <= 3


def test_two_key_clues_past_broad_are_read_up_to_wide_keys(desk, monkeypatch) -> None:
    """zs 桃子湖 where both match more than BROAD key entries: the first is read up to
    WIDE_KEYS and the second tested against all of it, so the one customer of both is
    found, not only when it falls among the first BROAD of each."""
    from agentdesk.customers import intersect

    monkeypatch.setattr(intersect, "PROBE", 2)
    monkeypatch.setattr(intersect, "BROAD", 4)
    for n in range(10):  # zs elsewhere
        _add(desk, "张三", f"A{n:03d}", community="别的小区")
    for n in range(10):  # the community, other names
        _add(desk, "李四", f"B{n:03d}", community="鑫林嘉园")
    wanted = _add(desk, "赵山", "C001", community="鑫林嘉园")
    with desk.session() as s:
        found = lookup.search(s, "zs 鑫林嘉园")
    assert [m.customer_id for m in found] == [wanted]


def test_four_digits_are_a_phone_not_an_account_start(desk) -> None:
    """Four digits are a phone's last four; an account is found from five characters."""
    _add(desk, "钱一", "88330001")
    _add(desk, "钱二", "10008833", phone="+8613900008833")
    assert _accounts(desk, "8833") == ["10008833"]
    assert _accounts(desk, "88330") == ["88330001"]


def test_the_page_says_when_more_matched_than_it_shows(desk) -> None:
    """"found 20" when 131 match misleads: the result says more matched (issue 19, 12)."""
    for n in range(25):
        _add(desk, f"欧{n}", f"O{n:04d}")
    with desk.session() as s:
        page = lookup.search(s, "欧", limit=20)
        assert (len(page), page.more) == (20, True)
        assert lookup.search(s, "欧", limit=30).more is False
