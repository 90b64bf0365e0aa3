"""Issue 19's small list: the call-back's 联系不上 (tries, then closed as unreachable and
counted in no satisfaction figure), archive asks first, the history names who received a
hand-over and reads a call-back by its result (not 回访 → 回访)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text
from textual.widgets import Static

from agentdesk.core import clock
from agentdesk.core.i18n import t
from agentdesk.core.models import Agent
from agentdesk.monitor import kpis, report
from agentdesk.tickets import service as tickets, workflow
from agentdesk.tickets.service import Draft
from tests.conftest import settle, wait_ready, wait_until
from tests.test_app import SIZE, desk_app

WATER = "3100000002"
DAY = date(2026, 11, 25)  # the frozen day (conftest)


def _resolved(desk, description: str = "问水费") -> str:  # noqa: ANN001
    with desk.session() as s:
        water = s.connection().execute(text(
            "SELECT id FROM customer WHERE account_no = :a"), {"a": WATER}).scalar()
        ticket = tickets.create(s, Draft(category="water.billing", description=description,
                                         customer_id=water), "A1001")
        tickets.advance(s, ticket.id, "A1001", "resolved")
        return ticket.id


def test_unreachable_tries_then_closes_and_is_no_answer(desk) -> None:  # noqa: ANN001
    ticket_id = _resolved(desk)
    for attempt in (1, 2):
        with desk.session() as s:
            ticket = tickets.call_back(s, ticket_id, "A1001", workflow.UNREACHABLE,
                                       note=f"第{attempt}次无人接")
            assert ticket.status == "resolved"  # still owed: the clock runs on
            assert tickets.callback_tries(s, ticket) == attempt
        clock.freeze(clock.now() + timedelta(hours=2))
    with desk.session() as s:
        ticket = tickets.call_back(s, ticket_id, "A1001", workflow.UNREACHABLE)
        assert ticket.status == "called_back" and ticket.satisfaction == workflow.UNREACHABLE
        kinds = [k for (k,) in s.connection().execute(text(
            "SELECT kind FROM ticket_event WHERE ticket_id = :t ORDER BY at"),
            {"t": ticket_id}).all()]
    assert kinds[-3:] == ["callback_try", "callback_try", "callback"]
    with desk.session() as s:
        review = kpis.review(s, *report.span(DAY, DAY))
    # no verdict: neither satisfied nor answered (the rate is not pulled down by it)
    assert review.total.tickets == 2
    assert review.total.answered == 0 and review.total.satisfied == 0


def test_tries_count_from_the_last_resolution_and_bad_values_are_refused(desk) -> None:  # noqa: ANN001
    ticket_id = _resolved(desk)
    with desk.session() as s:
        tickets.call_back(s, ticket_id, "A1001", workflow.UNREACHABLE, tries=2)
        ticket = tickets.call_back(s, ticket_id, "A1001", "不满意")  # reached, reopened
        assert ticket.status == "accepted"
    clock.freeze(clock.now() + timedelta(hours=1))
    with desk.session() as s:
        ticket = tickets.advance(s, ticket_id, "A1001", "resolved")
        assert tickets.callback_tries(s, ticket) == 0  # a new resolution, new tries
        ticket = tickets.call_back(s, ticket_id, "A1001", workflow.UNREACHABLE, tries=2)
        assert ticket.status == "resolved"
        try:
            tickets.call_back(s, ticket_id, "A1001", "还行")
        except tickets.TicketError as exc:
            assert workflow.UNREACHABLE in str(exc)
        else:
            raise AssertionError("an unknown verdict was taken")


async def test_detail_unreachable_archive_confirm_and_history(desk) -> None:  # noqa: ANN001
    from agentdesk.screens.ticket_detail import TicketDetail

    ticket_id = _resolved(desk)
    with desk.session() as s:
        s.add(Agent(code="A1002", name="李娜"))
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        detail = TicketDetail(ticket_id)
        app.push_screen(detail)
        assert await wait_until(pilot, lambda: detail.ticket is not None)
        number = detail.ticket["number"]
        await pilot.press("b", "5")  # 联系不上
        await settle(pilot)
        message = str(detail.query_one("#message", Static).render())
        assert message == t("detail.done.callback_try", number=number, n=1, of=3)
        assert detail.ticket["status"] == "resolved"
        history = str(detail.query_one("#events", Static).render())
        assert t("event.callback_try") in history
        await pilot.press("b", "2")  # reached: 满意
        await settle(pilot)
        assert await wait_until(pilot, lambda: detail.ticket["status"] == "called_back")
        history = str(detail.query_one("#events", Static).render())
        assert f"{t('event.callback')} → {t('status.called_back')}" not in history
        assert "满意" in history
        await pilot.press("a")  # archive asks first
        await settle(pilot)
        assert type(app.screen).__name__ == "Confirm"
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is detail and detail.ticket["status"] == "called_back"
        await pilot.press("a", "y")
        await settle(pilot)
        assert await wait_until(pilot, lambda: detail.ticket["status"] == "archived")


async def test_history_names_who_received_a_hand_over(desk) -> None:  # noqa: ANN001
    from agentdesk.screens.ticket_detail import TicketDetail

    with desk.session() as s:
        s.add(Agent(code="A1002", name="李娜"))
    with desk.session() as s:
        ticket_id = tickets.get(s, "GD2026112500001").id
        tickets.hand_over(s, ticket_id, "A1001", "A1002", "下班交接")
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        detail = TicketDetail(ticket_id)
        app.push_screen(detail)
        assert await wait_until(pilot, lambda: detail.ticket is not None)
        await settle(pilot)
        history = str(detail.query_one("#events", Static).render())
        line = next(x for x in history.splitlines() if t("event.handover") in x)
        assert "→ 李娜（A1002）" in line or "→ 李娜 (A1002)" in line, line
        assert "下班交接" in line
