"""Incidents (issue 16, item 3): opened over an area by a supervisor, from scratch or
from a ticket; tickets and calls linked; the card offers "link to the incident" in one
key; closed with a cause, returning every caller to call back."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdesk.centre import incidents
from agentdesk.core import areas, clock
from agentdesk.customers import contacts, lookup
from agentdesk.tickets import service as tickets

SUP = ("S9001", "赵班长", "supervisor")


def _open(desk, *where: str, **kw):
    with desk.session() as s:
        incident = incidents.open_incident(
            s, SUP, clock.now(), title=kw.pop("title", "建中街DN300主管爆管"),
            category=kw.pop("category", "water.burst"),
            where=tuple(areas.parse(a) for a in where), **kw)
        return incident.id


def _card(desk, account: str):
    with desk.session() as s:
        return lookup.card(s, lookup.id_by_account(s, account))


def test_open_over_an_area_shows_on_the_cards_inside_it(desk) -> None:
    iid = _open(desk, "二七区/建中街街道", address="建中街与汝河路口")
    [line] = _card(desk, "3100000002").incidents  # 二七区/建中街街道/阳光花园
    assert (line.incident_id, line.address) == (iid, "建中街与汝河路口")
    assert _card(desk, "3100000001").incidents == ()  # 金水区
    assert _card(desk, "4100000003").incidents == ()  # a power customer


def test_only_a_supervisor_opens_or_closes(desk) -> None:
    with desk.session() as s, pytest.raises(incidents.IncidentError, match="supervisor"):
        incidents.open_incident(s, ("A1001", "王芳", "agent"), clock.now(), title="爆管",
                                category="water.burst", where=(areas.parse("二七区"),))
    iid = _open(desk, "二七区")
    with desk.session() as s, pytest.raises(incidents.IncidentError, match="supervisor"):
        incidents.close(s, iid, ("A1001", "王芳", "agent"), clock.now(), "修复")


def test_open_from_a_ticket_links_it_and_takes_its_customers_community(desk) -> None:
    with desk.session() as s:
        number = tickets.create(s, tickets.Draft(
            category="water.burst", description="楼下爆管",
            customer_id=lookup.id_by_account(s, "3100000002")), "A1001").number
    with desk.session() as s:
        incident = incidents.open_incident(s, SUP, clock.now(), title="阳光花园爆管",
                                           category="water.burst", from_ticket=number)
        assert [str(a) for a in areas.loads(incident.areas)] == ["二七区/建中街街道/阳光花园"]
        ticket = tickets.get(s, number)
        assert ticket.incident_id == incident.id
        kinds = s.connection().exec_driver_sql(
            "SELECT kind FROM ticket_event WHERE ticket_id = ? ORDER BY at", (ticket.id,)
        ).scalars().all()
        assert kinds[-1] == "incident_link"


def test_calls_and_tickets_linked_are_the_callers_to_call_back_once_each(desk) -> None:
    iid = _open(desk, "二七区")
    with desk.session() as s:
        cid = lookup.id_by_account(s, "3100000002")
        call = contacts.record_call(s, "13900001111", "A1001")  # 张三's number
        incidents.link_call(s, iid, call.contact_id)
        again = contacts.record_call(s, "13900001111", "A1001")  # he calls again
        incidents.link_call(s, iid, again.contact_id)
        stranger = contacts.record_call(s, "13700007777", "A1001")
        incidents.link_call(s, iid, stranger.contact_id)
        number = tickets.create(s, tickets.Draft(category="water.burst", description="又爆",
                                                 customer_id=cid), "A1001").number
        incidents.link_ticket(s, iid, number, "A1001")
    with desk.session() as s:
        callers = incidents.close(s, iid, SUP, clock.now(), "主管更换完毕")
    assert [(c.customer_id, c.ticket_number) for c in callers] == [
        (cid, number), (None, None)]
    assert callers[1].number == "+8613700007777"
    assert _card(desk, "3100000002").incidents == ()  # closed: no offer any more
    with desk.session() as s, pytest.raises(incidents.IncidentError):
        incidents.link_ticket(s, iid, number, "A1001")


@pytest.mark.parametrize(("kw", "needle"), [
    (dict(title=" "), "标题"),
    (dict(title="爆管\x1b[2J"), "控制字符"),
    (dict(category="water.nothing"), "water.nothing"),
    (dict(address="路" * 201), "过长"),
])
def test_bad_incidents_get_a_clear_message_and_write_nothing(desk, kw, needle) -> None:
    with desk.session() as s:
        with pytest.raises(incidents.IncidentError, match=needle):
            incidents.open_incident(s, SUP, clock.now(), **{
                "title": "爆管", "category": "water.burst",
                "where": (areas.parse("二七区"),), **kw})
        assert s.connection().exec_driver_sql("SELECT count(*) FROM incident").scalar() == 0
    with desk.session() as s, pytest.raises(incidents.IncidentError, match="--area"):
        incidents.open_incident(s, SUP, clock.now(), title="爆管", category="water.burst")


async def test_one_key_from_the_popped_card_links_the_call(desk) -> None:
    from agentdesk.apps.factory import create_app
    from agentdesk.core.config import Config

    iid = _open(desk, "二七区/建中街街道")
    app = create_app(Config(agent_id="A1001", agent_name="王芳"), db_path=desk.path,
                     fill_demo=False, screen_pop=False)
    async with app.run_test(size=(140, 40)) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if app.store is not None:
                break
        app.pop_call("13900001111")
        for _ in range(60):
            await pilot.pause(0.05)
            card = getattr(app.screen, "card", None)
            if card is not None and card.incidents:
                break
        assert app.screen.card.incidents[0].incident_id == iid
        await pilot.press("ctrl+l")
        for _ in range(60):
            await pilot.pause(0.05)
            linked = app.store.engine.connect().exec_driver_sql(
                "SELECT count(*) FROM contact WHERE incident_id = ?", (iid,)).scalar()
            if linked:
                break
        assert linked == 1


def test_cli_open_link_close(desk, tmp_path: Path, monkeypatch, capsys) -> None:
    import json

    from agentdesk import cli

    config = tmp_path / "sup.toml"
    config.write_text('role = "supervisor"\nagent_id = "S9001"\n', encoding="utf-8")
    monkeypatch.setenv("AGENTDESK_CONFIG", str(config))
    db = ["--db", str(desk.path)]
    assert cli.main(["incident", "open", "--title", "花园路爆管", "--category", "water.burst",
                     "--area", "金水区/花园路街道", "--json", *db]) == 0
    opened = json.loads(capsys.readouterr().out)
    assert opened["areas"] == ["金水区/花园路街道"]
    assert cli.main(["incident", "link", opened["id"][:13], "--ticket", "GD2026112500001",
                     *db]) == 0
    capsys.readouterr()
    assert cli.main(["incident", "close", opened["id"], "--cause", "已修复", "--json",
                     *db]) == 0
    assert len(json.loads(capsys.readouterr().out)["callers"]) == 1
    with desk.engine.connect() as conn:  # the callers it printed are audited
        assert conn.exec_driver_sql("SELECT shown_count FROM audit_log WHERE command = "
                                    "'incident close'").scalar() == 1
    assert cli.main(["incident", "list", "--json", *db]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["status"], listed["cause"]) == ("closed", "已修复")
    config.write_text('role = "agent"\n', encoding="utf-8")
    assert cli.main(["incident", "open", "--title", "x", "--category", "water.burst",
                     "--area", "金水区", *db]) != 0
    assert "supervisor" in capsys.readouterr().err


def test_an_incident_and_a_linked_call_reach_another_desk(centre, tmp_path: Path) -> None:
    from agentdesk.sync import engine
    from tests.sync_helpers import new_desk, seed_customers

    ids = seed_customers(centre, n=2)
    sup, other = new_desk(tmp_path / "sup.db"), new_desk(tmp_path / "b.db")
    quiet = {"hook": lambda name: None}
    for d in (sup, other):
        engine.sync_once(d, centre, **quiet)
    iid = _open(sup, "金水区/花园路街道")
    with sup.session() as s:
        call = contacts.record_call(s, "13800000000", "A1001")  # seed_customers' first
        incidents.link_call(s, iid, call.contact_id)
    engine.sync_once(sup, centre, **quiet)
    engine.sync_once(other, centre, **quiet)
    with other.session() as s:
        assert [i.incident_id for i in lookup.card(s, ids[0]).incidents] == [iid]
        assert len(incidents.callers(s, iid)) == 1
    sup.dispose()
    other.dispose()
