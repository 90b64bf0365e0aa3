"""Every screen of the desk, the monitor and the trainer, set up the same way for the
layout snapshots (tests/test_layout_sizes.py) and for looking at them by eye
(``python -m tests.layout_scenes OUTDIR``): seeded data, the frozen clock of conftest.

A scene is ``build(tmp_path, lang) -> (app, run_before)``; ``run_before(pilot)`` brings
the screen up and leaves it steady (no blinking cursor, every worker done).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.widgets import Input

from tests.conftest import make_busy_desk, settle, wait_ready, wait_until

KNOWN = "13812345678"  # the hostile name, two tags, arrears, an open ticket
UNKNOWN = "18600000000"

RunBefore = Callable[[Any], Awaitable[None]]


def steady(app) -> None:  # noqa: ANN001
    """A blinking cursor is caught on or off at random: draw it steadily."""
    for screen in app.screen_stack:
        for box in screen.query(Input):
            box.cursor_blink = False


async def _steady(pilot) -> None:  # noqa: ANN001
    await settle(pilot)
    steady(pilot.app)
    pilot.app.clear_notifications()  # a toast may or may not have timed out yet
    await pilot.pause()


def _desk(tmp_path: Path, lang: str, supervisor: bool = False):  # noqa: ANN202
    from agentdesk.apps.factory import create_app
    from agentdesk.core.config import Config

    desk = make_busy_desk(tmp_path / "desk.db")
    _live(desk)
    path = desk.path
    desk.dispose()
    if supervisor:
        _notice(path)
        config = Config(lang=lang, agent_id="S9001", agent_name="赵班长", role="supervisor")
    else:
        config = Config(lang=lang, agent_id="A1001", agent_name="王芳")
    return create_app(config, db_path=path, fill_demo=False)


def _live(desk) -> None:  # noqa: ANN001
    """The first ticket dispatched, noted and answered by the department (the detail's
    history and the find lists have something to show)."""
    from agentdesk.core import clock
    from agentdesk.tickets import lifecycle, service

    texts = ("花园路与农业路交叉口主管爆裂，水漫到人行道，车辆绕行", "小区二次供水水箱出水发黄，有异味",
             "整栋楼停电，电梯困人已报119", "幸福小区3栋水表井盖缺失，有老人差点踩空",
             "水压不足，六楼以上放不出水", "路灯杆漏电，雨天有麻感", "楼道水管渗漏，墙面起皮")
    with desk.session() as s:
        for n, words in enumerate(texts, 2):
            s.connection().exec_driver_sql(
                "UPDATE ticket SET description = ? WHERE number = ?",
                (words, f"GD20261125{n:05d}"))
        s.commit()
    start = clock.now()
    clock.freeze(start - timedelta(minutes=13))
    try:
        with desk.session() as s:
            clock.advance(timedelta(minutes=4))
            service.advance(s, "GD2026112500001", "A1001", "dispatched", note="[red]急[/]",
                            department="供水抢修二队")
            clock.advance(timedelta(minutes=6))
            service.add_note(s, "GD2026112500001", "A1001",
                             "客户说水已漫到楼道，楼下商铺也进水了，请尽快到场关阀")
            clock.advance(timedelta(minutes=3))
            lifecycle.reply(s, "GD2026112500001", "A1001", "[bold]今晚关阀换管[/]",
                            clock.now() + timedelta(hours=5))
            s.commit()
    finally:
        clock.unfreeze()


def _notice(path: Path) -> None:
    import uuid

    import uuid_utils

    from agentdesk.centre import notices
    from agentdesk.core import areas, clock
    from agentdesk.sync import outbox

    desk = outbox.open_syncing_desk(path)
    now = clock.now()
    made = iter(range(1, 1000))
    real = uuid_utils.uuid7
    uuid_utils.uuid7 = lambda: uuid.UUID(f"01a00000-0000-7000-8000-{next(made):012d}")
    try:  # the notice's ids are on screen: fixed ones, not random
        with desk.session() as s:
            notices.publish(s, notices.Draft(
                utility="water", kind="planned",
                areas=(areas.parse("二七区/建中街街道"), areas.parse("金水区/花园路街道")),
                starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=4),
                cause="管网改造，更换DN300阀门", restore_by=now + timedelta(hours=5)),
                "S9001", "赵班长", "supervisor", now)
    finally:
        uuid_utils.uuid7 = real
        desk.dispose()


async def _ring(pilot, number: str) -> None:  # noqa: ANN001
    app = pilot.app
    await wait_ready(pilot)
    app.pop_call(number)
    serial = app.call.serial
    assert await wait_until(pilot, lambda: app.call.serial == serial and app.call.recorded,
                            20)
    await settle(pilot)


def lookup_card(tmp_path: Path, lang: str) -> tuple[Any, RunBefore]:
    async def run_before(pilot) -> None:  # noqa: ANN001
        await _ring(pilot, KNOWN)
        assert await wait_until(pilot, lambda: pilot.app.screen.card is not None, 20)
        await _steady(pilot)

    return _desk(tmp_path, lang), run_before


def lookup_unknown(tmp_path: Path, lang: str) -> tuple[Any, RunBefore]:
    async def run_before(pilot) -> None:  # noqa: ANN001
        await _ring(pilot, UNKNOWN)
        await _steady(pilot)

    return _desk(tmp_path, lang), run_before


def kb(tmp_path: Path, lang: str) -> tuple[Any, RunBefore]:
    async def run_before(pilot) -> None:  # noqa: ANN001
        await wait_ready(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press(*"jhts")  # 计划停水
        await pilot.pause(0.3)
        assert await wait_until(pilot, lambda: pilot.app.screen.article is not None, 20)
        await _steady(pilot)

    return _desk(tmp_path, lang), run_before


def ticket_form(tmp_path: Path, lang: str) -> tuple[Any, RunBefore]:
    async def run_before(pilot) -> None:  # noqa: ANN001
        from textual.widgets import TextArea

        await _ring(pilot, KNOWN)
        assert await wait_until(pilot, lambda: pilot.app.screen.card is not None, 20)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("b", "g", "enter")
        await settle(pilot)
        pilot.app.screen.query_one("#description", TextArea).insert(
            "幸福小区1号楼门口路面冒水，水量较大")
        await _steady(pilot)

    return _desk(tmp_path, lang), run_before


def _detail_of(number: str) -> RunBefore:
    async def run_before(pilot) -> None:  # noqa: ANN001
        from agentdesk.screens.ticket_detail import TicketDetail
        from agentdesk.tickets import service

        await wait_ready(pilot)
        with pilot.app.store.session() as s:
            ticket_id = service.get(s, number).id
        detail = TicketDetail(ticket_id)
        pilot.app.push_screen(detail)
        assert await wait_until(pilot, lambda: detail.ticket is not None, 20)
        await _steady(pilot)

    return run_before


def ticket_detail(tmp_path: Path, lang: str) -> tuple[Any, RunBefore]:
    return _desk(tmp_path, lang), _detail_of("GD2026112500001")


def queue(tmp_path: Path, lang: str) -> tuple[Any, RunBefore]:
    async def run_before(pilot) -> None:  # noqa: ANN001
        await wait_ready(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("t", "t")  # all: every clock state, team-mates' and others'
        await settle(pilot)
        assert await wait_until(pilot, lambda: len(pilot.app.screen.rows) >= 7, 20)
        await _steady(pilot)

    return _desk(tmp_path, lang), run_before


def find(tmp_path: Path, lang: str) -> tuple[Any, RunBefore]:
    async def run_before(pilot) -> None:  # noqa: ANN001
        from agentdesk.screens.ticket_search import TicketSearch

        await wait_ready(pilot)
        await pilot.press("f12")
        assert await wait_until(pilot, lambda: isinstance(pilot.app.screen, TicketSearch))
        screen = pilot.app.screen
        await pilot.press(*"GD2026")
        assert await wait_until(pilot, lambda: screen.found is not None
                                and screen.found.query == "GD2026", 20)
        await _steady(pilot)

    return _desk(tmp_path, lang), run_before


def caller_tickets(tmp_path: Path, lang: str) -> tuple[Any, RunBefore]:
    async def run_before(pilot) -> None:  # noqa: ANN001
        from agentdesk.screens.ticket_search import TicketSearch

        await _ring(pilot, KNOWN)
        assert await wait_until(pilot, lambda: pilot.app.screen.card is not None, 20)
        await pilot.press("ctrl+t")
        assert await wait_until(pilot, lambda: isinstance(pilot.app.screen, TicketSearch))
        screen = pilot.app.screen
        assert await wait_until(pilot, lambda: screen.found is not None, 20)
        await _steady(pilot)

    return _desk(tmp_path, lang), run_before


def wrapup(tmp_path: Path, lang: str) -> tuple[Any, RunBefore]:
    async def run_before(pilot) -> None:  # noqa: ANN001
        from agentdesk.screens.wrapup import WrapUpDialog

        await _ring(pilot, KNOWN)
        assert await wait_until(pilot, lambda: pilot.app.screen.card is not None, 20)
        await pilot.press("f8")
        assert await wait_until(pilot, lambda: isinstance(pilot.app.screen, WrapUpDialog))
        await pilot.press("3")  # 已转办: every box shows
        await _steady(pilot)

    return _desk(tmp_path, lang), run_before


def notices(tmp_path: Path, lang: str) -> tuple[Any, RunBefore]:
    async def run_before(pilot) -> None:  # noqa: ANN001
        await wait_ready(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert await wait_until(pilot, lambda: pilot.app.screen.selected is not None, 20)
        await _steady(pilot)

    return _desk(tmp_path, lang, supervisor=True), run_before


def _monitor(tab: str) -> Callable[[Path, str], tuple[Any, RunBefore]]:
    def build(tmp_path: Path, lang: str) -> tuple[Any, RunBefore]:
        from agentdesk.apps.monitor import create_monitor_app
        from agentdesk.core.config import Config
        from agentdesk.screens.monitor import TABS
        from tests.monitor_data import build as build_desk

        path = tmp_path / "desk.db"
        build_desk(path)

        async def run_before(pilot) -> None:  # noqa: ANN001
            app = pilot.app
            assert await wait_until(pilot, lambda: app.screen.refreshes >= 1
                                    and app.screen.reviews >= 1, timeout=20), app.status
            await settle(pilot)
            # The two halves are read in threads: drawn once (the review came first) or
            # twice (redrawn by difference), and a table's header comes out differently
            # in the SVG. One more live read makes it always "redrawn by difference".
            done = app.screen.refreshes
            app.screen.action_refresh_now()
            assert await wait_until(pilot, lambda: app.screen.refreshes > done, timeout=20)
            await settle(pilot)
            await pilot.press(str(TABS.index(tab) + 1))
            await _steady(pilot)
            # the read's duration varies from run to run: drawn as 0 ms
            from rich.text import Text
            from textual.widgets import Static

            from agentdesk.core.i18n import t

            app.screen.query_one("#status", Static).update(Text(t(
                "monitor.updated", time="09:30:00", ms=0)))
            await pilot.pause()

        return create_monitor_app(Config(lang=lang), path, interval=3600.0), run_before

    return build


def training(tmp_path: Path, lang: str) -> tuple[Any, RunBefore]:
    from tests.test_training_screen import _caller_on_card, _training_app, make_desk

    desk_file = tmp_path / "desk.db"
    make_desk(desk_file).dispose()
    app, _run = _training_app("burst-main-night", desk_file, tmp_path / "work", lang=lang)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await _caller_on_card(pilot)
        await pilot.press("f6")  # the trainer gives the caller's first line
        await _steady(pilot)

    return app, run_before


SCENES: dict[str, Callable[[Path, str], tuple[Any, RunBefore]]] = {
    "lookup_card": lookup_card,
    "lookup_unknown": lookup_unknown,
    "kb": kb,
    "ticket_form": ticket_form,
    "ticket_detail": ticket_detail,
    "queue": queue,
    "find": find,
    "caller_tickets": caller_tickets,
    "wrapup": wrapup,
    "notices": notices,
    **{f"monitor_{tab}": _monitor(tab) for tab in ("now", "agents", "mix", "hot", "kpi")},
    "training": training,
}
SIZES = {"80x24": (80, 24), "200x60": (200, 60)}


def screen_text(app) -> str:  # noqa: ANN001
    """The screen as plain text, one line a row (dialogs over the screens below them),
    as the terminal shows it: a wide character followed by nothing for its second cell."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False,
                      safe_box=False)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.export_text()


