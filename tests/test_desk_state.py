"""The desk's state has one home: the call context is replaced whole when a call rings,
the background jobs run whatever screen is open and never overlap, the header draws the
counts the app hands it, and the services the screens call instead of their own SQL."""

from __future__ import annotations

import threading
from dataclasses import replace

from sqlalchemy import text
from textual.app import App, ComposeResult
from textual.widgets import TextArea
from textual.worker import Worker, WorkerState

from agentdesk.apps import jobs
from agentdesk.core import clock
from agentdesk.core.i18n import t
from agentdesk.customers import contacts
from agentdesk.kb import answers, catalog
from agentdesk.screens.state import CallContext, SavedTicket
from agentdesk.tickets import service as tickets
from agentdesk.tickets.queue import Counts
from agentdesk.widgets.header import DeskHeader, HeaderState
from tests.conftest import settle, wait_ready, wait_until
from tests.test_app import SIZE, desk_app

KNOWN = "13900001111"  # 张三, 3100000002
UNKNOWN = "+8618600000000"


def notes(app) -> list[str]:  # noqa: ANN001
    return [n.message for n in app._notifications]


async def _ring(app, pilot, number: str) -> CallContext:  # noqa: ANN001
    app.pop_call(number)
    serial = app.call.serial
    assert await wait_until(pilot, lambda: app.call.serial == serial and app.call.recorded)
    await settle(pilot)
    return app.call


