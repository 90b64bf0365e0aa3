"""One name for an agent everywhere (issue 19, item 11): the header said 值班坐席(A1001)
from the config while the card said 王晓燕 from the agents table."""

from __future__ import annotations

from agentdesk.apps.factory import create_app
from agentdesk.core import agents, i18n
from agentdesk.core.config import Config
from tests.conftest import wait_ready
from tests.test_app import SIZE


async def test_the_header_names_the_agent_as_the_agents_table_does(desk) -> None:  # noqa: ANN001
    with desk.session() as s:
        agents.ensure(s, "A2002", "王晓燕")
        s.commit()
    app = create_app(Config(lang="zh", agent_id="A2002"), db_path=desk.path, fill_demo=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        assert app.agent_label == "王晓燕（A2002）" and app.agent_name == "王晓燕"


def test_the_label_in_each_language() -> None:
    i18n.set_lang("en")
    try:
        assert i18n.agent_label("王芳", "A1001") == "王芳 (A1001)"
        assert i18n.agent_label("", "A1001") == "A1001"
    finally:
        i18n.set_lang("zh")
    assert i18n.agent_label("王芳", "A1001") == "王芳（A1001）"
