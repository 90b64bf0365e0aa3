"""Issue 19, "what an agent misses" (Pilot): the 派单 dialog's department pick list
(type-ahead by pinyin initials over the centre's list), the hand-over's colleagues (on
shift first, the off-shift marked), the unknown caller made a customer (Ctrl+K, refused
until the centre allows it), and the monitor's read-only drill-down (no key writes)."""

from __future__ import annotations

from textual.widgets import DataTable, Input, OptionList

from agentdesk.core.models import Agent, CentralSetting
from tests.conftest import settle, visible_text, wait_ready, wait_until
from tests.test_app import SIZE, desk_app
from tests.test_form_fixes import UNKNOWN, _ring
from tests.test_picks import CENTRE_LIST

TICKET = "GD2026112500001"  # water.burst, the desk's own, accepted


async def _detail(app, pilot, desk):  # noqa: ANN001, ANN202
    from agentdesk.screens.ticket_detail import TicketDetail
    from agentdesk.tickets import service as tickets

    with desk.session() as s:
        ticket_id = tickets.get(s, TICKET).id
    await wait_ready(pilot)
    detail = TicketDetail(ticket_id)
    app.push_screen(detail)
    assert await wait_until(pilot, lambda: detail.ticket is not None)
    await settle(pilot)
    return detail


def _options(dialog, box: str) -> list[str]:  # noqa: ANN001
    options = dialog.query_one(f"#{box}-options", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_dispatch_picks_from_the_centres_list_by_initials(desk) -> None:
    from agentdesk.screens.dispatch import DispatchDialog

    with desk.session() as s:  # the centre's list, as a sync pulls it
        s.add(CentralSetting(name="departments", body=CENTRE_LIST))
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        detail = await _detail(app, pilot, desk)
        await pilot.press("d")
        assert await wait_until(pilot, lambda: isinstance(app.screen, DispatchDialog)
                                and app.screen.loaded)
        dialog = app.screen
        listed = _options(dialog, "department")
        assert listed[0].startswith("供水抢修一队") and "对口" in listed[0]  # fits burst
        assert listed[-1].startswith("其他")
        await pilot.press("g", "s")
        await settle(pilot)
        assert _options(dialog, "department")[0].startswith("供水抢修一队")
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: app.screen is detail)
        assert await wait_until(pilot, lambda: detail.ticket["status"] == "dispatched")
        assert detail.ticket["department"] == "供水抢修一队"
        assert "供水抢修一队" in visible_text(app)


