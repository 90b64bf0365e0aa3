"""Snapshot of an opened ticket (issue 17, item 2): the sentence an agent reads aloud on
top (where it is, who has it, the department's answer, when it is expected done) and the
history of every event, ticket text drawn as data. Update with ``--snapshot-update`` after
an intended change and look at the SVG first."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import settle, wait_ready, wait_until
from tests.test_app import SIZE, desk_app


def _lived(desk) -> str:  # noqa: ANN001
    """The first ticket dispatched, noted, given the department's answer."""
    from agentdesk.core import clock
    from agentdesk.tickets import lifecycle, service

    clock.freeze(clock.now())
    with desk.session() as s:
        clock.advance(timedelta(minutes=4))
        service.advance(s, "GD2026112500001", "A1001", "dispatched", note="[red]急[/]",
                        department="供水抢修二队")
        clock.advance(timedelta(minutes=6))
        service.add_note(s, "GD2026112500001", "A1001", "客户说水已漫到楼道")
        ticket = service.get(s, "GD2026112500001")
        clock.advance(timedelta(minutes=3))
        lifecycle.reply(s, "GD2026112500001", "A1001", "[bold]今晚关阀换管[/]",
                        clock.now() + timedelta(hours=5))
        s.commit()
        return ticket.id


def test_ticket_history_layout(snap_compare, desk) -> None:  # noqa: ANN001
    from agentdesk.screens.ticket_detail import TicketDetail

    ticket_id = _lived(desk)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await wait_ready(pilot)
        detail = TicketDetail(ticket_id)
        pilot.app.push_screen(detail)
        assert await wait_until(pilot, lambda: detail.ticket is not None)
        await settle(pilot)

    assert snap_compare(desk_app(desk), terminal_size=SIZE, run_before=run_before)
