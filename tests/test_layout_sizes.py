"""Every screen at 80x24 and 200x60, zh and en (issue 19, item 8): usable on the smallest
terminal an agent may have, and using the space of a large one. The scenes (seeded data,
the frozen clock) are in tests/layout_scenes.py; look at them by eye with
``python -m tests.layout_scenes OUTDIR``. Update after an intended change with
``--snapshot-update`` and look at the SVGs under ``tests/__snapshots__`` first.

Beside the pictures, what must never be cut at 80x24 is asserted in words: the header's
counts, the queue's status and deadline, the 督办 list's overdue column."""

from __future__ import annotations

import pytest

from tests.layout_scenes import SCENES, SIZES, screen_text


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("scene", list(SCENES))
def test_layout(snap_compare, tmp_path, scene: str, lang: str, size: str) -> None:  # noqa: ANN001
    app, run_before = SCENES[scene](tmp_path, lang)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


async def _text(tmp_path, scene: str, lang: str, size: str) -> str:  # noqa: ANN001
    app, run_before = SCENES[scene](tmp_path, lang)
    async with app.run_test(size=SIZES[size]) as pilot:
        await run_before(pilot)
        return screen_text(app)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_small_queue_keeps_counts_status_and_deadlines(tmp_path, lang: str) -> None:  # noqa: ANN001
    from agentdesk.core import i18n

    text = await _text(tmp_path, "queue", lang, "80x24")
    lines = text.splitlines()
    i18n.set_lang(lang)
    assert i18n.t("header.breached.short", n=1) in lines[0] or i18n.t(
        "header.breached", n=1) in lines[0]  # the counts stay in the header
    assert "09:30:00" in lines[0]
    row = next(line for line in lines if "GD2026112500001" in line)
    assert i18n.t("status.dispatched") in row and "00:30:00" in row
    header = next(line for line in lines if i18n.t("queue.col.number") in line)
    assert i18n.t("queue.col.status") in header


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_small_monitor_keeps_the_overdue_column(tmp_path, lang: str) -> None:  # noqa: ANN001
    from agentdesk.core import i18n

    text = await _text(tmp_path, "monitor_now", lang, "80x24")
    i18n.set_lang(lang)
    header = next(line for line in text.splitlines() if i18n.t("monitor.col.clock") in line)
    assert i18n.t("monitor.col.overdue") in header and i18n.t("monitor.col.escalated") in header
    assert "00:30" in text


async def test_wide_queue_shows_the_text(tmp_path) -> None:  # noqa: ANN001
    text = await _text(tmp_path, "queue", "zh", "200x60")
    row = next(line for line in text.splitlines() if "GD2026112500002" in line)
    assert "花园路与农业路交叉口主管爆裂" in row
