"""One truth for time limits (issue 17, item 7): every time limit a shipped KB article states
is a placeholder filled from the SLA policy in force, on the KB screen and when Ctrl+Y takes
the answer; a key customer's fault ticket gets the key-customer clocks the policy gives and
the article says."""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from textual.widgets import Markdown

from agentdesk.core import clock
from agentdesk.kb import loader
from agentdesk.tickets import service as tickets, sla, sla_text
from tests.conftest import settle, wait_ready
from tests.test_app import SIZE, desk_app

ARTICLES = sorted(loader.SHIPPED_DIR.glob("*.md"))
START = datetime.fromisoformat("2026-11-25T09:30:00+08:00")
WATER_CENTRE = '[category."any.complaint"]\nresolution = "3wd"\n'


def _parts(path: Path) -> tuple[dict, str]:
    _, front, body = path.read_text("utf-8").split("+++", 2)
    return tomllib.loads(front), body


def _said(path: Path) -> str:
    """What an article states: title, tags and body (caller phrasings are the caller's)."""
    meta, body = _parts(path)
    return "\n".join([meta["title"], " ".join(meta.get("tags", [])), body])


def _answer(article_id: str, policy: sla.Policy) -> str:
    _, body = _parts(loader.SHIPPED_DIR / f"{article_id}.md")
    return sla_text.fill(body, policy)


# --- every shipped article --------------------------------------------------------------

def test_there_are_the_shipped_articles() -> None:
    assert len(ARTICLES) >= 90


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.stem)
def test_no_article_states_a_time_limit_of_its_own(path: Path) -> None:
    assert sla_text.stated_durations(_said(path)) == []


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.stem)
def test_every_placeholder_is_answered_by_the_shipped_policy(path: Path) -> None:
    said = _said(path)
    policy = sla.default_policy()
    assert sla_text.problems(said, policy) == []
    filled = sla_text.fill(said, policy)
    assert "{{" not in filled and sla_text.NONE not in filled


def test_the_check_finds_a_stated_duration_and_spares_the_allowed_facts() -> None:
    found = sla_text.stated_durations("我们会在3个工作日内答复，抢修人员30分钟内到场，two 2 h")
    assert len(found) == 3
    assert sla_text.stated_durations("在{{sla:any.complaint:resolution}}内答复") == []
    assert sla_text.stated_durations("计划停电应提前7天公告；5月1日起执行") == []
    assert sla_text.stated_durations("一般三天内答复")  # Chinese numerals count too
    for _pattern, why in sla_text.NOT_TICKET_CLOCKS:
        assert why  # each allowed fact says why it is not a ticket's clock


# --- the three known disagreements --------------------------------------------------------

def test_water_complaint_says_what_the_ticket_gets(tmp_path: Path) -> None:
    shipped = sla.default_policy()
    due = sla.deadlines(shipped, "any.complaint", "urban", "important", START)
    assert clock.local(due["resolution"]).date().isoformat() == "2026-12-01"  # 4 working days
    answer = _answer("water-complaint", shipped)
    assert "4个工作日" in answer and "3个工作日" not in answer
    centre_file = tmp_path / "centre.toml"
    centre_file.write_text(WATER_CENTRE, "utf-8")
    water = sla.load_policy(centre_file)  # the centre changes its policy: its answer follows
    assert "3个工作日" in _answer("water-complaint", water)
    assert "4个工作日" not in _answer("water-complaint", water)


def test_burst_main_says_fifteen_minutes_like_its_ticket() -> None:
    policy = sla.default_policy()
    due = sla.deadlines(policy, "water.burst", "urban", "urgent", START)
    assert due["first_response"] - START == timedelta(minutes=15)
    answer = _answer("water-burst-main", policy)
    assert "15分钟内响应" in answer and "5分钟内响应派单" not in answer.replace("15分钟", "")
    assert "城区30分钟、农村50分钟、偏远地区90分钟" in answer


def test_key_customer_outage_says_the_key_customer_clocks() -> None:
    answer = _answer("power-key-customer-outage", sla.default_policy())
    assert "抢修人员30分钟内到场" in answer  # the key-customer rule
    assert "派单时限立即" in answer  # a fault dispatches at once: tighter than 5 min
    assert "城区45分钟、农村90分钟、偏远地区2小时" in answer  # the ordinary caller


def test_unknown_placeholders_show_as_such() -> None:
    policy = sla.default_policy()
    filled = sla_text.fill("{{sla:water.nothing:arrival}} {{sla:water.burst:eta}} "
                           "{{sla:water.burst:arrival:suburb}}", policy)
    assert filled.count("【时限未定义") == 3
    assert len(sla_text.problems("{{sla:water.burst:arrival:key9}} {{sla:oops}}", policy)) == 2


# --- the key-customer rule -------------------------------------------------------------

@pytest.mark.parametrize("area, level, arrival", [
    ("urban", 0, 45), ("rural", 0, 90), ("remote", 0, 120),
    ("urban", 1, 30), ("rural", 2, 30), ("remote", 3, 30)])
def test_key_level_shortens_a_fault_s_arrival(area: str, level: int, arrival: int) -> None:
    due = sla.deadlines(sla.default_policy(), "power.fault", area, "urgent", START,
                        key_level=level)
    assert due["arrival"] - START == timedelta(minutes=arrival)
    assert due["first_response"] == START  # at once stays at once (never looser)


