"""Issue 19, "what an agent misses" (services): the dispatch list of departments (shipped,
loaded at the centre with its lines checked, synced, authoritative with 其他 and a note,
the CLI checked against it), the hand-over's colleagues (on shift first), and an unknown
caller made a customer when the centre allows it (checked, synced up)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from agentdesk import cli
from agentdesk.core.models import CentralSetting, Contact
from agentdesk.customers import contacts, from_call, wrapup
from agentdesk.tickets import departments, lifecycle, service as tickets

CENTRE_LIST = """\
[[department]]
name = "供水抢修一队"
utility = "water"
categories = ["water.burst"]

[[department]]
name = "供电抢修班"
utility = "power"
"""


# --- the departments --------------------------------------------------------------------

def test_the_shipped_list_is_the_demo_datas_one_source() -> None:
    from agentdesk.demo import words

    names = {d.name for d in departments.shipped()}
    assert {n for ns in words.DEPARTMENTS.values() for n in ns} <= names
    assert words.TOWN_REPAIR_DEPARTMENTS["巩义市"]["water"] == "巩义市供水公司维修队"
    assert words.DEPARTMENTS["water.no_water"] == ("供水调度中心", "管网抢修一队", "管网抢修二队")


def test_type_ahead_by_pinyin_initials_with_the_tickets_fits_first() -> None:
    shipped = departments.shipped()
    assert departments.search(shipped, "gs")[0].name == "供水调度中心"
    assert [d.name for d in departments.search(shipped, "gwqx")] == ["管网抢修一队",
                                                                     "管网抢修二队"]
    assert departments.search(shipped, "水质")[0].name == "水质检测中心"
    burst = departments.Context("water", "water.burst", "金水区")
    assert [d.name for d in departments.search(shipped, "", burst)[:2]] == [
        "管网抢修一队", "管网抢修二队"]
    town = departments.Context("water", "water.burst", "巩义市")
    assert departments.search(shipped, "", town)[0].name == "巩义市供水公司维修队"
    power = departments.Context("power", "power.fault", "")
    listed = [d.name for d in departments.search(shipped, "", power, limit=50)]
    assert listed.index("城区供电抢修一班") < listed.index("营销服务中心") \
        < listed.index("供水调度中心") < listed.index("巩义市供水公司维修队")
    centre = departments.parse(CENTRE_LIST)
    assert departments.search(centre, "gs")[0].name == "供水抢修一队"


@pytest.mark.parametrize(("body", "message"), [
    ('[[department]]\nname = "a"\nutility = "gas"\n', "line 1: field 'utility' must be"),
    ('[[department]]\nname = "a"\n\n[[department]]\nname = "b"\nutilty = "water"\n',
     "line 4: unknown field 'utilty'"),
    ('[[department]]\nname = "a"\n[[department]]\nname = "a"\n', "line 3: name 'a' is "
                                                                  "listed twice"),
    ('[[department]]\nutility = "water"\n', "line 1: field 'name' is missing"),
    ('[[department]]\nname = "其他"\n', "line 1: name '其他'"),
    ('[[department]]\nname = "a\\u001b"\n', "line 1: name.*U\\+001B"),
    ('[[department]]\nname = "a"\ncategories = "water.burst"\n', "line 1: field "
                                                                   "'categories' must be"),
    ('[department]\nname = "a"\n', "no \\[\\[department\\]\\] entries"),
    ("", "no \\[\\[department\\]\\] entries"),
    ('[[department]\nname = "a"\n', "centre.toml: .*line 1"),
])
def test_a_broken_list_names_its_line_and_field(body: str, message: str, english) -> None:  # noqa: ANN001
    with pytest.raises(departments.DepartmentError, match=message):
        departments.parse(body, "centre.toml")


def test_a_centres_file_names_only_known_categories(tmp_path: Path, english) -> None:  # noqa: ANN001
    path = tmp_path / "deps.toml"
    path.write_text('[[department]]\nname = "a"\n\n[[department]]\nname = "b"\n'
                    'categories = ["water.brust"]\n', encoding="utf-8")
    with pytest.raises(departments.DepartmentError,
                       match=r"deps.toml, line 4: field 'categories': unknown category "
                             r"'water.brust'"):
        departments.read_file(path)


def test_the_list_is_authoritative_with_other_and_a_note(desk) -> None:
    shipped = departments.shipped()
    assert departments.check(shipped, " 管网抢修一队 ") == "管网抢修一队"
    assert departments.check(shipped, "其他", "区园林局") == "其他：区园林局"
    assert departments.check(shipped, "其他：区园林局") == "其他：区园林局"
    with pytest.raises(tickets.TicketError, match="其他"):
        departments.check(shipped, "其他")
    with pytest.raises(tickets.TicketError, match="不在中心的派单部门名单上"):
        departments.check(shipped, "隔壁老王")
    with desk.session() as s:
        with pytest.raises(tickets.TicketError, match="部门为空"):
            departments.dispatch(s, "GD2026112500001", "A1001", "  ")
        with pytest.raises(tickets.TicketError, match="名单"):
            departments.dispatch(s, "GD2026112500001", "A1001", "隔壁老王")
    with desk.session() as s:
        ticket = departments.dispatch(s, "GD2026112500001", "A1001", "其他", "区园林局")
        assert (ticket.status, ticket.department) == ("dispatched", "其他：区园林局")


def test_a_pulled_centre_list_replaces_the_shipped_one(desk) -> None:
    with desk.session() as s:
        s.add(CentralSetting(name=departments.CENTRAL_SETTING, body=CENTRE_LIST))
    with desk.session() as s:
        assert [d.name for d in departments.for_session(s)] == ["供水抢修一队", "供电抢修班"]
        with pytest.raises(tickets.TicketError):
            departments.dispatch(s, "GD2026112500001", "A1001", "管网抢修一队")
    with desk.session() as s:
        assert departments.dispatch(s, "GD2026112500001", "A1001",
                                    "供水抢修一队").department == "供水抢修一队"
    with desk.session() as s:  # a text this desk cannot read: the shipped list, not none
        s.get(CentralSetting, departments.CENTRAL_SETTING).body = "[[department]"
    with desk.session() as s:
        assert departments.for_session(s) == departments.shipped()


def test_cli_dispatch_checks_the_same_list(desk, capsys) -> None:
    db = ["--db", str(desk.path), "--agent", "A1001", "--lang", "en"]
    assert cli.main(["ticket", "dispatch", "GD2026112500001", "--to", "隔壁老王", *db]) == 2
    assert "is not on the centre's list of departments" in capsys.readouterr().err
    assert cli.main(["ticket", "dispatch", "GD2026112500001", "--to", "其他", *db]) == 2
    assert "needs a note" in capsys.readouterr().err
    assert cli.main(["ticket", "dispatch", "GD2026112500001", "--to", "管网抢修一队",
                     *db]) == 0
    assert "dispatched to 管网抢修一队" in capsys.readouterr().out
    assert cli.main(["ticket", "departments", "--json", *db[:2]]) == 0
    assert '"name": "供水调度中心"' in capsys.readouterr().out


def test_the_centre_loads_its_list_and_desks_pull_it(tmp_path, centre, capsys) -> None:
    from agentdesk.sync import engine
    from tests.sync_helpers import new_desk

    path = tmp_path / "deps.toml"
    path.write_text(CENTRE_LIST, encoding="utf-8")
    args = ["central", "load", "departments", str(path), "--central", centre.url,
            "--lang", "en"]
    assert cli.main(args) == 0
    assert "list of departments stored at the centre (2" in capsys.readouterr().out
    assert cli.main(args) == 0
    assert "already has this list" in capsys.readouterr().out
    desk = new_desk(tmp_path / "d.db")
    try:
        engine.sync_once(desk, centre, hook=lambda name: None)
        with desk.session() as s:
            assert [d.name for d in departments.for_session(s)] == ["供水抢修一队", "供电抢修班"]
    finally:
        desk.dispose()
    path.write_text(CENTRE_LIST + '\n[[department]]\nname = "x"\nutility = "gas"\n',
                    encoding="utf-8")
    assert cli.main(args) == 2
    assert "deps.toml, line 10: field 'utility' must be" in capsys.readouterr().err
    assert centre.setting(departments.CENTRAL_SETTING) == CENTRE_LIST  # unchanged


# --- the hand-over's colleagues ----------------------------------------------------------

def test_colleagues_on_shift_first_found_by_initials(desk) -> None:
    from agentdesk.core.models import Agent

    with desk.session() as s:
        s.add_all([Agent(code="A1002", name="李娜", on_shift=False),
                   Agent(code="A1003", name="张伟"), Agent(code="A1004", name="李静")])
    with desk.session() as s:
        found = lifecycle.colleagues(s, "A1001")
    assert [(c.code, c.on_shift) for c in found] == [("A1003", True), ("A1004", True),
                                                     ("A1002", False)]
    assert [c.code for c in lifecycle.search_colleagues(found, "l")] == ["A1004", "A1002"]
    assert [c.code for c in lifecycle.search_colleagues(found, "ln")] == ["A1002"]
    assert [c.code for c in lifecycle.search_colleagues(found, "a1003")] == ["A1003"]


# --- an unknown caller made a customer --------------------------------------------------

@pytest.fixture
def unknown_call(desk):  # noqa: ANN001, ANN201
    with desk.session() as s:
        ringing = contacts.record_call(s, "18600000000", "A1001")
        wrapup.caller_details(s, ringing.contact_id, "赵六", "金水区花园路8号", "")
        return ringing.contact_id


def _allow(desk, on: bool = True) -> None:  # noqa: ANN001
    with desk.session() as s:
        s.merge(CentralSetting(name=from_call.SETTING, body="on" if on else "off"))


def test_refused_unless_the_centre_allows_it(desk, unknown_call) -> None:
    with desk.session() as s, pytest.raises(from_call.CreateError, match="中心不允许"):
        from_call.create_from_call(s, unknown_call, "water")
    _allow(desk, on=False)
    with desk.session() as s, pytest.raises(from_call.CreateError, match="中心不允许"):
        from_call.create_from_call(s, unknown_call, "water")
    with desk.session() as s:
        assert s.get(Contact, unknown_call).customer_id is None


def test_made_checked_linked_and_found(desk, unknown_call) -> None:
    from agentdesk.customers import lookup

    _allow(desk)
    with desk.session() as s:
        made = from_call.create_from_call(s, unknown_call, "water")
        made_id, account = made.id, made.account_no
    assert account.startswith("LS") and len(account) == 14
    with desk.session() as s:
        row = s.connection().execute(text(
            "SELECT name, district, street, utility FROM customer WHERE id = :i"),
            {"i": made_id}).one()
        assert tuple(row) == ("赵六", "金水区", "花园路8号", "water")
        assert s.get(Contact, unknown_call).customer_id == made_id
        assert [m.customer_id for m in lookup.search(s, "18600000000")] == [made_id]
        assert [m.customer_id for m in lookup.search(s, "赵六")] == [made_id]
        with pytest.raises(from_call.CreateError, match="已关联客户"):
            from_call.create_from_call(s, unknown_call, "water")  # once


def test_a_number_some_customer_has_is_refused(desk) -> None:
    _allow(desk)
    with desk.session() as s:
        ringing = contacts.record_call(s, "18600000001", "A1001")
        wrapup.caller_details(s, ringing.contact_id, "张三", "二七区", "139 0000 1111")
        with pytest.raises(from_call.CreateError, match="3100000002"):
            from_call.create_from_call(s, ringing.contact_id, "water")
        other = contacts.record_call(s, "18600000002", "A1001")
        with pytest.raises(from_call.CreateError, match="Ctrl\\+D"):
            from_call.create_from_call(s, other.contact_id, "water")  # no name, address
        with pytest.raises(from_call.CreateError, match="water 或 power"):
            from_call.create_from_call(s, ringing.contact_id, "gas")
        s.rollback()


def test_a_made_customer_syncs_up(tmp_path, centre) -> None:
    from agentdesk.sync import engine
    from tests.sync_helpers import centre_rows, new_desk

    assert cli.main(["central", "set", "desk_may_create_customers", "on",
                     "--central", centre.url]) == 0
    desk = new_desk(tmp_path / "d.db")
    try:
        engine.sync_once(desk, centre, hook=lambda name: None)
        with desk.session() as s:
            ringing = contacts.record_call(s, "18600000000", "A1001")
            wrapup.caller_details(s, ringing.contact_id, "赵六", "花园路8号", "13700001234")
            made = from_call.create_from_call(s, ringing.contact_id, "power")
            made_id, account, contact_id = made.id, made.account_no, ringing.contact_id
        engine.sync_once(desk, centre, hook=lambda name: None)
    finally:
        desk.dispose()
    assert centre_rows(centre, f"SELECT account_no, name FROM customer WHERE id = "
                               f"'{made_id}'") == [(account, "赵六")]
    assert centre_rows(centre, f"SELECT e164 FROM customer_phone WHERE customer_id = "
                               f"'{made_id}' ORDER BY position") == [("+8613700001234",),
                                                                     ("+8618600000000",)]
    assert centre_rows(centre, f"SELECT customer_id FROM contact WHERE id = "
                               f"'{contact_id}'") == [(made_id,)]


def test_the_shipped_file_passes_the_centres_own_check() -> None:
    text, found = departments.read_file(departments.DEFAULT_FILE)
    assert found == departments.shipped() and len(found) == 22


def test_the_centre_refuses_a_made_customer_when_it_does_not_allow_it(tmp_path,
                                                                       centre) -> None:
    """The desk pulled "on"; the centre turned it off before the push: the centre refuses
    the record and its phones itself (quarantined, the desk told), not trusting the desk."""
    from agentdesk.sync import engine
    from tests.sync_helpers import centre_rows, new_desk

    assert cli.main(["central", "set", "desk_may_create_customers", "on",
                     "--central", centre.url]) == 0
    desk = new_desk(tmp_path / "d.db")
    try:
        engine.sync_once(desk, centre, hook=lambda name: None)
        with desk.session() as s:
            ringing = contacts.record_call(s, "18600000000", "A1001")
            wrapup.caller_details(s, ringing.contact_id, "赵六", "花园路8号", "13700001234")
            made_id = from_call.create_from_call(s, ringing.contact_id, "power").id
        assert cli.main(["central", "set", "desk_may_create_customers", "off",
                         "--central", centre.url]) == 0
        report = engine.sync_once(desk, centre, hook=lambda name: None)
    finally:
        desk.dispose()
    assert centre_rows(centre, f"SELECT count(*) FROM customer WHERE id = '{made_id}'") \
        == [(0,)]
    assert centre_rows(centre, f"SELECT count(*) FROM customer_phone WHERE customer_id = "
                               f"'{made_id}'") == [(0,)]
    refused = [q for q in report.quarantined if q["entity"] == "customer"]
    assert len(refused) == 2 and "desk_may_create_customers is off" in refused[0]["reason"]
