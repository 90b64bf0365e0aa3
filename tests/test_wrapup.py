"""Every call gets a wrap-up code, a transfer out its agency and receiving reference, an
unknown caller's details are kept (issue 19, "what an agent misses")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agentdesk.core import clock
from agentdesk.core.models import Contact
from agentdesk.customers import contacts, wrapup


@pytest.fixture
def call(desk):  # noqa: ANN001, ANN201
    with desk.session() as s:
        ringing = contacts.record_call(s, "13800000000", "A1001")
        s.commit()
        return ringing.contact_id


def test_a_call_without_a_ticket_is_wrapped_up_with_a_code_and_a_note(desk, call) -> None:
    with desk.session() as s:
        wrapup.wrap_up(s, call, wrapup.Outcome("answered", "  告知停水原因  "))
        s.commit()
    with desk.session() as s:
        contact = s.get(Contact, call)
        assert (contact.outcome, contact.note) == ("answered", "告知停水原因")
        assert contact.ended_at is not None
        now = clock.now()
        assert wrapup.counts(s, now - timedelta(hours=1), now + timedelta(hours=1)) == {
            "answered": 1}


def test_a_transfer_needs_agency_reference_and_reason(desk, call) -> None:
    with desk.session() as s:
        with pytest.raises(wrapup.WrapUpError, match="12345"):
            wrapup.wrap_up(s, call, wrapup.Outcome("transferred", "非供水问题", "fax"))
        with pytest.raises(wrapup.WrapUpError):
            wrapup.wrap_up(s, call, wrapup.Outcome("transferred", "非供水问题", "12345"))
        with pytest.raises(wrapup.WrapUpError):
            wrapup.wrap_up(s, call, wrapup.Outcome("transferred", "", "12345", "ZB-1"))
        wrapup.wrap_up(s, call, wrapup.Outcome("transferred", "噪音扰民，转城管", "12345",
                                               "ZB20261204-0007"))
        s.commit()
        contact = s.get(Contact, call)
        assert (contact.outcome, contact.transfer_to, contact.transfer_ref) == (
            "transferred", "12345", "ZB20261204-0007")


@pytest.mark.parametrize("outcome", [wrapup.Outcome("bogus"), wrapup.Outcome("other"),
                                     wrapup.Outcome("answered", "a\x1b[31mb")])
def test_bad_wrap_ups_are_refused_and_nothing_changes(desk, call, outcome) -> None:
    with desk.session() as s:
        with pytest.raises(wrapup.WrapUpError):
            wrapup.wrap_up(s, call, outcome)
        assert s.get(Contact, call).outcome == ""


def test_an_unknown_callers_details_are_kept_checked(desk, call) -> None:
    with desk.session() as s:
        with pytest.raises(wrapup.WrapUpError, match="call-back|回电"):
            wrapup.caller_details(s, call, "王先生", "花园路8号", "12")
        wrapup.caller_details(s, call, "[bold]王先生[/]", "花园路8号", "139 0000 0000")
        s.commit()
        contact = s.get(Contact, call)
        assert (contact.caller_name, contact.callback_number) == ("[bold]王先生[/]",
                                                                  "+8613900000000")


def test_a_ticket_saved_from_the_call_is_its_outcome_unless_given(desk, call) -> None:
    from agentdesk.tickets import service as tickets

    with desk.session() as s:
        tickets.create(s, tickets.Draft(category="water.burst", description="路面冒水",
                                        location="花园路", contact_id=call), "A1001")
        assert s.get(Contact, call).outcome == "ticket"
        wrapup.wrap_up(s, call, wrapup.Outcome("callback", "下午回电"))
        tickets.create(s, tickets.Draft(category="water.burst", description="又一处冒水",
                                        location="花园路", contact_id=call), "A1001")
        assert s.get(Contact, call).outcome == "callback"


def test_the_report_counts_calls_by_wrap_up(desk, call, tmp_path) -> None:  # noqa: ANN001
    from datetime import date

    from agentdesk.monitor import report

    with desk.session() as s:
        wrapup.wrap_up(s, call, wrapup.Outcome("wrong_number"))
        contacts.record_call(s, "13800000001", "A1001")  # not wrapped up
        s.commit()
    today = clock.local().date()
    with desk.session() as s:
        rows = report.tables(s, date(today.year, today.month, 1), today)["call_outcomes.csv"]
    from agentdesk.core.i18n import t

    assert rows[0][0] == t("report.col.code")
    counts = {r[0]: r[2] for r in rows[1:]}
    assert counts["wrong_number"] == 1 and counts["none"] >= 1
    assert "call_outcomes.csv" in report.FILES
