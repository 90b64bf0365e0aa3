"""Outage outreach (主动服务, issue 16 item 4): publishing a notice lists the vulnerable
and key customers inside its areas, each due by its own time; a revision of the areas
builds the list again without calling anyone twice; results are one key each; the list
and its results reach the centre and every desk; the wall counts due, done, breached."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from agentdesk.centre import notices, outreach
from agentdesk.core import areas, clock

SUP = ("S9001", "赵班长", "supervisor")

# account: (name, utility, district, street, community, building, tags, key level, status)
PEOPLE = {
    "W01": ("吸氧甲", "water", "二七区", "建中街街道", "阳光花园", "1栋", "吸氧", 0, "active"),
    "W02": ("重点乙", "water", "二七区", "建中街街道", "阳光花园", "2栋", "", 2, "active"),
    "W03": ("普通丙", "water", "二七区", "建中街街道", "阳光花园", "1栋", "", 0, "active"),
    "W04": ("独居丁", "water", "二七区", "建中街街道", "翠园", "5栋", "独居老人;残障", 0,
            "active"),
    "W05": ("销户戊", "water", "二七区", "建中街街道", "翠园", "5栋", "吸氧", 0, "closed"),
    "W06": ("爱宠己", "water", "二七区", "建中街街道", "翠园", "6栋", "养狗", 0, "active"),
    "P07": ("电采暖庚", "power", "二七区", "建中街街道", "翠园", "6栋", "电采暖", 0,
            "active"),
    "W08": ("外街辛", "water", "二七区", "解放路街道", "南园", "1栋", "吸氧", 0, "active"),
    "W09": ("一号楼壬", "water", "金水区", "花园路街道", "幸福小区", "1号楼", "孤寡", 0,
            "active"),
    "W10": ("二号楼癸", "water", "金水区", "花园路街道", "幸福小区", "2号楼", "孤寡", 0,
            "active"),
    "W11": ("一级子", "water", "二七区", "建中街街道", "阳光花园", "3栋", " 吸氧 ", 1,
            "active"),
}
START_IN = timedelta(days=3)


def _people(desk) -> dict[str, str]:
    """The hand-made customers on ``desk``; their ids by account."""
    from agentdesk.core import agents
    from agentdesk.core.models import Customer

    ids = {}
    with desk.session() as s:
        for account, (name, utility, d, st, c, b, tags, key, status) in PEOPLE.items():
            row = Customer(account_no=account, name=name, utility=utility, district=d,
                           street=st, community=c, building=b, tags=tags, key_level=key,
                           status=status)
            s.add(row)
            ids[account] = row.id
        agents.ensure(s, "A1001", "王芳")
    return ids


@pytest.fixture
def town(tmp_path: Path):
    from agentdesk.sync import outbox

    desk = outbox.open_syncing_desk(tmp_path / "town.db")
    desk.people = _people(desk)
    yield desk
    desk.dispose()


def _draft(*where: str, kind: str = "planned", starts_in: timedelta = START_IN,
           utility: str = "water") -> notices.Draft:
    now = clock.now()
    return notices.Draft(utility=utility, kind=kind,
                         areas=tuple(areas.parse(a) for a in where),
                         starts_at=now + starts_in, ends_at=now + starts_in + timedelta(hours=8),
                         cause="管网改造")


def _calls(desk, notice_id: str) -> dict[str, tuple]:
    """account -> (reason, due_at, status, in_area) of the notice's calls."""
    from agentdesk.core.models import UTCDateTime

    load = UTCDateTime().process_result_value
    with desk.engine.connect() as conn:
        return {a: (r, load(d, None), st, bool(i)) for a, r, d, st, i in conn.exec_driver_sql(
            "SELECT c.account_no, o.reason, o.due_at, o.status, o.in_area FROM outreach_call o "
            "JOIN customer c ON c.id = o.customer_id WHERE o.notice_id = ?", (notice_id,))}


def _publish(desk, *where: str, **kw) -> notices.Published:
    with desk.session() as s:
        return notices.publish(s, _draft(*where, **kw), *SUP, clock.now())


# --- the list -------------------------------------------------------------------------


