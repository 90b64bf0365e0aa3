"""F8 then a digit: the call is wrapped up; a transfer asks where to, the reference and
why, and keeps what was typed when refused; the card's call history shows how each call
ended (issue 19, what an agent misses)."""

from __future__ import annotations

from sqlalchemy import text

from agentdesk.screens.wrapup import WrapUpDialog
from tests.conftest import settle, visible_text, wait_ready, wait_until
from tests.test_app import SIZE, desk_app
from tests.test_form_fixes import B_NUMBER, _ring


def _outcome(desk, contact_id: str) -> tuple:  # noqa: ANN001
    with desk.session() as s:
        return tuple(s.connection().execute(text(
            "SELECT outcome, transfer_to, transfer_ref, note FROM contact WHERE id = :i"),
            {"i": contact_id}).one())


async def test_f8_and_a_digit_wrap_up_the_call(desk) -> None:  # noqa: ANN001
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _ring(app, pilot, B_NUMBER)
        contact_id = app.call.contact_id
        await pilot.press("f8", "1")  # 咨询已解答
        assert await wait_until(pilot, lambda: _outcome(desk, contact_id)[0] == "answered",
                                20)
        await settle(pilot)
        assert not isinstance(app.screen, WrapUpDialog)
        # the card's history says how the call ended
        assert await wait_until(pilot, lambda: app.screen.card is not None, 20)
        app.screen.show_customer(app.screen.card.customer_id)
        assert await wait_until(pilot, lambda: "咨询已解答" in visible_text(app), 20)


async def test_a_transfer_keeps_the_typing_until_it_is_complete(desk) -> None:  # noqa: ANN001
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _ring(app, pilot, B_NUMBER)
        contact_id = app.call.contact_id
        await pilot.press("f8", "3")  # 已转办: the boxes, not a save
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, WrapUpDialog) and dialog.code == "transferred"
        await pilot.press(*"12345")  # typed into the box: digits are not codes here
        await pilot.press("enter")  # no reference, no reason: refused, kept
        assert await wait_until(pilot, lambda: dialog.refused != "")
        assert dialog.query_one("#to").value == "12345"
        assert _outcome(desk, contact_id)[0] == ""
        dialog.query_one("#ref").value = "ZB-0042"
        dialog.query_one("#note").value = "燃气泄漏，转12345"
        dialog.query_one("#note").focus()
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: _outcome(desk, contact_id)[0] == "transferred")
        assert _outcome(desk, contact_id)[1:] == ("12345", "ZB-0042", "燃气泄漏，转12345")


async def test_f8_without_a_call_says_so(desk) -> None:  # noqa: ANN001
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("f8")
        await settle(pilot)
        assert not isinstance(app.screen, WrapUpDialog)
        assert any("没有可小结的来电" in str(n.message) for n in app._notifications)


async def test_an_unknown_callers_details_are_kept_on_the_call(desk) -> None:  # noqa: ANN001
    from agentdesk.screens.wrapup import CallerDetails
    from tests.test_form_fixes import UNKNOWN

    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _ring(app, pilot, UNKNOWN)
        assert await wait_until(pilot, lambda: app.screen.unknown_call == app.call.serial)
        contact_id = app.call.contact_id
        await pilot.press("ctrl+d")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CallerDetails)
        await pilot.press(*"[bold]王先生")
        dialog.query_one("#callback").value = "12"  # not a number: refused, typing kept
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: dialog.refused != "")
        assert dialog.query_one("#name").value == "[bold]王先生"
        dialog.query_one("#callback").value = "139 0000 1111"
        dialog.query_one("#callback").focus()
        await pilot.press("enter")

        def kept() -> tuple:
            with desk.session() as s:
                return tuple(s.connection().execute(text(
                    "SELECT caller_name, callback_number FROM contact WHERE id = :i"),
                    {"i": contact_id}).one())
        assert await wait_until(pilot, lambda: kept() == ("[bold]王先生", "+8613900001111"))
