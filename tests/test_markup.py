"""User text is data, never markup: a caller named ``[/]杨[bold]伟`` living in
``1号[red]楼`` shows literally on every screen that shows customers, and nothing crashes."""

from __future__ import annotations

from tests.conftest import MARKUP_BUILDING, MARKUP_NAME, settle, visible_text, wait_ready
from tests.test_app import SIZE, desk_app


async def _find_hostile_caller(pilot) -> None:
    await pilot.press(*"13812345678")
    await pilot.pause(0.3)
    await settle(pilot)


async def test_lookup_results_and_card_show_names_literally(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _find_hostile_caller(pilot)
        text = visible_text(app)
        assert text.count(MARKUP_NAME) >= 2, text  # result row and card
        assert MARKUP_BUILDING in text


async def test_ticket_screen_shows_caller_literally(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _find_hostile_caller(pilot)
        await pilot.press("ctrl+n")  # start a ticket for this caller
        await settle(pilot)
        assert app.current_mode == "ticket"
        assert MARKUP_NAME in visible_text(app)


async def test_queue_shows_caller_literally(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("f5")
        await settle(pilot)
        text = visible_text(app)
        assert MARKUP_NAME in text and "GD2026112500001" in text


async def test_agent_name_in_header_is_literal(desk) -> None:
    from agentdesk.app import create_app
    from agentdesk.config import Config

    app = create_app(Config(agent_id="A[/]1", agent_name="[bold]王[/]"), db_path=desk.path,
                     fill_demo=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        assert "[bold]王[/](A[/]1)" in visible_text(app)
