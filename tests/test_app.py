"""Pilot tests of the app shell: it starts, every screen opens by its key, the command
palette finds every screen, and the interface follows the language."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import DataTable

from agentdesk.apps.desk import SCREENS
from agentdesk.apps.factory import create_app
from agentdesk.core.config import Config
from tests.conftest import settle, visible_text, wait_ready

SIZE = (120, 40)
KEYS = {"lookup": "f2", "kb": "f3", "ticket": "f4", "queue": "f5"}


def desk_app(desk, lang: str = "zh"):
    return create_app(Config(lang=lang, agent_id="A1001", agent_name="王芳"),
                      db_path=desk.path, fill_demo=False)


async def test_starts_on_lookup_and_every_screen_opens_by_key(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        assert app.current_mode == "lookup"
        for mode in ("kb", "ticket", "queue", "lookup"):
            await pilot.press(KEYS[mode])
            await settle(pilot)
            assert app.current_mode == mode


async def test_command_palette_finds_every_screen(desk) -> None:
    app = desk_app(desk, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        for mode in SCREENS:
            await pilot.press("ctrl+p")
            await pilot.pause()
            assert isinstance(app.screen, CommandPalette)
            await pilot.press(*f"({mode})")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await settle(pilot)
            assert app.current_mode == mode, mode


async def test_lookup_by_phone_shows_result_and_card(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press(*"138 1234 5678")
        await pilot.pause(0.3)
        await settle(pilot)
        assert app.screen.query_one("#results", DataTable).row_count == 1
        card = app.screen.card
        assert card is not None and card.account_no == "3100000001"
        text = visible_text(app)
        assert "吸氧" in text and "独居老人" in text  # vulnerability shown on the card


async def test_card_open_is_audited(desk) -> None:
    from sqlalchemy import text

    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press(*"3100000002")
        await pilot.pause(0.3)
        await settle(pilot)
    with desk.session() as s:
        rows = s.connection().execute(text(
            "SELECT agent_id, action, entity FROM audit_log a JOIN customer c "
            "ON c.id = a.entity_id WHERE c.account_no = '3100000002'")).all()
    assert rows == [("A1001", "read", "customer")]


async def test_interface_follows_language(desk) -> None:
    for lang, words in (("zh", ("查户", "坐席工作台", "户号")),
                        ("en", ("Lookup", "Agent desk", "Account"))):
        app = desk_app(desk, lang=lang)
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot)
            text = visible_text(app)
            for word in words:
                assert word in text, (lang, word)


async def test_unusable_database_is_reported_not_crashed(tmp_path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"garbage" * 500)
    app = create_app(Config(lang="en"), db_path=bad, fill_demo=False)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if "Database unavailable" in app.status:
                break
        assert "damaged" in app.status
        assert app.store is None
        await pilot.press(*"138")  # typing still works; nothing crashes
        await pilot.pause(0.2)
