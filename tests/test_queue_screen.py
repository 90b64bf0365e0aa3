"""The queue screen (issue 6): countdowns tick without the database, the list re-sorts
when a ticket moves on, filters and scopes, the ticket opens with its workflow keys, and
the header counts my tickets."""

from __future__ import annotations

from datetime import timedelta

from agentdesk.core import clock
from tests.conftest import settle, visible_text, wait_ready, wait_until
from tests.test_app import SIZE, desk_app


def numbers(app) -> list[str]:  # noqa: ANN001
    return [r.number[-2:] for r in app.screen.rows]


async def open_queue(pilot) -> None:  # noqa: ANN001
    await wait_ready(pilot)
    await pilot.press("f5")
    await settle(pilot)


async def test_countdown_changes_as_the_clock_advances(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        assert "○ 00:15:00 首次响应" in visible_text(app)
        start = clock.now()
        for minutes, expected in ((8, "◑ 00:07:00"), (13, "⚠ 00:02:00"),
                                  (16, "✖ -00:01:00")):
            clock.freeze(start + timedelta(minutes=minutes))
            app.screen.tick()
            await pilot.pause()
            assert expected in visible_text(app), expected
        assert "已超时 1" in visible_text(app)
        assert "超时 1" in app.screen.query_one("DeskHeader").render().plain


async def test_sorted_by_time_left_with_symbols_for_every_state(busy_desk) -> None:
    app = desk_app(busy_desk)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        # breached first, then 80 %, then half used ...; the paused one by its deadline
        assert numbers(app) == ["02", "03", "04", "01", "06", "05"]
        text = visible_text(app)
        for symbol in ("✖ -00:05:00", "⚠ 00:02:30", "◑ 00:06:00", "○ 00:15:00", "‖"):
            assert symbol in text, symbol
        header = app.screen.query_one("DeskHeader").render().plain
        assert "我的 6 · 15 分钟内 3 · 超时 1" in header


async def test_list_resorts_when_a_ticket_is_resolved(busy_desk) -> None:
    app = desk_app(busy_desk)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        assert numbers(app)[0] == "02"
        await pilot.press("enter")  # open the most urgent ticket
        assert await wait_until(pilot, lambda: "GD2026112500002" in visible_text(app)
                                and "回单" in visible_text(app))
        await pilot.press("r")  # 回单
        await pilot.pause()
        await pilot.press(*"已关阀抢修", "enter")
        assert await wait_until(pilot, lambda: "已回单" in visible_text(app))
        await pilot.press("escape")
        # resolved: its running clock is now the 24 h call-back, so it goes down the list
        assert await wait_until(pilot, lambda: numbers(app)[0] == "03")
        assert numbers(app)[-1] == "02"
        assert app.screen.rows[-1].status == "resolved"
        table = app.screen.query_one("#tickets")
        assert table.current_row.number.endswith("02")  # the selection follows the ticket
        assert table.cursor in table.visible_range()
        assert "回访" in visible_text(app)


async def test_filters_and_scopes(busy_desk) -> None:
    app = desk_app(busy_desk)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await pilot.press("x")  # breached only
        assert numbers(app) == ["02"]
        await pilot.press("x", "u")  # water
        assert set(numbers(app)) == {"02", "03", "01", "05", "06"}
        await pilot.press("u")  # power
        assert numbers(app) == ["04"]
        await pilot.press("u", "p", "p")  # any utility; important
        assert set(numbers(app)) == {"05", "06"}
        await pilot.press("p", "p", "k")  # any priority; first response clock
        assert set(numbers(app)) == {"01", "02", "03", "04", "06"}
        await pilot.press("c")
        await pilot.press("slash", *"sz")  # 水质 by pinyin initials
        assert set(numbers(app)) == {"05", "06"}
        await pilot.press("enter", "c")  # back to the list; clear
        assert len(numbers(app)) == 6
        await pilot.press("t")  # team: my team-mate's ticket too, with its owner
        assert await wait_until(pilot, lambda: "07" in numbers(app))
        assert "08" not in numbers(app) and "李娜" in visible_text(app)
        await pilot.press("t")  # all
        assert await wait_until(pilot, lambda: "08" in numbers(app))
        assert numbers(app)[0] == "08"  # the oldest breach of the centre leads
        await pilot.press("t")
        assert await wait_until(pilot, lambda: len(numbers(app)) == 6)


async def test_an_empty_filter_says_so(busy_desk) -> None:
    app = desk_app(busy_desk)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await pilot.press("slash", *"zzzz")
        assert numbers(app) == []
        assert "没有符合条件的未结工单" in visible_text(app)


async def test_workflow_keys_follow_the_status(busy_desk) -> None:
    app = desk_app(busy_desk)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await pilot.press("down", "enter")  # GD...03
        assert await wait_until(pilot, lambda: "GD2026112500003" in visible_text(app))
        footer = visible_text(app).splitlines()[-1]
        assert "派单" in footer and "回访" not in footer and "归档" not in footer
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("enter")  # an empty department is refused, nothing changes
        assert await wait_until(pilot, lambda: "部门为空" in visible_text(app))
        # the dialog stays up with the refusal; the department is picked from the list by
        # its pinyin initials (issue 19)
        await pilot.press(*"gwqxyd", "enter")
        assert await wait_until(pilot, lambda: "已派单" in visible_text(app))
        assert "管网抢修一队" in visible_text(app)
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one("#answer").value = "[bold]客户[/]在家"  # user text, not markup
        await pilot.press("enter")
        ok = await wait_until(pilot, lambda: "[bold]客户[/]在家" in visible_text(app))
        assert ok, visible_text(app)
        await pilot.press("escape")
        assert await wait_until(
            pilot, lambda: next(r for r in app.screen.rows
                                if r.number.endswith("03")).status == "dispatched")


async def test_call_back_unsatisfied_reopens_from_the_queue(busy_desk) -> None:
    app = desk_app(busy_desk)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await pilot.press("enter", "r")
        await pilot.pause()
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: "已回单" in visible_text(app))
        await pilot.press("b")
        await pilot.pause()
        await pilot.press("4")  # 不满意
        assert await wait_until(pilot, lambda: "重新处理" in visible_text(app))
        await pilot.press("escape")
        assert await wait_until(
            pilot, lambda: next(r for r in app.screen.rows
                                if r.number.endswith("02")).status == "accepted")
