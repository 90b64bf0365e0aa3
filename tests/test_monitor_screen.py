"""The monitor app: the wallboard on screen, read-only at the storage level (every key
driven, the database file's bytes unchanged), a refresh timer that never overlaps."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from agentdesk.core.config import Config
from tests.conftest import MARKUP_NAME, settle, visible_text, wait_until
from tests.monitor_data import build

SIZE = (160, 60)


@pytest.fixture
def desk_path(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    path = tmp_path / "desk.db"
    return path, build(path)


def monitor_app(path: Path, lang: str = "zh", interval: float = 60.0):  # noqa: ANN201
    from agentdesk.apps.monitor import create_monitor_app

    return create_monitor_app(Config(lang=lang), path, interval=interval)


async def _ready(pilot) -> None:  # noqa: ANN001
    app = pilot.app
    assert await wait_until(pilot, lambda: app.screen.refreshes >= 1
                            and app.screen.reviews >= 1, timeout=10), app.status
    await settle(pilot)


def _digest(path: Path) -> tuple[str, float]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime


async def test_wallboard_shows_the_figures(desk_path) -> None:  # noqa: ANN001
    path, numbers = desk_path
    app = monitor_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)
        text = visible_text(app)
        assert "MONITOR" in text.splitlines()[0]
        assert "未结工单 8 张" in text and "督办（超时）3 张" in text
        for name in ("T3", "T11", "T5"):  # the breach list, most overdue first
            assert numbers[name] in text
        assert text.index(numbers["T3"]) < text.index(numbers["T11"])
        assert MARKUP_NAME + "（A1003）" in text  # a name is data, never markup
        assert "花园路DN300主管爆管" in text and "责任人已下班的未结工单 2 张" in text
        await pilot.press("2")
        await settle(pilot)
        assert "王芳（A1001）" in visible_text(app)  # named as everywhere (agent_label)
        await pilot.press("3")
        await settle(pilot)
        text = visible_text(app)
        assert "类别 × 区域" in text and "停水缺水" in text
        await pilot.press("4")
        await settle(pilot)
        assert "金水区花园路街道幸福小区" in visible_text(app)
        await pilot.press("5")
        await settle(pilot)
        text = visible_text(app)
        assert "首次响应及时率" in text and "50.0%" in text


async def test_header_colour_is_the_monitors_own(desk_path) -> None:  # noqa: ANN001
    from agentdesk.apps.monitor import MONITOR_COLOUR
    from agentdesk.widgets.header import DeskHeader

    app = monitor_app(desk_path[0], lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)
        header = app.screen.query_one(DeskHeader)
        assert header.styles.background.hex.lower() == MONITOR_COLOUR
        assert "MONITOR" in visible_text(app).splitlines()[0]
    from agentdesk.apps.factory import create_app

    desk = create_app(Config(), db_path=desk_path[0], fill_demo=False, screen_pop=False)
    async with desk.run_test(size=SIZE) as pilot:
        await pilot.pause()
        agent_bg = desk.screen.query_one(DeskHeader).styles.background.hex.lower()
        assert agent_bg != MONITOR_COLOUR


async def test_every_key_leaves_the_database_untouched(desk_path) -> None:  # noqa: ANN001
    from agentdesk.apps.monitor import WRITE_KEYS

    path, _ = desk_path
    before = _digest(path)
    files_before = sorted(p.name for p in path.parent.iterdir())
    app = monitor_app(path, interval=0.3)
    notes: list[str] = []
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _ready(pilot)
        app.notify = lambda message, *a, **k: notes.append(str(message))  # type: ignore
        keys = ["r", "a", "a", *"12345", "tab", "shift+tab", "down", "up", "pagedown", "enter",
                "space", "escape", "n", "s", "y", "ctrl+r", *WRITE_KEYS]
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.02)
        await settle(pilot)
        assert notes.count("只读：监控大屏不能修改任何数据") >= len(WRITE_KEYS)
        # issue 19: the drill-down (a 督办 row's ticket, an agent's open tickets and one of
        # them) has no key that writes either
        from textual.widgets import DataTable

        await pilot.press("escape", "escape", "1")
        app.screen.query_one("#duban", DataTable).focus()
        for key in ("enter", *"dorbaphnkugei", *WRITE_KEYS, "escape", "2"):
            await pilot.press(key)
            await pilot.pause(0.02)
        app.screen.query_one("#agents", DataTable).focus()
        for key in ("enter", "enter", *"dorbaphnkugei", *WRITE_KEYS, "escape", "escape"):
            await pilot.press(key)
            await pilot.pause(0.02)
        await settle(pilot)
        # The storage itself refuses writes, whatever code runs in this app.
        with pytest.raises(sqlite3.OperationalError, match="readonly|read-only"):
            conn = app.store.raw()
            try:
                conn.execute("UPDATE agent SET name = 'x'")
            finally:
                conn.close()
        from sqlalchemy.exc import OperationalError

        with pytest.raises(OperationalError):
            with app.store.session() as session:
                session.connection().exec_driver_sql("DELETE FROM ticket")
        await pilot.press("ctrl+q")
    assert _digest(path) == before
    # A WAL reader, even a read-only one, maps the -shm index (and SQLite leaves an empty
    # -wal beside it); no page of data was written anywhere.
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    extra = {p.name for p in path.parent.iterdir()} - set(files_before)
    assert extra <= {wal.name, path.name + "-shm"}


async def test_refreshes_rearm_and_never_overlap(desk_path, monkeypatch) -> None:  # noqa: ANN001
    from agentdesk.monitor import figures as monitor
    from agentdesk.screens import monitor as screen_mod

    running = {"live": 0, "review": 0}
    most = {"live": 0, "review": 0}
    calls = {"live": 0, "review": 0}
    lock = threading.Lock()
    threads: set[str] = set()

    def slowed(kind: str, real):  # noqa: ANN001, ANN202
        def read(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            with lock:
                running[kind] += 1
                calls[kind] += 1
                most[kind] = max(most[kind], running[kind])
                threads.add(threading.current_thread().name)
            try:
                time.sleep(0.15)  # slower than the timers: interval timers would pile up
                return real(*args, **kwargs)
            finally:
                with lock:
                    running[kind] -= 1
        return read

    monkeypatch.setattr(monitor, "live", slowed("live", monitor.live))
    monkeypatch.setattr(monitor, "review", slowed("review", monitor.review))
    monkeypatch.setattr(screen_mod, "REVIEW_EVERY_S", 0.01)
    app = monitor_app(desk_path[0], interval=0.01)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)
        for _ in range(5):
            await pilot.press("r")  # a manual refresh while one runs does not start another
            await pilot.pause(0.03)
        assert await wait_until(pilot, lambda: app.screen.refreshes >= 4
                                and app.screen.reviews >= 4, timeout=10)
    assert most == {"live": 1, "review": 1}, most
    assert threading.main_thread().name not in threads  # read in workers, never the UI thread


async def test_a_missing_database_is_said_plainly(tmp_path: Path) -> None:
    app = monitor_app(tmp_path / "nothing.db", lang="en")
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_until(pilot, lambda: "not found" in app.status, timeout=5)
    assert not (tmp_path / "nothing.db").exists()


def test_cli_refuses_a_missing_database(tmp_path: Path, capsys, english) -> None:  # noqa: ANN001
    from agentdesk import cli

    assert cli.main(["monitor", "--db", str(tmp_path / "none.db")]) == 2
    assert "not found" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


async def test_a_refresh_keeps_the_readers_place(desk_path) -> None:  # noqa: ANN001
    """The wall refreshes every few seconds: the breach list keeps its selected row."""
    from textual.widgets import DataTable

    path, _ = desk_path
    app = monitor_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)
        table = app.screen.query_one("#breaches", DataTable)
        table.focus()
        await pilot.press("down", "down")
        assert table.cursor_row == 2
        done = app.screen.refreshes
        await pilot.press("r")
        assert await wait_until(pilot, lambda: app.screen.refreshes > done)
        await settle(pilot)
        assert table.cursor_row == 2 and table.row_count == 3
