"""Role-play on the real screens (issue 8): a whole scenario played right scores 100, played
wrong lists the missed checks with what was done instead; the desk's own database is never
touched and the training database is thrown away."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from textual.widgets import Input, TextArea

from agentdesk.apps.factory import create_app
from agentdesk.core.config import Config
from agentdesk.training import scenario as sc
from agentdesk.training.session import TrainingRun, training_config
from tests.conftest import make_desk, settle, visible_text, wait_ready, wait_until

SIZE = (150, 45)
AGENT = "T0101"


@pytest.fixture
def desk_file(tmp_path: Path) -> Path:
    """The desk's own database, closed: the training session must leave its bytes alone."""
    path = tmp_path / "desk" / "desk.db"
    path.parent.mkdir()
    make_desk(path).dispose()
    return path


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir())}


def _training_app(name: str, desk_file: Path, workdir: Path | None, lang: str = "zh"):
    scenario = sc.load(sc.find(name))
    run = TrainingRun(scenario, "小李", AGENT, running_clock=False, workdir=workdir)
    run.workdir.mkdir(exist_ok=True)
    run.prepare()
    config = Config(lang=lang, agent_id=AGENT, agent_name="小李", db=str(desk_file),
                    central_url="postgresql://central.example/desk")
    app = create_app(training_config(config, run), db_path=run.db_path, fill_demo=False,
                     screen_pop=False, training=run)
    return app, run


async def _say(pilot, line: str) -> None:
    app = pilot.app
    await pilot.press("f7")
    await settle(pilot)
    box = app.screen.query_one("#tr-say", Input)
    assert app.focused is box
    box.value = line
    await pilot.press("enter")
    await settle(pilot)


async def _caller_on_card(pilot) -> None:
    app = pilot.app
    await wait_ready(pilot)
    await wait_until(pilot, lambda: getattr(app.screen, "card", None) is not None)
    await settle(pilot)


async def _ticket(pilot, keys: tuple[str, ...], description: str, saved: bool = True
                  ) -> None:
    app = pilot.app
    await pilot.press("ctrl+n")
    await settle(pilot)
    assert app.current_mode == "ticket"
    await pilot.press(*keys, "enter")
    await settle(pilot)
    app.screen.query_one("#description", TextArea).insert(description)
    await pilot.press("ctrl+s")
    if saved:
        await wait_until(pilot, lambda: getattr(app.screen, "created", None))


async def _finish(pilot):  # noqa: ANN202
    app = pilot.app
    await pilot.press("f10")
    await wait_until(pilot, lambda: app.scorecard is not None)
    await settle(pilot)
    return app.scorecard


async def test_perfect_call_on_the_real_screens_scores_100(desk_file: Path,
                                                            tmp_path: Path) -> None:
    app, run = _training_app("burst-main-night", desk_file, tmp_path / "training")
    async with app.run_test(size=SIZE) as pilot:
        await _caller_on_card(pilot)
        text_now = visible_text(app)
        assert "自来水公司吗" in text_now and "王建国" in text_now  # caller pane and card
        await _say(pilot, f"您好，工号{AGENT}，很高兴为您服务。")
        await pilot.press("f6")  # the trainer: the caller's next line
        await settle(pilot)
        assert "南门" in visible_text(app)
        await _say(pilot, "请问您的户号？现场路面情况怎么样？")
        assert "3101000001" in visible_text(app) and "往下塌" in visible_text(app)
        await pilot.press("f2")
        await settle(pilot)
        await _ticket(pilot, ("b", "g"),
                      "幸福小区南门主干管爆管，路面下沉。到场后请电话联系来电人，回电本机。")
        assert app.screen.created["priority"] == "urgent"
        await pilot.press("f3")  # the knowledge base: find the article, link it
        await settle(pilot)
        app.screen.query_one("#query", Input).value = "爆管"
        await wait_until(pilot, lambda: app.screen.article is not None
                         and app.screen.article.id == "water-burst-main")
        await pilot.press("ctrl+l")
        await settle(pilot)
        await _say(pilot, "抢修人员02:30前到场，到了给您回电。")
        card = await _finish(pilot)
        assert [c.label for c in card.missed] == []
        assert card.score == 100
        shown = visible_text(app)
        assert "100/100" in shown and "通过" in shown
        assert "02:00:00 打开客户卡 王建国（3101000001）" in shown  # evidence, with the time
        assert "GD2026100200001" in shown
        await pilot.press("enter")  # closes the scorecard and ends the session
        await settle(pilot)
    saved_json, saved_md = run.saved
    data = json.loads(saved_json.read_text(encoding="utf-8"))
    assert data["score"] == 100 and data["trainee"] == "小李"
    assert data["started_at"].startswith("2026-10-02T02:00:00")
    evidence = {c["id"]: c["evidence"] for c in data["checks"]}
    assert evidence["kb"][0]["action"].startswith("文章 water-burst-main")
    assert "100/100" in saved_md.read_text(encoding="utf-8")
    assert saved_json.parent == tmp_path / "xdg-data" / "agentdesk" / "training"


