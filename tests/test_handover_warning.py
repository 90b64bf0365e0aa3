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


def test_a_staff_number_is_found_in_any_case(english, desk) -> None:  # noqa: ANN001
    """工号 typed in lower case (a1002) is the agent A1002 (issue 19, small list); two
    agents that differ only in case stay apart."""
    import pytest

    from agentdesk.core import agents
    from agentdesk.tickets import service as tickets

    with desk.session() as s:
        agents.ensure(s, "A1002", "李娜")
        ticket = tickets.create(s, tickets.Draft(category="water.burst", description="冒水",
                                                 location="花园路"), "a1001")
        tickets.hand_over(s, ticket.number, "A1001", "a1002", "换班")
        assert ticket.owner_id == agents.agent_id("A1002")
        agents.ensure(s, "Ab1", "甲")
        agents.ensure(s, "aB1", "乙")
        with pytest.raises(tickets.TicketError, match="unknown agent"):
            tickets.hand_over(s, ticket.number, "a1002", "AB1", "换班")
