"""SLA policy: durations, the working calendar, the default table, overrides, pauses."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentdesk.core import clock
from agentdesk.tickets import sla, taxonomy
from agentdesk.tickets.sla import Calendar, Duration, SlaError
from agentdesk.core.workcal import Holiday

START = "2026-11-25T09:30+08:00"  # a Wednesday, no holiday near


def t(text: str) -> datetime:
    """Local (+08:00) text -> the aware UTC instant the SLA functions return."""
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def loc(value: datetime | None) -> str | None:
    return None if value is None else clock.local(value).strftime("%Y-%m-%d %H:%M")


@pytest.fixture(scope="module")
def policy() -> sla.Policy:
    return sla.load_policy()


@pytest.fixture(scope="module")
def cal(policy: sla.Policy) -> Calendar:
    return policy.calendar


# -- durations ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("15m", Duration(15, "m")), ("2h", Duration(2, "h")), ("24h", Duration(24, "h")),
    ("3d", Duration(3, "d")), ("5wd", Duration(5, "wd")), ("4wh", Duration(4, "wh")),
    (" 90 m ", Duration(90, "m")), ("0m", Duration(0, "m")), ("now", Duration(0, "m")),
    ("", None), ("-", None),
])
def test_parse_duration(text: str, expected: Duration | None) -> None:
    assert sla.parse_duration(text) == expected


@pytest.mark.parametrize("text", ["5 weeks", "15", "m", "-5m", "1.5h", "2x", "9999wd"])
def test_bad_durations_are_errors(text: str) -> None:
    with pytest.raises(SlaError):
        sla.parse_duration(text)


def test_duration_kind_and_text() -> None:
    assert [sla.parse_duration(x).kind for x in ("15m", "2h", "3d", "5wd", "4wh")] == [
        "wall", "wall", "wall", "working", "working"]
    assert str(Duration(5, "wd")) == "5wd"


# -- wall clock across midnight, month and year ends -------------------------------------------

@pytest.mark.parametrize("start, duration, expected", [
    ("2026-01-31T23:50+08:00", "15m", "2026-02-01 00:05"),
    ("2026-02-28T10:00+08:00", "1d", "2026-03-01 10:00"),
    ("2026-02-28T10:00+08:00", "24h", "2026-03-01 10:00"),
    ("2026-12-31T23:59+08:00", "2m", "2027-01-01 00:01"),
    ("2026-11-30T23:30+08:00", "1h", "2026-12-01 00:30"),
    ("2026-11-25T07:50+08:00", "15m", "2026-11-25 08:05"),  # across UTC midnight
    ("2026-11-25T09:30+08:00", "0m", "2026-11-25 09:30"),
    ("2026-10-01T09:00+08:00", "3d", "2026-10-04 09:00"),  # wall days ignore holidays
])
def test_wall_clock_durations(cal: Calendar, start: str, duration: str,
                              expected: str) -> None:
    due = sla.parse_duration(duration).after(t(start), cal)
    assert due.tzinfo is timezone.utc
    assert loc(due) == expected


# -- working days and hours --------------------------------------------------------------------

@pytest.mark.parametrize("start, duration, expected", [
    # across a weekend: Friday 16:00 + 1 working day = Monday's close of business
    ("2026-11-27T16:00+08:00", "1wd", "2026-11-30 17:30"),
    # the start day never counts, even before opening
    ("2026-11-25T07:00+08:00", "1wd", "2026-11-26 17:30"),
    ("2026-11-28T10:00+08:00", "1wd", "2026-11-30 17:30"),  # from a Saturday
    # the day before 国庆 + 3: 10-08, 10-09 and the make-up Saturday 10-10
    ("2026-09-30T10:00+08:00", "3wd", "2026-10-10 17:30"),
    # make-up working days: Saturday 02-14 before 春节, Sunday 09-20 before 国庆
    ("2026-02-13T10:00+08:00", "1wd", "2026-02-14 17:30"),
    ("2026-02-14T10:00+08:00", "1wd", "2026-02-24 17:30"),  # across the whole 春节 break
    ("2026-09-18T10:00+08:00", "1wd", "2026-09-20 17:30"),
    ("2026-12-31T09:00+08:00", "1wd", "2027-01-01 17:30"),  # no 2027 data shipped yet
    # 0 working days: today's close while it is open, else the next working day's
    ("2026-11-25T16:00+08:00", "0wd", "2026-11-25 17:30"),
    ("2026-11-25T18:00+08:00", "0wd", "2026-11-26 17:30"),
    # working hours: lunch, evening, weekend and holidays do not count
    ("2026-11-25T11:00+08:00", "2wh", "2026-11-25 14:30"),  # across lunch
    ("2026-11-25T16:30+08:00", "2wh", "2026-11-26 09:30"),  # across the evening
    ("2026-11-27T17:00+08:00", "1wh", "2026-11-30 09:00"),  # across the weekend
    ("2026-11-25T12:30+08:00", "1wh", "2026-11-25 14:30"),  # started at lunch
    ("2026-11-25T07:00+08:00", "1wh", "2026-11-25 09:30"),  # started before opening
    ("2026-11-25T08:30+08:00", "7wh", "2026-11-25 17:00"),
    ("2026-11-25T10:00+08:00", "2wh", "2026-11-25 12:00"),  # ends at a period's end
    ("2026-09-30T17:00+08:00", "1wh", "2026-10-08 09:00"),  # across 国庆
])
def test_working_durations(cal: Calendar, start: str, duration: str, expected: str) -> None:
    assert loc(sla.parse_duration(duration).after(t(start), cal)) == expected


def test_calendar_days(cal: Calendar) -> None:
    assert not cal.is_working_day(date(2026, 10, 1))
    assert cal.is_working_day(date(2026, 10, 10))  # a Saturday worked (调休)
    assert not cal.is_working_day(date(2026, 11, 28))
    assert 2026 in cal.holiday_years and 2027 not in cal.holiday_years  # chinese-calendar
    days = list(zip(range(4), cal.working_days(date(2026, 9, 30))))
    assert [d for _, d in days] == [date(2026, 9, 30), date(2026, 10, 8), date(2026, 10, 9),
                                    date(2026, 10, 10)]


def test_shipped_2026_holidays(cal: Calendar) -> None:
    names = {h.name: (h.start, h.end, h.makeup) for h in cal.entries
             if h.start.year == 2026}  # from chinese-calendar since issue 17
    assert set(names) == {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}
    assert names["春节"] == (date(2026, 2, 15), date(2026, 2, 23),
                            (date(2026, 2, 14), date(2026, 2, 28)))
    assert names["国庆节"][2] == (date(2026, 9, 20), date(2026, 10, 10))
    assert all(d.weekday() >= 5 for d in cal.makeup_days)


def test_custom_calendar() -> None:
    six_days = Calendar(weekdays=frozenset(range(6)),
                        periods=(sla.Calendar().periods[0],))  # mornings only, Mon-Sat
    assert loc(six_days.add_working_days(t("2026-11-27T10:00+08:00"), 1)) == \
        "2026-11-28 12:00"
    with pytest.raises(ValueError):
        Calendar(weekdays=frozenset())
    with pytest.raises(ValueError):
        Calendar.from_holidays([Holiday("x", date(2026, 1, 1), date(2026, 1, 2),
                                        (date(2026, 1, 2),))])


def test_naive_times_are_refused(cal: Calendar) -> None:
    with pytest.raises(ValueError):
        sla.parse_duration("1h").after(datetime(2026, 11, 25, 9, 30), cal)


@settings(max_examples=200, deadline=None)
@given(start=st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 1, 31),
                          timezones=st.just(timezone(timedelta(hours=8)))),
       days=st.integers(min_value=0, max_value=30))
def test_property_working_days_end_on_a_working_day(start: datetime, days: int) -> None:
    cal = sla.load_policy().calendar
    due = Duration(days, "wd").after(start, cal)
    assert due >= start
    assert cal.is_working_day(clock.local(due).date())
    assert clock.local(due).time() == cal.periods[-1][1]


@settings(max_examples=200, deadline=None)
@given(start=st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 1, 31),
                          timezones=st.just(timezone(timedelta(hours=8)))),
       hours=st.integers(min_value=0, max_value=60), more=st.integers(0, 30))
def test_property_working_hours(start: datetime, hours: int, more: int) -> None:
    cal = sla.load_policy().calendar
    due = Duration(hours, "wh").after(start, cal)
    assert due >= start
    assert cal.working_time_between(start, due) == timedelta(hours=hours)
    if hours:
        assert cal.is_working_day(clock.local(due).date())
    # adding in two steps is adding once
    assert cal.add_working_time(due, timedelta(hours=more)) == \
        cal.add_working_time(start, timedelta(hours=hours + more))


# -- the default table ---------------------------------------------------------------------------

# (category, area class) -> first response, arrival, resolution, from 2026-11-25 09:30 (Wed)
DEFAULT_TABLE = [
    # water tier 1: 15 min / 30 min urban, 50 min suburban, 90 min remote
    ("water.burst", "urban", "2026-11-25 09:45", "2026-11-25 10:00", None),
    ("water.burst", "rural", "2026-11-25 09:45", "2026-11-25 10:20", None),
    ("water.burst", "remote", "2026-11-25 09:45", "2026-11-25 11:00", None),
    ("water.no_water", "urban", "2026-11-25 09:45", "2026-11-25 10:00", None),
    ("water.no_water", "rural", "2026-11-25 09:45", "2026-11-25 10:20", None),
    ("water.no_water", "remote", "2026-11-25 09:45", "2026-11-25 11:00", None),
    # water quality: 1 h / 2 h / 24 h
    ("water.quality", "urban", "2026-11-25 10:30", "2026-11-25 11:30", "2026-11-26 09:30"),
    ("water.quality", "remote", "2026-11-25 10:30", "2026-11-25 11:30", "2026-11-26 09:30"),
    # consultation: 24 h, 5 working days (Thu, Fri, Mon, Tue, Wed)
    ("water.billing", "urban", "2026-11-26 09:30", None, "2026-12-02 17:30"),
    ("any.consult", "rural", "2026-11-26 09:30", None, "2026-12-02 17:30"),
    ("any.suggestion", "urban", "2026-11-26 09:30", None, "2026-12-02 17:30"),
    # power fault: dispatch at once; 45 / 90 / 120 min; power back 3 h / 4 h
    ("power.fault", "urban", "2026-11-25 09:30", "2026-11-25 10:15", "2026-11-25 12:30"),
    ("power.fault", "rural", "2026-11-25 09:30", "2026-11-25 11:00", "2026-11-25 13:30"),
    ("power.fault", "remote", "2026-11-25 09:30", "2026-11-25 11:30", "2026-11-25 13:30"),
    # complaint: contact 24 h, answer 4 working days
    ("any.complaint", "urban", "2026-11-26 09:30", None, "2026-12-01 17:30"),
    # report (举报): 24 h, answer 9 working days
    ("power.theft", "urban", "2026-11-26 09:30", None, "2026-12-08 17:30"),
    # reconnection 24 h; appliance damage on site 24 h
    ("water.reconnect", "urban", "2026-11-25 10:30", None, "2026-11-26 09:30"),
    ("power.reconnect", "rural", "2026-11-25 10:30", None, "2026-11-26 09:30"),
    ("power.appliance", "urban", "2026-11-25 10:30", "2026-11-26 09:30", None),
    # secondary supply: on site 2 h, fixed 4 h
    ("water.secondary", "urban", "2026-11-25 10:30", "2026-11-25 11:30", "2026-11-25 13:30"),
]


@pytest.mark.parametrize("category, area, first, arrival, resolution", DEFAULT_TABLE)
def test_default_table(policy: sla.Policy, category: str, area: str, first: str | None,
                       arrival: str | None, resolution: str | None) -> None:
    priority = policy.category_priority[category]
    got = sla.deadlines(policy, category, area, priority, t(START))
    assert set(got) == set(sla.CLOCKS)
    assert {k: loc(v) for k, v in got.items()} == {
        "first_response": first, "arrival": arrival, "resolution": resolution,
        "callback": None}


@pytest.mark.parametrize("category", ["water.burst", "power.fault", "any.complaint",
                                      "any.praise"])
def test_callback_is_24h_after_resolution(policy: sla.Policy, category: str) -> None:
    resolved = t("2026-12-31T15:00+08:00")
    assert loc(sla.callback_due(policy, category, "urban", resolved)) == "2027-01-01 15:00"


def test_every_taxonomy_code_has_a_policy_row(policy: sla.Policy) -> None:
    codes = taxonomy.load().categories
    assert codes
    for code, category in codes.items():
        assert policy.has_row(code), code
        clocks = sla.deadlines(policy, code, "urban", category.priority, t(START))
        assert clocks["first_response"] is not None, code
        assert sla.callback_due(policy, code, "urban", t(START)) is not None, code


def test_pausable_states(policy: sla.Policy) -> None:
    assert policy.can_pause("waiting_caller")
    assert not policy.can_pause("dispatched")


@pytest.mark.parametrize("args", [
    ("water.nope", "urban", "urgent"), ("water.burst", "city", "urgent"),
    ("water.burst", "urban", "critical"),
])
def test_unknown_arguments_are_errors(policy: sla.Policy, args: tuple) -> None:
    with pytest.raises(SlaError):
        sla.deadlines(policy, *args, t(START))


# -- priority ------------------------------------------------------------------------------------

@pytest.mark.parametrize("base, tags, key_level, expected", [
    ("general", ["吸氧"], 0, "important"),
    ("important", ["独居老人"], 0, "urgent"),
    ("urgent", ["残障"], 0, "urgent"),
    ("general", [], 1, "important"),
    ("important", (), 3, "urgent"),
    ("general", ["吸氧", "孤寡"], 2, "important"),  # one step, however many reasons
    ("general", ["VIP"], 0, "general"),
    ("general", "吸氧;独居老人", 0, "important"),  # Customer.tags text
    ("important", "", 0, "important"),
    ("general", None, None, "general"),
])
def test_effective_priority(base: str, tags, key_level, expected: str) -> None:
    assert sla.effective_priority(base, tags, key_level) == expected


def test_unknown_priority_is_an_error() -> None:
    with pytest.raises(SlaError):
        sla.effective_priority("high", [], 0)


def test_raised_priority_tightens_the_category_clocks(policy: sla.Policy) -> None:
    # water quality (important) for a customer on oxygen: urgent row's 15 min / 30 min
    priority = sla.effective_priority("important", ["吸氧"], 0)
    got = sla.deadlines(policy, "water.quality", "urban", priority, t(START))
    assert [loc(got[c]) for c in sla.CLOCKS] == [
        "2026-11-25 09:45", "2026-11-25 10:00", "2026-11-26 09:30", None]
    # suburban: the urgent row's rural arrival (50 min)
    got = sla.deadlines(policy, "water.quality", "rural", priority, t(START))
    assert loc(got["arrival"]) == "2026-11-25 10:20"
    # a key customer's bill question (general -> important): 1 h, 24 h instead of 5 wd;
    # still no arrival clock, a consultation has none
    priority = sla.effective_priority("general", [], 1)
    got = sla.deadlines(policy, "power.billing", "urban", priority, t(START))
    assert [loc(got[c]) for c in sla.CLOCKS] == [
        "2026-11-25 10:30", None, "2026-11-26 09:30", None]
    assert sla.rule_for(policy, "resolution", "power.billing", "urban", priority,
                        t(START)) == Duration(24, "h")


def test_raised_priority_never_loosens(policy: sla.Policy) -> None:
    base = sla.deadlines(policy, "power.fault", "urban", "urgent", t(START))
    assert sla.deadlines(policy, "power.fault", "urban", "general", t(START)) == base
    # the category's own clock wins when it is already tighter (secondary supply: 4 h)
    raised = sla.deadlines(policy, "water.secondary", "urban", "urgent", t(START))
    assert loc(raised["resolution"]) == "2026-11-25 13:30"


# -- pause and resume ----------------------------------------------------------------------------

def test_resume_wall_clock() -> None:
    deadline = t("2026-11-25T10:00+08:00")
    got = sla.resume(deadline, t("2026-11-25T09:40+08:00"), t("2026-11-25T09:55+08:00"),
                     "wall")
    assert loc(got) == "2026-11-25 10:15"
    # over midnight and the month end, by the Duration itself
    got = sla.resume(t("2026-11-30T23:50+08:00"), t("2026-11-30T23:00+08:00"),
                     t("2026-12-01T01:00+08:00"), Duration(24, "h"))
    assert loc(got) == "2026-12-01 01:50"


def test_resume_working_time(cal: Calendar) -> None:
    # 5wd deadline Mon 17:30; paused Fri 17:00 to Mon 09:00 = 30 + 30 working minutes
    got = sla.resume(t("2026-11-30T17:30+08:00"), t("2026-11-27T17:00+08:00"),
                     t("2026-11-30T09:00+08:00"), "working", cal)
    assert loc(got) == "2026-12-01 09:30"
    # a pause over a whole working day moves a close-of-business deadline one working day
    got = sla.resume(t("2026-12-02T17:30+08:00"), t("2026-11-25T17:30+08:00"),
                     t("2026-11-26T17:30+08:00"), Duration(5, "wd"), cal)
    assert loc(got) == "2026-12-03 17:30"
    # a pause outside working hours moves nothing
    got = sla.resume(t("2026-12-02T17:30+08:00"), t("2026-11-28T09:00+08:00"),
                     t("2026-11-29T18:00+08:00"), "working", cal)
    assert loc(got) == "2026-12-02 17:30"
    # over 国庆: working hours resume after the break
    got = sla.resume(t("2026-09-30T17:00+08:00"), t("2026-09-30T16:00+08:00"),
                     t("2026-10-08T09:30+08:00"), "working", cal)
    assert loc(got) == "2026-10-08 10:30"  # 2.5 wh paused: 17:00 + 0.5 h, 10-08 + 2 h


def test_resume_edge_cases() -> None:
    deadline = t("2026-11-25T10:00+08:00")
    # a clock that ran out before the pause stays run out
    assert sla.resume(deadline, t("2026-11-25T10:05+08:00"), t("2026-11-25T11:00+08:00"),
                      "wall") == deadline
    assert sla.resume(None, deadline, deadline, "wall") is None
    assert sla.resume(deadline, deadline - timedelta(minutes=5),
                      deadline - timedelta(minutes=5), "working") == deadline
    with pytest.raises(SlaError):
        sla.resume(deadline, t("2026-11-25T09:50+08:00"), t("2026-11-25T09:40+08:00"), "wall")
    with pytest.raises(SlaError):
        sla.resume(deadline, deadline, deadline, "monthly")


@settings(max_examples=200, deadline=None)
@given(deadline=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31),
                             timezones=st.just(timezone(timedelta(hours=8)))),
       before=st.integers(min_value=1, max_value=20 * 24 * 60),
       paused=st.integers(min_value=0, max_value=20 * 24 * 60))
def test_property_resume_keeps_the_time_left(deadline: datetime, before: int,
                                             paused: int) -> None:
    cal = sla.load_policy().calendar
    paused_at = deadline - timedelta(minutes=before)
    resumed_at = paused_at + timedelta(minutes=paused)
    wall = sla.resume(deadline, paused_at, resumed_at, "wall", cal)
    assert wall - resumed_at == deadline - paused_at
    working = sla.resume(deadline, paused_at, resumed_at, "working", cal)
    assert working >= deadline
    assert cal.working_time_between(resumed_at, working) == \
        cal.working_time_between(paused_at, deadline)


# -- the centre's own file ---------------------------------------------------------------

def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "centre_sla.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_override_changes_one_cell(tmp_path: Path, policy: sla.Policy) -> None:
    path = write(tmp_path, '# our suburbs are closer\n'
                           '[category."water.burst".rural]\narrival = "40m"\n')
    centre = sla.load_policy(path)
    got = sla.deadlines(centre, "water.burst", "rural", "urgent", t(START))
    assert loc(got["arrival"]) == "2026-11-25 10:10"
    assert loc(got["first_response"]) == "2026-11-25 09:45"  # rest of the row kept
    for category, area, *_ in DEFAULT_TABLE:
        if (category, area) != ("water.burst", "rural"):
            p = policy.category_priority[category]
            assert sla.deadlines(centre, category, area, p, t(START)) == \
                sla.deadlines(policy, category, area, p, t(START))
    assert centre.calendar == policy.calendar
    assert centre.sources[-1] == str(path)


def test_override_calendar_and_states(tmp_path: Path) -> None:
    path = write(tmp_path, """
