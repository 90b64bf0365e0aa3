"""Caller lookup service: every query kind, ranking, bad input (issue 3)."""

from __future__ import annotations

from sqlmodel import select

import pytest

from agentdesk.customers import lookup
from agentdesk.core import search_keys
from agentdesk.core.models import Customer, CustomerPhone
from tests.conftest import MARKUP_NAME


def _search(desk, query: str, limit: int = 20) -> list[lookup.Match]:
    with desk.session() as s:
        return lookup.search(s, query, limit)


def _names(matches) -> list[str]:
    return [m.name for m in matches]


@pytest.mark.parametrize("query", [
    "13812345678", "138 1234 5678", "+86 138-1234-5678", "+8613812345678", "8613812345678",
    "0371-6123 4567", "037161234567", "(0371)61234567", "１３８１２３４５６７８",
])
def test_full_phone_in_any_common_form(desk, query: str) -> None:
    found = _search(desk, query)
    assert _names(found) == [MARKUP_NAME]
    assert found[0].match == "phone" and found[0].rank == lookup.EXACT_ID


@pytest.mark.parametrize("query", ["5678", "45678", "345678", "2345678", "61234567"])
def test_trailing_digits(desk, query: str) -> None:
    found = _search(desk, query)
    assert MARKUP_NAME in _names(found)
    assert {m.match for m in found if m.name == MARKUP_NAME} == {"phone_suffix"}


def test_account_exact_and_prefix(desk) -> None:
    assert [(m.account_no, m.match, m.rank) for m in _search(desk, "4100000003")] == [
        ("4100000003", "account", lookup.EXACT_ID)]
    assert sorted(m.account_no for m in _search(desk, "310000")) == ["3100000001", "3100000002"]


def test_name_exact_part_and_given(desk) -> None:
    assert _names(_search(desk, "张三")) == ["张三"]
    assert _names(_search(desk, "张")) == ["张三"]
    assert _names(_search(desk, "三")) == ["张三"]  # the given name alone


@pytest.mark.parametrize("query", ["zs", "ZS", "zhangsan", "zhang san", "zhang", "Zhang San"])
def test_pinyin_initials_and_full(desk, query: str) -> None:
    assert _names(_search(desk, query)) == ["张三"]


def test_address_fragments(desk) -> None:
    assert _names(_search(desk, "阳光花园3栋")) == ["张三"]
    assert _names(_search(desk, "阳光花园")) == ["张三"]
    assert _names(_search(desk, "建中街街道阳光花园")) == ["张三"]
    assert _names(_search(desk, "3栋1单元1502室")) == ["张三"]


def _add(desk, name: str, account: str, phone: str | None = None, community: str = "和平里"
         ) -> None:
    with desk.session() as s:
        c = Customer(account_no=account, name=name, utility="water", district="金水区",
                     street="文化路街道", community=community, building="1栋", unit="1单元",
                     room="101室")
        s.add(c)
        s.flush()
        if phone:
            s.add(CustomerPhone(customer_id=c.id, e164=phone))
            s.flush()
        search_keys.refresh(s.connection().connection.driver_connection, [c.id])


@pytest.mark.parametrize("name, readings", [
    ("单田芳", ("shantianfang", "dantianfang", "stf", "dtf")),
    ("曾国藩", ("zengguofan", "cengguofan", "zgf", "cgf")),
    ("解缙", ("xiejin", "jiejin", "xj")),
    ("区志强", ("ouzhiqiang", "quzhiqiang", "ozq", "qzq")),
    ("仇英", ("qiuying", "chouying", "qy", "cy")),
])
def test_two_reading_surnames_found_by_both(desk, name: str, readings: tuple) -> None:
    _add(desk, name, "5100000001")
    for query in readings:
        assert name in _names(_search(desk, query)), query


def test_compound_surname(desk) -> None:
    _add(desk, "欧阳明月", "5100000002")
    assert "欧阳明月" in _names(_search(desk, "oymy"))
    assert "欧阳明月" in _names(_search(desk, "明月"))


@pytest.mark.parametrize("name, queries", [
    ("尉迟恭", ("ycg", "yuchigong", "yu chi gong", "wcg", "weichigong", "尉迟", "恭")),
    ("万俟卨", ("mqx", "moqixie", "wsx", "wanqixie", "万俟", "卨")),
    ("单于天", ("cyt", "chanyutian", "syt", "shanyutian", "单于", "天")),
])
def test_compound_surname_one_initial_per_syllable(desk, name: str, queries: tuple) -> None:
    _add(desk, "尉迟恭", "5100000004")
    _add(desk, "万俟卨", "5100000005")
    _add(desk, "单于天", "5100000006")
    for query in queries:
        assert name in _names(_search(desk, query)), query
    found = {m.name: m for m in _search(desk, queries[0])}
    assert (found[name].match, found[name].rank) == ("pinyin", lookup.EXACT_KEY)
    # "yuchi" as one syllable gave 尉迟恭 the initials "yg"
    assert name not in _names(_search(desk, queries[0][0] + queries[0][-1]))