async def test_a_new_call_replaces_the_context_as_a_whole(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        assert app.call == CallContext()
        first = await _ring(app, pilot, KNOWN)
        assert first.serial == 1 and first.contact_id
        assert first.caller is not None and first.caller.account_no == "3100000002"
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press(*"电费发票")
        await pilot.pause(0.3)
        await settle(pilot)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert app.call.answer is not None and app.call.answer.article_id == "power-invoice"
        assert app.call.answer.title == "电费发票的开具与下载"
        assert app.call.contact_id == first.contact_id  # updated within the call

        second = await _ring(app, pilot, UNKNOWN)
        assert app.current_mode == "lookup"
        assert second.serial == 2 and second.number == UNKNOWN
        assert second.answer is None and second.card is None and second.ticket is None
        assert second.caller is None  # nobody has this number
        assert second.contact_id and second.contact_id != first.contact_id


async def test_a_saved_ticket_goes_on_the_call_and_uses_up_the_answer(desk) -> None:
    from agentdesk.kb import loader

    loader.ensure_shipped(desk)
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _ring(app, pilot, KNOWN)
        await wait_until(pilot, lambda: app.screen.card is not None)
        answer = answers.KbAnswer("water-burst-main", "爆管", "已安排抢修。")
        app.call = replace(app.call, answer=answer)
        await pilot.press("ctrl+n", "b", "g", "enter")
        await settle(pilot)
        assert app.call.card is not None and app.call.card.account_no == "3100000002"
        app.screen.query_one("#description", TextArea).insert("路面冒水")
        await pilot.press("ctrl+s")
        assert await wait_until(pilot, lambda: app.call.ticket is not None)
        made = app.screen.created
        assert app.call.ticket == SavedTicket(made["id"], made["number"])
        assert app.call.answer is None  # used: the next ticket does not get it again
        await settle(pilot)
        assert any(r.number == made["number"] for r in app.my_queue)  # the data reloaded
    with desk.session() as s:
        note = s.connection().execute(text(
            "SELECT note FROM ticket_event WHERE ticket_id = :t AND kind = 'note'"),
            {"t": made["id"]}).scalar()
    assert note == "答复口径（water-burst-main）：已安排抢修。"


async def test_the_escalation_scan_runs_without_the_queue_screen(desk, monkeypatch) -> None:
    monkeypatch.setattr(jobs, "SCAN_EVERY_S", 0.2)
    with desk.session() as s:
        cid = s.connection().exec_driver_sql(
            "SELECT id FROM customer WHERE account_no = '3100000002'").scalar()
        number = tickets.create(s, tickets.Draft(category="water.burst", description="冒水",
                                                 customer_id=cid), "A1001").number
    app = desk_app(desk)
    warning = t("queue.alert.warning", number=number, clock=t("sla.first_response"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        assert app.jobs.scan.runs >= 1 and warning not in notes(app)
        clock.freeze("2026-11-25T09:42:00+08:00")  # 80 % of the 15 minutes used
        assert await wait_until(pilot, lambda: warning in notes(app), timeout=5)
        assert app.current_mode == "lookup"  # the queue screen was never opened
        assert notes(app).count(warning) == 1  # fired once, however often the scan runs
        runs = app.jobs.scan.runs
        assert await wait_until(pilot, lambda: app.jobs.scan.runs > runs)  # re-armed
        assert notes(app).count(warning) == 1


class _JobHost(App):
    def __init__(self, body) -> None:  # noqa: ANN001
        super().__init__()
        self.job = jobs.Repeating(self, "job", 0.05, body)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self.job.ended(event.worker)


async def test_a_job_still_running_is_not_started_again() -> None:
    gate, lock = threading.Event(), threading.Lock()
    active, most = [0], [0]

    def body() -> None:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        gate.wait(5)
        with lock:
            active[0] -= 1

    app = _JobHost(body)
    async with app.run_test() as pilot:
        app.job.start()
        assert app.job.running
        assert app.job.run_now() is False and app.job.runs == 1  # still running: not again
        gate.set()
        assert await wait_until(pilot, lambda: app.job.runs >= 4)  # it re-arms itself
        app.job.stop()
        await app.workers.wait_for_complete()
    assert most[0] == 1  # never two runs at once


async def test_the_header_shows_the_counts_the_app_computes(busy_desk) -> None:
    app = desk_app(busy_desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        assert app.current_mode == "lookup"
        assert app.header_state.counts == Counts(6, 3, 1)
        header = app.screen.query_one(DeskHeader)
        assert header.state == app.header_state
        assert "我的 6 · 15 分钟内 3 · 超时 1" in header.render().plain


class _HeaderHost(App):
    header_state = HeaderState("标题", "某人(A9)", "x.db", "同步中", "", Counts(2, 1, 0))

    def compose(self) -> ComposeResult:
        yield DeskHeader()


async def test_the_header_only_draws_the_state_it_is_given() -> None:
    app = _HeaderHost()
    async with app.run_test(size=SIZE):
        shown = app.query_one(DeskHeader).render().plain
    for part in ("标题", "某人(A9)", "x.db", "同步中", "我的 2 · 15 分钟内 1 · 超时 0"):
        assert part in shown, part


def test_answer_of_an_article_and_its_note(desk) -> None:
    from agentdesk.kb import loader

    loader.ensure_shipped(desk)
    with desk.session() as s:
        article = catalog.get(s, "power-invoice")
    assert article is not None
    answer = answers.answer_of(article)
    assert answer == answers.KbAnswer("power-invoice", article.title, article.answer)
    assert answers.answer_of(replace(article, body="## 处理步骤\n\n核实。")) is None
    note = answers.note_text(answer, 4000)
    assert note == f"答复口径（power-invoice）：{article.answer}"
    assert answers.note_text(answer, 10) == note[:10]


def test_withheld_call_and_the_caller_of_a_ringing_number(desk) -> None:
    with desk.session() as s:
        contact_id = contacts.record_withheld(s, "A1001")
        known = contacts.record_call(s, KNOWN, "A1001")
        caller = contacts.caller(s, known)
        unknown = contacts.caller(s, contacts.record_call(s, UNKNOWN, "A1001"))
    assert caller is not None and caller.account_no == "3100000002" and caller.name == "张三"
    assert unknown is None
    with desk.session() as s:
        row = s.connection().execute(text(
            "SELECT c.number, c.customer_id, a.code FROM contact c JOIN agent a "
            "ON a.id = c.agent_id WHERE c.id = :id"), {"id": contact_id}).one()
    assert tuple(row) == ("", None, "A1001")


async def test_a_ticket_saved_for_one_call_never_lands_on_the_next(desk) -> None:
    """The save worker may finish after a new call rang: the ticket stays with its call,
    and the new call keeps its own pending answer."""
    from agentdesk.screens.state import TicketSaved

    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        first = await _ring(app, pilot, KNOWN)
        await _ring(app, pilot, UNKNOWN)
        answer = answers.KbAnswer("water-burst-main", "爆管", "已安排抢修。")
        app.call = replace(app.call, answer=answer)
        version = app.data_version
        app.post_message(TicketSaved({"id": "t-1", "number": "GD1"}, None, first.serial))
        await settle(pilot)
        assert app.call.ticket is None and app.call.answer == answer
        assert app.data_version > version  # the lists still reload


async def test_a_run_asked_for_while_one_runs_follows_it() -> None:
    """A change that lands while the scan runs is scanned right after, not 30 s later."""
    gate = threading.Event()
    seen: list[int] = []

    def body() -> None:
        seen.append(len(seen))
        if len(seen) == 1:
            gate.wait(5)

    app = _JobHost(body)
    app.job.every = 60.0
    async with app.run_test() as pilot:
        app.job.start()
        assert app.job.run_now() is False and app.job.pending  # asked while running
        gate.set()
        assert await wait_until(pilot, lambda: app.job.runs == 2)  # not 60 s later
        app.job.stop()
        await app.workers.wait_for_complete()
