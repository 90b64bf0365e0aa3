"""The ticket domain's rules from their one home: the steps the detail screen offers, a
draft's terms (the form's preview and what create stores), the ticket view, and a reopened
ticket's clock through the real service calls."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from agentdesk.core import clock
from agentdesk.tickets import clocks, service as tickets, view, workflow
from agentdesk.tickets.service import Draft

if TYPE_CHECKING:
    from agentdesk.core.store import Store

# The detail screen's table before it was derived: action -> statuses it is offered in.
OLD_STEPS = {
    "dispatch": ("accepted",),
    "on_site": ("accepted", "dispatched"),
    "resolve": ("accepted", "dispatched", "on_site"),
    "call_back": ("resolved",),
    "archive": ("called_back",),
    "pause": ("accepted", "dispatched", "on_site"),
    "hand_over": ("accepted", "dispatched", "on_site", "resolved", "called_back"),
    "note": ("accepted", "dispatched", "on_site", "resolved", "called_back", "archived"),
}


@pytest.mark.parametrize("status", list(workflow.TRANSITIONS))
def test_steps_derived_from_the_workflow_match_the_old_table(status: str) -> None:
    expected = {step for step, statuses in OLD_STEPS.items() if status in statuses}
    assert view.allowed_steps(status, paused=False) == expected
    # a paused ticket's pause key resumes it
    assert "pause" in view.allowed_steps(status, paused=True)


def test_open_statuses_are_the_clocked_ones() -> None:
    assert clocks.OPEN == ("accepted", "dispatched", "on_site", "resolved")
    assert clocks.UNRESOLVED == ("accepted", "dispatched", "on_site")
    assert set(clocks.OPEN) < set(workflow.TRANSITIONS)


def _customer(desk: Store, account: str) -> str:
    with desk.session() as s:
        return s.connection().exec_driver_sql(
            "SELECT id FROM customer WHERE account_no = ?", (account,)).scalar()


@pytest.mark.parametrize("category, account", [
    ("water.burst", "3100000002"), ("any.consult", "3100000002"), ("water.burst", None)])
def test_preview_is_what_create_stores(desk: Store, category: str, account: str | None
                                       ) -> None:
    clock.freeze("2026-11-25T09:30:00+08:00")
    cid = _customer(desk, account) if account else None
    with desk.session() as s:
        terms = tickets.preview(s, category, cid)
        ticket = tickets.create(s, Draft(category=category, description="描述",
                                         customer_id=cid, location="花园路1号"), "A1001")
        stored = {name: getattr(ticket, f"due_{name}") for name in clocks.CLOCKS}
        assert (ticket.priority, ticket.area_class) == (terms.priority, terms.area_class)
        assert stored == terms.due
        assert terms.due["first_response"] is not None and terms.due["callback"] is None


def test_preview_refuses_an_unknown_category(desk: Store) -> None:
    with desk.session() as s, pytest.raises(tickets.TicketError):
        tickets.preview(s, "water.nonsense", None)


def test_a_reopened_ticket_runs_from_its_reopening_everywhere(desk: Store) -> None:
    clock.freeze("2026-11-20T09:00:00+08:00")
    cid = _customer(desk, "3100000002")
    with desk.session() as s:
        number = tickets.create(s, Draft(category="water.burst", description="冒水",
                                         customer_id=cid), "A1001").number
        tickets.advance(s, number, "A1001", "resolved")
        s.commit()
    reopened = clock.freeze("2026-11-25T09:00:00+08:00")
    with desk.session() as s:
        tickets.call_back(s, number, "A1001", workflow.UNSATISFIED)
        s.commit()
    now = clock.freeze(reopened + timedelta(minutes=10))
    with desk.session() as s:
        (row,) = [r for r in tickets.open_for_owner(s, "A1001") if r.number == number]
        seen = view.view(s, number, now)
    assert row.clock == seen.clock.name == "resolution"
    assert row.clock_start == seen.clock.start == reopened
    assert seen.clock.due == row.next_due
    assert seen.ticket["status"] == "accepted" and "dispatch" in seen.steps


def test_the_view_carries_the_caller_and_the_history(desk: Store) -> None:
    clock.freeze("2026-11-25T09:30:00+08:00")
    cid = _customer(desk, "3100000002")
    with desk.session() as s:
        number = tickets.create(s, Draft(category="water.burst", description="冒水",
                                         customer_id=cid), "A1001").number
        tickets.pause(s, number, "A1001", "等用户回电")
        seen = view.view(s, number)
        name = s.connection().exec_driver_sql(
            "SELECT name FROM customer WHERE id = ?", (cid,)).scalar()
    assert seen.ticket["caller"] == name and seen.ticket["paused"] is True
    # the agent as everywhere: name and 工号 (issue 19, item 11)
    assert [(h.kind, h.agent) for h in seen.history] == [("created", "王芳（A1001）"),
                                                          ("pause", "王芳（A1001）")]
    assert seen.ticket["owner_label"] == "王芳（A1001）"
    assert seen.steps == {"dispatch", "on_site", "resolve", "pause", "hand_over", "note"}


def test_the_generated_sql_is_the_python_rule() -> None:
    """The monitor's SQL (next deadline, its clock, its start, the 80 % mark) against
    clocks.next_clock for every status and every mix of present and tied deadlines."""
    import itertools
    import sqlite3
    from datetime import datetime

    from agentdesk.core.models import utc_text

    base = datetime.fromisoformat("2026-11-25T00:00:00+00:00")
    created, resolved, reopened = base, base + timedelta(hours=5), base + timedelta(hours=2)
    choices = (None, base + timedelta(hours=8), base + timedelta(hours=9))
    conn = sqlite3.connect(":memory:")
    sql = (f"SELECT due, {clocks.sql_clock_name('due')} FROM (SELECT *, "
           f"{clocks.sql_next_due('t')} AS due FROM (SELECT ? AS status, "
           "? AS due_first_response, ? AS due_arrival, ? AS due_resolution, "
           "? AS due_callback) t)")
    for status in workflow.TRANSITIONS:
        for dues in itertools.product(choices, repeat=4):
            texts = [utc_text(d) if d else None for d in dues]
            due, name = conn.execute(sql, (status, *texts)).fetchone()
            state = clocks.next_clock(status, dict(zip(clocks.CLOCKS, dues)), created,
                                      resolved, base, reopened)
            assert (due, name) == ((utc_text(state.due), state.name) if state
                                   else ("~", "")), (status, dues)
    for name in clocks.CLOCKS:
        (start,) = conn.execute(
            f"SELECT {clocks.sql_clock_start('?', '?', '?', '?')}",
            (name, utc_text(resolved), utc_text(resolved), utc_text(reopened),
             utc_text(created))).fetchone()
        assert start == utc_text(clocks.clock_start(name, created, resolved, reopened))
    for used_pct in (79, 80, 81):  # start 0, due 100: now at used_pct
        (warn,) = conn.execute(f"SELECT {clocks.sql_warn(str(used_pct), '100', '0')}"
                               ).fetchone()
        assert bool(warn) == (clocks.level(used_pct / 100) in ("warn", "breached"))


def test_history_is_in_time_order_when_old_events_came_without_the_outbox(desk: Store
                                                                           ) -> None:
    """Events the desk was given (demo data, an import: no outbox row, no centre order)
    and one made today: the history reads in time order, today's last (issue 19, 5)."""
    from datetime import timedelta

    clock.freeze("2026-11-25T09:30:00+08:00")
    cid = _customer(desk, "3100000002")
    with desk.session() as s:
        number = tickets.create(s, Draft(category="water.burst", description="冒水",
                                         customer_id=cid), "A1001").number
        # as demo data does: its history written straight, nothing in the outbox
        s.connection().exec_driver_sql("DELETE FROM sync_outbox")
    clock.advance(timedelta(days=1))
    with desk.session() as s:
        tickets.add_note(s, number, "A1001", "次日回访前再联系")
        seen = view.view(s, number)
    assert [h.kind for h in seen.history] == ["created", "note"]
