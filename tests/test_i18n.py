from __future__ import annotations

import string

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from agentdesk.core import i18n


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_key_has_both_languages_with_the_same_placeholders() -> None:
    for key, entry in i18n.CATALOG.items():
        assert set(entry) == set(i18n.LANGS), key
        assert all(entry.values()), key
        assert _fields(entry["zh"]) == _fields(entry["en"]), key


def test_switch_language() -> None:
    i18n.set_lang("en")
    assert i18n.t("app.title") == "Agent desk"
    i18n.set_lang("zh")
    assert i18n.t("app.title") == "坐席工作台"
    assert i18n.t("lookup.count", n=3) == "找到 3 户"


def test_cjk_aligns_in_tables() -> None:
    """Chinese characters take two cells: columns still line up."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column()
    table.add_column()
    for name, phone in (("张三", "138"), ("欧阳明月", "139"), ("Li", "150")):
        table.add_row(name, phone)
    console = Console(width=40, record=True, color_system=None)
    console.print(table)
    lines = [line for line in console.export_text().splitlines() if line.strip()]
    starts = {cell_len(line[: line.index("1")]) for line in lines}
    assert len(starts) == 1, lines


def test_shown_shows_control_characters_as_pictures() -> None:
    from agentdesk.core.controls import shown

    assert shown("GD1\x1b[31m\n王[/]") == "GD1\u241b[31m\u240a王[/]"
    assert shown("a\tb\nc\x7f\x9b\u202e", lines=True) == "a\tb\nc\u2421<U+009B><U+202E>"


def test_message_values_are_data_with_controls_shown() -> None:
    from agentdesk.core.i18n import set_lang, t

    set_lang("zh")
    assert t("sync.verify.desk", entity="ticket", row_id="\x1b]0;pwned\x07") == (
        "仅本坐席有：ticket \u241b]0;pwned\u2407")
    assert t("cli.demo.done", customers=1, phones=2, tickets=3, seconds=1.25).endswith("1.2 秒")
