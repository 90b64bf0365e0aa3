"""Complaint classes and the channel (issue 17 items 1 and 5): the lists per utility, the
centre's override, the quality gate (no class, unknown, the other utility's), the class
and channel stored through the created event, the CLI, the class picker on the form."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from textual.widgets import Input, TextArea

from agentdesk.cli import main
from agentdesk.core import channels
from agentdesk.customers import contacts
from agentdesk.tickets import complaint_classes, service as tickets, workflow
from agentdesk.tickets.service import Draft, TicketError
from tests.conftest import settle, visible_text, wait_ready, wait_until
from tests.test_app import SIZE, desk_app

WATER, POWER = "3100000002", "4100000003"  # the fixture's customers


def _cid(desk, account: str) -> str:
    with desk.session() as s:
        return s.connection().execute(text("SELECT id FROM customer WHERE account_no = :a"),
                                      {"a": account}).scalar()


def _complaint(desk, account: str | None = WATER, **kw) -> dict:
    values = {"category": "any.complaint", "description": "抄表员态度差",
              "complained_party": "抄表员", **kw}
    with desk.session() as s:
        ticket = tickets.create(s, Draft(customer_id=_cid(desk, account) if account else None,
                                         **values), "A1001")
        return tickets.as_json(s, ticket)


def _count(desk) -> tuple[int, int]:
    with desk.session() as s:
        conn = s.connection()
        return (conn.execute(text("SELECT count(*) FROM ticket")).scalar(),
                conn.execute(text("SELECT count(*) FROM ticket_event")).scalar())


# --- the lists -----------------------------------------------------------------------------

def test_shipped_lists_have_both_utilities_with_95598_classes() -> None:
    lists = complaint_classes.shipped()
    power = {c.first for c in lists.for_utility("power")}
    assert power == {"service", "business", "outage", "quality", "grid"}
    water = [c.code for c in lists.for_utility("water")]
    assert "w_supply.quality" in water and "w_service.attitude" in water
    assert not set(water) & {c.code for c in lists.for_utility("power")}
    assert lists.label("service.attitude", "zh") == "服务 / 服务态度"
    assert lists.label("outage.frequent", "en") == "Outage and restoration / Frequent outages"


def test_class_type_ahead_by_pinyin_initials_and_utility() -> None:
    lists = complaint_classes.shipped()
    assert complaint_classes.search(lists, "fwtd", "power")[0].code == "service.attitude"
    assert complaint_classes.search(lists, "fwtd", "water")[0].code == "w_service.attitude"
    assert complaint_classes.search(lists, "电压", "power")[0].code == "quality.voltage"
    assert all(c.utility == "water" for c in complaint_classes.search(lists, "", "water"))


@pytest.mark.parametrize("body, message", [
    ("complaint_classes = [{ code = 'x', zh = 'x', en = 'x', utility = 'gas' }]",
     "utility must be one of"),
    ("complaint_classes = [{ code = 'x', zh = 'x', en = 'x', utility = 'water' }]\n"
     "complaint_items = [{ code = 'y.z', zh = 'y', en = 'y' }]", "<first-level class>"),
    ("complaint_classes = [{ code = 'x', zh = 'x' }]", "has no en"),
    ("complaint_classes = [", "centre.toml"),
])
def test_a_broken_class_file_is_refused_with_its_reason(english, body: str, message: str) -> None:
    with pytest.raises(complaint_classes.ClassError, match=message):
        complaint_classes.parse(body, "centre.toml")


CENTRE_WATER = """
complaint_classes = [{ code = "ws", zh = "供水服务", en = "Water service", utility = "water" }]
complaint_items = [{ code = "ws.meter_reader", zh = "抄表员", en = "Meter reader" }]
"""


def test_the_centres_list_replaces_its_utility_only(english, desk) -> None:
    with desk.session() as s:
        s.connection().exec_driver_sql(
            "INSERT INTO central_setting (name, body, updated_at) VALUES (?, ?, ?)",
            (complaint_classes.CENTRAL_SETTING, CENTRE_WATER, "2026-11-25 00:00:00.000000"))
    made = _complaint(desk, complaint_class="ws.meter_reader")
    assert made["complaint_class"] == "ws.meter_reader"
    with pytest.raises(TicketError, match="unknown complaint class 'w_service.attitude'"):
        _complaint(desk, complaint_class="w_service.attitude")  # replaced by the centre's
    assert _complaint(desk, POWER, complaint_class="grid.works")["complaint_class"] == (
        "grid.works")  # power keeps the shipped list


# --- the quality gate and the stored class ----------------------------------------------

@pytest.mark.parametrize("kw, message", [
    ({}, r"a complaint needs a complaint class \(list them: agentdesk ticket classes\)"),
    ({"complaint_class": "service.rudeness"}, "unknown complaint class 'service.rudeness'"),
    ({"complaint_class": "service"}, "a first-level class: pick one of its items"),
    ({"complaint_class": "service.attitude"}, "is a power class; this is a water complaint"),
    ({"complaint_class": "w_service.attitude", "channel": "fax"}, "unknown channel 'fax'"),
])
def test_bad_complaints_are_refused_and_nothing_saved(english, desk, kw, message) -> None:
    before = _count(desk)
    with pytest.raises(TicketError, match=message):
        _complaint(desk, **kw)  # a water customer
    with desk.session() as s:  # the gate says the same before anything is offered
        with pytest.raises(TicketError, match=message):
            tickets.check(s, Draft(category="any.complaint", description="x",
                                   customer_id=_cid(desk, WATER), complained_party="x", **kw))
    assert _count(desk) == before


def test_only_a_complaint_takes_a_class(english, desk) -> None:
    with desk.session() as s, pytest.raises(TicketError, match="only a complaint"):
        tickets.create(s, Draft(category="water.burst", description="冒水",
                                customer_id=_cid(desk, WATER),
                                complaint_class="w_supply.quality"), "A1001")


def test_class_and_channel_are_stored_by_the_created_event(desk) -> None:
    made = _complaint(desk, complaint_class="w_service.attitude", channel="12398")
    assert (made["complaint_class"], made["channel"]) == ("w_service.attitude", "12398")
    with desk.session() as s:
        ticket = tickets.get(s, made["number"])
        created = [e for e in tickets.events(s, ticket.id) if e.kind == "created"][0]
        data = workflow.decode(created.data)
        assert (data["complaint_class"], data["channel"]) == ("w_service.attitude", "12398")
        rebuilt = tickets.rebuilt(s, ticket.id)
        assert (rebuilt["complaint_class"], rebuilt["channel"]) == ("w_service.attitude",
                                                                    "12398")


def test_a_complaint_with_no_caller_takes_either_list(desk) -> None:
    assert _complaint(desk, None, complaint_class="outage.frequent",
                      location="文化路")["complaint_class"] == "outage.frequent"
    assert _complaint(desk, None, complaint_class="w_supply.pressure",
                      location="文化路")["complaint_class"] == "w_supply.pressure"


# --- the channel -------------------------------------------------------------------------

def test_one_channel_list_for_contacts_and_tickets() -> None:
    assert contacts.CHANNELS is channels.CHANNELS
    assert {"phone", "app", "wechat", "12345", "12398", "counter", "email"} == set(
        channels.CHANNELS)


def test_channel_defaults_to_the_calls_then_phone(desk) -> None:
    with desk.session() as s:
        contact_id = contacts.record_call(s, "13900001111", "A1001", channel="wechat").contact_id
        ticket = tickets.create(s, Draft(category="water.burst", description="冒水",
                                         customer_id=_cid(desk, WATER),
                                         contact_id=contact_id), "A1001")
        assert ticket.channel == "wechat"
        ticket = tickets.create(s, Draft(category="water.burst", description="冒水",
                                         customer_id=_cid(desk, WATER), channel="email",
                                         contact_id=contact_id), "A1001")
        assert ticket.channel == "email"  # said so: the agent's word wins
        ticket = tickets.create(s, Draft(category="water.burst", description="冒水",
                                         customer_id=_cid(desk, WATER)), "A1001")
        assert ticket.channel == "phone"


def test_a_call_on_the_new_channels_is_recorded(english, desk) -> None:
    with desk.session() as s:
        assert contacts.record_withheld(s, "A1001", channel="12398")
        with pytest.raises(ValueError, match="unknown channel 'fax'"):
            contacts.record_withheld(s, "A1001", channel="fax")


# --- the command line ----------------------------------------------------------------------

def _cli(desk, *argv: str) -> int:
    return main(["ticket", *argv, "--db", str(desk.path)])


def test_cli_creates_a_complaint_with_class_and_channel(desk, capsys) -> None:
    code = _cli(desk, "create", "--customer", POWER, "--category", "any.complaint",
                "--text", "停电太频繁", "--party", "供电所", "--channel", "app",
                "--complaint-class", "outage.frequent", "--json")
    assert code == 0
    made = json.loads(capsys.readouterr().out)
    assert (made["complaint_class"], made["channel"]) == ("outage.frequent", "app")


@pytest.mark.parametrize("extra, message", [
    ((), "a complaint needs a complaint class (list them: agentdesk ticket classes)"),
    (("--complaint-class", "nope.nope"), "unknown complaint class 'nope.nope'"),
    (("--complaint-class", "outage.frequent", "--channel", "fax"),
     "unknown channel 'fax' (known: phone, app, wechat, 12345, 12398, counter, email)"),
])
def test_cli_bad_complaint_says_why_and_creates_nothing(english, desk, capsys, extra, message) -> None:
    before = _count(desk)
    code = _cli(desk, "create", "--customer", POWER, "--category", "any.complaint",
                "--text", "停电太频繁", "--party", "供电所", *extra)
    assert code == 2
    assert message in capsys.readouterr().err
    assert _count(desk) == before


def test_cli_lists_the_classes(desk, capsys) -> None:
    assert _cli(desk, "classes", "--utility", "water", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert {c["utility"] for c in listed} == {"water"}
    assert {"code": "w_supply.quality", "utility": "water", "zh": "水质",
            "en": "Water quality", "class": "供水", "class_en": "Water supply"} in listed
    assert _cli(desk, "classes") == 0
    out = capsys.readouterr().out
    assert "service.attitude" in out and "服务 / 服务态度" in out


# --- the form ------------------------------------------------------------------------------

async def test_class_picker_on_the_form_for_complaints_only(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        app.pop_call("13900001111")  # a water customer
        await wait_until(pilot, lambda: getattr(app.screen, "card", None) is not None)
        await settle(pilot)
        await pilot.press("ctrl+n", "b", "g", "enter")  # a burst: no class asked
        await settle(pilot)
        picker = app.screen.query_one("#picker")
        assert not picker.display
        box = app.screen.query_one("#category", Input)
        box.value = ""
        box.focus()
        await pilot.press(*"tousu", "enter")  # a complaint: the picker, focused
        await settle(pilot)
        assert picker.display and app.screen.focused is picker.query_one(Input)
        await wait_until(pilot, lambda: picker.lists is not None)
        await pilot.press("f", "w", "t", "d")  # 服务态度 of the water list
        await settle(pilot)
        assert "w_service.attitude" in visible_text(app)
        assert "service.attitude " not in visible_text(app).replace("w_service", "")
        await pilot.press("enter")
        await settle(pilot)
        assert picker.code == "w_service.attitude"
        assert app.screen.focused is app.screen.query_one("#description", TextArea)
        app.screen.query_one("#description", TextArea).insert("抄表员态度差")
        app.screen.query_one("#party", Input).value = "抄表员"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.created)
        assert app.screen.created["complaint_class"] == "w_service.attitude"
        assert app.screen.created["channel"] == "phone"  # the popped call's


# --- the centre's lists, loaded and synced -------------------------------------------------

def test_centre_loads_its_list_and_the_desk_uses_it_after_a_sync(tmp_path, centre,
                                                                 capsys) -> None:
    from agentdesk.sync import engine
    from tests.sync_helpers import new_desk

    desk = new_desk(tmp_path / "d.db")
    path = tmp_path / "classes.toml"
    path.write_text(CENTRE_WATER, encoding="utf-8")
    assert main(["central", "load", "complaint-classes", str(path),
                 "--central", centre.url]) == 0
    assert "complaint classes of water stored at the centre" in capsys.readouterr().out
    assert centre.setting(complaint_classes.CENTRAL_SETTING) == CENTRE_WATER
    engine.sync_once(desk, centre, hook=lambda name: None)
    try:
        with desk.session() as s:
            ticket = tickets.create(s, Draft(category="any.complaint", description="x",
                                             location="文化路", complained_party="x",
                                             complaint_class="ws.meter_reader"), "A1001")
            assert ticket.complaint_class == "ws.meter_reader"
    finally:
        desk.dispose()


def test_a_broken_centre_list_is_refused_and_nothing_stored(english, tmp_path, centre,
                                                            capsys) -> None:
    path = tmp_path / "classes.toml"
    path.write_text("complaint_classes = [{ code = 'x', zh = 'x', en = 'x', "
                    "utility = 'gas' }]\n", encoding="utf-8")
    assert main(["central", "load", "complaint-classes", str(path),
                 "--central", centre.url]) == 2
    assert "utility must be one of power, water" in capsys.readouterr().err
    assert centre.setting(complaint_classes.CENTRAL_SETTING) is None


async def test_the_detail_shows_the_channel_and_the_class(desk) -> None:
    from textual.widgets import Static

    from agentdesk.screens.ticket_detail import TicketDetail

    made = _complaint(desk, complaint_class="w_supply.pressure", channel="12345")
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        detail = TicketDetail(made["id"])
        app.push_screen(detail)
        assert await wait_until(pilot, lambda: detail.ticket is not None)
        await settle(pilot)
        head = str(detail.query_one("#head", Static).render())
        assert "渠道: 12345转办" in head and "投诉分类: 供水 / 水压" in head
