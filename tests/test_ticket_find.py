"""Issue 17, item 2: find any ticket — by full number, last digits or words of its text; the
caller's open and closed tickets; every event of a ticket; the sentence read aloud; the
CLI and the search screen. The query is data: LIKE and full-text syntax, markup and control
characters match only themselves."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from textual.widgets import Static

from tests.conftest import MARKUP_NAME, settle, wait_ready, wait_until

if TYPE_CHECKING:
    from agentdesk.core.store import Store


def _add(desk: Store, number: str, description: str, minutes_ago: float = 0,
         status: str = "accepted", location: str = "", party: str = "",
         customer: str | None = "3100000001") -> str:
    from sqlmodel import select

    from agentdesk.core import clock
    from agentdesk.core.models import Agent, Customer, Ticket, TicketEvent

    with desk.session() as s:
        agent = s.exec(select(Agent).where(Agent.code == "A1001")).one()
        cid = s.exec(select(Customer.id).where(Customer.account_no == customer)).one() \
            if customer else None
        created = clock.now() - timedelta(minutes=minutes_ago)
        ticket = Ticket(number=number, business_type="repair", category="water.burst",
                        description=description, location=location,
                        complained_party=party, status=status, customer_id=cid,
                        first_responder_id=agent.id, owner_id=agent.id,
                        created_at=created, updated_at=created)
        s.add(ticket)
        s.flush()
        s.add(TicketEvent(ticket_id=ticket.id, agent_id=agent.id, kind="created",
                          to_status="accepted", at=created))
        s.commit()
        return ticket.id


def _numbers(found) -> list[str]:
    return [h.number for h in found.hits]


# --- the service ------------------------------------------------------------------------


def test_full_number_last_digits_and_words(busy_desk: Store) -> None:
    from agentdesk.tickets import search

    with busy_desk.session() as s:
        assert _numbers(search.search(s, "GD2026112500003")) == ["GD2026112500003"]
        assert search.search(s, "GD2026112500003").hits[0].how == "number"
        found = search.search(s, "  0004 ")  # the last digits off an SMS
        assert _numbers(found) == ["GD2026112500004"] and found.hits[0].how == "digits"
        assert _numbers(search.search(s, "500004")) == ["GD2026112500004"]
        # 漏水 is in the first ticket's description (between markup-like brackets)
        assert _numbers(search.search(s, "漏水")) == ["GD2026112500001"]
        # newest first: 0006 was created 5 minutes ago, 0002 20 minutes ago
        assert _numbers(search.search(s, "测试"))[:3] == [
            "GD2026112500006", "GD2026112500004", "GD2026112500003"]


def test_digits_that_end_no_number_are_searched_as_text(desk: Store) -> None:
    from agentdesk.tickets import search

    _add(desk, "GD2026112500077", "户号 31009999 水表坏了", minutes_ago=3)
    with desk.session() as s:
        found = search.search(s, "9999")
        assert _numbers(found) == ["GD2026112500077"] and found.hits[0].how == "text"
        assert _numbers(search.search(s, "0077")) == ["GD2026112500077"]
        assert search.search(s, "12345678").hits == []


def test_words_of_location_and_party_every_word_must_match(desk: Store) -> None:
    from agentdesk.tickets import search

    _add(desk, "GD2026112500011", "服务态度差", location="金水区花园路", party="营业厅张某",
         minutes_ago=2)
    _add(desk, "GD2026112500012", "服务态度好", location="二七区", minutes_ago=1)
    with desk.session() as s:
        assert _numbers(search.search(s, "花园路")) == ["GD2026112500011"]
        assert _numbers(search.search(s, "张某")) == ["GD2026112500011"]
        assert _numbers(search.search(s, "服务")) == ["GD2026112500012", "GD2026112500011"]
        assert _numbers(search.search(s, "服务 二七区")) == ["GD2026112500012"]
        assert _numbers(search.search(s, "服务 花园路 张某")) == ["GD2026112500011"]


def test_limited_list_says_more_match(busy_desk: Store) -> None:
    from agentdesk.core import i18n
    from agentdesk.tickets import search

    with busy_desk.session() as s:
        found = search.search(s, "测试", limit=2)
        whole = search.search(s, "测试")
    assert len(found.hits) == 2 and found.more
    assert found.summary() == i18n.t("find.more", n=2)
    assert not whole.more and whole.summary() == i18n.t("find.count", n=len(whole.hits))


@pytest.mark.parametrize("query", ["%", "_", "\\", '"', "*", "OR", "NEAR", "漏水 OR 测试",
                                   'NEAR("漏水")', "漏水*", "'; DROP TABLE ticket; --",
                                   "[red]", "%漏%", "_漏水"])
def test_query_syntax_is_data(desk: Store, query: str) -> None:
    from agentdesk.tickets import search

    with desk.session() as s:
        found = search.search(s, query)
        assert found.hits == []  # no ticket text holds these literally
        assert search.search(s, "漏水").hits  # and the table is still there


def test_special_characters_match_only_themselves(desk: Store) -> None:
    from agentdesk.tickets import search

    _add(desk, "GD2026112500021", "进度100%_完成 \"引号\" *星 OR NEAR", minutes_ago=1)
    _add(desk, "GD2026112500022", "进度100a完成", minutes_ago=2)
    with desk.session() as s:
        assert _numbers(search.search(s, "100%_")) == ["GD2026112500021"]
        assert _numbers(search.search(s, "%")) == ["GD2026112500021"]
        assert _numbers(search.search(s, '"引号"')) == ["GD2026112500021"]
        assert _numbers(search.search(s, "OR NEAR *星")) == ["GD2026112500021"]
        # the markup-like description of the first ticket is text too
        assert _numbers(search.search(s, "[bold]漏水[/]")) == ["GD2026112500001"]


def test_control_characters_are_harmless(desk: Store) -> None:
    from agentdesk.tickets import search

    with desk.session() as s:
        assert _numbers(search.search(s, "\x1b[31m漏水\x00")) == []  # "[31m漏水": no ticket
        assert _numbers(search.search(s, "漏\x07水")) == ["GD2026112500001"]
        with pytest.raises(search.SearchError):
            search.search(s, "\x1b\x00\x07")


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_empty_query_is_refused_with_a_message(desk: Store, query: str) -> None:
    from agentdesk.core import i18n
    from agentdesk.tickets import search

    with desk.session() as s, pytest.raises(search.SearchError) as caught:
        search.search(s, query)
    assert str(caught.value) == i18n.t("find.empty")


def test_over_long_query_and_too_many_words_are_refused(desk: Store) -> None:
    from agentdesk.core import i18n
    from agentdesk.tickets import search

    with desk.session() as s:
        with pytest.raises(search.SearchError) as caught:
            search.search(s, "水" * (search.MAX_QUERY + 1))
        assert str(caught.value) == i18n.t("find.too_long", n=search.MAX_QUERY)
        with pytest.raises(search.SearchError) as caught:
            search.search(s, " ".join("水" * (search.MAX_WORDS + 1)))
        assert str(caught.value) == i18n.t("find.too_many_words", n=search.MAX_WORDS)
        assert search.search(s, "水" * search.MAX_QUERY).hits == []  # at the limit: fine


def test_all_for_customer_open_and_closed_newest_first(desk: Store) -> None:
    from sqlmodel import select

    from agentdesk.core.models import Customer
    from agentdesk.tickets import lists, search

    _add(desk, "GD2026110100001", "旧的", minutes_ago=60 * 24 * 20, status="archived")
    _add(desk, "GD2026112000001", "已回单", minutes_ago=60 * 24 * 5, status="resolved")
    _add(desk, "GD2026112500031", "别人的", minutes_ago=1, customer="3100000002")
    with desk.session() as s:
        cid = s.exec(select(Customer.id).where(Customer.account_no == "3100000001")).one()
        found = search.all_for_customer(s, cid)
        assert _numbers(found) == ["GD2026112500001", "GD2026112000001", "GD2026110100001"]
        assert [h.status for h in found.hits] == ["accepted", "resolved", "archived"]
        assert found.hits[0].caller == MARKUP_NAME
        assert len(lists.open_for_customer(s, cid)) < len(found.hits)  # the closed too
        assert _numbers(search.all_for_customer(s, cid, limit=1)) == ["GD2026112500001"]
        assert search.all_for_customer(s, cid, limit=1).more


def test_status_line_where_who_answer_and_when(desk: Store) -> None:
    from agentdesk.core import clock, i18n
    from agentdesk.tickets import search, service

    with desk.session() as s:
        ticket = service.get(s, "GD2026112500001")
        line = search.status_line(s, ticket)
        assert line == i18n.t(
            "find.line", number="GD2026112500001", where=i18n.t("status.accepted"),
            who=i18n.t("find.line.who", owner="王芳", code="A1001"),
            reply=i18n.t("find.line.no_reply"),
            due=i18n.t("find.line.clock", clock=i18n.t("sla.first_response"),
                       when="2026-11-25 09:45"))
        # the department's answer and its expected time win over the running clock
        ticket.reply, ticket.reply_due = "换表，明天上午", clock.now() + timedelta(days=1)
        s.add(ticket)
        s.flush()
        line = search.status_line(s, ticket)
        assert i18n.t("find.line.reply", reply="换表，明天上午") in line
        assert i18n.t("find.line.due", when="2026-11-26 09:30") in line
        ticket.reply_due, ticket.status = None, "archived"
        line = search.status_line(s, ticket)
        assert i18n.t("status.archived") in line and i18n.t("find.line.closed") in line
    i18n.set_lang("en")
    with desk.session() as s:
        line = search.status_line(s, service.get(s, "GD2026112500001"))
    assert line.startswith("Ticket GD2026112500001 is at") and "王芳 (A1001) has it" in line


def test_history_in_the_central_order_with_who_and_data(desk: Store) -> None:
    from agentdesk.tickets import lists, search, service

    with desk.session() as s:
        ticket = service.get(s, "GD2026112500001")
        agent = ticket.owner_id
        service.append_event(s, ticket, "note", agent, note="[red]回电[/] 客户")
        s.commit()
        rows = search.history(s, ticket)
        order = [e.id for e in lists.events(s, ticket.id)]
    assert len(rows) == len(order) == 2
    assert [r["kind"] for r in rows] == ["created", "note"]
    assert rows[1]["agent_code"] == "A1001" and rows[1]["agent_name"] == "王芳"
    assert rows[1]["note"] == "[red]回电[/] 客户"
    assert rows[0]["to_status"] == "accepted" and rows[0]["at"].startswith("2026-11-25T09:30")


# --- the CLI ----------------------------------------------------------------------------


def test_cli_search_text_and_json(busy_desk: Store, capsys: pytest.CaptureFixture) -> None:
    from agentdesk import cli
    from agentdesk.core import i18n

    db = ["--db", str(busy_desk.path)]
    assert cli.main(["ticket", "search", "0001", *db]) == 0
    out = capsys.readouterr().out
    assert "GD2026112500001" in out and MARKUP_NAME in out and "[bold]漏水[/]" in out
    assert out.splitlines()[-1] == i18n.t("find.count", n=1)
    assert cli.main(["ticket", "search", "测试", "--limit", "2", "--json", *db]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["more"] is True and [t["number"] for t in data["tickets"]] == [
        "GD2026112500006", "GD2026112500004"]
    assert cli.main(["ticket", "search", "找不到的词", *db]) == 0
    assert capsys.readouterr().out.strip() == i18n.t("find.none", query="找不到的词")


@pytest.mark.parametrize("query", ["", "   ", "水" * 101])
def test_cli_bad_query_exit_2(desk: Store, capsys: pytest.CaptureFixture, query: str) -> None:
    from agentdesk import cli

    assert cli.main(["ticket", "search", query, "--db", str(desk.path)]) == 2
    err = capsys.readouterr().err
    assert "请输入工单号" in err or "查询太长" in err
    assert "Traceback" not in err


def test_cli_show_history(desk: Store, capsys: pytest.CaptureFixture) -> None:
    from agentdesk import cli
    from agentdesk.core import clock
    from agentdesk.tickets import lifecycle, service

    with desk.session() as s:
        ticket = service.get(s, "GD2026112500001")
        service.append_event(s, ticket, "note", ticket.owner_id, note="已联系\x1b[2J客户")
        lifecycle.reply(s, "GD2026112500001", "A1001", "明天换表",
                        clock.now() + timedelta(days=1))
        s.commit()
    db = ["--db", str(desk.path)]
    assert cli.main(["ticket", "show", "GD2026112500001", "--history", *db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("工单GD2026112500001目前处于“受理”阶段；由王芳（工号A1001）负责")
    assert "王芳（A1001）" in lines[1] and "受理" in lines[1]
    assert "备注" in lines[2] and "已联系\u241b[2J客户" in lines[2]  # the escape shown
    assert "部门答复" in lines[3] and "reply=明天换表" in lines[3]
    assert "\x1b" not in "".join(lines)
    assert cli.main(["ticket", "show", "GD2026112500001", "--history", "--json", *db]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["number"] == "GD2026112500001" and data["status_line"].startswith("工单")
    assert [e["kind"] for e in data["history"]] == ["created", "note", "reply"]
    assert data["history"][1]["note"] == "已联系\x1b[2J客户"  # exact in JSON
    assert data["history"][2]["data"]["reply"] == "明天换表"
    assert data["history"][2]["data"]["reply_due"].startswith("2026-11-26T01:30")
    assert data["history"][2]["agent_name"] == "王芳"
    assert "部门答复：明天换表" in data["status_line"]
    assert "2026-11-26 09:30" in data["status_line"]


def test_cli_show_says_where_the_ticket_stands(desk: Store,
                                               capsys: pytest.CaptureFixture) -> None:
    from agentdesk import cli

    db = ["--db", str(desk.path)]
    assert cli.main(["ticket", "show", "GD2026112500001", *db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("GD2026112500001") and lines[1].startswith(
        "工单GD2026112500001目前处于“受理”阶段")
    assert cli.main(["ticket", "show", "GD2026112500001", "--json", *db]) == 0
    assert "由王芳（工号A1001）负责" in json.loads(capsys.readouterr().out)["status_line"]


def test_cli_show_history_of_no_ticket(desk: Store, capsys: pytest.CaptureFixture) -> None:
    from agentdesk import cli
    from agentdesk.core import i18n

    assert cli.main(["ticket", "show", "GD0000", "--history", "--db", str(desk.path)]) == 2
    assert i18n.t("find.no_ticket", ref="GD0000") in capsys.readouterr().err


# --- the screens ------------------------------------------------------------------------


async def test_search_screen_by_key_types_and_opens(desk: Store) -> None:
    from textual.widgets import OptionList, Static

    from agentdesk.screens.ticket_detail import TicketDetail
    from agentdesk.screens.ticket_search import TicketSearch
    from tests.test_app import SIZE, desk_app

    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("f12")
        assert await wait_until(pilot, lambda: isinstance(app.screen, TicketSearch))
        screen = app.screen
        await pilot.press(*"%_")  # syntax: nothing found, no error
        assert await wait_until(pilot, lambda: screen.found is not None
                                and screen.found.query == "%_")
        assert screen.found.hits == []
        await pilot.press("backspace", "backspace", *"0001")
        assert await wait_until(pilot, lambda: screen.found is not None
                                and screen.found.query == "0001")
        await settle(pilot)
        hits = screen.query_one("#find-hits", OptionList)
        assert hits.option_count == 1
        from agentdesk.tickets.search import Found

        screen._show(Found("000"), screen._seq - 1)  # a slower, older search: not drawn
        assert screen.found.query == "0001" and hits.option_count == 1
        assert MARKUP_NAME in str(hits.get_option_at_index(0).prompt)
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: isinstance(app.screen, TicketDetail))
        detail = app.screen
        assert await wait_until(pilot, lambda: detail.ticket is not None)
        await settle(pilot)
        line = str(detail.query_one("#status-line", Static).render())
        assert "GD2026112500001" in line and "王芳" in line


async def test_search_screen_empty_and_palette(desk: Store) -> None:
    from textual.widgets import Static

    from agentdesk.core import i18n
    from agentdesk.screens.ticket_search import TicketSearch
    from tests.test_app import SIZE, desk_app

    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert any("(find)" in title for title in titles)
        await pilot.press("f12")
        assert await wait_until(pilot, lambda: isinstance(app.screen, TicketSearch))
        await pilot.press(*"水" * 3)
        screen = app.screen
        assert await wait_until(pilot, lambda: screen.found is not None)
        await pilot.press("backspace", "backspace", "backspace")
        await settle(pilot)
        assert screen.found is None
        assert str(screen.query_one("#find-summary", Static).render()) == ""
        await pilot.press("escape")
        assert await wait_until(pilot, lambda: not isinstance(app.screen, TicketSearch))
        assert i18n.t("find.key")


async def test_caller_tickets_list_opens_one(desk: Store) -> None:
    from sqlmodel import select

    from agentdesk.core.models import Customer
    from agentdesk.screens.ticket_detail import TicketDetail
    from agentdesk.screens.ticket_search import TicketSearch
    from tests.test_app import SIZE, desk_app

    _add(desk, "GD2026110100001", "旧的", minutes_ago=60 * 24 * 20, status="archived")
    with desk.session() as s:
        cid = s.exec(select(Customer.id).where(Customer.account_no == "3100000001")).one()
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        screen = TicketSearch(customer_id=cid)
        app.push_screen(screen)
        assert await wait_until(pilot, lambda: screen.found is not None)
        assert _numbers(screen.found) == ["GD2026112500001", "GD2026110100001"]
        await settle(pilot)
        await pilot.press("down", "enter")
        assert await wait_until(pilot, lambda: isinstance(app.screen, TicketDetail))
        assert app.screen.ticket_id == screen.found.hits[1].ticket_id


async def test_card_ctrl_t_lists_the_callers_tickets(desk: Store) -> None:
    from agentdesk.core import i18n
    from agentdesk.screens.ticket_detail import TicketDetail
    from agentdesk.screens.ticket_search import TicketSearch
    from tests.test_app import SIZE, desk_app

    _add(desk, "GD2026110100001", "旧的", minutes_ago=60 * 24 * 20, status="archived")
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+t")  # no card yet: says what to do
        await settle(pilot)
        assert not isinstance(app.screen, TicketSearch)
        assert i18n.t("find.no_card") in str(app.screen.query_one("#status", Static).render())
        await pilot.press(*"3100000001")
        await pilot.pause(0.3)
        await settle(pilot)
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: app.screen.card is not None)
        await pilot.press("ctrl+t")
        assert await wait_until(pilot, lambda: isinstance(app.screen, TicketSearch))
        screen = app.screen
        assert await wait_until(pilot, lambda: screen.found is not None)
        assert _numbers(screen.found) == ["GD2026112500001", "GD2026110100001"]
        await settle(pilot)
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: isinstance(app.screen, TicketDetail))
        assert app.screen.ticket_id == screen.found.hits[0].ticket_id