def test_a_planned_notice_lists_the_vulnerable_and_key_customers_inside(town) -> None:
    done = _publish(town, "二七区/建中街街道", "金水区/花园路街道/幸福小区/1号楼")
    calls = _calls(town, done.notice.id)
    # not: the ordinary customer, a closed account, a tag nobody configured, a power
    # customer of a water notice, another street, another building
    assert set(calls) == {"W01", "W02", "W04", "W09", "W11"}
    assert done.outreach == 5
    assert calls["W01"][0] == "吸氧"
    assert calls["W02"][0] == "key:2"
    assert calls["W04"][0] == "独居老人;残障"
    assert calls["W11"][0] == "吸氧;key:1"  # spaces in the tags are no matter
    due = done.notice.starts_at - timedelta(hours=24)
    assert {c[1] for c in calls.values()} == {due}
    assert {c[2:] for c in calls.values()} == {("due", True)}
    assert outreach.reason_label("独居老人;key:2") == "独居老人、重要客户2级"


def test_a_fault_notice_is_due_within_30_minutes_and_a_late_planned_one_too(town) -> None:
    now = clock.now()
    fault = _publish(town, "二七区/建中街街道/翠园", kind="fault",
                     starts_in=-timedelta(minutes=5))
    assert {c[1] for c in _calls(town, fault.notice.id).values()} == {
        now + timedelta(minutes=30)}
    soon = _publish(town, "金水区", starts_in=timedelta(hours=2))  # less than 24 h ahead
    assert _calls(town, soon.notice.id)["W09"][1] == now + timedelta(minutes=30)


def test_the_rules_come_from_the_config(town, tmp_path: Path) -> None:
    from agentdesk.core import config as config_mod

    path = tmp_path / "c.toml"
    path.write_text('outreach_tags = "养狗"\noutreach_key_level = 3\noutreach_lead_h = 48\n',
                    encoding="utf-8")
    rules = outreach.Rules.from_config(config_mod.load(path, environ={}))
    with town.session() as s:
        done = notices.publish(s, _draft("二七区/建中街街道"), *SUP, clock.now(), rules=rules)
    calls = _calls(town, done.notice.id)
    assert set(calls) == {"W06"}
    assert calls["W06"][1] == done.notice.starts_at - timedelta(hours=48)


def test_an_area_change_recomputes_without_calling_anyone_twice(town) -> None:
    nid = _publish(town, "二七区/建中街街道").notice.id
    first = _calls(town, nid)
    with town.session() as s:
        call = outreach.call_id(nid, town.people["W01"])
        outreach.record(s, call, "A1001", "reached")
        outreach.record(s, outreach.call_id(nid, town.people["W04"]), "A1001", "no_answer")
    # two and a half days later the street shrinks to 阳光花园 and 金水区 joins
    clock.freeze(clock.now() + timedelta(days=2, hours=12))
    with town.session() as s:
        notices.update(s, nid, *SUP, clock.now(), where=(
            areas.parse("二七区/建中街街道/阳光花园"), areas.parse("金水区")))
    second = _calls(town, nid)
    assert set(second) == set(first) | {"W09", "W10"}
    assert second["W01"][2] == "reached"  # made before the change: kept
    assert second["W04"][2:] == ("cancelled", False)  # tried, no longer covered
    assert second["W02"][2:] == ("due", True)
    assert second["W02"][1] == first["W02"][1]  # its time stays
    # past the usual 24 h mark already: the new ones are due within 30 minutes
    assert second["W09"][1] == clock.now() + timedelta(minutes=30)
    # and back: the same rows again, not new ones
    with town.session() as s:
        notices.update(s, nid, *SUP, clock.now(), where=(areas.parse("二七区/建中街街道"),))
    third = _calls(town, nid)
    assert third["W04"][2:] == ("no_answer", True)  # its attempt is still counted
    assert third["W09"][2:] == ("cancelled", False)
    with town.engine.connect() as conn:
        assert conn.exec_driver_sql(
            "SELECT count(*), count(DISTINCT customer_id) FROM outreach_call").one() == (6, 6)
    with town.session() as s, pytest.raises(outreach.OutreachError, match="不重复"):
        outreach.record(s, call, "A1001", "reached")


def test_a_withdrawn_notice_cancels_its_open_calls(town) -> None:
    nid = _publish(town, "二七区/建中街街道").notice.id
    with town.session() as s:
        outreach.record(s, outreach.call_id(nid, town.people["W02"]), "A1001", "reached")
        notices.withdraw(s, nid, *SUP, clock.now(), reason="取消施工")
    calls = _calls(town, nid)
    assert calls["W02"][2] == "reached"
    assert {a for a, c in calls.items() if c[2] == "cancelled"} == {"W01", "W04", "W11"}
    with town.session() as s, pytest.raises(outreach.OutreachError, match="已取消"):
        outreach.record(s, outreach.call_id(nid, town.people["W01"]), "A1001", "reached")


