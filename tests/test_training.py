"""Role-play training (issue 8), service level: scenario files load and are validated with
the file and line of each mistake; the training database is fresh and seeded; the rubric
scores what the training database holds; every shipped scenario is winnable by a scripted
perfect run; saved sessions are listed per trainee."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from agentdesk.core import clock
from agentdesk.training import history, rubric, scenario as sc
from agentdesk.training.session import TrainingRun

SHIPPED = sc.shipped()
ARTICLES = sc.shipped_articles()

MINIMAL = """\
title = "测试"
utility = "water"
start = "2026-10-02T02:00:00+08:00"

[caller]
customer = "c"
number = "13812340001"

[[customer]]
key = "c"
account_no = "3101000001"
name = "王建国"
phones = ["13812340001"]
district = "金水区"

[[line]]
text = "水管爆了"

[[check]]
kind = "ticket"
category = "water.burst"
weight = 10
"""


def _write(tmp_path: Path, body: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


# --- loading and validation --------------------------------------------------------------


def test_at_least_ten_scenarios_across_water_and_power() -> None:
    loaded = [sc.load(p, ARTICLES) for p in SHIPPED]
    assert len(loaded) >= 10
    assert {s.utility for s in loaded} == {"water", "power"}
    assert all(s.total_weight > 0 and s.lines and s.checks for s in loaded)


def test_minimal_scenario_loads(tmp_path: Path) -> None:
    s = sc.load(_write(tmp_path, MINIMAL), ARTICLES)
    assert s.id == "s" and s.caller_number == "+8613812340001"
    assert clock.local(s.start).strftime("%m-%d %H:%M") == "10-02 02:00"
    assert s.checks[0].customer == "c"  # a check's customer defaults to the caller


@pytest.mark.parametrize("change, line, reason", [
    (('category = "water.burst"', 'category = "water.bursted"'), 21, "unknown category"),
    (('kind = "ticket"', 'kind = "tickets"'), 20, "unknown check kind"),
    (('weight = 10', 'weight = 10\ncustomer = "ghost"'), 23, "refers to no [[customer]]"),
    (('[[check]]', '[[check]]\nkind = "article"\narticle = "no-such-article"\nweight = 5\n\n'
                   '[[check]]'), 21, "not in the knowledge base"),
    (('[[check]]', '[[check]]\nkind = "notice"\nnotice = "n9"\n\n[[check]]'), 21,
     "refers to no [[notice]]"),
    (('text = "水管爆了"', 'text = "水管爆了"\nvolume = 3'), 18, "unknown key 'volume'"),
    (('start = "2026-10-02T02:00:00+08:00"', 'start = "2026-10-02T02:00:00"'), 3,
     "without a UTC offset"),
    (('phones = ["13812340001"]', 'phones = ["12"]'), 13, "phone '12'"),
    (('phones = ["13812340001"]', 'phones = ["0571-88886666 转 123"]'), 13,
     "phone '0571-88886666 转 123'"),
    (('name = "王建国"', 'name = "王建国'), 12, "not valid TOML"),
])
def test_mistakes_are_refused_with_file_line_and_reason(english, tmp_path: Path, change, line,
                                                        reason) -> None:
    body = MINIMAL.replace(*change, 1)
    path = _write(tmp_path, body)
    with pytest.raises(sc.ScenarioError) as err:
        sc.load(path, ARTICLES)
    assert err.value.path == str(path)
    assert err.value.line == line, (str(err.value), body.splitlines()[line - 1])
    assert reason in err.value.reason
    assert f"{path}, line {line}: " in str(err.value)


def test_a_rubric_that_cannot_be_won_is_refused(tmp_path: Path) -> None:
    body = MINIMAL + '\n[[check]]\nkind = "no_ticket"\nweight = 5\n'
    with pytest.raises(sc.ScenarioError, match="cannot be won"):
        sc.load(_write(tmp_path, body), ARTICLES)


def test_locate_finds_keys_in_the_right_table() -> None:
    assert sc.locate(MINIMAL, None, 0, "utility") == 2
    assert sc.locate(MINIMAL, "customer", 0, "district") == 14
    assert sc.locate(MINIMAL, "check", 0, None) == 19
    assert sc.locate(MINIMAL, "check", 0, "absent") == 19  # the table's header instead


def test_find_by_id_and_unknown_names() -> None:
    assert sc.find("burst-main-night") == sc.SCENARIO_DIR / "burst-main-night.toml"
    with pytest.raises(sc.ScenarioError, match="no such scenario"):
        sc.find("no-such-thing")


# --- the training database and the caller ---------------------------------------------


@pytest.fixture
def run_of(tmp_path: Path):
    runs: list[TrainingRun] = []

    def make(name: str, **kw) -> TrainingRun:
        scenario = sc.load(sc.find(name), ARTICLES)
        run = TrainingRun(scenario, kw.pop("trainee", "小李"), kw.pop("agent", "T0101"),
                          running_clock=False, workdir=tmp_path / f"w{len(runs)}", **kw)
        run.workdir.mkdir()
        runs.append(run)
        run.prepare()
        return run

    yield make
    for run in runs:
        run.cleanup()


def test_training_database_is_fresh_seeded_and_on_the_scenario_clock(run_of) -> None:
    from agentdesk.core import store

    run = run_of("burst-main-night")
    assert clock.now() == run.scenario.start
    desk = store.open_desk(run.db_path)
    try:
        with desk.session() as s:
            conn = s.connection()
            names = conn.execute(text("SELECT name FROM customer ORDER BY account_no")
                                 ).scalars().all()
            assert names == ["王建国", "王建军"]
            assert conn.execute(text("SELECT count(*) FROM kb_article")).scalar() > 50
            assert conn.execute(text("SELECT count(*) FROM ticket")).scalar() == 0
            assert conn.execute(text("SELECT code FROM agent ORDER BY code")).scalars(
            ).all() == ["H0001", "T0101"]
    finally:
        desk.dispose()


def test_caller_lines_in_order_some_only_when_asked(run_of) -> None:
    run = run_of("burst-main-night")
    first = run.next_line()
    assert first.who == "caller" and "水管爆了" in first.text
    second = run.next_line()
    assert "南门" in second.text
    assert "3101000001" not in "".join(s.text for s in run.transcript)
    replies = run.hear("请问您的户号是多少？")
    assert [r.who for r in replies] == ["caller"] and "3101000001" in replies[0].text
    angry = run.hear("这个明天再说吧")
    assert [r.who for r in angry] == ["escalation"]
    assert run.hear("明天再说") == []  # an escalation happens once
    clock.advance(timedelta(minutes=16))
    assert [r.who for r in run.tick()] == ["escalation"]


# --- scoring ------------------------------------------------------------------------------


def _said(run, session, contact_id, line: str) -> None:
    for item in [*run.hear(line)]:
        if item.who == "escalation":
            run.record(session, item, contact_id)
    run.record(session, next(s for s in reversed(run.transcript) if s.who == "trainee"),
               contact_id)


def perfect_run(run: TrainingRun) -> rubric.Scorecard:
    """Do everything each check of the rubric asks, through the same services the desk's
    screens call, then score the training database."""
    from agentdesk.customers import contacts, lookup
    from agentdesk.core import store
    from agentdesk.tickets import taxonomy, service as tickets
    from agentdesk.kb import links
    from agentdesk.core.models import Contact

    scenario, seeded, code = run.scenario, run.seeded, run.agent_code
    checks = scenario.checks
    tax = taxonomy.load()
    desk = store.open_desk(run.db_path)
    try:
        with desk.session() as s:
            if scenario.caller_number:
                contact_id = contacts.record_call(s, scenario.caller_number, code).contact_id
            else:
                agent = s.connection().execute(text("SELECT id FROM agent WHERE code = :c"),
                                               {"c": code}).scalar()
                contact = Contact(number="", agent_id=agent)
                s.add(contact)
                s.flush()
                contact_id = contact.id
        run.next_line()
        with desk.session() as s:
            _said(run, s, contact_id, f"您好，{code}号坐席为您服务。")
        while run.next_line():
            pass
        for line in scenario.lines:
            if line.ask and line.text not in [x.text for x in run.transcript]:
                with desk.session() as s:
                    _said(run, s, contact_id, f"麻烦您说一下{line.ask[0]}？")
        clock.advance(timedelta(minutes=1))
        with desk.session() as s:
            for check in checks:
                if check.kind == "lookup":
                    lookup.audit_read(s, code, seeded.customers[check.customer])
                    contacts.link(s, contact_id, seeded.customers[check.customer])
        clock.advance(timedelta(minutes=1))
        with desk.session() as s:
            for check in checks:
                if check.kind == "notice":
                    tickets.note_notice(s, seeded.notices[check.notice], code, contact_id)
                elif check.kind == "linked":
                    tickets.link_report(s, seeded.tickets[check.ticket], code,
                                        seeded.customers.get(scenario.caller_customer),
                                        "来电人再次反映")
        notes = []
        for check in checks:
            if check.kind == "vulnerability":
                notes += scenario.customer(check.customer).tags
            elif check.kind == "callback":
                notes.append(check.phrases[0])
            elif check.kind == "phrase" and check.where in ("notes", "any"):
                notes.append(check.phrases[0])
        made = []
        with desk.session() as s:
            for check in checks:
                if check.kind != "ticket":
                    continue
                customer = seeded.customers.get(check.customer)
                complaint = tax.categories[check.category].business_type == "complaint"
                ticket = tickets.create(s, tickets.Draft(
                    category=check.category, customer_id=customer, contact_id=contact_id,
                    description="来电人反映情况，已核实户号地址。" + "；".join(notes),
                    complained_party="营业厅" if complaint else "",
                    complaint_class=_first_class(s, customer) if complaint else ""), code)
                made.append(ticket)
        clock.advance(timedelta(minutes=1))
        with desk.session() as s:
            for check in checks:
                if check.kind == "article":
                    links.link(s, made[0].id, check.article, code)
            for check in checks:
                if check.kind == "phrase" and check.where in ("said", "any"):
                    _said(run, s, contact_id, f"{check.phrases[0]}。")
            if any(c.kind == "promise" for c in checks):
                due = next(d for d in (made[0].due_arrival, made[0].due_first_response,
                                       made[0].due_resolution) if d)
                _said(run, s, contact_id,
                      f"工单已受理，最晚{clock.local(due):%H:%M}前处理，请您放心。")
        clock.advance(timedelta(minutes=1))
        return run.finish(desk)
    finally:
        desk.dispose()


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_is_winnable(run_of, path: Path) -> None:
    run = run_of(path.stem)
    card = perfect_run(run)
    assert [c.label for c in card.missed] == [], card.as_json()
    assert card.score == 100 and card.passed
    for check in card.checks:
        if check.kind not in ("forbid", "no_ticket", "no_escalation"):
            assert check.evidence and all(e.action for e in check.evidence), check
        if check.kind == "notice":  # when the caller was told: from the audit log
            assert check.evidence[0].at is not None, check


def test_doing_nothing_scores_only_the_red_lines(run_of) -> None:
    from agentdesk.core import store

    run = run_of("burst-main-night")
    desk = store.open_desk(run.db_path)
    try:
        card = run.finish(desk)
    finally:
        desk.dispose()
    met = {c.id for c in card.checks if c.met}
    assert met == {"red-lines"}
    assert card.score == 10 and not card.passed


def test_wrong_choices_are_listed_with_what_was_done(run_of) -> None:
    from agentdesk.customers import lookup
    from agentdesk.core import store
    from agentdesk.tickets import service as tickets

    run = run_of("burst-main-night")
    desk = store.open_desk(run.db_path)
    try:
        with desk.session() as s:
            _said(run, s, None, "喂，说吧。")  # no staff number
            lookup.audit_read(s, run.agent_code, run.seeded.customers["neighbour"])
            tickets.create(s, tickets.Draft(category="water.riser_leak", description="漏水",
                                            customer_id=run.seeded.customers["neighbour"]),
                           run.agent_code)
            _said(run, s, None, "这个没办法，明天再说")
        card = run.finish(desk)
    finally:
        desk.dispose()
    by_id = {c.id: c for c in card.checks}
    assert not by_id["greet"].met and "喂，说吧" in by_id["greet"].evidence[0].action
    assert not by_id["caller"].met and "王建军" in by_id["caller"].evidence[0].action
    assert not by_id["category"].met and "表箱/立管漏水" in by_id["category"].evidence[0].action
    assert not by_id["red-lines"].met and "明天再说" in by_id["red-lines"].evidence[0].action
    assert card.score == 0


# --- history -------------------------------------------------------------------------------


def test_scorecards_saved_as_json_and_markdown_and_listed_per_trainee(run_of,
                                                                       tmp_path: Path) -> None:
    folder = tmp_path / "history"
    for trainee in ("小李", "小李", "[bold]王[/]"):
        run = run_of("burst-main-night", trainee=trainee)
        card = perfect_run(run)
        json_path, md_path = history.save(card, folder)
        assert json_path.exists() and md_path.exists()
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["score"] == 100 and data["trainee"] == "[bold]王[/]"
    assert {c["id"] for c in data["checks"]} >= {"greet", "category"}
    assert all(e["at"] for c in data["checks"] for e in c["evidence"]
               if c["kind"] not in ("forbid", "no_ticket", "no_escalation"))
    red_lines = next(c for c in data["checks"] if c["kind"] == "forbid")
    assert red_lines["evidence"] == [{"action": "整个通话中都没有", "at": None}]
    md = md_path.read_text(encoding="utf-8")
    assert "100/100" in md and "爆管/路面漏水" in md and "| ✔" in md
    items = history.sessions(folder)
    assert len(items) == 3 and len(history.sessions(folder, trainee="小李")) == 2
    report = history.report(items)
    assert "小李：2 次，平均 100 分" in report and "[bold]王[/]" in report


def test_certification_needs_four_passes_of_the_last_five() -> None:
    def s(score: int) -> history.Session:
        return history.Session(Path("x"), "t", "s", "", 0, score, 85, 0)

    assert history.certified([s(90), s(86), s(40), s(95), s(85)])
    assert not history.certified([s(90), s(86), s(40), s(95), s(84)])
    assert not history.certified([s(100)] * 4)


# --- the command ---------------------------------------------------------------------------


def test_cli_lists_scenarios_and_refuses_a_broken_file_before_starting(
        tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    from agentdesk import cli

    def never(self) -> None:  # noqa: ANN001
        raise AssertionError("a broken scenario must not get a training database")

    monkeypatch.setattr(TrainingRun, "prepare", never)

    assert cli.main(["train", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(p.stem in out for p in SHIPPED) and "国庆凌晨" in out
    broken = _write(tmp_path, MINIMAL.replace('"water.burst"', '"water.nope"'), "bad.toml")
    assert cli.main(["train", str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"{broken}, line 21: unknown category 'water.nope'" in err
    assert cli.main(["train", "--history"]) == 0
    assert "还没有培训记录" in capsys.readouterr().out
    assert cli.main(["train"]) == 2


def test_folders_of_killed_sessions_are_purged_later(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import time

    from agentdesk.training import session

    monkeypatch.setattr(session.tempfile, "gettempdir", lambda: str(tmp_path))
    old, new, other = (tmp_path / "agentdesk-train-old", tmp_path / "agentdesk-train-new",
                       tmp_path / "someone-elses")
    for folder in (old, new, other):
        folder.mkdir()
    day_ago = time.time() - 24 * 3600
    os.utime(old, (day_ago, day_ago))
    os.utime(other, (day_ago, day_ago))
    assert session.purge_stale() == 1
    assert not old.exists() and new.exists() and other.exists()


@pytest.mark.parametrize(("said", "met"), [
    ("您好，A1001号坐席为您服务", True), ("您好，1001号为您服务", True),
    ("您好，工号1001，请讲", True), ("您好，我的工号是1001", True), ("您好 a1001", True),
    ("您好，21001号为您服务", False), ("您好，10010号为您服务", False),
    ("喂，说吧", False), ("您好，1001", False)])
def test_the_greeting_counts_the_staff_number_as_agents_say_it(said: str, met: bool) -> None:
    """Agents say "1001号" or "工号1001", not "A1001" (issue 19, small list)."""
    assert rubric.greets_with("A1001", said) is met


def test_history_shows_the_centres_time_not_the_machines(tmp_path: Path,
                                                          monkeypatch) -> None:
    """``train --history`` said UTC on a UTC machine; it says the centre's time."""
    import time as time_mod

    from datetime import datetime, timezone

    monkeypatch.setenv("TZ", "UTC")
    time_mod.tzset()
    try:
        wall = datetime(2026, 12, 4, 1, 30, tzinfo=timezone.utc).timestamp()
        line = history.report([history.Session(Path("x"), "小李", "s", "t", wall, 90, 85, 0)])
    finally:
        monkeypatch.delenv("TZ")
        time_mod.tzset()
    assert "2026-12-04 09:30" in line  # Asia/Shanghai, the centre's zone


def _first_class(session, customer_id: str | None) -> str:
    """A complaint's class (issue 17): the first item of the caller's utility's list."""
    from agentdesk.core.models import Customer
    from agentdesk.tickets import complaint_classes

    customer = session.get(Customer, customer_id) if customer_id else None
    return complaint_classes.for_session(session).for_utility(
        customer.utility if customer else "")[0].code
