"""The wallboard's figures against the hand-built desk of tests/monitor_data.py (the
expected numbers are worked out there), and the CSV report."""

from __future__ import annotations

import csv
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from agentdesk.monitor import figures as monitor, report
from agentdesk.core import store
from tests.conftest import MARKUP_NAME
from tests.monitor_data import NOW, build


@pytest.fixture(scope="module")
def desk_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("monitor") / "desk.db"
    build(path)
    return path


@pytest.fixture
def board(desk_path: Path) -> monitor.Wallboard:
    desk = store.open_readonly(desk_path)
    try:
        return monitor.wallboard(desk, NOW)  # the parallel path, as the app uses it
    finally:
        desk.dispose()


def test_the_serial_and_parallel_reads_agree(desk_path: Path, board: monitor.Wallboard) -> None:
    desk = store.open_readonly(desk_path)
    try:
        with desk.session() as session:
            serial = monitor.wallboard(session, NOW)
    finally:
        desk.dispose()
    assert serial.states == board.states and serial.kpis == board.kpis
    assert serial.mix == board.mix and serial.trend == board.trend and serial.hot == board.hot
    assert serial.agents == board.agents and serial.breaches == board.breaches


def test_windows_follow_the_centre_day() -> None:
    spans = monitor.windows(NOW)
    assert spans["today"][0].isoformat() == "2026-11-24T16:00:00+00:00"  # 00:00 +08:00
    assert spans["7d"][0] == NOW - timedelta(days=7)
    assert spans["30d"][0] == NOW - timedelta(days=30)
    assert all(end > NOW for _, end in spans.values())  # now itself is inside


def test_open_tickets_by_sla_state(board: monitor.Wallboard) -> None:
    assert board.states == {"ok": 3, "warn": 1, "breached": 3, "paused": 1}
    assert board.breach_count == 3


def test_a_reopened_ticket_is_timed_from_the_reopening(desk_path: Path) -> None:
    conn = sqlite3.connect(desk_path)
    numbers = {n: (c, lv) for _i, n, _o, c, _d, lv in monitor.open_levels(conn, NOW)}
    t12 = conn.execute("SELECT number FROM ticket WHERE category = 'water.pressure'"
                       ).fetchone()[0]
    conn.close()
    assert numbers[t12] == ("resolution", "ok")  # 60 of 120 min; 99 % from creation


def test_levels_agree_with_the_queue_clock(desk_path: Path) -> None:
    """The SQL classification is the queue's own clock, ticket by ticket (a reopened
    ticket's clock starting at the reopening, as the escalation scan has it)."""
    from agentdesk.core.models import UTCDateTime
    from agentdesk.tickets import clocks

    load = UTCDateTime().process_result_value
    conn = sqlite3.connect(desk_path)
    got = {i: (c, lv) for i, _n, _o, c, _d, lv in monitor.open_levels(conn, NOW)}
    for tid, status, created, resolved, paused, *dues in conn.execute(
            "SELECT id, status, created_at, resolved_at, paused_at, due_first_response, "
            "due_arrival, due_resolution, due_callback FROM ticket WHERE status IN "
            "('accepted', 'dispatched', 'on_site', 'resolved')"):
        reopened = conn.execute("SELECT max(at) FROM ticket_event WHERE ticket_id = ? AND "
                                "kind = 'reopen'", (tid,)).fetchone()[0]
        state = clocks.next_clock(status, {n: load(d, None) for n, d in zip(clocks.CLOCKS, dues)},
                                  load(reopened or created, None), load(resolved, None), NOW)
        expected = "paused" if paused else ("ok" if state is None else
                                            {"half": "ok"}.get(state.level, state.level))
        assert got[tid] == ((state.name if state else ""), expected), tid
    conn.close()


def test_breach_list_with_owner_and_overdue(board: monitor.Wallboard) -> None:
    rows = [(r.owner_code, r.owner_name, r.clock, r.overdue_s, r.escalated)
            for r in board.breaches]
    assert rows == [("A1003", MARKUP_NAME, "arrival", 1800.0, True),
                    ("A1001", "王芳", "first_response", 900.0, False),
                    ("A1001", "王芳", "callback", 600.0, False)]


def test_off_shift_owners(board: monitor.Wallboard) -> None:
    assert board.off_shift_count == 2
    assert [(r.owner_code, r.status) for r in board.off_shift] == [
        ("A1002", "dispatched"), ("A1002", "accepted")]


def test_incidents_and_notices_with_their_calls(board: monitor.Wallboard) -> None:
    assert [(e.kind, e.title, e.area, e.calls) for e in board.events] == [
        ("incident", "花园路DN300主管爆管", "金水区花园路街道", 2),
        ("notice", "花园路街道临时停水", "金水区花园路街道", 2)]


def test_agent_load(board: monitor.Wallboard) -> None:
    assert [(a.code, a.on_shift, a.open, a.breached, a.resolved_today, a.callbacks_due)
            for a in board.agents] == [("A1001", True, 4, 2, 2, 1),
                                       ("A1003", True, 2, 1, 0, 0),
                                       ("A1002", False, 2, 0, 0, 0)]