def test_exact_ranks_before_partial(desk) -> None:
    # 张三 (exact name) must come before 张三丰 (a longer name starting the same).
    _add(desk, "张三丰", "5100000003")
    found = _search(desk, "张三")
    assert _names(found)[:2] == ["张三", "张三丰"]
    assert found[0].rank < found[1].rank
    # a full phone and an equal account number are both exact; a longer account that
    # merely starts with the same digits is partial and comes after them
    _add(desk, "王五", "13900001111", community="东风小区")
    _add(desk, "赵六", "139000011112", community="东风小区")
    found = _search(desk, "13900001111")
    assert {(m.name, m.match) for m in found[:2]} == {("张三", "phone"), ("王五", "account")}
    assert [(m.name, m.rank) for m in found[2:]] == [("赵六", lookup.PARTIAL)]


def test_limit_is_respected(desk) -> None:
    for n in range(30):
        _add(desk, f"赵{n}", f"61000000{n:02d}", community="大院")
    assert len(_search(desk, "赵", limit=5)) == 5
    assert len(_search(desk, "大院", limit=25)) == 25


@pytest.mark.parametrize("query", [
    "%", "_", "%%%", "'", '"', "'; DROP TABLE customer; --", "AND", "*", '"张三"', "NEAR(",
    "张三 OR 1=1", "\x1b[31m", "😀", "😀张三", "a" * 100, "[/]", "[bold]",
])
def test_hostile_queries_never_raise_or_scan(desk, query: str) -> None:
    found = _search(desk, query)
    assert isinstance(found, list)
    with desk.session() as s:  # the table survived
        assert s.connection().exec_driver_sql("SELECT count(*) FROM customer").scalar() == 3


@pytest.mark.parametrize("query, message", [
    ("", "empty"), ("   ", "empty"), ("\x00\x01", "empty"), ("x" * 10_000, "too long"),
])
def test_unusable_queries_get_a_clear_message(english, desk, query: str, message: str) -> None:
    with pytest.raises(lookup.QueryError, match=message):
        _search(desk, query)


def test_markup_name_is_found_by_its_han_characters(desk) -> None:
    assert MARKUP_NAME in _names(_search(desk, "yw"))
    assert MARKUP_NAME in _names(_search(desk, "yangwei"))


def test_card_and_audit(desk) -> None:
    [match] = _search(desk, "13812345678")
    with desk.session() as s:
        card = lookup.card(s, match.customer_id)
        lookup.audit_read(s, "A1001", match.customer_id)
    assert card.tags == ("吸氧", "独居老人")
    assert card.phones == ("+8613812345678", "+8637161234567")
    with desk.session() as s:
        row = s.connection().exec_driver_sql(
            "SELECT agent_id, action, entity, entity_id, at FROM audit_log").one()
    assert row[:4] == ("A1001", "read", "customer", match.customer_id)
    assert row[4] == "2026-11-25 01:30:00.000000"


def test_refresh_replaces_stale_keys(desk) -> None:
    with desk.session() as s:
        conn = s.connection().connection.driver_connection
        cid = conn.execute("SELECT id FROM customer WHERE name = '张三'").fetchone()[0]
        before = search_keys.current(conn, [cid])
        conn.execute("UPDATE customer SET name = '张山' WHERE id = ?", (cid,))
        search_keys.refresh(conn, [cid], before)
    assert _names(_search(desk, "zhangshan")) == ["张山"]
    assert _search(desk, "zhangsan") == []


def _hostile_id(desk) -> str:
    with desk.session() as s:
        return s.connection().exec_driver_sql(
            "SELECT id FROM customer WHERE account_no = '3100000001'").scalar()


def test_card_shows_notices_covering_the_address(desk) -> None:
    from datetime import timedelta

    from agentdesk.core import clock
    from agentdesk.core.models import Notice

    now = clock.now()
    with desk.session() as s:
        s.add_all([
            # the whole street, in force: covers the caller
            Notice(utility="water", kind="fault", title="花园路爆管抢修",
                   areas=_areas("金水区/花园路街道"), starts_at=now - timedelta(hours=1),
                   ends_at=now + timedelta(hours=5)),
            # the whole district, starting in 3 hours: shown as upcoming
            Notice(utility="water", title="金水区管网改造", areas=_areas("金水区"),
                   starts_at=now + timedelta(hours=3), ends_at=now + timedelta(hours=9)),
            # another community of the same street: not this caller
            Notice(utility="water", title="别的小区", areas=_areas("金水区/花园路街道/别处"),
                   starts_at=now, ends_at=now + timedelta(hours=1)),
            # a power notice over the same street: not for a water account
            Notice(utility="power", title="停电", areas=_areas("金水区/花园路街道"),
                   starts_at=now, ends_at=now + timedelta(hours=1)),
            # over already
            Notice(utility="water", title="昨天的", areas=_areas("金水区"),
                   starts_at=now - timedelta(days=1), ends_at=now - timedelta(hours=20)),
            # in three days
            Notice(utility="water", title="下周的", areas=_areas("金水区"),
                   starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=4)),
        ])
    with desk.session() as s:
        card = lookup.card(s, _hostile_id(desk))
    assert [(n.title, n.active) for n in card.notices] == [
        ("花园路爆管抢修", True), ("金水区管网改造", False)]


