"""Every open ticket of the monitor's test desk (tests/monitor_data.py) through every real
path that shows its clock: the queue rows (the ticket service's lists, drawn by the queue
screen), the wallboard (monitor.figures.open_levels), the escalation scan and the ticket
view. They must agree clock by clock: which clock, its deadline, its level at ``NOW``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from agentdesk.core import clock, store
from agentdesk.monitor import figures
from agentdesk.tickets import clocks, escalation, service as tickets, view
from tests.monitor_data import NOW, build

WALL_LEVEL = {"half": "ok"}  # the wall has no "half" colour: below 80 % is ok
ALERT_OF = {"warn": "warning", "breached": "escalation"}


@pytest.fixture(scope="module")
def desk_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("agreement") / "desk.db"
    build(path)
    return path


@pytest.fixture
def paths(desk_path: Path) -> dict[str, dict]:
    """Per ticket id, what each path says of its running clock."""
    clock.freeze(NOW)
    desk = store.open_readonly(desk_path)
    try:
        with desk.session() as session:
            rows = {r.ticket_id: r for r in tickets.open_all(session)}
            wall = {tid: (name, due, level)
                    for tid, _n, _o, name, due, level in figures.open_levels(session, NOW)}
            alerts = {(a.ticket_id, a.clock): a.kind
                      for a in escalation.due_alerts(session, NOW)}
            fired = {(tid, json_clock, kind) for tid, json_clock, kind in session.connection()
                     .exec_driver_sql("SELECT ticket_id, json_extract(data, '$.clock'), kind "
                                      "FROM ticket_event WHERE kind IN ('warning', "
                                      "'escalation')").all()}
            views = {tid: view.view(session, tid, NOW) for tid in rows}
    finally:
        desk.dispose()
    return {"rows": rows, "wall": wall, "alerts": alerts, "fired": fired, "views": views}


def test_every_open_ticket_is_on_every_path(paths: dict[str, dict]) -> None:
    assert len(paths["rows"]) == 8  # T1-T6, T11, T12: the open tickets of the test desk
    assert set(paths["rows"]) == set(paths["wall"]) == set(paths["views"])


def test_queue_wall_view_and_alerts_agree_clock_by_clock(paths: dict[str, dict]) -> None:
    for tid, row in paths["rows"].items():
        shown = clocks.clock_state(row.clock, row.clock_start, row.next_due, NOW) \
            if row.next_due else None  # as the queue screen draws the row
        level = shown.level if shown else "ok"

        name, due, wall_level = paths["wall"][tid]
        assert name == row.clock, row.number
        stored = datetime.fromisoformat(due).replace(tzinfo=UTC) if due else None
        assert stored == row.next_due, row.number
        assert wall_level == ("paused" if row.paused else WALL_LEVEL.get(level, level)), \
            (row.number, level, wall_level)

        seen = paths["views"][tid]
        assert seen.ticket["paused"] == row.paused
        if shown is None:
            assert seen.clock is None, row.number
        else:
            assert (seen.clock.name, seen.clock.due, seen.clock.level) == (
                shown.name, shown.due, shown.level), row.number
            assert seen.clock.used == pytest.approx(shown.used), row.number

        if row.paused or shown is None:
            assert not any(t == tid for t, _c in paths["alerts"]), row.number
            continue
        kind = ALERT_OF.get(level)
        given = paths["alerts"].get((tid, row.clock))
        if kind is None:
            assert given is None, (row.number, level, given)
        else:  # due now, or recorded by an earlier scan
            assert given == kind or (tid, row.clock, kind) in paths["fired"], \
                (row.number, level, given)


def test_the_reopened_ticket_runs_from_its_reopening(paths: dict[str, dict]) -> None:
    """T12: reopened 60 minutes ago with 60 minutes to go: half its new clock, not the
    99 % it would be from creation three days ago."""
    (row,) = [r for r in paths["rows"].values() if r.category == "water.pressure"]
    assert row.clock_start == NOW - (row.next_due - NOW)  # the reopening, an hour ago
    shown = clocks.clock_state(row.clock, row.clock_start, row.next_due, NOW)
    assert (shown.name, shown.level) == ("resolution", "half")
    assert shown.used == pytest.approx(0.5)
    assert paths["wall"][row.ticket_id][2] == "ok"
    assert paths["views"][row.ticket_id].clock.used == pytest.approx(0.5)