def test_results_are_one_key_each_and_needs_help_opens_a_linked_ticket(town) -> None:
    from agentdesk.core.models import Ticket

    nid = _publish(town, "二七区/建中街街道").notice.id
    w01, w02 = (outreach.call_id(nid, town.people[a]) for a in ("W01", "W02"))
    with town.session() as s:
        first = outreach.record(s, w01, "A1001", "no_answer", retry_min=10)
        assert (first.call.status, first.call.attempts) == ("no_answer", 1)
        assert first.call.retry_at == clock.now() + timedelta(minutes=10)
        helped = outreach.record(s, w01, "A1001", "needs_help", note="制氧机需备用电源")
        assert helped.call.status == "needs_help" and helped.call.attempts == 2
        ticket = s.get(Ticket, helped.call.ticket_id)
        assert ticket is helped.ticket
        assert (ticket.category, ticket.customer_id) == ("water.no_water", town.people["W01"])
        assert ticket.location == "二七区建中街街道阳光花园1栋"
        for words in ("管网改造", "吸氧", "制氧机需备用电源", "建中街"):
            assert words in ticket.description, words
        assert ticket.priority == "urgent"
        with pytest.raises(outreach.OutreachError, match="结果"):
            outreach.record(s, w02, "A1001", "maybe")
        with pytest.raises(outreach.OutreachError, match="控制字符"):
            outreach.record(s, w02, "A1001", "reached", note="\x1b[2J")
        with pytest.raises(outreach.OutreachError, match="分钟"):
            outreach.record(s, w02, "A1001", "no_answer", retry_min=0)
    with town.session() as s:
        assert outreach.tally(s, nid) == outreach.Tally(3, 0, 0, 1, 0)


def test_results_are_append_only(town) -> None:
    import sqlalchemy as sa

    nid = _publish(town, "二七区/建中街街道").notice.id
    with town.session() as s:
        outreach.record(s, outreach.call_id(nid, town.people["W01"]), "A1001", "reached")
    with pytest.raises(sa.exc.DatabaseError), town.session() as s:
        s.connection().exec_driver_sql("UPDATE outreach_event SET result = 'no_answer'")


# --- across desks, through a centre -------------------------------------------------------


def _centre_people(centre) -> dict[str, str]:
    from agentdesk.core.models import Customer
    from agentdesk.sync import codec

    rows = []
    for account, (name, utility, d, st, c, b, tags, key, status) in PEOPLE.items():
        rows.append(codec.to_python("customer", codec.row_of(Customer(
            account_no=account, name=name, utility=utility, district=d, street=st,
            community=c, building=b, tags=tags, key_level=key, status=status))))
    centre.upsert_rows("customer", rows, {})
    return {r["account_no"]: r["id"] for r in rows}


CALL_SQL = ("SELECT id, notice_id, customer_id, reason, due_at, in_area, status, attempts, "
            "retry_at, ticket_id, agent_id, updated_at FROM outreach_call ORDER BY id")


def test_two_desks_building_one_notice_converge_and_results_merge(centre, tmp_path) -> None:
    """Two supervisors revise one notice offline, the same way: both build the new
    calls, which are the same rows. Two agents call one customer from two desks: one
    gets no answer, the other reaches them; every desk and the centre end up with one
    call, reached, two attempts, whatever order the pushes arrive in."""
    from agentdesk.sync import engine
    from agentdesk.sync.verify import verify
    from tests.sync_helpers import centre_rows, desk_rows, new_desk

    from agentdesk.sync import load

    ids = _centre_people(centre)
    load.agent_role(centre, SUP[0], "supervisor", SUP[1])  # the centre's say, not a desk's
    a, b = new_desk(tmp_path / "a.db"), new_desk(tmp_path / "b.db")
    quiet = {"hook": lambda name: None}
    for d in (a, b):
        engine.sync_once(d, centre, **quiet)
    with a.session() as s:
        nid = notices.publish(s, _draft("二七区/建中街街道"), *SUP, clock.now()).notice.id
    engine.sync_once(a, centre, **quiet)
    engine.sync_once(b, centre, **quiet)
    assert len(desk_rows(b, CALL_SQL)) == 4
    w01, w09 = outreach.call_id(nid, ids["W01"]), outreach.call_id(nid, ids["W09"])
    # offline now: both widen the notice to 金水区/花园路街道, and both call W01
    for d in (a, b):
        with d.session() as s:
            notices.update(s, nid, *SUP, clock.now(), where=(
                areas.parse("二七区/建中街街道"), areas.parse("金水区/花园路街道")))
    with b.session() as s:
        outreach.record(s, w01, "A1002", "reached")
    clock.freeze(clock.now() + timedelta(minutes=5))
    with a.session() as s:
        outreach.record(s, w01, "A1001", "no_answer")  # later, and pushed last
    for d in (b, a, b):
        engine.sync_once(d, centre, **quiet)
    rows = centre_rows(centre, CALL_SQL)
    assert len(rows) == 6 == len({r[2] for r in rows})  # one call per customer
    assert w09 in {r[0] for r in rows}
    assert desk_rows(a, CALL_SQL) == desk_rows(b, CALL_SQL)
    [w01_row] = [r for r in desk_rows(a, CALL_SQL) if r[0] == w01]
    assert (w01_row[6], w01_row[7]) == ("reached", 2)
    assert centre_rows(centre, "SELECT count(*) FROM outreach_event") == [(2,)]
    for d in (a, b):
        assert verify(d, centre).equal
        d.dispose()


