"""A ticket's life after the first call (issue 17, items 3, 4, 6, 8): 催办, reopening on the
caller's word (and a new linked ticket after the window), the department's reply with its
expected time, raising a priority; the CLI, the bad inputs, and the counts at the centre."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from agentdesk import cli
from agentdesk.core import agents, clock, i18n
from agentdesk.tickets import lifecycle, queue, service as tickets, sla
from tests.conftest import FROZEN, settle, wait_ready, wait_until
from tests.sync_helpers import centre_rows, new_desk
from tests.test_sync import _sync

NUMBER = "GD2026112500001"  # the conftest desk's ticket: water.burst, urgent, accepted
NOW = clock.parse_instant(FROZEN)


def _new(desk, category: str = "water.quality", agent: str = "A1001") -> str:
    with desk.session() as s:
        return tickets.create(s, tickets.Draft(category=category, description="水发黄",
                                               location="花园路"), agent).number


def _close(desk, number: str, status: str = "resolved") -> None:
    with desk.session() as s:
        tickets.advance(s, number, "A1001", "resolved")
        if status in ("called_back", "archived"):
            tickets.call_back(s, number, "A1001", "满意")
        if status == "archived":
            tickets.advance(s, number, "A1001", "archived")


def _events(desk, number: str, kind: str) -> list[tuple[str, dict]]:
    with desk.session() as s:
        ticket = tickets.get(s, number)
        return [(e.note, json.loads(e.data)) for e in tickets.events(s, ticket.id)
                if e.kind == kind]


# --- 催办 ---------------------------------------------------------------------------------

def test_a_chase_up_is_an_event_and_the_third_raises_the_priority(desk) -> None:
    number = _new(desk)  # important
    with desk.session() as s:
        before = tickets.get(s, number).due_resolution
        lifecycle.chase(s, number, "A1001", "还没人来", contact_id="C1")
        lifecycle.chase(s, number, "A1001", "又打来")
        ticket = tickets.get(s, number)
        assert (ticket.chase_count, ticket.priority) == (2, "important")
    clock.freeze(NOW + timedelta(minutes=10))
    with desk.session() as s:
        ticket = lifecycle.chase(s, number, "A1001", "第三次")
        assert (ticket.chase_count, ticket.priority) == (3, "urgent")
        want = sla.deadlines(sla.for_session(s), "water.quality", "urban", "urgent",
                             NOW + timedelta(minutes=10))
        assert ticket.due_first_response == want["first_response"]
        assert ticket.due_resolution == min(before, want["resolution"])
    chases = _events(desk, number, "chase")
    assert chases[0] == ("还没人来", {"by_contact": "C1"})
    assert [n for n, _ in chases] == ["还没人来", "又打来", "第三次"]
    [(note, data)] = _events(desk, number, "priority")
    assert data["priority"] == "urgent" and data["from_priority"] == "important"
    assert "3" in note
    with desk.session() as s:  # the fourth raises nothing more
        assert lifecycle.chase(s, number, "A1001").priority == "urgent"
    assert len(_events(desk, number, "priority")) == 1


@pytest.mark.parametrize("status", ["resolved", "called_back", "archived"])
def test_a_chase_up_on_a_closed_ticket_offers_reopening(desk, status) -> None:
    _close(desk, NUMBER, status)
    with desk.session() as s, pytest.raises(tickets.TicketError, match="reopen"):
        lifecycle.chase(s, NUMBER, "A1001", "又漏了")
    with desk.session() as s:
        assert tickets.get(s, NUMBER).chase_count == 0


def test_unknown_ticket_and_agent(english, desk) -> None:
    with desk.session() as s, pytest.raises(tickets.TicketError, match="no ticket"):
        lifecycle.chase(s, "GD000", "A1001")
    for call in (lambda s: lifecycle.reopen(s, "GD000", "A1001", "x"),
                 lambda s: lifecycle.reply(s, "GD000", "A1001", "x", None),
                 lambda s: lifecycle.raise_priority(s, "GD000", "A1001", "urgent", "x")):
        with desk.session() as s, pytest.raises(tickets.TicketError, match="no ticket"):
            call(s)
    with desk.session() as s, pytest.raises(tickets.TicketError, match="unknown agent"):
        lifecycle.chase(s, NUMBER, "Z9999")


# --- reopening ----------------------------------------------------------------------------

def test_reopen_on_the_callers_word_keeps_the_people_and_starts_a_new_clock(desk) -> None:
    _close(desk, NUMBER, "archived")
    clock.freeze(NOW + timedelta(days=29))
    with desk.session() as s:
        first = tickets.get(s, NUMBER)
        responder, owner = first.first_responder_id, first.owner_id
        ticket = lifecycle.reopen(s, NUMBER, "A1001", "来电说又漏了")
        assert (ticket.status, ticket.reopen_count) == ("accepted", 1)
        assert (ticket.first_responder_id, ticket.owner_id) == (responder, owner)
        want = sla.deadlines(sla.for_session(s), "water.burst", ticket.area_class,
                             ticket.priority, clock.now())
        again = want["resolution"] or want["arrival"] or want["first_response"]
        assert ticket.due_resolution == again and ticket.due_resolution > clock.now()
        assert (ticket.resolved_at, ticket.closed_at, ticket.due_callback) == (None, None, None)
        rows = tickets.open_for_owner(s, "A1001")
    row = next(r for r in rows if r.number == NUMBER)  # a new clock: started at the reopening
    assert (row.next_due, row.clock_start) == (again, NOW + timedelta(days=29))
    assert [n for n, _ in _events(desk, NUMBER, "reopen")] == ["来电说又漏了"]


def test_reopen_refusals(desk) -> None:
    with desk.session() as s, pytest.raises(tickets.TicketError, match="催办|chase"):
        lifecycle.reopen(s, NUMBER, "A1001", "又漏了")  # still open
    _close(desk, NUMBER)
    with desk.session() as s, pytest.raises(tickets.TicketError, match="原因|reason"):
        lifecycle.reopen(s, NUMBER, "A1001", "  ")
    clock.freeze(NOW + timedelta(days=31))
    with desk.session() as s, pytest.raises(tickets.TicketError, match="--new"):
        lifecycle.reopen(s, NUMBER, "A1001", "又漏了")
    with desk.session() as s:  # a longer window (config reopen_days) lets it through
        assert lifecycle.reopen(s, NUMBER, "A1001", "又漏了", days=60).status == "accepted"
    with desk.session() as s:
        assert tickets.get(s, NUMBER).reopen_count == 1


def test_past_the_window_a_new_ticket_follows_the_old_one(desk) -> None:
    _close(desk, NUMBER, "archived")
    clock.freeze(NOW + timedelta(days=40))
    with desk.session() as s:
        old = tickets.get(s, NUMBER)
        new = lifecycle.follow_up(s, NUMBER, "A1001", "又漏了")
        assert new.number != NUMBER and new.follows_id == old.id
        assert (new.category, new.customer_id) == (old.category, old.customer_id)
        assert new.location == (old.location or new.location) and "301室" in new.location
        assert new.description == f"又漏了（原工单 {NUMBER}）"
        assert old.status == "archived"
    with desk.session() as s, pytest.raises(tickets.TicketError, match="still open|仍在办"):
        lifecycle.follow_up(s, new.number, "A1001", "x")


# --- the department's reply ---------------------------------------------------------------

def test_a_reply_with_its_expected_time_and_the_queue_mark(desk) -> None:
    expected = lifecycle.parse_expected("2026-11-25 18:00")
    assert expected == clock.parse_instant("2026-11-25T18:00:00+08:00")
    with desk.session() as s:
        ticket = lifecycle.reply(s, NUMBER, "A1001", "抢修班组已出发，今晚修复", expected)
        assert (ticket.reply, ticket.reply_due) == ("抢修班组已出发，今晚修复", expected)
        assert not lifecycle.reply_missed(ticket.reply_due, ticket.status, clock.now())
    later = expected + timedelta(minutes=1)
    with desk.session() as s:
        [row] = [r for r in tickets.open_for_owner(s, "A1001") if r.number == NUMBER]
    assert not queue.reply_late(row, clock.now()) and queue.reply_late(row, later)
    assert lifecycle.reply_missed(expected, "dispatched", later)
    assert not lifecycle.reply_missed(expected, "resolved", later)


def test_reply_refusals(desk) -> None:
    with desk.session() as s, pytest.raises(tickets.TicketError, match="过去|past"):
        lifecycle.reply(s, NUMBER, "A1001", "明天修", NOW - timedelta(minutes=1))
    for bad in ("明天", "2026-13-01 10:00", "2026-11-26"):
        with pytest.raises(tickets.TicketError, match="YYYY-MM-DD HH:MM"):
            lifecycle.parse_expected(bad)
    with desk.session() as s, pytest.raises(tickets.TicketError, match="答复为空|empty"):
        lifecycle.reply(s, NUMBER, "A1001", " ", None)
    _close(desk, NUMBER)
    with desk.session() as s, pytest.raises(tickets.TicketError, match="在办|open"):
        lifecycle.reply(s, NUMBER, "A1001", "已修", None)
    assert _events(desk, NUMBER, "reply") == []


# --- raising a priority -------------------------------------------------------------------

def test_raise_priority_recomputes_the_running_clocks(desk) -> None:
    number = _new(desk)
    with desk.session() as s:
        tickets.advance(s, number, "A1001", "dispatched", department="供水所")
        before = tickets.get(s, number)
        first_response, before_resolution = before.due_first_response, before.due_resolution
    clock.freeze(NOW + timedelta(minutes=5))
    with desk.session() as s:
        agents.ensure(s, "A1002", "李强")  # not the owner: any agent may raise
        ticket = lifecycle.raise_priority(s, number, "A1002", "urgent", "小区多户停水")
        now = clock.now()
        assert ticket.priority == "urgent" and ticket.owner_id == before.owner_id
        assert ticket.due_first_response == first_response  # not running: not moved
        assert ticket.due_arrival == now + timedelta(minutes=30)  # urgent: 30 min from now
        assert ticket.due_resolution == before_resolution  # a raise never gives more time
    [(note, data)] = _events(desk, number, "priority")
    assert note == "小区多户停水" and data["priority"] == "urgent"


def test_raise_refusals(desk) -> None:
    number = _new(desk)  # important
    for to in ("important", "general"):
        with desk.session() as s, pytest.raises(tickets.TicketError, match="提高|raised"):
            lifecycle.raise_priority(s, number, "A1001", to, "x")
    with desk.session() as s, pytest.raises(tickets.TicketError, match="优先级|priority"):
        lifecycle.raise_priority(s, number, "A1001", "asap", "x")
    with desk.session() as s, pytest.raises(tickets.TicketError, match="原因|reason"):
        lifecycle.raise_priority(s, number, "A1001", "urgent", "")
    _close(desk, number)
    with desk.session() as s, pytest.raises(tickets.TicketError, match="回单|resolved"):
        lifecycle.raise_priority(s, number, "A1001", "urgent", "x")
    assert _events(desk, number, "priority") == []


# --- the command line ---------------------------------------------------------------------

def test_cli_chase_reply_raise_reopen(desk, capsys) -> None:
    db = ["--db", str(desk.path), "--agent", "A1001", "--lang", "en"]
    number = _new(desk)
    assert cli.main(["ticket", "chase", number, "--note", "还没来", *db]) == 0
    assert f"ticket {number}: chase-up recorded (number 1)" in capsys.readouterr().out
    assert cli.main(["ticket", "reply", number, "--text", "今晚修复", "--expect",
                     "2026-11-25 20:00", "--json", *db]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["reply"], out["reply_due"]) == ("今晚修复", "2026-11-25T20:00:00+08:00")
    assert cli.main(["ticket", "reply", number, "--text", "x", "--expect", "2026-11-25 08:00",
                     *db]) == 2
    assert "in the past" in capsys.readouterr().err
    assert cli.main(["ticket", "reply", number, "--text", "x", "--expect", "tonight",
                     *db]) == 2
    assert "YYYY-MM-DD HH:MM" in capsys.readouterr().err
    assert cli.main(["ticket", "raise", number, "--to", "general", "--reason", "x", *db]) == 2
    assert "can only be raised" in capsys.readouterr().err
    assert cli.main(["ticket", "raise", number, "--to", "urgent", "--reason", "多户", *db]) == 0
    assert f"ticket {number}: priority raised to urgent" in capsys.readouterr().out
    assert cli.main(["ticket", "reopen", number, "--reason", "x", *db]) == 2
    assert "still open" in capsys.readouterr().err
    _close(desk, number)
    assert cli.main(["ticket", "chase", number, *db]) == 2
    assert f"agentdesk ticket reopen {number}" in capsys.readouterr().err
    assert cli.main(["ticket", "reopen", number, "--reason", "又黄了", "--json", *db]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["status"], out["reopen_count"], out["chase_count"]) == ("accepted", 1, 1)
    assert cli.main(["ticket", "chase", "GD404", *db]) == 2
    assert "no ticket" in capsys.readouterr().err


def test_cli_reopen_past_the_window_and_new(desk, capsys, monkeypatch) -> None:
    db = ["--db", str(desk.path), "--agent", "A1001"]
    _close(desk, NUMBER)
    monkeypatch.setenv("AGENTDESK_REOPEN_DAYS", "7")
    clock.unfreeze()
    monkeypatch.setenv("AGENTDESK_NOW", (NOW + timedelta(days=8)).isoformat())
    assert cli.main(["ticket", "reopen", NUMBER, "--reason", "又漏了", *db]) == 2
    err = capsys.readouterr().err
    assert "7 天" in err and "--new" in err
    assert cli.main(["ticket", "reopen", NUMBER, "--reason", "又漏了", "--new", *db]) == 0
    said = capsys.readouterr().out
    assert f"跟进原工单 {NUMBER}" in said
    new_number = re.search(r"已新建工单 (\S+)，", said).group(1)
    with desk.session() as s:
        assert tickets.get(s, new_number).follows_id == tickets.get(s, NUMBER).id


# --- the centre ---------------------------------------------------------------------------

def test_chase_ups_and_a_reopening_reach_the_centre(tmp_path: Path, centre) -> None:
    desk = new_desk(tmp_path / "d.db")
    number = _new(desk)
    with desk.session() as s:
        lifecycle.chase(s, number, "A1001", "催一次")
        lifecycle.chase(s, number, "A1002", "催两次")
        lifecycle.reply(s, number, "A1001", "明早修", NOW + timedelta(hours=20))
    _close(desk, number)
    with desk.session() as s:
        lifecycle.reopen(s, number, "A1002", "又发黄")
    assert _sync(desk, centre).quarantined == []
    assert centre_rows(centre, "SELECT chase_count, reopen_count, status, reply FROM ticket "
                               f"WHERE number = '{number}'") == [(2, 1, "accepted", "明早修")]
    desk.dispose()


def test_catalog_has_the_life_block() -> None:
    assert i18n.t("life.queue.reply_missed") != "life.queue.reply_missed"


# --- the ticket detail's keys -------------------------------------------------------------

async def _type(pilot, app, value: str) -> None:
    from textual.widgets import Input

    await settle(pilot)
    assert isinstance(app.focused, Input)
    app.focused.value = value
    await pilot.press("enter")
    await settle(pilot)


async def test_the_detail_screen_replies_raises_and_reopens(desk) -> None:
    from agentdesk.screens.ticket_detail import TicketDetail
    from tests.test_app import SIZE, desk_app

    number = _new(desk)  # important, accepted
    with desk.session() as s:
        ticket_id = tickets.get(s, number).id
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        detail = TicketDetail(ticket_id)
        app.push_screen(detail)
        assert await wait_until(pilot, lambda: detail.ticket is not None)
        await settle(pilot)
        assert not detail.check_action("step", ("reopen",))
        assert detail.check_action("step", ("raise",))
        await pilot.press("e")
        await _type(pilot, app, "抢修班组已出发")
        await _type(pilot, app, "2026-11-25 08:00")  # in the past: refused, kept
        assert "过去" in app.screen.refused
        await _type(pilot, app, "2026-11-25 18:00")
        assert await wait_until(pilot, lambda: _events(desk, number, "reply") != [])
        assert await wait_until(pilot, lambda: "预计 2026-11-25 18:00 完成" in str(
            detail.query_one("#events").render()))
        await pilot.press("i")
        await _type(pilot, app, "多户反映")
        assert await wait_until(pilot, lambda: _events(desk, number, "priority") != [])
        await settle(pilot)
        assert not detail.check_action("step", ("raise",))  # urgent now
    with desk.session() as s:
        ticket = tickets.get(s, number)
        assert (ticket.reply, ticket.priority) == ("抢修班组已出发", "urgent")
        assert ticket.reply_due == clock.parse_instant("2026-11-25T18:00:00+08:00")
    _close(desk, number)
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        detail = TicketDetail(ticket_id)
        app.push_screen(detail)
        assert await wait_until(pilot, lambda: detail.ticket is not None)
        await settle(pilot)
        assert detail.check_action("step", ("reopen",))
        assert not detail.check_action("step", ("reply",))
        await pilot.press("g")
        await _type(pilot, app, "又发黄了")
        assert await wait_until(pilot, lambda: _events(desk, number, "reopen") != [])
    with desk.session() as s:
        assert tickets.get(s, number).status == "accepted"


def test_the_queue_marks_a_missed_expected_time(desk) -> None:
    from agentdesk.screens.queue import _status_cell

    with desk.session() as s:
        lifecycle.reply(s, NUMBER, "A1001", "今晚修", NOW + timedelta(hours=2))
        [row] = [r for r in tickets.open_for_owner(s, "A1001") if r.number == NUMBER]
    assert "逾期未复" not in _status_cell(row).plain
    clock.freeze(NOW + timedelta(hours=3))
    assert _status_cell(row).plain == "受理 ⌛逾期未复"


async def test_one_key_on_the_popped_card_records_a_chase_up(desk) -> None:
    from agentdesk.apps.factory import create_app
    from agentdesk.core.config import Config

    app = create_app(Config(agent_id="A1001", agent_name="王芳"), db_path=desk.path,
                     fill_demo=False, screen_pop=False)
    async with app.run_test(size=(140, 40)) as pilot:
        assert await wait_until(pilot, lambda: app.store is not None, timeout=10)
        app.pop_call("13812345678")  # the conftest ticket's caller
        assert await wait_until(pilot, lambda: getattr(app.screen, "card", None) is not None)
        lookup_screen = app.screen
        assert lookup_screen.card.repeat_reasons == ()
        await pilot.press("ctrl+g")
        await _type(pilot, app, "怎么还没修好")
        assert await wait_until(pilot, lambda: _events(desk, NUMBER, "chase") != [])
        contact_id = app.call.contact_id
    [(note, data)] = _events(desk, NUMBER, "chase")
    assert note == "怎么还没修好" and data == {"by_contact": contact_id}


def test_chase_ups_count_towards_the_repeat_caller_warning(desk) -> None:
    from agentdesk.customers import lookup

    with desk.session() as s:
        customer_id = tickets.get(s, NUMBER).customer_id
        assert lookup.card(s, customer_id).repeat_reasons == ()
        lifecycle.chase(s, NUMBER, "A1001", "一催")
        lifecycle.chase(s, NUMBER, "A1001", "二催")
        card = lookup.card(s, customer_id)
    assert card.recent_contacts == 2 and card.repeat_reasons == ("calls",)


def test_a_complaints_follow_up_keeps_its_class_and_party(desk) -> None:
    from agentdesk.customers import lookup

    with desk.session() as s:
        old = tickets.create(s, tickets.Draft(
            category="any.complaint", description="抄表员态度差",
            customer_id=lookup.id_by_account(s, "3100000002"), complained_party="抄表员",
            complaint_class="w_service.attitude"), "A1001").number
    _close(desk, old, "archived")
    with desk.session() as s:
        new = lifecycle.follow_up(s, old, "A1001", "又来了")
        assert (new.complaint_class, new.complained_party) == ("w_service.attitude", "抄表员")
        assert new.follows_id == tickets.get(s, old).id