def test_repeat_caller_rule(desk) -> None:
    from datetime import timedelta

    from agentdesk.core import clock
    from agentdesk.core.models import Contact

    cid = _hostile_id(desk)
    now = clock.now()
    with desk.session() as s:
        s.add(Contact(customer_id=cid, number="+8613812345678",
                      started_at=now - timedelta(days=8)))  # outside the 7 days
        s.add(Contact(customer_id=cid, number="+8613812345678",
                      started_at=now - timedelta(days=2)))
    with desk.session() as s:
        card = lookup.card(s, cid)
    assert card.recent_contacts == 1 and "calls" not in card.repeat_reasons
    assert len(card.contacts) == 2 and card.contacts[0].started_at > card.contacts[1].started_at
    with desk.session() as s:
        s.add(Contact(customer_id=cid, number="+8613812345678", started_at=now))
    with desk.session() as s:
        card = lookup.card(s, cid)
    assert card.recent_contacts == 2 and "calls" in card.repeat_reasons and card.repeat_caller


def test_overdue_ticket_marks_repeat_care(desk) -> None:
    from agentdesk.core import clock

    cid = _hostile_id(desk)
    with desk.session() as s:
        card = lookup.card(s, cid)
    assert [t.number for t in card.open_tickets] == ["GD2026112500001"]
    assert not card.open_tickets[0].overdue and card.repeat_reasons == ()
    clock.freeze("2026-11-25T10:00:00+08:00")  # 30 min later: the first-response clock ran out
    with desk.session() as s:
        card = lookup.card(s, cid)
    assert card.open_tickets[0].overdue and card.repeat_reasons == ("overdue",)


def test_the_card_says_overdue_as_the_queue_says_breached(desk) -> None:
    """One rule: a deadline reached is overdue (as the queue's ✖), a paused clock is not."""
    from datetime import timedelta

    from agentdesk.core import clock
    from agentdesk.core.models import Ticket

    cid = _hostile_id(desk)
    with desk.session() as s:
        ticket = s.exec(select(Ticket)).first()
        due = ticket.due_first_response
    clock.freeze(due)  # exactly at the deadline
    with desk.session() as s:
        assert lookup.card(s, cid).open_tickets[0].overdue
    with desk.session() as s:
        s.get(Ticket, ticket.id).paused_at = due - timedelta(minutes=1)
    with desk.session() as s:
        assert not lookup.card(s, cid).open_tickets[0].overdue


def test_cli_lookup_json_and_errors(english, desk, capsys) -> None:
    import json

    from agentdesk import cli

    assert cli.main(["lookup", "zs", "--db", str(desk.path), "--json"]) == 0
    [hit] = json.loads(capsys.readouterr().out)
    assert {"account_no", "name", "phones", "address", "match"} <= set(hit)
    assert (hit["name"], hit["match"], hit["phones"]) == ("张三", "pinyin", ["+8613900001111"])
    assert cli.main(["lookup", "无此人", "--db", str(desk.path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert cli.main(["lookup", "   ", "--db", str(desk.path)]) == 2
    assert "empty query" in capsys.readouterr().err


def test_organisation_found_by_the_middle_of_its_name(desk) -> None:
    _add(desk, "郑州鑫源商贸有限公司", "5100000009")
    assert _names(_search(desk, "鑫源商贸")) == ["郑州鑫源商贸有限公司"]
    assert _names(_search(desk, "郑州鑫源商贸有限公司")) == ["郑州鑫源商贸有限公司"]


@pytest.mark.parametrize("query", [
    "0571 8888 6666 ext 123", "0571-88886666 x123", "057188886666转123",
    "0571-8888-6666 分机 123", "0571-8888-6666-123", "０５７１－８８８８－６６６６　转　１２３",
])
def test_a_number_with_an_extension_finds_the_main_number(desk, query: str) -> None:
    _add(desk, "鑫源商贸", "5100000010", phone="+8657188886666")
    found = _search(desk, query)
    assert [(m.name, m.match, m.rank) for m in found] == [("鑫源商贸", "phone", lookup.EXACT_ID)]


def test_a_recorded_call_keeps_its_extension(desk) -> None:
    from agentdesk.customers import contacts
    from agentdesk.customers.phones import display

    _add(desk, "鑫源商贸", "5100000010", phone="+8657188886666")
    with desk.session() as s:
        ringing = contacts.record_call(s, "0571-88886666 转123", "A1001")
        [caller] = contacts.callers(s, ringing)
    assert ringing.number == "+8657188886666" and caller.name == "鑫源商贸"
    with desk.session() as s:
        card = lookup.card(s, caller.customer_id)
    [line] = card.contacts
    assert line.number == "+8657188886666;ext=123"
    assert display(line.number) == "0571 8888 6666 ext. 123"


def _areas(*texts: str) -> str:
    from agentdesk.core import areas

    return areas.dumps([areas.parse(text) for text in texts])