def test_a_call_list_of_a_refused_notice_is_refused_too(centre, tmp_path) -> None:
    from agentdesk.sync import engine
    from tests.sync_helpers import centre_rows, new_desk

    _centre_people(centre)
    rogue = new_desk(tmp_path / "rogue.db")
    engine.sync_once(rogue, centre, hook=lambda name: None)  # A1001 is an agent there
    with rogue.session() as s:
        notices.publish(s, _draft("二七区/建中街街道"), "A1001", "王芳", "supervisor",
                        clock.now())
    engine.sync_once(rogue, centre, hook=lambda name: None)
    assert centre_rows(centre, "SELECT count(*) FROM outreach_call") == [(0,)]
    reasons = centre_rows(centre, "SELECT reason FROM quarantine WHERE entity = "
                                  "'outreach_call'")
    assert len(reasons) == 4 and all("notice" in r[0] for r in reasons)
    rogue.dispose()


# --- the queue and the wall ---------------------------------------------------------------


async def test_the_queue_shows_calls_as_their_own_clock_and_one_key_records(town) -> None:
    from agentdesk.centre.outreach import CallRow
    from agentdesk.screens.ticket_detail import TicketDetail
    from tests.conftest import settle, visible_text, wait_ready, wait_until
    from tests.test_app import SIZE, desk_app

    _publish(town, "二七区/建中街街道", kind="fault", starts_in=-timedelta(minutes=5))
    app = desk_app(town)

    def pick(name: str) -> None:
        table = app.screen.query_one("#tickets")
        table.cursor = next(n for n, r in enumerate(table.rows) if r.caller == name)

    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert app.screen.rows == []  # mine: nothing tried by me yet
        await pilot.press("1")
        assert await wait_until(pilot, lambda: any(
            "1/2/3" in n.message for n in app._notifications))
        await pilot.press("t")  # team: every open call
        assert await wait_until(pilot, lambda: len(app.screen.rows) == 4)
        assert all(isinstance(r, CallRow) for r in app.screen.rows)
        text = visible_text(app)
        # the reason in the category column, the notice in the text column (issue 19)
        for words in ("☎ 主动服务", "○ 00:30:00 主动服务", "吸氧 ", "建中街街道故障停水", "待呼",
                      "1 已告知"):
            assert words in text, words
        pick("吸氧甲")
        await pilot.press("1")  # reached: off the list
        assert await wait_until(pilot, lambda: len(app.screen.rows) == 3)
        assert "吸氧甲" not in visible_text(app)
        pick("重点乙")
        await pilot.press("2")  # no answer: called again in 30 minutes, mine now
        assert await wait_until(pilot, lambda: "↻" in visible_text(app))
        assert "↻ 10:00 再拨" in visible_text(app) and "未接" in visible_text(app)
        await pilot.press("t", "t")  # all, then mine
        assert await wait_until(pilot, lambda: [r.caller for r in app.screen.rows]
                                == ["重点乙"])
        await pilot.press("k")  # the clock filter knows the new kind
        for _ in range(4):
            await pilot.press("k")
        assert "时限: 主动服务" in visible_text(app)
        await pilot.press("3")  # needs help: a ticket, opened at once
        assert await wait_until(pilot, lambda: isinstance(app.screen, TicketDetail))
        await settle(pilot)
        assert "GD" in visible_text(app) and "需要帮助" in visible_text(app)
        await pilot.press("escape")
        await pilot.press("t")  # team: Enter on a call shows the customer's card
        assert await wait_until(pilot, lambda: len(app.screen.rows) == 2)
        pick("独居丁")
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: app.current_mode == "lookup"
                                and "独居老人" in visible_text(app))
    with town.session() as s:
        nid = s.connection().exec_driver_sql("SELECT id FROM notice").scalar()
        assert outreach.tally(s, nid) == outreach.Tally(2, 0, 1, 1, 0)


