"""The department's answer and its expected fix time on the caller's card, marked once
that time has passed with the ticket unresolved (issue 17, item 6: "the ticket and the
card show it")."""

from __future__ import annotations

from datetime import timedelta

from agentdesk.core import clock
from agentdesk.customers import contacts, lookup
from agentdesk.tickets import lifecycle, service as tickets
from agentdesk.widgets.card import card_text


def test_the_card_shows_the_reply_then_says_it_is_late(desk) -> None:  # noqa: ANN001
    with desk.session() as s:
        ringing = contacts.record_call(s, "13900001111", "A1001")
        customer_id = ringing.customer_ids[0]
        ticket = tickets.create(s, tickets.Draft(category="water.burst", description="冒水",
                                                 customer_id=customer_id), "A1001")
        lifecycle.reply(s, ticket.number, "A1001", "[bold]今晚关阀换管",
                        clock.now() + timedelta(hours=2))
        s.commit()
        shown = card_text(lookup.card(s, customer_id)).plain
    assert "部门答复: [bold]今晚关阀换管" in shown and "修复" in shown
    assert "逾期未复" not in shown
    clock.freeze(clock.now() + timedelta(hours=3))
    with desk.session() as s:
        assert "逾期未复" in card_text(lookup.card(s, customer_id)).plain
