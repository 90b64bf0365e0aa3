"""The ticket detail screen draws what the ticket view service read (the caller's name as
data, not markup) and offers only the steps the view allows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

from tests.conftest import MARKUP_NAME, settle, wait_ready, wait_until
from tests.test_app import SIZE, desk_app

if TYPE_CHECKING:
    from agentdesk.core.store import Store


async def test_detail_shows_the_view_and_offers_its_steps(desk: Store) -> None:
    from agentdesk.screens.ticket_detail import TicketDetail
    from agentdesk.tickets import service as tickets

    with desk.session() as s:
        ticket_id = tickets.get(s, "GD2026112500001").id
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        detail = TicketDetail(ticket_id)
        app.push_screen(detail)
        assert await wait_until(pilot, lambda: detail.ticket is not None)
        await settle(pilot)
        head = str(detail.query_one("#head", Static).render())
        assert "GD2026112500001" in head and MARKUP_NAME in head
        offered = {step for step in ("dispatch", "on_site", "resolve", "call_back",
                                     "archive", "pause", "hand_over", "note")
                   if detail.check_action("step", (step,))}
        assert offered == {"dispatch", "on_site", "resolve", "pause", "hand_over", "note"}