async def _dump(name: str, lang: str, size: str, out: Path) -> None:
    """Run one scene and write what it shows (text, one line a row) and its SVG."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        app, run_before = SCENES[name](Path(tmp), lang)
        async with app.run_test(size=SIZES[size]) as pilot:
            await run_before(pilot)
            stem = out / f"{name}-{lang}-{size}"
            stem.with_suffix(".txt").write_text(screen_text(app))
            stem.with_suffix(".svg").write_text(app.export_screenshot())


def main(argv: list[str]) -> None:
    """python -m tests.layout_scenes OUTDIR [SCENE ...]: every scene, both languages and
    both sizes, as text and SVG under OUTDIR (to look at by eye)."""
    import asyncio
    import os
    import tempfile

    from agentdesk.core import clock

    from tests.conftest import FROZEN

    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    os.environ["AGENTDESK_NOW"] = FROZEN
    os.environ["AGENTDESK_CONFIG"] = str(out / "no-config.toml")
    os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp()
    os.environ["AGENTDESK_SOCKET"] = tempfile.mkdtemp(prefix="ad-") + "/s"
    clock.set_timezone("Asia/Shanghai")
    wanted = argv[1:] or list(SCENES)
    for name in wanted:
        for lang in ("zh", "en"):
            for size in SIZES:
                try:
                    asyncio.run(_dump(name, lang, size, out))
                except Exception as exc:  # noqa: BLE001 - a look-around tool: go on
                    print(name, lang, size, "FAILED", repr(exc))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
