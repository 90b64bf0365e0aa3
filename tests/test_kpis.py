"""Review KPIs (issue 17 item 11, and the report / monitor tables of items 1 and 5):
satisfaction rate against the configured target, first-contact resolution, reopen rate,
on-time rate per category / agent / complaint class, class x urban / rural / remote, the
channel mix; in the report's CSV, the monitor's KPI tab, the config."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from agentdesk.core import clock
from agentdesk.core.config import Config, ConfigError, load
from agentdesk.core.models import Agent
from agentdesk.monitor import figures, kpis, report
from agentdesk.tickets import service as tickets
from agentdesk.tickets.service import Draft
from tests.conftest import settle, visible_text, wait_until

WATER, POWER = "3100000002", "4100000003"
DAY = date(2026, 11, 25)  # the frozen day (conftest)


def _cid(s, account: str) -> str:
    return s.connection().execute(text("SELECT id FROM customer WHERE account_no = :a"),
                                  {"a": account}).scalar()


@pytest.fixture
def worked(desk):
    """Five tickets of the day besides the fixture's (open, no channel said: phone):
    T1 a consultation resolved at once (非常满意): first-contact resolved;
    T2 a burst dispatched and resolved (满意); T3 a rural power complaint (停送电)
    dispatched, resolved, 不满意 at the call-back: reopened; T4 a water complaint (供水)
    transferred from 12345, left open; T5 a water complaint (服务) by the second agent,
    resolved at once but chased first. Then ten days pass: the open clocks are late."""
    with desk.session() as s:
        s.add(Agent(code="A1002", name="李娜"))
        s.connection().execute(text(
            "UPDATE customer SET area_class = 'rural' WHERE account_no = :a"), {"a": POWER})
    with desk.session() as s:
        water, power = _cid(s, WATER), _cid(s, POWER)
        t1 = tickets.create(s, Draft(category="water.billing", description="问水费",
                                     customer_id=water), "A1001")
        tickets.advance(s, t1.id, "A1001", "resolved")
        tickets.call_back(s, t1.id, "A1001", "非常满意")
        t2 = tickets.create(s, Draft(category="water.burst", description="冒水",
                                     customer_id=water), "A1001")
        tickets.advance(s, t2.id, "A1001", "dispatched", department="管网抢修一队")
        tickets.advance(s, t2.id, "A1001", "resolved")
        tickets.call_back(s, t2.id, "A1001", "满意")
        t3 = tickets.create(s, Draft(category="any.complaint", description="老停电",
                                     customer_id=power, complained_party="供电所",
                                     complaint_class="outage.frequent"), "A1002")
        tickets.advance(s, t3.id, "A1002", "dispatched", department="城郊供电所")
        tickets.advance(s, t3.id, "A1002", "resolved")
        tickets.call_back(s, t3.id, "A1002", "不满意")
        tickets.create(s, Draft(category="any.complaint", description="水黄",
                                customer_id=water, complained_party="水厂",
                                complaint_class="w_supply.quality", channel="12345"), "A1001")
        t5 = tickets.create(s, Draft(category="any.complaint", description="态度差",
                                     customer_id=water, complained_party="营业厅",
                                     complaint_class="w_service.attitude"), "A1002")
        tickets.append_event(s, t5, "chase", t5.owner_id, note="催办")
        tickets.advance(s, t5.id, "A1002", "resolved")
    clock.freeze(clock.now() + timedelta(days=10))
    return desk


def _review(desk) -> kpis.Review:
    with desk.session() as s:
        return kpis.review(s, *report.span(DAY, DAY))


def test_satisfaction_counts_very_satisfied_as_satisfied(worked) -> None:
    total = _review(worked).total
    assert (total.satisfied, total.answered) == (2, 3)  # 非常满意 + 满意 of three answers
    assert round(total.satisfaction_pct, 1) == 66.7


def test_first_contact_resolution_excludes_dispatched_reopened_and_chased(worked) -> None:
    total = _review(worked).total
    assert (total.fcr, total.tickets) == (1, 6)  # T1 only (T5 was chased, T2 dispatched)


def test_reopen_rate_per_category_and_agent(worked) -> None:
    made = _review(worked)
    assert (made.total.reopened, made.total.tickets) == (1, 6)
    assert (made.by_category["any.complaint"].reopened,
            made.by_category["any.complaint"].tickets) == (1, 3)
    assert made.by_agent["A1002"].reopen_pct == 50.0
    assert made.by_agent["A1001"].reopen_pct == 0.0


def test_on_time_rate_per_category_agent_and_class(worked) -> None:
    made = _review(worked)
    complaints = made.by_category["any.complaint"]
    # T3 reopened and T4 open, ten days on: late; T5 resolved at once: on time
    assert (complaints.on_time, complaints.decided) == (1, 3)
    assert made.by_class["outage"].on_time_pct == 0.0
    assert made.by_class["w_service"].on_time_pct == 100.0
    a1 = made.by_agent["A1001"]
    assert a1.decided >= 1 and a1.on_time == a1.decided - 1  # only T4 late among its


def test_class_by_area_with_shares_and_channel_mix(worked) -> None:
    made = _review(worked)
    assert made.class_area == {("outage", "rural"): 1, ("w_supply", "urban"): 1,
                               ("w_service", "urban"): 1}
    assert made.area_share("outage", "rural") == 100.0
    assert made.area_share("w_supply", "urban") == 50.0
    assert round(made.class_share("outage"), 1) == 33.3
    assert made.channels == {"phone": 5, "12345": 1}


def test_windows_are_read_once_each_and_agree(worked) -> None:
    with worked.session() as s:
        made = figures.wallboard(s)
    assert made.more["30d"].total.tickets == 6 and made.more["today"].total.tickets == 0
    assert made.classes is not None and made.classes.label("outage") == "停送电"


def test_report_writes_the_new_tables(worked) -> None:
    with worked.session() as s:
        made = report.tables(s, DAY, DAY, target=90)
    kpi = {r[0]: r[2:] for r in made["kpi.csv"][1:]}
    assert kpi["satisfaction_rate_pct"] == ["66.7", 2, 3]
    assert kpi["satisfaction_target_pct"][0] == 90
    assert kpi["first_contact_resolution_pct"] == ["16.7", 1, 6]
    assert kpi["reopen_pct"] == ["16.7", 1, 6]
    classes = {r[0]: r for r in made["complaint_class_area.csv"][1:]}
    assert classes["outage"][1] == "停送电"
    assert classes["outage"][2:5] == [0, 1, 0]  # urban, rural, remote
    assert classes["outage"][5:8] == ["0.0", "100.0", ""]  # share of each area's complaints
    assert classes["outage"][8:] == [1, "33.3", "0.0"]  # total, share, on time
    channels = {r[0]: r[1:] for r in made["channel_mix.csv"][1:]}
    assert channels["12345"] == ["12345转办", 1, "16.7"]
    agents = {r[0]: r[1:] for r in made["kpi_by_agent.csv"][1:]}
    assert agents["A1002"][0] == 2 and agents["A1002"][4] == "50.0"
    assert "any.complaint" in {r[0] for r in made["kpi_by_category.csv"][1:]}
    assert set(report.FILES) == set(made)


def test_report_command_uses_the_configured_target(worked, tmp_path: Path,
                                                   monkeypatch, capsys) -> None:
    from agentdesk.cli import main

    monkeypatch.setenv("AGENTDESK_SATISFACTION_TARGET", "80")
    out = tmp_path / "r"
    assert main(["report", "--db", str(worked.path), "--from", str(DAY), "--to", str(DAY),
                 "--csv", str(out)]) == 0
    body = (out / "kpi.csv").read_text(encoding="utf-8-sig")
    assert "satisfaction_target_pct,满意率目标,80" in body
    assert (out / "complaint_class_area.csv").exists() and (out / "channel_mix.csv").exists()


@pytest.mark.parametrize("value", ["0", "101", "many"])
def test_a_bad_target_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="satisfaction_target"):
        load(tmp_path / "none.toml", {"AGENTDESK_SATISFACTION_TARGET": value})
    assert load(tmp_path / "none.toml", {}).satisfaction_target == 95


async def test_monitor_shows_the_rates_against_the_target_and_the_class_table(
        worked) -> None:
    from agentdesk.apps.monitor import create_monitor_app

    clock.freeze(clock.now() - timedelta(days=9))  # the tickets are within 7 days
    app = create_monitor_app(Config(lang="zh", satisfaction_target=90), worked.path)
    async with app.run_test(size=(160, 80)) as pilot:
        assert await wait_until(pilot, lambda: app.screen.refreshes >= 1
                                and app.screen.reviews >= 1, timeout=10)
        await pilot.press("5")
        await settle(pilot)
        shown = visible_text(app)
        assert "满意率（非常满意+满意+基本满意）" in shown and "66.7%" in shown
        assert "满意率目标" in shown and "90%" in shown
        assert "一次解决率" in shown and "重办率" in shown
        assert "停送电" in shown and "1 (100%)" in shown  # the rural column
        assert "供水" in shown and "A1002" in shown
