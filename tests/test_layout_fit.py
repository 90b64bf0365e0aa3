"""The queue's column widths and the header's fitting (issue 19, item 8), without a
screen: the status and the deadline never shrink, the counts and the time never go."""

from __future__ import annotations

import pytest

from agentdesk.core import i18n
from agentdesk.tickets.queue import Counts
from agentdesk.widgets.header import HeaderState, header_line
from agentdesk.widgets.queue_table import Column, widths

COLUMNS = [Column("number", "", 15), Column("caller", "", 14, least=6, squeeze=2),
           Column("category", "", 12, least=6, share=1, most=20, squeeze=3),
           Column("priority", "", 4), Column("due", "", 20, least=16, squeeze=4),
           Column("owner", "", 8, least=6, squeeze=1), Column("status", "", 4),
           Column("text", "", 0, share=4)]


def test_a_short_line_squeezes_the_flexible_columns_and_leaves_out_the_text() -> None:
    got = widths(COLUMNS, 76)
    assert got[0] == 15 and got[3] == 4 and got[6] == 4  # fixed
    assert got[7] == 0  # no text
    assert sum(w + 1 for w in got if w) <= 76
    assert got[2] >= 6 and got[1] >= 6


def test_a_long_line_gives_the_rest_to_the_category_and_the_text() -> None:
    got = widths(COLUMNS, 198)
    assert got[2] == 20  # the category grows to its most, no further
    assert got[7] > 60  # the text takes the rest
    assert sum(w + 1 for w in got) <= 198
    assert got[4] == 20 and got[6] == 4


def test_the_scrollbar_never_eats_the_status() -> None:
    for total in range(64, 130):  # 64: every column at its least, the text left out
        got = widths(COLUMNS, total)
        assert got[6] == 4 and got[4] >= 16
        assert sum(w + 1 for w in got if w) <= total, total


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("width", [60, 80, 100, 200])
def test_the_header_keeps_counts_and_time(lang: str, width: int) -> None:
    i18n.set_lang(lang)
    state = HeaderState("坐席工作台", "王芳（A1001）", "desk.db", "未配置中心库",
                        counts=Counts(open=6, soon=2, breached=1))
    line = header_line(state, width)
    assert line.cell_len == width
    assert "09:30:00" in line.plain
    for number in ("6", "2", "1"):
        assert number in line.plain.split("09:30:00")[0].split("坐席工作台")[1]
    short = i18n.t("header.breached.short", n=1)
    assert short in line.plain or i18n.t("header.breached", n=1) in line.plain
    if width >= 200:
        assert "desk.db" in line.plain and "2026-11-25" in line.plain