def test_key_rule_only_for_its_categories_and_never_looser(tmp_path: Path) -> None:
    policy = sla.default_policy()
    plain = sla.deadlines(policy, "water.burst", "urban", "urgent", START)
    assert sla.deadlines(policy, "water.burst", "urban", "urgent", START, key_level=3) == plain
    path = tmp_path / "centre.toml"
    path.write_text('[key_customer]\ncategories = ["power.fault", "power.quality"]\n'
                    '[key_customer.1]\narrival = "1h"\n[key_customer.3]\narrival = "20m"\n'
                    'first_response = "10m"\n', "utf-8")
    centre = sla.load_policy(path)
    fault = sla.deadlines(centre, "power.fault", "urban", "urgent", START, key_level=1)
    assert fault["arrival"] - START == timedelta(minutes=45)  # its own 45 min is earlier
    assert fault["first_response"] == START
    top = sla.deadlines(centre, "power.fault", "urban", "urgent", START, key_level=3)
    assert top["arrival"] - START == timedelta(minutes=20)
    quality = sla.deadlines(centre, "power.quality", "urban", "important", START, key_level=2)
    assert quality["arrival"] - START == timedelta(hours=1)  # level 2: level 1's row
    assert "20分钟" in sla_text.fill("{{sla:power.fault:arrival:key3}}", centre)


@pytest.mark.parametrize("body, words", [
    ('[key_customer]\ncategories = ["power.nothing"]\n', "unknown category"),
    ('[key_customer.4]\narrival = "10m"\n', "unknown key_customer setting"),
    ('[key_customer.1]\narrival = "soon"\n', "not a duration"),
    ('[key_customer]\ncategories = "power.fault"\n', "must be a list"),
])
def test_bad_key_customer_rules_are_refused_with_their_line(english, tmp_path: Path, body: str,
                                                            words: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("# a centre's policy\n" + body, "utf-8")
    with pytest.raises(sla.SlaError, match=words) as err:
        sla.load_policy(path)
    assert err.value.line is not None and err.value.line >= 2


def test_a_key_customer_s_fault_ticket_gets_the_key_clocks(desk) -> None:
    with desk.session() as s:
        key = s.connection().execute(text(
            "SELECT id FROM customer WHERE account_no = '4100000003'")).scalar()  # level 2
        terms = tickets.preview(s, "power.fault", key)
        assert terms.due["arrival"] - clock.now() == timedelta(minutes=30)
        made = tickets.create(s, tickets.Draft(category="power.fault", description="医院停电",
                                               customer_id=key), "A1001")
        assert made.due_arrival - made.created_at == timedelta(minutes=30)
        other = s.connection().execute(text(
            "SELECT id FROM customer WHERE account_no = '3100000002'")).scalar()
        ordinary = tickets.preview(s, "power.fault", other)
        assert ordinary.due["arrival"] - clock.now() == timedelta(minutes=45)


# --- filled when shown, and when Ctrl+Y takes the answer ------------------------------------

async def _open(pilot, query: str) -> None:
    await wait_ready(pilot)
    await pilot.press("f3")
    await settle(pilot)
    await pilot.press(*query)
    await pilot.pause(0.3)
    await settle(pilot)


def _centre_policy(desk, body: str) -> None:
    with desk.session() as s:
        s.connection().execute(text(
            "INSERT INTO central_setting (name, body, updated_at) VALUES "
            "('sla_policy', :b, '2026-11-25 00:00:00')"), {"b": body})


@pytest.mark.parametrize("centre, words, not_words", [
    (None, "4个工作日", "3个工作日"), (WATER_CENTRE, "3个工作日", "4个工作日")])
async def test_kb_screen_and_ctrl_y_say_the_policy_in_force(desk, centre, words,
                                                            not_words) -> None:
    if centre:
        _centre_policy(desk, centre)  # as a desk holds it after a sync
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, "供水服务投诉的受理")
        screen = app.screen
        assert screen.article is not None and screen.article.id == "water-complaint"
        source = screen.query_one("#article", Markdown).source
        assert words in source and not_words not in source and "{{" not in source
        assert all("{{" not in "".join(p for p, _ in hit.snippet) for hit in screen.hits)
        await pilot.press("ctrl+y")
        await settle(pilot)
        article_id, answer = app.kb_answer
        assert article_id == "water-complaint"
        assert words in answer and "{{" not in answer


def test_the_centre_refuses_an_article_its_policy_cannot_answer(english, tmp_path: Path,
                                                                centre) -> None:
    from agentdesk.sync import load
    from tests.test_kb import article, write

    folder = tmp_path / "kb"
    write(folder, "good.md", article("good", "投诉时限", "## 答复口径\n\n"
                                     "{{sla:any.complaint:resolution}}内答复。\n"))
    write(folder, "bad.md", article("bad", "错的占位符", "## 答复口径\n\n"
                                    "{{sla:any.complain:resolution}}内答复。\n"))
    report = load.articles(centre, folder)
    assert report.inserted == 1
    assert report.errors == [("bad", "unknown category 'any.complain' in "
                                     "{{sla:any.complain:resolution}}")]
