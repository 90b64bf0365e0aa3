"""The ticket form (issue 5): a burst-pipe report from a known caller, counted in keys;
the duplicate offer; the quality gate on screen; markup-safe descriptions."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import text
from textual.widgets import Input, TextArea

from agentdesk.kb.answers import KbAnswer
from tests.conftest import MARKUP_NAME, settle, visible_text, wait_ready, wait_until
from tests.test_app import SIZE, desk_app

DESCRIPTION = "小区门口路面冒水，水很大"


class KeyCounter:
    """Counts the keys an agent presses (typing the description text is not counted)."""

    def __init__(self, pilot) -> None:
        self.pilot = pilot
        self.count = 0

    async def press(self, *keys: str) -> None:
        self.count += len(keys)
        await self.pilot.press(*keys)
        await settle(self.pilot)


async def _known_caller_on_card(app, pilot, number: str = "13900001111") -> None:
    app.pop_call(number)  # screen pop: the caller's card is up before the agent types
    await wait_until(pilot, lambda: getattr(app.screen, "card", None) is not None)
    await settle(pilot)


async def test_burst_report_from_known_caller_in_at_most_8_keys(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _known_caller_on_card(app, pilot)
        keys = KeyCounter(pilot)
        await keys.press("ctrl+n")  # ticket for this caller
        await keys.press("b", "g")  # 爆管 by pinyin initials
        await keys.press("enter")  # take the first match; deadlines show at once
        assert "首次响应" in visible_text(app) and "09:45" in visible_text(app)
        app.screen.query_one("#description", TextArea).insert(DESCRIPTION)  # not counted
        await keys.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.created)
        assert keys.count <= 8, keys.count
        assert keys.count == 5  # the README states this number
        made = app.screen.created
        assert (made["category"], made["priority"], made["owner"]) == (
            "water.burst", "urgent", "A1001")
        assert made["description"] == DESCRIPTION
        assert "已受理" in visible_text(app)
    with desk.session() as s:
        n = s.connection().execute(text(
            "SELECT count(*) FROM ticket t JOIN customer c ON c.id = t.customer_id "
            "WHERE c.account_no = '3100000002'")).scalar()
    assert n == 1


async def test_duplicate_is_offered_and_linked_with_one_key(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _known_caller_on_card(app, pilot, "13812345678")  # has an open burst ticket
        await pilot.press("ctrl+n", "b", "g", "enter")
        await settle(pilot)
        app.screen.query_one("#description", TextArea).insert("又冒水了")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "可能重复" in visible_text(app))
        assert "GD2026112500001" in visible_text(app)
        await pilot.press("ctrl+l")  # link to it: no new dispatch
        await wait_until(pilot, lambda: app.screen.created)
        assert app.screen.created["number"] == "GD2026112500001"
    with desk.session() as s:
        assert s.connection().execute(text("SELECT count(*) FROM ticket")).scalar() == 1
        kinds = s.connection().execute(text("SELECT kind FROM ticket_event")).scalars().all()
    assert "linked_report" in kinds


async def test_quality_gate_message_on_screen_and_nothing_saved(desk) -> None:
    app = desk_app(desk, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _known_caller_on_card(app, pilot)
        await pilot.press("ctrl+n", "ctrl+s")  # no category
        await settle(pilot)
        assert "Choose a category first" in visible_text(app)
        await pilot.press(*"tousu", "enter")  # 投诉 by full pinyin; no party, no text
        await settle(pilot)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "description is empty" in visible_text(app))
        assert "description is empty" in visible_text(app)
    with desk.session() as s:
        assert s.connection().execute(text("SELECT count(*) FROM ticket")).scalar() == 1


async def test_caller_and_description_render_literally(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _known_caller_on_card(app, pilot, "13812345678")
        await pilot.press("ctrl+n")
        await settle(pilot)
        app.screen.query_one("#description", TextArea).insert("[bold]水[/]")
        await settle(pilot)
        text_on_screen = visible_text(app)
        assert MARKUP_NAME in text_on_screen and "[bold]水[/]" in text_on_screen


async def test_hand_over_from_the_form(desk) -> None:
    from agentdesk.core.models import Agent

    with desk.session() as s:
        s.add(Agent(code="A1002", name="李娜"))
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _known_caller_on_card(app, pilot)
        await pilot.press("ctrl+n", "b", "g", "enter")
        await settle(pilot)
        app.screen.query_one("#description", TextArea).insert(DESCRIPTION)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.created)
        await pilot.press("ctrl+o")
        await settle(pilot)
        await pilot.press(*"Z404", "enter", *"jiaoban", "enter")  # unknown agent: refused
        await wait_until(pilot, lambda: "无法转交给未知坐席" in visible_text(app))
        dialog = app.screen  # the refusal is shown in the dialog, which keeps the text
        assert "无法转交给未知坐席" in dialog.refused
        assert dialog.query_one("#reason", Input).value == "jiaoban"
        dialog.query_one("#to", Input).value = "A1002"
        dialog.query_one("#reason", Input).focus()
        form = app.screen_stack[-2]
        await pilot.press("enter")
        await wait_until(pilot, lambda: form.created["owner"] == "A1002")
        assert app.screen is form
        assert form.created["owner"] == "A1002"
        assert form.created["first_responder"] == "A1001"
    with desk.session() as s:
        row = s.connection().execute(text(
            "SELECT note, data FROM ticket_event WHERE kind = 'handover'")).one()
    assert row[0] == "jiaoban" and '"to_owner": "A1002"' in row[1]


async def test_answer_from_the_knowledge_base_goes_on_the_ticket(desk) -> None:
    from agentdesk.kb import loader

    loader.ensure_shipped(desk)
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _known_caller_on_card(app, pilot)
        app.call = replace(app.call, answer=KbAnswer("water-burst-main", "爆管",
                                                     "您好，我们已安排抢修人员赶往现场。"))
        await pilot.press("ctrl+n", "b", "g", "enter")
        await settle(pilot)
        assert "water-burst-main" in visible_text(app)
        app.screen.query_one("#description", TextArea).insert(DESCRIPTION)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.created)
        ticket_id = app.screen.created["id"]
    with desk.session() as s:
        linked = s.connection().execute(text(
            "SELECT article_id FROM ticket_article WHERE ticket_id = :t"), {"t": ticket_id}
        ).scalars().all()
        notes = s.connection().execute(text(
            "SELECT note FROM ticket_event WHERE ticket_id = :t AND kind = 'note'"),
            {"t": ticket_id}).scalars().all()
    assert linked == ["water-burst-main"]
    assert notes and "您好，我们已安排抢修人员赶往现场。" in notes[0]
