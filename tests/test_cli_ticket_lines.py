"""Issue 19's small list: `ticket list` / `ticket show` print each deadline with its date,
status, priority and category by name in the chosen language, and a list cut at --limit
says so (on stderr, so the lines stay one ticket each)."""

from __future__ import annotations

import re

from agentdesk.cli import main
from agentdesk.core import i18n
from agentdesk.tickets import service as tickets
from agentdesk.tickets.service import Draft

CJK = re.compile(r"[\u4e00-\u9fff]")


def _two_more(desk) -> None:  # noqa: ANN001
    with desk.session() as s:
        for text in ("路面冒水", "水压低"):
            tickets.create(s, Draft(category="water.burst", description=text,
                                    location="花园路口"), "A1001")


def test_list_dates_names_and_says_when_cut(desk, capsys) -> None:  # noqa: ANN001
    _two_more(desk)
    assert main(["ticket", "list", "--limit", "2", "--db", str(desk.path)]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 2
    assert all(re.search(r"\d\d-\d\d \d\d:\d\d", line) for line in lines)  # a date with it
    assert "受理" in lines[0] and "爆管" in lines[0]
    assert err.strip() == i18n.t("ticket.cli.more", n=2)
    assert main(["ticket", "list", "--limit", "5", "--db", str(desk.path)]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 3 and err == ""  # all shown: nothing said


def test_english_lines_carry_no_chinese_label(desk, capsys) -> None:  # noqa: ANN001
    _two_more(desk)
    try:
        assert main(["--lang", "en", "ticket", "list", "--db", str(desk.path)]) == 0
    finally:
        i18n.set_lang("zh")
    out = capsys.readouterr().out
    assert "accepted" in out and "burst" in out.lower()
    assert not CJK.search(out), out  # the owner is a code here: no data in these lines