def test_mix_by_type_category_and_area(board: monitor.Wallboard) -> None:
    today, week, month = (board.mix[p] for p in monitor.PERIODS)
    assert today.by_type == {"repair": 5, "consult": 1}
    assert week.by_type == {"repair": 7, "consult": 2, "complaint": 1}
    assert month.by_type == {"repair": 7, "consult": 2, "complaint": 1, "praise": 1}
    assert today.by_category == {"water.burst": 2, "water.no_water": 1, "power.fault": 1,
                                 "any.consult": 1, "water.meter": 1}
    assert today.by_category_area == {("water.burst", "urban"): 2,
                                      ("water.no_water", "rural"): 1,
                                      ("power.fault", "remote"): 1,
                                      ("any.consult", "urban"): 1,
                                      ("water.meter", "urban"): 1}
    assert month.by_category["any.praise"] == 1 and month.total == 11
    assert week.by_category_area[("power.billing", "urban")] == 1
    assert sum(month.by_category_area.values()) == month.total


def test_hot_spots(board: monitor.Wallboard) -> None:
    assert board.hot.streets == [("金水区", "花园路街道", 7), ("二七区", "建中街街道", 3)]
    assert board.hot.communities == [("金水区", "花园路街道", "幸福小区", 5),
                                     ("二七区", "建中街街道", "阳光花园", 3),
                                     ("金水区", "花园路街道", "阳光小区", 2)]
    assert board.hot.repeat_callers == [("+8613812345678", "张三", 2),
                                        ("+8613900009999", "", 2)]


def test_kpis(board: monitor.Wallboard) -> None:
    today, week, month = (board.kpis[p] for p in monitor.PERIODS)
    assert (today.tickets, week.tickets, month.tickets) == (6, 10, 11)
    assert (today.fr_decided, today.fr_on_time) == (4, 2)
    assert (week.fr_decided, week.fr_on_time) == (7, 3)
    assert (month.fr_decided, month.fr_on_time) == (7, 3)
    assert today.fr_on_time_pct == 50.0
    assert (today.res_decided, today.res_on_time) == (1, 1)
    assert (week.res_decided, week.res_on_time) == (3, 2)
    assert (month.res_decided, month.res_on_time) == (4, 3)
    assert today.fr_avg_s == pytest.approx(600, abs=0.01)
    # T12 answered in an hour; its first response clock was cleared by the reopening
    assert week.fr_avg_s == pytest.approx((201000 + 3600) / 6, abs=0.01)
    assert month.fr_avg_s == pytest.approx((208200 + 3600) / 7, abs=0.01)
    assert (today.callback_owed, today.callback_done) == (1, 0)
    assert (week.callback_owed, week.callback_done) == (3, 2)
    assert (month.callback_owed, month.callback_done) == (4, 3)
    assert month.callback_done_pct == 75.0
    assert today.satisfaction == {}
    assert week.satisfaction == {"满意": 1, "不满意": 2}
    assert month.satisfaction == {"满意": 1, "不满意": 2, "非常满意": 1}
    assert (today.kb_answered, week.kb_answered, month.kb_answered) == (1, 1, 1)
    assert month.kb_pct == pytest.approx(100 / 11)


def test_the_met_times_read_from_the_rows_are_the_events(desk_path: Path) -> None:
    """The KPIs and the trend read when each clock was met from the ticket row
    (workflow.MET): the same instants the events give, ticket by ticket."""
    conn = sqlite3.connect(desk_path)
    rows = conn.execute("SELECT id, responded_at, arrived_at, called_back_at FROM ticket"
                        ).fetchall()
    for tid, responded, arrived, called in rows:
        def first(where: str) -> str | None:
            return conn.execute(f"SELECT min(at) FROM ticket_event WHERE ticket_id = ? "
                                f"AND {where}", (tid,)).fetchone()[0]

        assert responded == first("from_status = 'accepted' AND to_status NOT IN "
                                  "('', 'accepted')")
        assert arrived == first("to_status IN ('on_site', 'resolved')")
        # a reopening (回访 不满意) starts a new call-back clock: met by a 回访 after it
        assert called == first("to_status = 'called_back' AND at > coalesce((SELECT max(r.at) "
                               "FROM ticket_event r WHERE r.ticket_id = ticket_event.ticket_id "
                               "AND r.kind = 'reopen'), '')")
    assert sum(r[1] is not None for r in rows) == 8  # T3 T4 T5 T7 T8 T9 T10 T12
    conn.close()


