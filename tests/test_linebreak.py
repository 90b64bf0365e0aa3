"""Chinese line breaking (issue 19, item 13): no line starts with 。，、 or a closing mark,
and none ends with an opening one, wherever a break one or two characters earlier avoids
it; no line grows past the width; every screen wraps through the rule."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
from rich._wrap import divide_line
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static

from agentdesk.core.linebreak import MOVES, NO_END, NO_START, kinsoku
from agentdesk.widgets import wrap
from tests.conftest import visible_text


def _lines(text: str, offsets: list[int]) -> list[str]:
    bounds = [0, *offsets, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:])]


def test_a_full_stop_never_starts_a_line() -> None:
    text = "您好我们已安排抢修。预计两小时内恢复供水，请您放心。"
    width = 18  # nine characters: the plain wrap puts 。 at the start of line two
    plain = _lines(text, divide_line(text, width))
    assert plain[1].startswith("。")  # the fault, as Rich has it
    lines = _lines(text, kinsoku(divide_line, text, width))
    assert "".join(lines) == text
    assert not any(line[0] in NO_START for line in lines[1:]), lines
    assert all(cell_len(line) <= width for line in lines)
    assert lines[0] == "您好我们已安排抢" and lines[1].startswith("修。")


def test_an_opening_mark_never_ends_a_line() -> None:
    text = "请联系供电所（电话95598）咨询。"
    lines = _lines(text, kinsoku(divide_line, text, 12))
    assert not any(line[-1] in NO_END for line in lines), lines


CJK = st.sampled_from("停水供电抢修小区南门预计恢复请您放心")
MARK = st.sampled_from("。，、；：？！）》”（《“")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(CJK, CJK, CJK, MARK), min_size=1, max_size=120),
       st.integers(min_value=6, max_value=60))
def test_any_paragraph_keeps_its_text_width_and_rule(chars: list[str], width: int) -> None:
    text = "".join(chars)
    lines = _lines(text, kinsoku(divide_line, text, width))
    assert "".join(lines) == text
    assert all(cell_len(line) <= width for line in lines)
    for before, line in zip(lines, lines[1:]):
        # the rule holds unless three marks in a row leave no place for the break
        if line[0] in NO_START:
            assert (any(c in NO_START | NO_END for c in before[-MOVES - 1:])
                    or len(before) <= MOVES + 1), (before, line)


async def test_every_screen_wraps_by_the_rule() -> None:
    class One(App):
        def compose(self) -> ComposeResult:
            yield Static("您好我们已安排抢修。预计两小时内恢复供水，请您放心。", id="p")

    wrap.install()
    app = One()
    async with app.run_test(size=(18, 6)) as pilot:
        await pilot.pause()
        shown = [line.strip() for line in visible_text(app).splitlines() if line.strip()]
        assert len(shown) >= 3 and not any(line[0] in NO_START for line in shown), shown
        assert any(line.startswith("修。") for line in shown), shown  # pulled down together
    console = Console(width=18, record=True)
    console.print(Text("您好我们已安排抢修。预计两小时内恢复供水，请您放心。"))
    printed = [line for line in console.export_text().splitlines() if line]
    assert not any(line[0] in NO_START for line in printed), printed