async def test_dispatch_arrow_keys_and_the_shipped_list(desk) -> None:
    app = desk_app(desk, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        detail = await _detail(app, pilot, desk)
        await pilot.press("d")
        assert await wait_until(pilot, lambda: getattr(app.screen, "loaded", False))
        dialog = app.screen
        await pilot.press("g", "s")
        await settle(pilot)
        assert _options(dialog, "department")[0].startswith("供水调度中心")
        await pilot.press("backspace", "backspace", "down", "down", "enter")
        assert await wait_until(pilot, lambda: app.screen is detail)
        assert await wait_until(pilot, lambda: detail.ticket["department"] == "管网抢修二队")


async def test_hand_over_lists_colleagues_on_shift_first(desk) -> None:
    from agentdesk.screens.handover import HandOver

    with desk.session() as s:
        s.add_all([Agent(code="A1002", name="李娜", on_shift=False),
                   Agent(code="A1003", name="张伟")])
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        detail = await _detail(app, pilot, desk)
        await pilot.press("h")
        assert await wait_until(pilot, lambda: isinstance(app.screen, HandOver)
                                and app.screen.loaded)
        dialog = app.screen
        assert _options(dialog, "to") == ["张伟（A1003）", "李娜（A1002）  （已下班）"]
        await pilot.press("l", "n", "enter")
        await settle(pilot)
        assert dialog.to == "A1002" and dialog.focused is dialog.query_one("#reason", Input)
        await pilot.press(*"jiaoban", "enter")
        assert await wait_until(pilot, lambda: app.screen is detail)
        assert await wait_until(pilot, lambda: detail.ticket["owner"] == "A1002")
        assert await wait_until(pilot, lambda: any(  # the off-shift warning stays
            "不在班" in str(n.message) for n in app._notifications), 10)


async def test_an_unknown_caller_becomes_a_customer_when_the_centre_allows(desk) -> None:
    from agentdesk.screens.new_customer import MakeCustomer
    from agentdesk.screens.wrapup import CallerDetails

    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _ring(app, pilot, UNKNOWN)
        lookup = app.screen
        assert await wait_until(pilot, lambda: lookup.unknown_call == app.call.serial)
        await pilot.press("ctrl+k")  # nothing kept yet, and not allowed anyway
        assert await wait_until(pilot, lambda: "中心不允许" in visible_text(app))
        await pilot.press("ctrl+d")
        assert await wait_until(pilot, lambda: isinstance(app.screen, CallerDetails))
        await pilot.press(*"赵六", "tab", *"金水区花园路8号", "enter")
        assert await wait_until(pilot, lambda: app.screen is lookup)
        await settle(pilot)
        with desk.session() as s:
            s.add(CentralSetting(name="desk_may_create_customers", body="on"))
        await pilot.press("ctrl+k")
        assert await wait_until(pilot, lambda: isinstance(app.screen, MakeCustomer))
        assert "赵六" in visible_text(app) and "金水区花园路8号" in visible_text(app)
        await pilot.press("1")  # water
        assert await wait_until(pilot, lambda: app.screen is lookup)
        assert await wait_until(pilot, lambda: lookup.card is not None)
        assert lookup.card.name == "赵六" and lookup.unknown_call == 0
        account = lookup.card.account_no
        assert account.startswith("LS")
        text = visible_text(app)  # the card, and the number now finds the customer
        assert "赵六" in text and account in text and "找到 1 户" in text
    with desk.session() as s:  # the call is the new customer's, and its change will sync
        row = s.connection().exec_driver_sql(
            "SELECT entity, op FROM sync_outbox WHERE entity = 'customer' ORDER BY made_at"
        ).all()
        assert ("customer", "insert") in [tuple(r) for r in row]


async def test_a_caller_with_a_customers_number_is_refused_in_the_dialog(desk) -> None:
    from agentdesk.screens.new_customer import MakeCustomer
    from agentdesk.screens.wrapup import CallerDetails

    with desk.session() as s:
        s.add(CentralSetting(name="desk_may_create_customers", body="on"))
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _ring(app, pilot, UNKNOWN)
        assert await wait_until(pilot, lambda: app.screen.unknown_call == app.call.serial)
        await pilot.press("ctrl+d")
        assert await wait_until(pilot, lambda: isinstance(app.screen, CallerDetails))
        dialog = app.screen
        dialog.query_one("#callback", Input).value = "139 0000 1111"  # 张三's
        await pilot.press(*"张三", "tab", *"二七区", "enter")
        assert await wait_until(pilot, lambda: not isinstance(app.screen, CallerDetails))
        await pilot.press("ctrl+k")
        assert await wait_until(pilot, lambda: isinstance(app.screen, MakeCustomer))
        made = app.screen
        await pilot.press("2")
        assert await wait_until(pilot, lambda: made.refused != "")
        assert "3100000002" in made.refused and app.screen is made


# --- the monitor's drill-down -------------------------------------------------------------

async def test_the_monitor_drills_down_read_only(tmp_path) -> None:
    from tests.test_monitor_screen import _digest, _ready, monitor_app
    from tests.monitor_data import build

    from agentdesk.apps.monitor import WRITE_KEYS
    from agentdesk.screens.ticket_readonly import AgentTickets, TicketReadOnly

    path = tmp_path / "desk.db"
    numbers = build(path)
    before = _digest(path)
    app = monitor_app(path)
    async with app.run_test(size=(160, 60)) as pilot:
        await _ready(pilot)
        board = app.screen.board
        first = board.dubans[0].number
        app.screen.query_one("#duban", DataTable).focus()
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: isinstance(app.screen, TicketReadOnly)
                                and app.screen.ticket is not None)
        text = visible_text(app)
        assert first in text and "只读" in text
        for key in ("d", "o", "r", "b", "a", "p", "h", "n", "k", "u", "g", "e", "i",
                    *WRITE_KEYS):
            await pilot.press(key)
            await pilot.pause(0.02)
        assert isinstance(app.screen, TicketReadOnly)  # no key opened a writing dialog
        await pilot.press("escape")
        await pilot.press("2")
        await settle(pilot)
        agents = app.screen.query_one("#agents", DataTable)
        agents.focus()
        row = next(i for i, a in enumerate(board.agents) if a.code == "A1001")
        agents.move_cursor(row=row)
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: isinstance(app.screen, AgentTickets)
                                and app.screen.rows is not None)
        listing = app.screen
        text = visible_text(app)
        assert "王芳（A1001）" in text and numbers["T1"] in text and numbers["T11"] in text
        assert numbers["T3"] not in text  # A1003's
        listing.query_one(DataTable).move_cursor(
            row=[r.number for r in listing.rows].index(numbers["T11"]))
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: isinstance(app.screen, TicketReadOnly)
                                and app.screen.ticket is not None)
        assert numbers["T11"] in visible_text(app)
        for key in ("d", "h", "n", "ctrl+s", "enter", "space"):
            await pilot.press(key)
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, (TicketReadOnly, AgentTickets))
        await pilot.press("ctrl+q")
    assert _digest(path) == before
