"""Articles are read to callers: no raw ticket category code reaches the screen or the
answer Ctrl+Y takes (issue 19, item 13: `water.no_water` on screen)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdesk.tickets import sla, sla_text, taxonomy

ARTICLES = sorted((Path(__file__).parents[1] / "agentdesk" / "kb" / "articles").glob("*.md"))


def test_a_code_is_read_by_its_name_and_an_unknown_word_is_left() -> None:
    text = "有异常：开 water.quality 工单。记为 any.consult 或本类咨询；water.bogus 不变"
    assert sla_text.name_codes(text) == ("有异常：开“水质”工单。记为“一般咨询”或本类咨询；"
                                         "water.bogus 不变")


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.stem)
def test_no_shipped_article_shows_a_category_code_once_filled(path: Path) -> None:
    policy = sla.default_policy()
    shown = sla_text.fill(path.read_text(encoding="utf-8"), policy)
    codes = set(taxonomy.load().categories)
    left = [c for c in codes if c in shown]
    assert left == [], f"{path.name} shows {left}"
