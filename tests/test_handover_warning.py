"""Handing a ticket to a colleague who is off shift is done, with a warning: they will
not see it until they are back (issue 19, small list)."""

from __future__ import annotations

from sqlalchemy import text

from agentdesk.tickets.lifecycle import off_shift_warning
from tests.conftest import settle, wait_until
from tests.test_app import SIZE, desk_app
from tests.test_form_fixes import _open_detail


def _off_shift(desk, code: str) -> None:  # noqa: ANN001
    from agentdesk.core import agents

    with desk.session() as s:
        agents.ensure(s, code, "李强")  # kept as it is when it exists
        s.connection().execute(text("UPDATE agent SET on_shift = 0 WHERE code = :c"),
                               {"c": code})
        s.commit()


def test_the_warning_names_an_off_shift_agent_only(desk) -> None:  # noqa: ANN001
    with desk.session() as s:
        assert off_shift_warning(s, "A1001") == ""  # on shift
        assert off_shift_warning(s, "NOBODY") == ""
    _off_shift(desk, "A1002")
    with desk.session() as s:
        assert "（A1002）" in off_shift_warning(s, "A1002")
        assert "不在班" in off_shift_warning(s, "A1002")


async def test_a_hand_over_to_an_off_shift_agent_warns(desk) -> None:  # noqa: ANN001
    app = desk_app(desk, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        detail = await _open_detail(app, pilot, desk)  # it adds A1002
        _off_shift(desk, "A1002")
        await pilot.press("h")
        await settle(pilot)
        await pilot.press(*"A1002", "enter", *"going home", "enter")
        assert await wait_until(pilot, lambda: app.screen is detail)
        assert await wait_until(pilot, lambda: any(
            "off shift" in str(n.message) for n in app._notifications), 10)
        assert detail.ticket["owner"] == "A1002"  # done all the same