def test_the_wall_counts_due_done_and_breached(town) -> None:
    from agentdesk.monitor import figures

    nid = _publish(town, "二七区/建中街街道", kind="fault",
                   starts_in=-timedelta(minutes=5)).notice.id
    _publish(town, "金水区")  # planned, 3 days ahead: due in 2 days
    with town.session() as s:
        outreach.record(s, outreach.call_id(nid, town.people["W01"]), "A1001", "reached")
        outreach.record(s, outreach.call_id(nid, town.people["W02"]), "A1001", "needs_help")
        outreach.record(s, outreach.call_id(nid, town.people["W04"]), "A1001", "no_answer")
    with town.session() as s:
        assert figures.outreach_counts(s, clock.now()) == figures.OutreachCounts(4, 2, 0)
        later = clock.now() + timedelta(minutes=31)  # the fault's calls are past due
        assert figures.outreach_counts(s, later) == figures.OutreachCounts(2, 2, 2)
        notices.withdraw(s, nid, *SUP, clock.now(), reason="已恢复")
    with town.session() as s:  # a withdrawn notice's calls leave the wall
        assert figures.wallboard(s, later).outreach == figures.OutreachCounts(2, 0, 0)


def test_the_cli_says_how_many_are_to_be_called(desk, tmp_path: Path, monkeypatch,
                                                capsys) -> None:
    import json

    from agentdesk import cli

    config = tmp_path / "sup.toml"
    config.write_text('role = "supervisor"\nagent_id = "S9001"\noutreach_lead_h = 6\n',
                      encoding="utf-8")
    monkeypatch.setenv("AGENTDESK_CONFIG", str(config))
    args = ["notice", "publish", "--utility", "water", "--kind", "planned", "--area", "金水区",
            "--area", "二七区", "--from", "2026-11-26 12:00", "--to", "2026-11-26 18:00",
            "--cause", "管网改造", "--db", str(desk.path)]
    assert cli.main([*args, "--json"]) == 0
    published = json.loads(capsys.readouterr().out)
    assert (published["customers"], published["outreach"]) == (2, 1)  # 吸氧;独居老人 only
    with desk.session() as s:
        [(due,)] = s.connection().exec_driver_sql("SELECT due_at FROM outreach_call").all()
    assert due == "2026-11-25 22:00:00.000000"  # 06:00 local, 6 h before the start
    assert cli.main(args) == 0
    assert "主动服务：1 户" in capsys.readouterr().out


async def test_the_wallboard_shows_the_outreach_line(town) -> None:
    from tests.conftest import settle, visible_text, wait_until
    from tests.test_monitor_screen import SIZE as WALL, monitor_app

    nid = _publish(town, "二七区/建中街街道", kind="fault",
                   starts_in=-timedelta(minutes=5)).notice.id
    with town.session() as s:
        outreach.record(s, outreach.call_id(nid, town.people["W01"]), "A1001", "reached")
    clock.freeze(clock.now() + timedelta(minutes=45))
    app = monitor_app(town.path)
    async with app.run_test(size=WALL) as pilot:
        assert await wait_until(pilot, lambda: app.screen.refreshes >= 1, timeout=10)
        await settle(pilot)
        assert "主动服务（生效公告）：待呼 0 · 已完成 1 · 超时 3" in visible_text(app)


async def test_the_notices_screen_builds_the_list_by_the_desks_rules(desk) -> None:
    from tests.conftest import settle, wait_until
    from tests.test_notices_screen import WIDE, _fill, _open, supervisor_app

    app = supervisor_app(desk, outreach_lead_h=6)
    async with app.run_test(size=WIDE) as pilot:
        await _open(pilot)
        await pilot.press("n")
        await settle(pilot)
        _fill(app, areas="金水区/花园路街道", cause="管网改造",
              **{"from": "2026-11-26 12:00", "to": "2026-11-26 18:00"})
        await pilot.press("ctrl+s")
        assert await wait_until(pilot, lambda: any(
            "主动服务：1 户" in n.message for n in app._notifications))
    with desk.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT due_at, reason FROM outreach_call").all() == [
            ("2026-11-25 22:00:00.000000", "吸氧;独居老人")]  # 6 h before 12:00 (+08:00)
