"""The queue screen's countdown (issue 6, screen part): it ticks without the database."""

from __future__ import annotations

from datetime import timedelta

from agentdesk import clock
from tests.conftest import settle, visible_text, wait_ready
from tests.test_app import SIZE, desk_app


async def test_countdown_changes_as_the_clock_advances(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert "○ 00:15:00 首次响应" in visible_text(app)
        start = clock.now()
        for minutes, expected in ((8, "◑ 00:07:00"), (13, "⚠ 00:02:00"),
                                  (16, "✖ -00:01:00")):
            clock.freeze(start + timedelta(minutes=minutes))
            app.screen.tick()
            await pilot.pause()
            assert expected in visible_text(app), expected
        assert "已超时 1" in visible_text(app)