pausable_states = ["waiting_caller", "waiting_parts"]

[calendar]
working_hours = ["09:00-12:00", "13:00-17:00"]

[[calendar.holiday]]
name = "元旦"
start = 2027-01-01
end = 2027-01-03
makeup = []

[[calendar.holiday]]
name = "国庆节"
start = 2026-10-01
end = 2026-10-08
makeup = [2026-09-20]
""")
    centre = sla.load_policy(path)
    assert centre.can_pause("waiting_parts")
    cal = centre.calendar
    assert {2026, 2027} <= cal.holiday_years and 2028 not in cal.holiday_years
    assert not cal.is_working_day(date(2027, 1, 1))
    assert not cal.is_working_day(date(2026, 1, 1))  # 2026's 元旦 kept
    assert not cal.is_working_day(date(2026, 10, 10))  # 国庆 2026 replaced: no 10-10 make-up
    assert loc(Duration(1, "wd").after(t("2026-12-31T10:00+08:00"), cal)) == \
        "2027-01-04 17:00"


def test_water_centre_complaint_three_working_days(tmp_path: Path) -> None:
    centre = sla.load_policy(write(tmp_path, '[category."any.complaint"]\n'
                                             'resolution = "3wd"\n'))
    got = sla.deadlines(centre, "any.complaint", "urban", "important", t(START))
    assert loc(got["resolution"]) == "2026-11-30 17:30"


@pytest.mark.parametrize("text, line, words", [
    # syntax error: tomllib's line
    ('[category."water.burst"]\narrival = "30m\n', 2, "line 2"),
    ('[category."water.burst"]\nfirst_response = "15m"\narrival = \n', 3, "line 3"),
    # unknown category: the header's line
    ('# x\n\n[category."water.bust"]\narrival = "30m"\n', 3, "water.burst"),
    ('[category."water.nope".rural]\narrival = "30m"\n', 1, "unknown category"),
    # bad duration: the key's line
    ('[category."any.complaint"]\nfirst_response = "24h"\nresolution = "5 weeks"\n', 3,
     "5 weeks"),
    ('[category."water.burst"]\nrural = { arrival = "soon" }\n', 2, "soon"),
    ('[category."water.burst"]\narrival = 30\n', 2, "text"),
    # unknown clock, area, priority, setting
    ('[category."water.burst"]\nfirst_response = "15m"\non_site = "30m"\n', 3, "on_site"),
    ('[category."water.burst".city]\narrival = "30m"\n', 1, "city"),
    ('[category."water.burst".rural]\n\narive = "30m"\n', 3, "arive"),
    ('[priority.critical]\narrival = "5m"\n', 1, "critical"),
    ('pausable_states = ["waiting_caller"]\nsla_version = 2\n', 2, "sla_version"),
    # calendar
    ('[calendar]\nworking_days = ["mon", "funday"]\n', 2, "working_days"),
    ('[calendar]\nworking_hours = ["17:30-08:30"]\n', 2, "17:30-08:30"),
    ('[[calendar.holiday]]\nname = "a"\nstart = 2027-01-01\n\n[[calendar.holiday]]\n'
     'name = "b"\nstart = "first of May"\n', 7, "first of May"),
    ('[[calendar.holiday]]\nname = "x"\nstart = 2027-02-01\nend = 2027-02-03\n'
     'makeup = [2027-02-02]\n', 5, "make-up"),
])
def test_broken_override_names_file_and_line(english, tmp_path: Path, text: str, line: int,
                                             words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SlaError) as err:
        sla.load_policy(path)
    message = str(err.value)
    assert str(path) in message
    assert err.value.line == line, message
    assert f"line {line}:" in message
    assert words in message


def test_override_makeup_day_that_another_entry_takes_off(tmp_path: Path) -> None:
    path = write(tmp_path, '[[calendar.holiday]]\nname = "本地"\nstart = 2026-06-01\n'
                           'makeup = [2026-10-03]\n')
    with pytest.raises(SlaError) as err:
        sla.load_policy(path)
    assert str(path) in str(err.value) and err.value.line == 1


def test_missing_override_file_is_an_error(english, tmp_path: Path) -> None:
    with pytest.raises(SlaError, match="cannot be read"):
        sla.load_policy(tmp_path / "absent.toml")


def test_default_policy_is_read_once_and_shipped() -> None:
    assert sla.load_policy() is sla.load_policy()
    assert sla.DEFAULT_FILE.name == "sla_policy.toml" and sla.DEFAULT_FILE.exists()


def test_sla_does_not_import_textual() -> None:
    import subprocess
    import sys

    code = ("import sys, agentdesk.tickets.sla, agentdesk.core.workcal\n"
            "print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
