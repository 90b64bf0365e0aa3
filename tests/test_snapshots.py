"""Snapshot tests of the main layout (pytest-textual-snapshot), zh-CN and en, 120x40.

Update after an intended change with ``pytest tests/test_snapshots.py --snapshot-update``
and look at the SVGs under ``tests/__snapshots__`` before committing them.
"""

from __future__ import annotations

import pytest

from textual.widgets import Input

from tests.conftest import settle, wait_ready
from tests.test_app import SIZE, desk_app


def _steady_cursor(app) -> None:
    # A blinking cursor is caught on or off at random: draw it steadily in snapshots.
    for box in app.screen.query(Input):
        box.cursor_blink = False


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_lookup_layout(snap_compare, desk, lang: str) -> None:
    async def run_before(pilot) -> None:
        await wait_ready(pilot)
        _steady_cursor(pilot.app)
        await pilot.press(*"13812345678")
        await pilot.pause(0.3)
        await settle(pilot)

    assert snap_compare(desk_app(desk, lang), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_queue_layout(snap_compare, busy_desk, lang: str) -> None:
    """Every clock state on one screen: breached, 80 %, half used, on time, paused."""

    async def run_before(pilot) -> None:
        await wait_ready(pilot)
        await pilot.press("f5")
        await settle(pilot)
        _steady_cursor(pilot.app)

    assert snap_compare(desk_app(busy_desk, lang), terminal_size=SIZE,
                        run_before=run_before)


def test_training_layout(snap_compare, tmp_path) -> None:  # noqa: ANN001
    """The role-play desk: the ordinary lookup screen with the caller's card popped, and
    the caller pane with the first line (the scenario clock is frozen at 02:00)."""
    from tests.test_training_screen import _caller_on_card, _training_app, make_desk

    desk_file = tmp_path / "desk.db"
    make_desk(desk_file).dispose()
    app, _run = _training_app("burst-main-night", desk_file, tmp_path / "work")

    async def run_before(pilot) -> None:  # noqa: ANN001
        await _caller_on_card(pilot)
        await pilot.press("f6")  # the trainer gives the caller's first line
        await settle(pilot)
        _steady_cursor(pilot.app)

    assert snap_compare(app, terminal_size=(150, 45), run_before=run_before)
