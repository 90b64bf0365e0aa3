"""The supervisor's notices screen (issue 16, item 2): publish with a mistake then fixed,
an area with nobody asks first, revise and withdraw show in the history, and an agent's
desk has no such screen; the KB answer for an outage filled in from the caller's notice;
the card saying how old a syncing desk's notices are."""

from __future__ import annotations

from datetime import timedelta

from textual.command import CommandPalette
from textual.widgets import Input, TextArea

from agentdesk.apps.factory import create_app
from agentdesk.centre import notices
from agentdesk.core import areas, clock
from agentdesk.core.config import Config
from agentdesk.customers import lookup
from tests.conftest import settle, visible_text, wait_ready, wait_until
from tests.test_app import SIZE

WIDE = (150, 45)
SUP = ("S9001", "赵班长", "supervisor")


def supervisor_app(desk, lang: str = "zh", **config):  # noqa: ANN001, ANN201
    return create_app(Config(lang=lang, agent_id="S9001", agent_name="赵班长",
                             role="supervisor", **config), db_path=desk.path, fill_demo=False)


def notice_rows(desk) -> list[tuple]:  # noqa: ANN001
    with desk.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            "SELECT title, status, revision, cause FROM notice ORDER BY created_at")]


def publish(desk, where: str = "二七区/建中街街道", **kw) -> str:  # noqa: ANN001
    now = clock.now()
    values = dict(utility="water", kind="planned", areas=(areas.parse(where),),
                  starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=4),
                  cause="管网改造", restore_by=now + timedelta(hours=5))
    values.update(kw)
    with desk.session() as s:
        return notices.publish(s, notices.Draft(**values), *SUP, now).notice.id


async def _open(pilot) -> None:
    await wait_ready(pilot)
    await pilot.press("f6")
    await settle(pilot)


def _fill(app, **fields: str) -> None:  # noqa: ANN001
    for name, value in fields.items():
        if name == "areas":
            app.screen.query_one("#areas", TextArea).text = value
        else:
            app.screen.query_one(f"#{name}", Input).value = value


async def test_an_agent_desk_has_no_notices_screen(desk) -> None:
    from tests.test_app import desk_app

    app = desk_app(desk, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        assert "f6" not in visible_text(app)  # the footer does not offer it
        await pilot.press("f6")
        await settle(pilot)
        assert app.current_mode == "lookup"
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"(notices)")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.current_mode == "lookup"
    sup = supervisor_app(desk, lang="en")
    async with sup.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        assert "f6 Noti" in visible_text(sup)  # the footer offers it (cut at 120 columns)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"(notices)")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert sup.current_mode == "notices"


