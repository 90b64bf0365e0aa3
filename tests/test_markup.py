"""User text is data, never markup: a caller named ``[/]杨[bold]伟`` living in
``1号[red]楼`` shows literally on every screen that shows customers, and nothing crashes."""

from __future__ import annotations

from tests.conftest import MARKUP_BUILDING, MARKUP_NAME, settle, visible_text, wait_ready
from tests.test_app import SIZE, desk_app


async def _find_hostile_caller(pilot) -> None:
    await pilot.press(*"13812345678")
    await pilot.pause(0.3)
    await settle(pilot)


async def test_lookup_results_and_card_show_names_literally(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _find_hostile_caller(pilot)
        text = visible_text(app)
        assert text.count(MARKUP_NAME) >= 2, text  # result row and card
        assert MARKUP_BUILDING in text


async def test_ticket_screen_shows_caller_literally(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _find_hostile_caller(pilot)
        await pilot.press("ctrl+n")  # start a ticket for this caller
        await settle(pilot)
        assert app.current_mode == "ticket"
        assert MARKUP_NAME in visible_text(app)


async def test_queue_shows_caller_literally(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("f5")
        await settle(pilot)
        text = visible_text(app)
        assert MARKUP_NAME in text and "GD2026112500001" in text


async def test_agent_name_in_header_is_literal(desk) -> None:
    from agentdesk.apps.factory import create_app
    from agentdesk.core.config import Config

    app = create_app(Config(agent_id="A[/]1", agent_name="[bold]王[/]"), db_path=desk.path,
                     fill_demo=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        assert "[bold]王[/]（A[/]1）" in visible_text(app)


HOSTILE_SCENARIO = f"""\
title = "[b]演练[/b]"
utility = "water"
start = "2026-10-02T02:00:00+08:00"
hidden = ["[i]隐藏[/i]"]

[caller]
customer = "c"
number = "13812340009"
persona = "[red]来电人[/red]"

[[customer]]
key = "c"
account_no = "3101000009"
name = "{MARKUP_NAME}"
phones = ["13812340009"]
district = "金水区"
building = "{MARKUP_BUILDING}"

[[line]]
text = "[bold]水管[/]爆了"

[[check]]
kind = "lookup"
weight = 10
"""


async def test_training_pane_card_and_scorecard_show_text_literally(tmp_path) -> None:
    from textual.widgets import Input

    from agentdesk.apps.factory import create_app
    from agentdesk.core.config import Config
    from agentdesk.training import scenario as sc
    from agentdesk.training.session import TrainingRun, training_config
    from tests.conftest import wait_until

    path = tmp_path / "hostile.toml"
    path.write_text(HOSTILE_SCENARIO, encoding="utf-8")
    run = TrainingRun(sc.load(path), "[/]小[bold]李", "T1", running_clock=False,
                      workdir=tmp_path / "training")
    run.workdir.mkdir()
    run.prepare()
    app = create_app(training_config(Config(), run), db_path=run.db_path, fill_demo=False,
                     screen_pop=False, training=run)
    async with app.run_test(size=(150, 45)) as pilot:
        await wait_ready(pilot)
        await wait_until(pilot, lambda: getattr(app.screen, "card", None) is not None)
        await settle(pilot)
        text = visible_text(app)
        assert "[bold]水管[/]爆了" in text and MARKUP_NAME in text
        await pilot.press("f7")
        app.screen.query_one("#tr-say", Input).value = "[/]您好[bold]"
        await pilot.press("enter")
        await settle(pilot)
        assert "[/]您好[bold]" in visible_text(app)
        await pilot.press("f8")  # the trainer's card
        await settle(pilot)
        text = visible_text(app)
        assert "[red]来电人[/red]" in text and "[i]隐藏[/i]" in text
        await pilot.press("escape", "f10")
        await wait_until(pilot, lambda: app.scorecard is not None)
        await settle(pilot)
        text = visible_text(app)
        assert f"{MARKUP_NAME}（3101000009）" in text and "[/]小[bold]李" in text
        assert "[b]演练[/b]" in text


async def test_monitor_shows_names_literally(tmp_path) -> None:  # noqa: ANN001
    """The wallboard's breach list and agents tab name the owner (an agent called
    MARKUP_NAME in tests/monitor_data.py)."""
    from tests.monitor_data import build
    from tests.test_monitor_screen import SIZE as MONITOR_SIZE, _ready, monitor_app

    path = tmp_path / "monitor.db"
    build(path)
    app = monitor_app(path)
    async with app.run_test(size=MONITOR_SIZE) as pilot:
        await _ready(pilot)
        assert MARKUP_NAME + "（A1003）" in visible_text(app)
        await pilot.press("2")  # the agents tab
        await settle(pilot)
        assert MARKUP_NAME + "（A1003）" in visible_text(app)


async def test_notices_screen_shows_titles_causes_areas_and_names_literally(desk) -> None:
    """A notice titled ``[/]杨[bold]伟`` over ``…/1号[red]楼``, its cause, note and the
    supervisor's name ``[bold]班长[/]``: literal in the list, the detail and the history."""
    from datetime import timedelta

    from agentdesk.apps.factory import create_app
    from agentdesk.centre import notices
    from agentdesk.core import areas, clock
    from agentdesk.core.config import Config

    now = clock.now()
    who = ("S9001", "[bold]班长[/]", "supervisor")
    with desk.session() as s:
        nid = notices.publish(s, notices.Draft(
            utility="water", kind="fault", title=MARKUP_NAME, cause="[bold]爆管[/]抢修",
            areas=(areas.parse(f"金水区/花园路街道/幸福小区/{MARKUP_BUILDING}"),),
            starts_at=now, ends_at=now + timedelta(hours=2)), *who, now).notice.id
        notices.update(s, nid, *who, now, note="[red]延时[/red]")
    app = create_app(Config(agent_id="S9001", agent_name="[bold]班长[/]", role="supervisor"),
                     db_path=desk.path, fill_demo=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_ready(pilot)
        await pilot.press("f6")
        await settle(pilot)
        text = visible_text(app)
        assert text.count(MARKUP_NAME) >= 2, text  # the list and the detail
        assert MARKUP_BUILDING in text and "[bold]爆管[/]抢修" in text
        assert "[red]延时[/red]" in text and "[bold]班长[/](S9001)" in text
