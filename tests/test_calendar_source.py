"""The working calendar's holidays (issue 17, item 9): the chinese-calendar package for the
years it covers, the centre's TOML as override and extension (``agentdesk central load
calendar``, synced to desks), and a warning wherever a working-day deadline falls in a year
neither covers (the ticket form's terms, the ticket's detail, the monitor, ``ticket create
--json``). No holiday is ever invented."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from agentdesk import cli
from agentdesk.core import clock, workcal
from agentdesk.monitor import figures
from agentdesk.sync import engine
from agentdesk.tickets import coverage, service as tickets, sla, view
from tests.sync_helpers import desk_rows, new_desk

UNCOVERED = 2027  # chinese-calendar 1.11.0 has 2004-2026
NATIONAL_DAY_2027 = """# 国务院办公厅关于2027年部分节假日安排的通知 (as the centre typed it)
[calendar]

[[calendar.holiday]]
name = "国庆节"
start = 2027-10-01
end = 2027-10-07
makeup = [2027-09-26, 2027-10-09]
"""


def _local(value: datetime) -> str:
    return clock.local(value).strftime("%Y-%m-%d %H:%M")


def _at(text_: str) -> datetime:
    return datetime.fromisoformat(text_)


# --- the package ------------------------------------------------------------------------

def test_the_package_covers_its_years_and_not_the_uncovered_one() -> None:
    years = workcal.package_years()
    assert set(range(2004, 2027)) <= years
    assert UNCOVERED not in years
    cal = sla.default_policy().calendar
    assert cal.covered_years == years  # the shipped TOML keeps no hand list of its own
    assert "[[calendar.holiday]]\nname" not in sla.DEFAULT_FILE.read_text("utf-8")
    assert not cal.is_working_day(date(2026, 10, 1))
    assert cal.is_working_day(date(2026, 10, 10))  # a Saturday worked (调休)
    assert not cal.is_working_day(date(2025, 10, 8))  # 2025's last quarter: known now
    assert cal.is_working_day(date(2025, 10, 11))


def test_package_entries_carry_official_names_and_makeup_days() -> None:
    entries = [h for h in workcal.package_holidays([2026])]
    names = {h.name for h in entries}
    assert names == {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}
    national = next(h for h in entries if h.name == "国庆节")
    assert (national.start, national.end) == (date(2026, 10, 1), date(2026, 10, 7))
    assert national.makeup == (date(2026, 9, 20), date(2026, 10, 10))


def test_a_2025_national_day_complaint_skips_the_holidays() -> None:
    due = sla.deadlines(sla.default_policy(), "any.complaint", "urban", "important",
                        _at("2025-09-30T10:00+08:00"))
    # off 10-01..10-08; 10-09, 10-10, Saturday 10-11 worked, Monday 10-13
    assert _local(due["resolution"]) == "2025-10-13 17:30"


# --- the centre's TOML over the package ------------------------------------------------

def test_centre_calendar_overrides_and_extends(tmp_path: Path) -> None:
    text_ = NATIONAL_DAY_2027 + """
