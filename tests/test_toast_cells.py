"""Toasts keep their Chinese characters whole over any screen (issue 19, item 9): at 140
columns the lookup screen's card panel starts one cell into the toast's first character,
and Textual's painter split 来 into two blanks (``▌   电 150…``)."""

from __future__ import annotations

import re

import pytest
from textual.content import Content

from agentdesk.widgets.toast import fit_paragraph, straddled
from tests.conftest import settle, wait_ready, wait_until
from tests.layout_scenes import screen_text
from tests.test_app import desk_app

MESSAGE = "来电 150 0000 1111：未知来电"


def test_a_cut_inside_a_wide_character_moves_it_one_cell_on() -> None:
    assert straddled("来电", 80, {81}) == [0]  # 来 on 80-81, cut at 81
    assert straddled("来电", 80, {80, 82, 84}) == []  # cuts between characters
    assert straddled("a来电", 80, {82, 85}) == [1, 2]  # 来 moved to 82-83: 电 on 84-85
    line = fit_paragraph(Content("来电 150"), 80, 57, lambda row: {81})
    assert [c.plain for c in line] == [" 来电 150"]


def test_blanks_that_push_a_full_line_over_wrap_it_on() -> None:
    text = "一二三四五六七八"  # 16 cells in a 16-cell box
    lines = fit_paragraph(Content(text), 10, 16, lambda row: {13} if row == 0 else set())
    assert [c.plain for c in lines] == ["一 二三四五六七", "八"]
    assert all(c.cell_length <= 16 for c in lines)
    words = fit_paragraph(Content("ab 来电 cd"), 0, 6, lambda row: {4})
    assert "".join(c.plain for c in words).replace(" ", "") == "ab来电cd"


@pytest.mark.parametrize("width", [120, 139, 140, 141, 160])
async def test_every_toast_shows_its_first_character(desk, width: int) -> None:  # noqa: ANN001
    app = desk_app(desk)
    async with app.run_test(size=(width, 30), notifications=True) as pilot:
        await wait_ready(pilot)
        await pilot.press(*"13812345678")  # the card's panel under the toast
        assert await wait_until(pilot, lambda: app.screen.card is not None)
        await settle(pilot)
        app.notify(MESSAGE, markup=False)
        app.notify("工单已保存：" + MESSAGE, severity="warning", markup=False)
        assert await wait_until(pilot, lambda: len(app.screen.query("DeskToast")) == 2)
        await settle(pilot)
        rows = screen_text(app).splitlines()
        found = [row for row in rows if "未知来电" in row]
        assert len(found) == 2, "\n".join(rows)
        # read cell by cell: the border, blanks, then 来 whole
        assert re.search(r"▌ +来电 150 0000 1111：未知来电", found[0]), found[0]
        assert re.search(r"▌ +工单已保存：来电 150 0000 1111：未知来电", found[1]), found[1]