async def test_wrong_call_lists_the_missed_checks(desk_file: Path, tmp_path: Path) -> None:
    app, run = _training_app("burst-main-night", desk_file, tmp_path / "training",
                              lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await _caller_on_card(pilot)
        await _say(pilot, "喂，说吧。")  # no staff number
        await pilot.press("f2")
        await settle(pilot)
        await _ticket(pilot, ("b", "x", "l", "g"), "漏水")  # 表箱/立管漏水: wrong category
        await _say(pilot, "这个没办法，明天再说。")  # a red line: the caller gets angry
        assert "我要投诉" in visible_text(app)  # (你！ wraps to the next line together)
        card = await _finish(pilot)
        shown = visible_text(app)
    assert card.score == 15 and not card.passed  # only the right customer was looked up
    missed = {c.id for c in card.missed}
    assert missed == {"greet", "category", "kb", "promise", "callback", "red-lines"}
    assert "Score 15/100" in shown and "FAIL" in shown
    for label in ("Greeted the caller with the staff number",
                  "Opened the right category and priority",
                  "Told the caller the promised time", "No forbidden phrase"):
        assert label in shown, label
    assert "said: 喂，说吧。" in shown  # the evidence of what was done instead
    assert "Meter box / riser leak" in shown


async def test_training_never_touches_the_desk_database(desk_file: Path,
                                                        tmp_path: Path) -> None:
    before = _digest(desk_file.parent)
    app, run = _training_app("planned-outage", desk_file, None)  # its own temp folder
    assert run.db_path != desk_file and app.options.db_path == run.db_path
    assert app.options.config.central_url == ""  # never synced
    assert app.options.screen_pop is False  # never takes the desk's real calls
    async with app.run_test(size=SIZE) as pilot:
        await _caller_on_card(pilot)
        assert getattr(app, "desk_sync", None) is None  # no sync runner started
        await _say(pilot, f"您好，工号{AGENT}。")
        await _ticket(pilot, ("t", "s", "q", "s"), "家里没水", saved=False)  # 停水缺水: the notice offered
        await wait_until(pilot, lambda: "龙子湖街道管网改造" in visible_text(app))
        await pilot.press("ctrl+l")  # tell the caller about the notice: no repair opened
        await settle(pilot)
        card = await _finish(pilot)
        await pilot.press("enter")
        await settle(pilot)
    assert card.scenario == "planned-outage"
    assert {c.id for c in card.checks if c.met} >= {"greet", "caller", "notice", "no-repair"}
    assert _digest(desk_file.parent) == before
    from agentdesk.core import store

    training = store.open_desk(run.db_path)
    try:
        with training.session() as s:
            said = s.connection().execute(text(
                "SELECT detail FROM audit_log WHERE action = 'say'")).scalars().all()
    finally:
        training.dispose()
    assert said == [f"您好，工号{AGENT}。"]
    desk = store.open_desk(desk_file)
    try:
        with desk.session() as s:
            assert s.connection().execute(text(
                "SELECT count(*) FROM audit_log WHERE action = 'say'")).scalar() == 0
    finally:
        desk.dispose()
    run.cleanup()
    assert not run.db_path.exists()


async def test_auto_play_reveals_lines_and_waits_for_questions(desk_file: Path,
                                                               tmp_path: Path) -> None:
    scenario = sc.load(sc.find("planned-outage"))
    run = TrainingRun(scenario, "小李", AGENT, auto=True, running_clock=False,
                      workdir=tmp_path / "training")
    run.workdir.mkdir()
    run.prepare()
    app = create_app(training_config(Config(agent_id=AGENT), run), db_path=run.db_path,
                     fill_demo=False, screen_pop=False, training=run)
    async with app.run_test(size=SIZE) as pilot:
        await _caller_on_card(pilot)
        assert "自动播放" in visible_text(app)
        app._auto_line()  # what the --auto timer calls
        await settle(pilot)
        assert "几点能来水" in visible_text(app)  # the next line that waits for no question
        app._auto_line()
        await settle(pilot)
        assert [s.who for s in run.transcript] == ["caller", "caller"]  # the rest: asked
        assert run.pending() == 1
        await _say(pilot, "请问您的住址？")
        assert "湖光苑9栋" in visible_text(app) and run.pending() == 0


async def test_f6_says_why_no_line_came(desk_file: Path, tmp_path: Path) -> None:
    """Issue 19: F6 with only held-back lines left said nothing useful: it says how many
    lines wait for a question, and when none are left, that the caller has said all."""
    from agentdesk.core.i18n import t

    app, run = _training_app("burst-main-night", desk_file, tmp_path / "training")
    async with app.run_test(size=SIZE) as pilot:
        await _caller_on_card(pilot)
        while run.next_line() is not None:  # everything the caller volunteers
            pass
        held = run.pending()
        assert held > 0  # this scenario keeps lines until asked
        await pilot.press("f6")
        await settle(pilot)
        said = [n.message for n in app._notifications]
        assert said[-1] == t("training.pane.nothing", n=held) and str(held) in said[-1]
        run.revealed.update(range(len(run.scenario.lines)))
        await pilot.press("f6")
        await settle(pilot)
        assert [n.message for n in app._notifications][-1] == t("training.pane.all_said")