[[calendar.holiday]]
name = "国庆节"
start = 2026-10-01
end = 2026-10-09
makeup = []
"""
    policy = sla.load_policy(calendar_text=text_)
    cal = policy.calendar
    assert UNCOVERED in cal.covered_years
    assert not cal.is_working_day(date(2027, 10, 4))
    assert cal.is_working_day(date(2027, 10, 9))  # the centre's make-up Saturday
    assert not cal.is_working_day(date(2026, 10, 9))  # 2026's 国庆 replaced ...
    assert not cal.is_working_day(date(2026, 10, 10))  # ... its make-up day with it
    assert not cal.is_working_day(date(2026, 2, 16))  # other package holidays stay
    due = sla.deadlines(policy, "any.complaint", "urban", "important",
                        _at("2027-09-30T10:00+08:00"))
    assert _local(due["resolution"]) == "2027-10-12 17:30"  # 10-08, 10-09, 10-11, 10-12
    assert sla.calendar_gaps(policy, "any.complaint", "urban", "important",
                             _at("2027-09-30T10:00+08:00"), due) == []


@pytest.mark.parametrize("body, words", [
    ('[category."water.burst"]\nfirst_response = "5m"\n', "a calendar file has only"),
    ('[calendar]\n[[calendar.holiday]]\nname = "国庆节"\nstart = 2027-10-07\n'
     'end = 2027-10-01\n', "ends before it starts"),
    ('[calendar]\n[[calendar.holiday]]\nname = "x"\nstart = "soon"\n', "not a date"),
])
def test_a_bad_calendar_is_refused_with_its_line(body: str, words: str) -> None:
    with pytest.raises(sla.SlaError, match=words) as err:
        sla.load_policy(calendar_text="# centre calendar\n" + body, calendar_source="cal.toml")
    assert "cal.toml, line" in str(err.value)


# --- the warning where the agent sees the deadline ------------------------------------------

def test_a_2027_deadline_warns_in_create_json(desk, capsys, monkeypatch) -> None:
    monkeypatch.setenv("AGENTDESK_NOW", "2027-09-30T10:00:00+08:00")
    args = ["ticket", "create", "--category", "any.complaint", "--text", "维修工态度差",
            "--party", "维修班", "--customer", "3100000002", "--json", "--db", str(desk.path),
            "--complaint-class", "w_service.attitude",  # every complaint has one (issue 17)
            "--agent", "A1001"]
    assert cli.main(args) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["deadlines"]["resolution"].startswith("2027-10-06")  # holidays unknown
    assert len(made["warnings"]) == 1 and "2027" in made["warnings"][0]
    monkeypatch.setenv("AGENTDESK_NOW", "2026-11-25T09:30:00+08:00")
    assert cli.main(args) == 0
    assert json.loads(capsys.readouterr().out)["warnings"] == []


def test_a_2027_deadline_warns_on_the_form_terms_detail_and_monitor(desk) -> None:
    clock.freeze(_at("2027-09-30T10:00+08:00"))
    with desk.session() as s:
        cid = s.connection().execute(text(
            "SELECT id FROM customer WHERE account_no = '3100000002'")).scalar()
        terms = tickets.preview(s, "any.complaint", cid)
        assert terms.calendar_gaps == (UNCOVERED,)
        assert tickets.preview(s, "water.burst", cid).calendar_gaps == ()  # wall clocks
        made = tickets.create(s, tickets.Draft(category="any.complaint", description="态度差",
                                               customer_id=cid, complained_party="维修班",
                                               complaint_class="w_service.attitude"),
                              "A1001")
        number = made.number
    with desk.session() as s:
        shown = view.view(s, number).ticket["calendar_warning"]
    assert "2027" in shown and shown == coverage.warning([UNCOVERED])
    board = figures.wallboard(desk)
    assert board.calendar_gaps == [UNCOVERED]


def test_no_warning_inside_the_covered_years(desk) -> None:
    with desk.session() as s:
        terms = tickets.preview(s, "any.complaint", None)
        assert terms.calendar_gaps == ()
        assert view.view(s, "GD2026112500001").ticket["calendar_warning"] == ""
    assert figures.wallboard(desk).calendar_gaps == []


def test_the_monitor_warns_before_the_year_runs_out(desk) -> None:
    clock.freeze(_at("2026-12-24T10:00+08:00"))  # a working-day clock started now reaches 2027
    assert figures.wallboard(desk).calendar_gaps == [UNCOVERED]


# --- loaded at the centre, synced to the desk --------------------------------------------

def test_load_calendar_at_the_centre_reaches_the_desk(tmp_path: Path, centre, capsys) -> None:
    path = tmp_path / "calendar-2027.toml"
    path.write_text(NATIONAL_DAY_2027, "utf-8")
    assert cli.main(["central", "load", "calendar", str(path), "--central", centre.url]) == 0
    out = capsys.readouterr().out
    assert str(path) in out and "2027" in out
    assert centre.setting(sla.CENTRAL_CALENDAR) == NATIONAL_DAY_2027
    assert cli.main(["central", "load", "calendar", str(path), "--central", centre.url]) == 0
    again = capsys.readouterr().out
    assert "未作改动" in again or "nothing changed" in again

    desk = new_desk(tmp_path / "d.db")
    engine.sync_once(desk, centre, hook=lambda name: None)
    assert desk_rows(desk, "SELECT name FROM central_setting") == [("calendar",)]
    clock.freeze(_at("2027-09-30T10:00+08:00"))
    with desk.session() as s:
        policy = sla.for_session(s)
        assert UNCOVERED in policy.calendar.covered_years
        terms = tickets.preview(s, "any.complaint", None)
    assert terms.calendar_gaps == ()
    assert _local(terms.due["resolution"]) == "2027-10-12 17:30"


def test_a_broken_calendar_file_stores_nothing(tmp_path: Path, centre, capsys) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[calendar]\nworking_days = ["funday"]\n', "utf-8")
    assert cli.main(["central", "load", "calendar", str(path), "--central", centre.url]) != 0
    assert f"{path}, line 2" in capsys.readouterr().err
    assert centre.setting(sla.CENTRAL_CALENDAR) is None


async def test_the_ticket_form_says_so_under_its_deadlines(desk, monkeypatch) -> None:
    from tests.conftest import settle, visible_text, wait_ready, wait_until
    from tests.test_app import SIZE, desk_app

    monkeypatch.setenv("AGENTDESK_NOW", "2027-09-30T10:00:00+08:00")
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        app.pop_call("13900001111")
        await wait_until(pilot, lambda: getattr(app.screen, "card", None) is not None)
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press(*"tousu", "enter")  # 投诉 by pinyin
        await settle(pilot)
        assert app.screen.category is not None
        assert app.screen.category.code == "any.complaint"
        await wait_until(pilot, lambda: "2027年没有节假日数据" in visible_text(app))
        assert "2027年没有节假日数据" in visible_text(app)


@pytest.mark.parametrize("now, shown", [("2026-12-24T10:00:00+08:00", True),
                                        ("2026-11-25T09:30:00+08:00", False)])
async def test_the_monitor_header_says_so(tmp_path: Path, monkeypatch, now: str,
                                          shown: bool) -> None:
    from tests.conftest import visible_text
    from tests.test_monitor_screen import SIZE, _ready, monitor_app

    desk = new_desk(tmp_path / "d.db")
    desk.dispose()
    monkeypatch.setenv("AGENTDESK_NOW", now)
    app = monitor_app(tmp_path / "d.db")
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)
        lines = visible_text(app).splitlines()
        assert any("2027年没有节假日数据" in line for line in lines[:8]) is shown  # at the top
