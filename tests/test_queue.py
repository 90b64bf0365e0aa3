"""SLA clock states, warnings and escalation (督办) exactly once (issue 6, service part)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from agentdesk.core import clock
from agentdesk.tickets import clocks, escalation, queue, service as tickets
from agentdesk.tickets.service import Draft

T0 = datetime.fromisoformat("2026-11-25T09:30:00+08:00")


@pytest.mark.parametrize("minutes, level", [
    (0, "ok"), (4.99, "ok"), (5, "half"), (7.99, "half"), (8, "warn"), (9.99, "warn"),
    (10, "breached"), (30, "breached"),
])
def test_levels_at_exact_boundaries(minutes: float, level: str) -> None:
    state = clocks.clock_state("first_response", T0, T0 + timedelta(minutes=10),
                              T0 + timedelta(minutes=minutes))
    assert state.level == level


@pytest.mark.parametrize("seconds, text", [
    (3723, "01:02:03"), (0, "00:00:00"), (-252, "-00:04:12"), (-90000, "-25:00:00"),
])
def test_countdown_text(seconds: float, text: str) -> None:
    assert clocks.countdown(seconds) == text


def test_next_clock_follows_the_status() -> None:
    dues = {"first_response": T0 + timedelta(minutes=15), "arrival": T0 + timedelta(minutes=30),
            "resolution": None, "callback": None}
    assert clocks.next_clock("accepted", dues, T0, None, T0).name == "first_response"
    assert clocks.next_clock("dispatched", dues, T0, None, T0).name == "arrival"
    assert clocks.next_clock("on_site", dues, T0, None, T0) is None
    assert clocks.next_clock("archived", dues, T0, None, T0) is None


def _burst(desk) -> str:
    with desk.session() as s:
        cid = s.connection().exec_driver_sql(
            "SELECT id FROM customer WHERE account_no = '3100000002'").scalar()
        return tickets.create(s, Draft(category="water.burst", description="冒水",
                                       customer_id=cid), "A1001").number


def _scan(desk, at: str) -> list[tuple[str, str, str]]:
    clock.freeze(at)
    with desk.session() as s:
        return [(a.number, a.clock, a.kind) for a in escalation.scan(s, clock.now())]


def test_warning_then_escalation_each_exactly_once(desk) -> None:
    number = _burst(desk)  # 09:30: first response due 09:45, arrival 10:00
    mine = lambda alerts: [a[1:] for a in alerts if a[0] == number]  # noqa: E731
    assert mine(_scan(desk, "2026-11-25T09:35:00+08:00")) == []
    assert mine(_scan(desk, "2026-11-25T09:42:00+08:00")) == [("first_response", "warning")]
    assert mine(_scan(desk, "2026-11-25T09:43:00+08:00")) == []  # once
    assert mine(_scan(desk, "2026-11-25T09:45:00+08:00")) == [
        ("first_response", "escalation")]
    assert mine(_scan(desk, "2026-11-25T09:50:00+08:00")) == []  # once
    with desk.session() as s:
        assert (number, "A1001", "first_response") in escalation.breach_list(s)
        kinds = [e.kind for e in tickets.events(s, tickets.get(s, number).id)]
    assert kinds.count("escalation") == 1 and kinds.count("warning") == 1


def test_breached_while_the_desk_was_closed(desk) -> None:
    number = _burst(desk)
    # the desk was off until 11:00: both clocks breached; the next scan escalates both
    alerts = [a[1:] for a in _scan(desk, "2026-11-25T11:00:00+08:00") if a[0] == number]
    assert sorted(alerts) == [("arrival", "escalation"), ("first_response", "escalation")]
    assert [a for a in _scan(desk, "2026-11-25T11:01:00+08:00") if a[0] == number] == []


def test_paused_and_finished_clocks_do_not_fire(desk) -> None:
    number = _burst(desk)
    with desk.session() as s:
        tickets.pause(s, number, "A1001", "等来电人")
    assert [a for a in _scan(desk, "2026-11-25T11:00:00+08:00") if a[0] == number] == []
    clock.freeze(T0)
    other = _burst(desk)
    with desk.session() as s:
        tickets.advance(s, other, "A1001", "dispatched", department="抢修队")
        tickets.advance(s, other, "A1001", "on_site")
    # on site: first response and arrival are met; burst has no resolution clock
    assert [a for a in _scan(desk, "2026-11-25T11:00:00+08:00") if a[0] == other] == []


def test_a_reopened_clock_can_escalate_again(desk) -> None:
    clock.freeze(T0)
    with desk.session() as s:
        cid = s.connection().exec_driver_sql(
            "SELECT id FROM customer WHERE account_no = '3100000002'").scalar()
        number = tickets.create(s, Draft(category="water.quality", description="黄水",
                                         customer_id=cid), "A1001").number
        tickets.advance(s, number, "A1001", "dispatched", department="水质中心")
        tickets.advance(s, number, "A1001", "on_site")
    first = [a[1:] for a in _scan(desk, "2026-11-26T12:00:00+08:00") if a[0] == number]
    assert ("resolution", "escalation") in first
    with desk.session() as s:
        tickets.advance(s, number, "A1001", "resolved")
        tickets.call_back(s, number, "A1001", "不满意")  # reopened: a new resolution clock
        tickets.advance(s, number, "A1001", "on_site")
    again = [a[1:] for a in _scan(desk, "2026-11-28T12:00:00+08:00") if a[0] == number]
    assert ("resolution", "escalation") in again


# --- filters and counts (pure: what the screen and the header compute every second) ----

def _row(number: str, due_min: float | None, clock_name: str = "first_response",
         category: str = "water.burst", priority: str = "urgent", paused: bool = False):
    from datetime import timedelta

    from agentdesk.core import clock
    from agentdesk.tickets.service import QueueRow

    now = clock.now()
    due = now + timedelta(minutes=due_min) if due_min is not None else None
    return QueueRow(number, number, "", category, priority, "accepted", due, clock_name,
                    now - timedelta(minutes=30), paused, utility="power")


def _utility(code: str) -> str:
    return code.split(".")[0]


def test_counts_soon_and_breached_at_the_edges() -> None:
    from agentdesk.core import clock

    rows = [_row("a", 0), _row("b", 15), _row("c", 15.01), _row("d", -1), _row("e", None),
            _row("f", -5, paused=True)]
    c = queue.counts(rows, clock.now())
    # due exactly now is breached; exactly 15 min is "soon"; paused and clockless are neither
    assert (c.open, c.soon, c.breached) == (6, 1, 2)


def test_each_filter_and_their_combination() -> None:
    from agentdesk.core import clock

    now = clock.now()
    rows = [_row("burst", -1), _row("quality", 30, "resolution", "water.quality", "important"),
            _row("fault", 10, "arrival", "power.fault"), _row("any", 40, "resolution",
                                                            "any.complaint", "important")]

    def names(**f: object) -> list[str]:
        return [r.number for r in queue.apply_filter(rows, queue.Filter(**f), now, _utility)]

    assert names() == ["burst", "quality", "fault", "any"]
    assert names(breached=True) == ["burst"]
    assert names(clock="resolution") == ["quality", "any"]
    assert names(priority="important") == ["quality", "any"]
    # a complaint belongs to both trades: the caller's account (power here) decides
    assert names(utility="power") == ["fault", "any"]
    assert names(utility="water") == ["burst", "quality"]
    assert names(categories=frozenset({"water.quality", "power.fault"})) == ["quality", "fault"]
    assert names(utility="water", priority="important", clock="resolution") == ["quality"]
    assert names(utility="power", breached=True) == []
    assert not queue.Filter().active and queue.Filter(breached=True).active


def test_a_desk_scans_only_what_its_agent_owns(busy_desk) -> None:
    """Desks share tickets through the central store: each escalates only its agent's,
    so one breach never gets two 督办 events from two desks."""
    with busy_desk.session() as s:
        mine = {(a.number[-2:], a.kind) for a in escalation.scan(s, clock.now(), owner="A1001")}
        assert mine == {("02", "escalation"), ("03", "warning")}
        others = {(a.number[-2:], a.kind) for a in escalation.scan(s, clock.now())}
    # what A1001's desk left alone is still due for its owners' desks (or a one-desk centre)
    assert others == {("07", "warning"), ("08", "escalation")}