async def test_publish_with_a_mistake_then_fixed(desk) -> None:
    app = supervisor_app(desk)
    async with app.run_test(size=WIDE) as pilot:
        await _open(pilot)
        assert "没有公告" in visible_text(app)
        await pilot.press("n")
        await settle(pilot)
        _fill(app, areas="二七区/建中街街道\n\n金水区/花园路街道/幸福小区",
              **{"from": "2026-11-25 12:00", "to": "2026-11-25 11:00"},
              cause="管网改造")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "结束时间必须晚于开始时间" in visible_text(app)  # the form stays, says why
        _fill(app, cause="因" * 10_000, to="2026-11-25 18:00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "过长（10000 字，最多 500）" in visible_text(app)
        _fill(app, **{"from": "明天早上"})
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "不是时间：明天早上" in visible_text(app)
        assert notice_rows(desk) == []  # nothing half-written
        _fill(app, cause="管网改造", restore="2026-11-25 20:00",
              **{"from": "2026-11-25 12:00"})
        await pilot.press("ctrl+s")
        assert await wait_until(pilot, lambda: app.screen.__class__.__name__ ==
                                "NoticesScreen")
        await settle(pilot)
        assert notice_rows(desk) == [("建中街街道计划停水等 1 处", "active", 1, "管网改造")]
        text = visible_text(app)
        assert "建中街街道计划停水" in text and "二七区/建中街街道" in text
        assert "金水区/花园路街道/幸福小区" in text and "11-25 20:00" in text
        assert "发布，范围内 2 户" in text and "赵班长(S9001)" in text
    with desk.session() as s:
        card = lookup.card(s, lookup.id_by_account(s, "3100000001"))
    assert [n.title for n in card.notices] == ["建中街街道计划停水等 1 处"]


async def test_an_area_with_nobody_asks_before_publishing(desk) -> None:
    publish(desk, starts_at=clock.now() + timedelta(hours=1))  # listed first (newest start)
    app = supervisor_app(desk)
    async with app.run_test(size=WIDE) as pilot:
        await _open(pilot)
        await pilot.press("n")
        await settle(pilot)
        _fill(app, areas="不存在区/某街道", cause="检修")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "范围内没有该业务的用户：不存在区/某街道" in visible_text(app)
        await pilot.press("n")  # no: back to the form, nothing written
        await settle(pilot)
        assert "未发布" in visible_text(app) and len(notice_rows(desk)) == 1
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        assert await wait_until(pilot, lambda: len(notice_rows(desk)) == 2)
        await settle(pilot)
        assert "发布，范围内 0 户" in visible_text(app)  # the new notice, selected
        assert app.screen.selected.title == "某街道计划停水"


async def test_revise_and_withdraw_show_in_the_history(desk) -> None:
    nid = publish(desk)
    app = supervisor_app(desk)
    async with app.run_test(size=WIDE) as pilot:
        await _open(pilot)
        assert await wait_until(pilot, lambda: app.screen.selected is not None)
        await pilot.press("e")
        await settle(pilot)
        _fill(app, restore="2026-11-25 16:00", note="抢修延时")
        await pilot.press("ctrl+s")
        assert await wait_until(pilot, lambda: notice_rows(desk)[0][2] == 2)
        await settle(pilot)
        text = visible_text(app)
        assert "r2" in text and "修改" in text and "抢修延时" in text
        assert "预计恢复: 11-25 14:30 → 11-25 16:00" in text
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("enter")  # no reason: said, nothing asked
        await settle(pilot)
        assert "撤销原因不能为空" in visible_text(app)
        app.screen.query_one("#reason", Input).value = "施工取消"
        await pilot.press("enter")
        await settle(pilot)
        assert "撤销后各坐席的客户卡片上立即不再显示" in visible_text(app)
        await pilot.press("y")
        assert await wait_until(pilot, lambda: notice_rows(desk)[0][1] == "withdrawn")
        await settle(pilot)
        assert "没有公告" in visible_text(app)  # gone from the list of those in force
        await pilot.press("a")  # every notice
        await settle(pilot)
        text = visible_text(app)
        assert "已撤销" in text and "施工取消" in text and "r3" in text
    with desk.session() as s:
        assert [e.kind for e in notices.history(s, nid)] == ["publish", "update", "withdraw"]
        assert lookup.card(s, lookup.id_by_account(s, "3100000002")).notices == ()


# --- the KB answer filled in from the caller's notice ----------------------------------------


async def test_outage_answer_in_the_ticket_carries_the_notice(desk) -> None:
    from sqlalchemy import text

    from agentdesk.kb import loader
    from tests.test_ticket_screen import _known_caller_on_card

    loader.ensure_shipped(desk)
    now = clock.now()
    publish(desk, starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(hours=3),
            restore_by=now + timedelta(hours=4), cause="DN300主管改造")
    app = create_app(Config(agent_id="A1001", agent_name="王芳"), db_path=desk.path,
                     fill_demo=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _known_caller_on_card(app, pilot)  # 张三, 二七区/建中街街道: under the notice
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press(*"jhts")  # 计划停水
        await pilot.pause(0.3)
        await settle(pilot)
        assert app.screen.article.id == "water-planned-outage-notice"
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert any("建中街街道计划停水" in n.message for n in app._notifications)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press(*"water.no_water", "enter")
        await settle(pilot)
        app.screen.query_one("#description", TextArea).insert("小区停水，问几点来水")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+n")  # the notice is offered first: a ticket all the same
        assert await wait_until(pilot, lambda: app.screen.created)
        ticket_id = app.screen.created["id"]
    with desk.session() as s:
        [note] = s.connection().execute(text(
            "SELECT note FROM ticket_event WHERE ticket_id = :t AND kind = 'note'"),
            {"t": ticket_id}).scalars().all()
    assert "计划在11-25 09:00至11-25 12:30停水" in note  # the article's placeholders
    assert "预计11-25 13:30恢复供水" in note
    assert "【公告】建中街街道计划停水：11-25 09:00至11-25 12:30；原因：DN300主管改造；" \
           "预计恢复：11-25 13:30" in note
    assert "某时" not in note


def test_only_outage_answers_are_filled_in(desk) -> None:
    from agentdesk.kb import answers, catalog, loader

    loader.ensure_shipped(desk)
    publish(desk)
    with desk.session() as s:
        caller = lookup.id_by_account(s, "3100000002")
        found = lookup.notices_in_force(s, caller, clock.now())
        invoice = catalog.get(s, "power-invoice")
        burst = catalog.get(s, "water-no-water-area")
    assert [n.title for n in found] == ["建中街街道计划停水"]
    assert not answers.is_outage(invoice) and answers.is_outage(burst)
    filled = answers.with_notices(answers.answer_of(burst), found)
    assert filled.text.startswith(burst.answer)  # no placeholder here: a line appended
    assert filled.text.endswith("预计恢复：11-25 14:30")
    assert answers.with_notices(answers.answer_of(burst), ()) == answers.answer_of(burst)


# --- how old a syncing desk's notices are --------------------------------------------------


async def _card_banner(desk, tmp_path, ago: timedelta, central: bool) -> str:  # noqa: ANN001
    from agentdesk.sync import bookkeeping

    publish(desk)
    bookkeeping.record_pull(desk, clock.now() - ago)
    url = f"sqlite:///{tmp_path / 'missing-folder' / 'central.db'}" if central else ""
    app = create_app(Config(agent_id="A1001", agent_name="王芳", central_url=url,
                            sync_interval=60), db_path=desk.path, fill_demo=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_ready(pilot)
        if central:  # the first sync fails: the desk knows its last pull from the file
            assert await wait_until(pilot, lambda: "离线" in app.sync_state, 15)
        await pilot.press(*"3100000002")
        await pilot.pause(0.3)
        await settle(pilot)
        assert await wait_until(pilot, lambda: app.screen.card is not None)
        await settle(pilot)
        card = str(app.screen.query_one("#card").content)  # the whole card, unwrapped
        return next(line for line in card.splitlines() if "⛔" in line)


async def test_a_stale_desk_says_how_old_its_notices_are(desk, tmp_path) -> None:
    banner = await _card_banner(desk, tmp_path, timedelta(minutes=12), central=True)
    assert "建中街街道计划停水" in banner and "（12 分钟前同步）" in banner


async def test_a_fresh_or_standalone_desk_shows_no_age(desk, tmp_path) -> None:
    banner = await _card_banner(desk, tmp_path, timedelta(seconds=90), central=True)
    assert "建中街街道计划停水" in banner and "同步" not in banner


async def test_a_standalone_desk_shows_no_age(desk, tmp_path) -> None:
    banner = await _card_banner(desk, tmp_path, timedelta(hours=3), central=False)
    assert "建中街街道计划停水" in banner and "同步" not in banner


def test_age_wording_and_staleness() -> None:
    from agentdesk.core import i18n
    from agentdesk.sync.schedule import SyncStatus
    from agentdesk.widgets.card import synced_ago

    now = clock.now()
    status = SyncStatus()
    assert status.stale_since(now, 30) is None  # never pulled: nothing to say
    status.pulled_at = now - timedelta(seconds=60)
    assert status.stale_since(now, 30) is None  # two intervals: still fresh
    status.pulled_at = now - timedelta(seconds=61)
    assert status.stale_since(now, 30) == status.pulled_at
    assert synced_ago(now - timedelta(minutes=12), now) == "（12 分钟前同步）"
    assert synced_ago(now - timedelta(hours=5), now) == "（5 小时前同步）"
    i18n.set_lang("en")
    assert synced_ago(now - timedelta(minutes=12), now) == " (as of 12 min ago)"
    assert synced_ago(now - timedelta(days=3), now) == " (as of 3 days ago)"


def test_a_sync_records_its_pull(centre, tmp_path) -> None:
    from agentdesk.sync import bookkeeping, engine
    from tests.sync_helpers import new_desk

    desk = new_desk(tmp_path / "d.db")
    assert bookkeeping.pulled_at(desk) is None
    engine.sync_once(desk, centre, hook=lambda name: None)
    assert bookkeeping.pulled_at(desk) == clock.now()
    desk.dispose()