def test_live_and_review_halves_make_the_wallboard(desk_path: Path,
                                                   board: monitor.Wallboard) -> None:
    conn = sqlite3.connect(desk_path)
    live, review = monitor.live(conn, NOW), monitor.review(conn, NOW)
    conn.close()
    assert set(live["mix"]) == {"today"} and set(review["kpis"]) == {"7d", "30d"}
    combined = monitor.combine(NOW, live, review)
    assert combined.mix == board.mix and combined.kpis == board.kpis
    assert combined.hot == board.hot and combined.states == board.states
    early = monitor.combine(NOW, live, None)  # before the first period read
    assert early.kpis["30d"].tickets == 0 and early.kpis["today"].tickets == 6


def test_kpis_of_an_empty_window_say_nothing(desk_path: Path) -> None:
    conn = sqlite3.connect(desk_path)
    empty = monitor.kpis(conn, NOW + timedelta(days=1), NOW + timedelta(days=2), NOW)
    conn.close()
    assert empty.tickets == 0 and empty.fr_on_time_pct is None and empty.fr_avg_s is None


def test_trend_per_hour(board: monitor.Wallboard) -> None:
    trend = board.trend
    assert len(trend.hours) == 24
    assert trend.hours[0].isoformat() == "2026-11-24T02:00:00+00:00"
    assert trend.hours[-1].isoformat() == "2026-11-25T01:00:00+00:00"

    def nonzero(values: list[int]) -> dict[int, int]:
        return {i: v for i, v in enumerate(values) if v}

    assert nonzero(trend.created) == {21: 2, 22: 1, 23: 3}
    assert nonzero(trend.resolved) == {11: 1, 17: 1, 22: 1}
    assert nonzero(trend.breached) == {22: 1, 23: 3}


def test_report_writes_bom_csv(desk_path: Path, tmp_path: Path) -> None:
    desk = store.open_readonly(desk_path)
    try:
        with desk.session() as session:
            # local days 2026-11-18 .. 2026-11-25: the 7d tickets and today's
            written = report.write_csv(session, tmp_path / "out", date(2026, 11, 18),
                                       date(2026, 11, 25))
    finally:
        desk.dispose()
    assert sorted(p.name for p in written) == sorted(report.FILES)
    raw = (tmp_path / "out" / "mix_category_area.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM spreadsheet programs look for

    def rows(name: str) -> list[list[str]]:
        with (tmp_path / "out" / name).open(encoding="utf-8-sig", newline="") as f:
            return list(csv.reader(f))

    types = {r[0]: int(r[2]) for r in rows("mix_business_type.csv")[1:]}
    assert types == {"repair": 7, "consult": 2, "complaint": 1}
    area = {r[0]: r[2:] for r in rows("mix_category_area.csv")[1:]}
    assert area["water.no_water"] == ["0", "1", "0", "1"]  # urban, rural, remote, total
    assert rows("mix_category_area.csv")[0][1] == "类别"
    kpi = {r[0]: r[2:] for r in rows("kpi.csv")[1:]}
    assert kpi["tickets"][0] == "10"
    assert kpi["first_response_on_time_pct"] == ["42.9", "3", "7"]
    assert kpi["callback_done_pct"] == ["66.7", "2", "3"]
    assert kpi["satisfaction:满意"][0] == "1"
    assert rows("hot_communities.csv")[1] == ["金水区", "花园路街道", "幸福小区", "5"]
    assert rows("hot_streets.csv")[1:] == [["金水区", "花园路街道", "7"],
                                           ["二七区", "建中街街道", "3"]]
    # a phone in +86 form is text: written with the quote that keeps it from being a formula
    assert rows("repeat_callers.csv")[1:] == [["'+8613812345678", "张三", "2"],
                                               ["'+8613900009999", "", "2"]]


def test_report_cli(desk_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from agentdesk import cli

    code = cli.main(["report", "--db", str(desk_path), "--from", "2026-10-26",
                     "--to", "2026-11-25", "--csv", str(tmp_path / "r")])
    assert code == 0
    assert len(list((tmp_path / "r").glob("*.csv"))) == len(report.FILES)
    assert cli.main(["report", "--db", str(desk_path), "--from", "2026-11-25", "--to",
                     "2026-11-01", "--csv", str(tmp_path / "r")]) == 2
    assert "before" in capsys.readouterr().err


@pytest.mark.parametrize(("given", "expected"), [
    (["--from", "2026-12-01"], ("2026-12-01", "2026-12-31")),  # was the 30th
    (["--from", "2027-01-15"], ("2027-01-15", "2027-02-14")),
    (["--to", "2026-12-31"], ("2026-12-01", "2026-12-31")),
    (["--from", "2026-02-01"], ("2026-02-01", "2026-02-28")),
])
def test_report_with_one_end_covers_a_calendar_month(given, expected) -> None:
    """A monthly review from the 1st ends on the month's last day (issue 19)."""
    import argparse
    from datetime import date

    from agentdesk.monitor import cli as monitor_cli

    args = argparse.Namespace(date_from=None, date_to=None)
    for flag, value in zip(given[::2], given[1::2]):
        setattr(args, "date_from" if flag == "--from" else "date_to", value)
    assert monitor_cli._dates(args) == tuple(date.fromisoformat(d) for d in expected)
