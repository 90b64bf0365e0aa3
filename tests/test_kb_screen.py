"""Pilot tests of the knowledge-base screen: search as you type, open an article, put its
answer into the ticket, link it, the review list, and article text shown literally."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import text
from textual.widgets import Markdown, OptionList

from agentdesk.core.i18n import t
from agentdesk.kb import loader
from agentdesk.screens.state import SavedTicket
from tests.conftest import settle, visible_text, wait_ready
from tests.test_app import SIZE, desk_app
from tests.test_kb import article, write

HOSTILE_TITLE = "[/]停水[bold]通知"


async def _open_kb(pilot) -> None:
    await wait_ready(pilot)
    await pilot.press("f3")
    await settle(pilot)


def notes(app) -> list[str]:  # noqa: ANN001
    return [n.message for n in app._notifications]


async def _search(pilot, query: str) -> None:
    await pilot.press(*query)
    await pilot.pause(0.3)
    await settle(pilot)


async def test_type_to_search_then_read_the_article(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await _open_kb(pilot)
        await _search(pilot, "jhts")  # pinyin initials of 计划停水
        screen = app.screen
        results = screen.query_one("#results", OptionList)
        assert results.option_count > 0
        assert screen.hits[0].id == "water-planned-outage-notice"
        assert screen.article is not None and screen.article.id == screen.hits[0].id
        shown = visible_text(app)
        assert "计划停水通知的查询与告知" in shown
        assert "答复口径" in shown  # the Markdown body is on screen
        assert screen.query_one("#article", Markdown).source.startswith("## 答复口径")


async def test_typing_fast_shows_only_the_last_query(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await _open_kb(pilot)
        await pilot.press(*"水表")
        await pilot.press("backspace", "backspace", *"电费发票")
        await pilot.pause(0.3)
        await settle(pilot)
        assert app.screen.hits[0].id == "power-invoice"


async def test_copy_answer_puts_it_on_the_app_for_the_ticket(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await _open_kb(pilot)
        await pilot.press("ctrl+y")  # nothing open yet: a warning, no crash
        await pilot.pause()
        assert getattr(app, "kb_answer", None) is None
        assert t("kb.no_article") in notes(app)
        await _search(pilot, "电费发票")
        await pilot.press("ctrl+y")
        await settle(pilot)
        article_id, answer = app.kb_answer
        assert article_id == "power-invoice"
        assert t("kb.copied", title="电费发票的开具与下载") in notes(app)
        assert answer and "##" not in answer
        assert answer in (loader.SHIPPED_DIR / "power-invoice.md").read_text("utf-8")


async def test_link_without_a_ticket_says_so(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await _open_kb(pilot)
        await _search(pilot, "爆管")
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert t("kb.no_ticket") in notes(app)
    with desk.session() as s:
        assert s.connection().execute(text("SELECT count(*) FROM ticket_article")).scalar() == 0


async def test_link_to_the_open_ticket(desk) -> None:
    with desk.session() as s:
        ticket_id, number = s.connection().execute(text("SELECT id, number FROM ticket")).first()
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await _open_kb(pilot)
        app.call = replace(app.call, ticket=SavedTicket(ticket_id, number))
        await _search(pilot, "爆管")
        opened = app.screen.article.id
        await pilot.press("ctrl+l")
        await settle(pilot)
        # the message names the ticket it linked (issue 19: the agent may have saved two)
        assert notes(app)[-1] == t("kb.linked", title=app.screen.article.title, number=number)
        assert number in notes(app)[-1]
    with desk.session() as s:
        rows = s.connection().execute(text(
            "SELECT ta.article_id, a.code FROM ticket_article ta JOIN agent a "
            "ON a.id = ta.agent_id WHERE ta.ticket_id = :t"), {"t": ticket_id}).all()
    assert rows == [(opened, "A1001")]


async def test_review_list_shows_articles_past_their_date(desk, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    write(folder, "old.md", article("old-rules", "旧的收费口径", reviewed="2025-01-01",
                                    review_days=90))
    loader.import_dir(desk, folder)
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await _open_kb(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert [o.id for o in app.screen.query_one("#results", OptionList).options] == [
            "old-rules"]
        shown = visible_text(app)
        assert "旧的收费口径" in shown and "2025-04-01" in shown
        await pilot.press("ctrl+r")  # back to search
        await settle(pilot)
        assert not app.screen.reviewing


async def test_article_text_is_never_markup(desk, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    body = ("## 答复口径\n\n[bold]停水[/]期间请储水，[red]通知[/]见门口。\n\n"
            "## 处理步骤\n\n1. 核实[link=x]地址[/link]。\n")
    write(folder, "m.md", article("markup", HOSTILE_TITLE, body=body,
                                  synonyms=["[/]停水[bold]通知贴在哪"]))
    loader.import_dir(desk, folder)
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await _open_kb(pilot)
        await _search(pilot, "停水通知贴在哪")
        assert app.screen.hits[0].id == "markup"
        shown = visible_text(app)
        assert shown.count(HOSTILE_TITLE) >= 2, shown  # the result and the article header
        assert "[bold]停水[/]期间请储水" in shown
        assert "[link=x]地址[/link]" in shown
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert app.kb_answer == ("markup", "[bold]停水[/]期间请储水，[red]通知[/]见门口。")


async def test_screen_in_english(desk) -> None:
    app = desk_app(desk, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await _open_kb(pilot)
        shown = visible_text(app)
        assert "Use answer" in shown and "Link to ticket" in shown
        app.screen.query_one("#query").value = "！？😀"
        await pilot.pause(0.3)
        await settle(pilot)
        assert t("kb.error.nothing") in visible_text(app)
