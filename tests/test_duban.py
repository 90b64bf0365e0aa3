"""Manual 督办 and its acknowledgement (签收): a supervisor's only (the desk's role, then the
centre's own agent table), acknowledged by the owner with a note, on the monitor's 督办
list as raised / acknowledged / overdue with who and when; the CLI and the detail
screen's key."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Input

from agentdesk import cli
from agentdesk.core import agents, clock, store as store_mod
from agentdesk.monitor import figures as monitor
from agentdesk.sync import engine, load, mirror
from agentdesk.tickets import duban, escalation, service as tickets
from tests.conftest import FROZEN, settle, wait_ready, wait_until
from tests.sync_helpers import centre_rows, desk_rows, new_desk
from tests.test_app import SIZE, desk_app

NUMBER = "GD2026112500001"  # the conftest desk's ticket, owned by A1001
NOW = clock.parse_instant(FROZEN)


def _supervisor(desk, code: str = "A9001") -> None:
    with desk.session() as s:
        agents.ensure(s, code, "张班长", role="supervisor")


def _kinds(desk, number: str = NUMBER) -> list[tuple[str, str, dict]]:
    return [(k, a or "", json.loads(d)) for k, a, d in desk_rows(
        desk, "SELECT e.kind, a.code, e.data FROM ticket_event e JOIN ticket t ON "
              "t.id = e.ticket_id LEFT JOIN agent a ON a.id = e.agent_id "
              f"WHERE t.number = '{number}' AND e.kind LIKE 'duban%' ORDER BY e.at, e.id")]


def test_a_supervisor_raises_and_the_owner_acknowledges(desk) -> None:
    _supervisor(desk)
    with desk.session() as s, pytest.raises(duban.DubanError, match="supervisor"):
        duban.raise_duban(s, NUMBER, "A1001", "agent", "safety")
    with desk.session() as s, pytest.raises(duban.DubanError, match="weather"):
        duban.raise_duban(s, NUMBER, "A9001", "supervisor", "weather")
    with desk.session() as s, pytest.raises(duban.DubanError, match="没有待签收"):
        duban.acknowledge(s, NUMBER, "A1001", "已处理")  # nothing to acknowledge yet
    with desk.session() as s:
        duban.raise_duban(s, NUMBER, "A9001", "supervisor", "media", "电视台来电询问")
    with desk.session() as s, pytest.raises(duban.DubanError, match="责任人"):
        duban.acknowledge(s, NUMBER, "A9001", "我来签")  # not the owner's
    with desk.session() as s, pytest.raises(duban.DubanError, match="处理情况"):
        duban.acknowledge(s, NUMBER, "A1001", "  ")
    with desk.session() as s:
        first = duban.unanswered(s, tickets.get(s, NUMBER).id)
        duban.acknowledge(s, NUMBER, "A1001", "已联系抢修班组，20 分钟到场")
    with desk.session() as s, pytest.raises(duban.DubanError, match="没有待签收"):
        duban.acknowledge(s, NUMBER, "A1001", "again")
    events = _kinds(desk)
    assert [(k, a) for k, a, _ in events] == [("duban", "A9001"), ("duban_ack", "A1001")]
    assert events[0][2] == {"reason": "media"} and events[1][2] == {"acks": first}


def test_an_acknowledgement_answers_the_breach_duban_too(desk) -> None:
    _supervisor(desk)
    later = NOW + timedelta(minutes=20)
    clock.freeze(later)
    with desk.session() as s:
        assert [a.kind for a in escalation.scan(s, later, owner="A1001")] == ["escalation"]
        duban.raise_duban(s, NUMBER, "A9001", "supervisor", "chase")
        ticket_id = tickets.get(s, NUMBER).id
        assert len(duban.unanswered(s, ticket_id)) == 2
        duban.acknowledge(s, NUMBER, "A1001", "已到场")
        assert duban.unanswered(s, ticket_id) == []


def test_the_monitor_lists_raised_overdue_and_acknowledged_with_who_and_when(desk) -> None:
    _supervisor(desk)
    with desk.session() as s:
        other = tickets.create(s, tickets.Draft(category="water.quality", description="水黄",
                                                location="花园路"), "A1001").number
        duban.raise_duban(s, NUMBER, "A9001", "supervisor", "safety")
        duban.raise_duban(s, other, "A9001", "supervisor", "group")
    clock.freeze(NOW + timedelta(minutes=10))
    with desk.session() as s:
        duban.acknowledge(s, other, "A1001", "已安排水质检测")
    board = monitor.wallboard(desk, NOW + timedelta(minutes=10))
    assert board.duban_counts == {"raised": 1, "acknowledged": 1, "overdue": 0}
    waiting, answered = board.dubans
    assert (waiting.number, waiting.state, waiting.why, waiting.raised_by) == (
        NUMBER, "raised", "safety", "A9001")
    assert (answered.number, answered.state, answered.acked_by, answered.acked_at,
            answered.ack_note) == (other, "acknowledged", "A1001",
                                   NOW + timedelta(minutes=10), "已安排水质检测")
    late = monitor.wallboard(desk, NOW + duban.ACK_WITHIN)
    assert late.duban_counts == {"raised": 0, "acknowledged": 1, "overdue": 1}
    assert late.dubans[0].number == NUMBER and late.dubans[0].state == "overdue"


def test_manual_duban_and_its_acknowledgement_reach_the_monitor(tmp_path: Path,
                                                                centre) -> None:
    load.agent_role(centre, "A9001", "supervisor", "张班长")
    owner = new_desk(tmp_path / "owner.db")
    with owner.session() as s:
        number = tickets.create(s, tickets.Draft(category="water.burst", description="爆管",
                                                 location="花园路"), "A1001").number
    engine.sync_once(owner, centre)
    boss = new_desk(tmp_path / "boss.db", (("A9001", "张班长"),))
    engine.sync_once(boss, centre)
    with boss.session() as s:
        duban.raise_duban(s, number, "A9001", "supervisor", "safety", "燃气管道附近")
    assert engine.sync_once(boss, centre).quarantined == []
    engine.sync_once(owner, centre)
    with owner.session() as s:  # the owner is told (the desk's job shows it)
        told, _last = escalation.received(s, "A1001", 0)
        assert [(a.number, a.kind, a.clock) for a in told] == [(number, "duban", "safety")]
    clock.freeze(NOW + timedelta(minutes=5))
    with owner.session() as s:
        duban.acknowledge(s, number, "A1001", "已关阀，抢修车出发")
    engine.sync_once(owner, centre)
    wall = store_mod.open_desk(tmp_path / "mirror.db")
    mirror.pull(wall, centre)
    board = monitor.wallboard(wall, NOW + timedelta(minutes=5))
    assert [(r.number, r.kind, r.why, r.raised_by, r.raised_at, r.state, r.acked_by,
             r.acked_at, r.ack_note) for r in board.dubans] == [
        (number, "duban", "safety", "A9001", NOW, "acknowledged", "A1001",
         NOW + timedelta(minutes=5), "已关阀，抢修车出发")]
    for desk in (owner, boss, wall):
        desk.dispose()


def test_the_centre_refuses_a_duban_from_an_agent_it_does_not_call_supervisor(
        tmp_path: Path, centre) -> None:
    """The desk says supervisor (its config, its own agent row); the centre's agent table
    does not: the 督办 is set aside with the reason and the desk is told."""
    desk = new_desk(tmp_path / "d.db", (("A1001", "王芳"),))
    _supervisor(desk, "A1005")  # made a supervisor on this desk only
    with desk.session() as s:
        number = tickets.create(s, tickets.Draft(category="water.burst", description="爆管",
                                                 location="花园路"), "A1001").number
        duban.raise_duban(s, number, "A1005", "supervisor", "media")
    report = engine.sync_once(desk, centre)
    assert [q["entity"] for q in report.quarantined] == ["ticket_event"]
    assert "supervisor" in report.quarantined[0]["reason"]
    assert centre_rows(centre, "SELECT role FROM agent WHERE code = 'A1005'") == [("agent",)]
    assert centre_rows(centre, "SELECT count(*) FROM ticket_event WHERE kind = 'duban'") == [
        (0,)]
    assert centre_rows(centre, "SELECT entity FROM quarantine") == [("ticket_event",)]
    # made a supervisor at the centre, the next 督办 goes through
    load.agent_role(centre, "A1005", "supervisor")
    engine.sync_once(desk, centre)
    with desk.session() as s:
        duban.raise_duban(s, number, "A1005", "supervisor", "media", "再次督办")
    assert engine.sync_once(desk, centre).quarantined == []
    assert centre_rows(centre, "SELECT note FROM ticket_event WHERE kind = 'duban'") == [
        ("再次督办",)]
    desk.dispose()


def test_cli_duban_and_ack(desk, monkeypatch, capsys) -> None:
    db = str(desk.path)
    monkeypatch.setenv("AGENTDESK_ROLE", "agent")
    assert cli.main(["ticket", "duban", NUMBER, "--reason", "safety", "--db", db,
                     "--agent", "A9001"]) == 2
    assert "supervisor" in capsys.readouterr().err
    monkeypatch.setenv("AGENTDESK_ROLE", "supervisor")
    assert cli.main(["ticket", "duban", NUMBER, "--reason", "group", "--note", "十户联名",
                     "--db", db, "--agent", "A9001", "--lang", "en"]) == 0
    assert f"ticket {NUMBER} pressed (group complaint)" in capsys.readouterr().out
    assert cli.main(["ticket", "ack", NUMBER, "--note", "已回电", "--db", db,
                     "--agent", "A1001", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["number"] == NUMBER
    assert [(k, a) for k, a, _ in _kinds(desk)] == [("duban", "A9001"), ("duban_ack", "A1001")]


async def test_the_detail_screen_acknowledges_with_one_key_and_a_note(desk) -> None:
    from agentdesk.screens.ticket_detail import TicketDetail

    _supervisor(desk)
    with desk.session() as s:
        ticket_id = tickets.get(s, NUMBER).id
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        detail = TicketDetail(ticket_id)
        app.push_screen(detail)
        assert await wait_until(pilot, lambda: detail.ticket is not None)
        assert not detail.check_action("step", ("ack",))  # nothing to acknowledge
        detail.dismiss(False)
        with desk.session() as s:
            duban.raise_duban(s, NUMBER, "A9001", "supervisor", "chase")
        detail = TicketDetail(ticket_id)
        app.push_screen(detail)
        assert await wait_until(pilot, lambda: detail.ticket is not None)
        await settle(pilot)
        assert detail.check_action("step", ("ack",))
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.focused, Input)
        await pilot.press(*"yi hui dian")
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: len(_kinds(desk)) == 2)
        await settle(pilot)
        assert not detail.check_action("step", ("ack",))
    assert [(k, a) for k, a, _ in _kinds(desk)] == [("duban", "A9001"), ("duban_ack", "A1001")]


async def test_the_wallboard_shows_the_duban_list(desk) -> None:
    from agentdesk.apps.monitor import create_monitor_app
    from agentdesk.core.config import Config
    from tests.conftest import visible_text

    _supervisor(desk)
    with desk.session() as s:
        duban.raise_duban(s, NUMBER, "A9001", "supervisor", "safety", "燃气")
    app = create_monitor_app(Config(lang="zh"), desk.path, interval=60.0)
    async with app.run_test(size=(160, 60)) as pilot:
        assert await wait_until(pilot, lambda: app.screen.refreshes >= 1, timeout=10)
        await settle(pilot)
        text = visible_text(app)
    assert "督办 1 条：待签收 1，已签收 0，超时未签收 0" in text
    row = next(line for line in text.splitlines() if NUMBER in line and "人工督办" in line)
    assert "安全隐患" in row and "A9001" in row and "待签收" in row


async def test_a_supervisor_raises_a_duban_from_the_detail_screen(desk) -> None:
    from agentdesk.apps.factory import create_app
    from agentdesk.core.config import Config
    from agentdesk.screens.ticket_detail import TicketDetail

    with desk.session() as s:
        ticket_id = tickets.get(s, NUMBER).id
    for role in ("agent", "supervisor"):
        app = create_app(Config(lang="zh", agent_id="A9001", agent_name="张班长", role=role),
                         db_path=desk.path, fill_demo=False)
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot)
            detail = TicketDetail(ticket_id)
            app.push_screen(detail)
            assert await wait_until(pilot, lambda: detail.ticket is not None)
            await settle(pilot)
            assert detail.check_action("step", ("duban",)) == (role == "supervisor")
            if role == "agent":
                continue
            await pilot.press("u")
            await settle(pilot)
            await pilot.press("2")  # media attention
            await settle(pilot)
            assert isinstance(app.focused, Input)
            await pilot.press(*"tv", "enter")
            assert await wait_until(pilot, lambda: len(_kinds(desk)) == 1)
    assert [(k, a, d) for k, a, d in _kinds(desk)] == [("duban", "A9001", {"reason": "media"})]
