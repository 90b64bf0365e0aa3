"""Pilot tests of the lookup screen (issue 3): search as you type, keys, stale results,
bad input on screen, and the ticket key from the card."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from agentdesk.customers.lookup import Match
from tests.conftest import settle, visible_text, wait_ready
from tests.test_app import SIZE, desk_app


async def _type(pilot, text: str) -> None:
    await pilot.press(*text)
    await pilot.pause(0.3)  # past the debounce
    await settle(pilot)


async def test_type_pinyin_choose_with_keys_and_open_ticket(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _type(pilot, "zs")
        table = app.screen.query_one("#results", DataTable)
        assert table.row_count == 1
        await pilot.press("enter")  # from the box to the results
        await settle(pilot)
        assert app.focused is table
        assert app.screen.card.name == "张三"
        assert "拼音" in visible_text(app)  # says what matched
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.current_mode == "ticket"
        assert app.current_customer.account_no == "3100000002"
        assert "张三" in visible_text(app)


async def test_ctrl_f_returns_to_the_box_and_a_new_search_replaces_results(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _type(pilot, "310000")
        table = app.screen.query_one("#results", DataTable)
        assert table.row_count == 2
        await pilot.press("enter", "down")
        await settle(pilot)
        assert app.screen.card.account_no == "3100000002"
        await pilot.press("ctrl+f")
        assert isinstance(app.focused, Input)
        await pilot.press("ctrl+a", "backspace")  # clear the box (select all, delete)
        app.screen.query_one("#query", Input).value = ""
        await _type(pilot, "李四")
        assert table.row_count == 1


async def test_stale_results_never_overwrite_newer_ones(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _type(pilot, "张三")
        screen = app.screen
        stale = Match("x", "9999999999", "过期结果", (), "", "water", "name", 1)
        screen._show_results(screen._seq - 1, [stale], "")  # an older search finishing late
        await pilot.pause()
        table = screen.query_one("#results", DataTable)
        assert table.row_count == 1 and "过期结果" not in visible_text(app)


async def test_bad_input_on_screen_gets_a_message_not_a_crash(desk) -> None:
    app = desk_app(desk, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        box = app.screen.query_one("#query", Input)
        box.value = "x" * 10_000
        await pilot.pause(0.3)
        await settle(pilot)
        status = app.screen.query_one("#status", Static)
        assert "too long" in str(status.render())
        for hostile in ("'; DROP TABLE customer; --", "%_%", "😀", "[/]", "\x1b[31m"):
            box.value = hostile
            await pilot.pause(0.3)
            await settle(pilot)
        assert app.screen.query_one("#results", DataTable).row_count == 0
        box.value = "13812345678"
        await pilot.pause(0.3)
        await settle(pilot)
        assert app.screen.query_one("#results", DataTable).row_count == 1
