"""Lookup quality set: what callers to a water/power hotline say, and whom they mean.

Every line of ``tests/lookup_quality.tsv`` is a query as the agent types it while the
caller talks, with the account the caller is; the customers are
``tests/lookup_quality_data.py``. The expected account must be the FIRST result of
:func:`agentdesk.customers.lookup.search`. All failures are reported at once, each with
the first results and their match kinds.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from agentdesk.customers import lookup
from tests.conftest import FROZEN
from tests.lookup_quality_data import CUSTOMERS, OPEN_TICKETS, RECENT_CONTACTS

QUERIES_FILE = Path(__file__).with_name("lookup_quality.tsv")
MIN_QUERIES = 60
SHOWN = 3  # results shown for a failure


def load_queries(path: Path = QUERIES_FILE) -> list[tuple[int, str, str, str]]:
    """(line number, query, expected account, why); ``#`` lines and blank lines skipped."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        assert len(fields) == 3, f"{path.name}:{number}: want query<TAB>account<TAB>why"
        query, expected, why = fields
        out.append((number, query, expected, why))
    return out


def build_desk(path: Path):
    """A desk with the quality customers, their phones and keys, one recent contact and
    one open ticket (the tie-breaks)."""
    from agentdesk.core import clock, search_keys
    from agentdesk.core.models import (Agent, Contact, Customer, CustomerPhone, Ticket,
                                       TicketEvent)
    from agentdesk.customers import phones
    from agentdesk.sync import outbox

    desk = outbox.open_syncing_desk(path)
    now = clock.now()
    with desk.session() as s:
        agent = Agent(code="A1001", name="值班坐席")
        s.add(agent)
        by_account = {}
        for row in CUSTOMERS:
            customer = Customer(
                account_no=row.account_no, name=row.name, utility=row.utility,
                customer_class=row.customer_class, district=row.district, street=row.street,
                community=row.community, building=row.building, unit=row.unit, room=row.room,
                area_class=row.area_class, meter_no=row.meter_no)
            s.add(customer)
            by_account[row.account_no] = customer
        s.flush()
        for row in CUSTOMERS:
            for position, written in enumerate(row.phones):
                e164, kind = phones.normalise_with_kind(written)
                s.add(CustomerPhone(customer_id=by_account[row.account_no].id, e164=e164,
                                    kind=kind, position=position))
        for account, minutes in RECENT_CONTACTS:
            cid = by_account[account].id
            [first] = [r for r in CUSTOMERS if r.account_no == account][0].phones[:1]
            s.add(Contact(customer_id=cid, number=phones.normalise(first), agent_id=agent.id,
                          started_at=now - timedelta(minutes=minutes)))
        s.flush()
        for account, number in OPEN_TICKETS:
            ticket = Ticket(number=number, business_type="repair", category="water.burst",
                            priority="general", description="水表漏水",
                            customer_id=by_account[account].id, first_responder_id=agent.id,
                            owner_id=agent.id, created_at=now - timedelta(days=1),
                            updated_at=now - timedelta(days=1),
                            due_resolution=now + timedelta(days=2))
            s.add(ticket)
            s.flush()
            s.add(TicketEvent(ticket_id=ticket.id, agent_id=agent.id, kind="created",
                              to_status="accepted", at=now - timedelta(days=1)))
        s.flush()
        search_keys.refresh(s.connection().connection.driver_connection,
                            [c.id for c in by_account.values()])
    return desk


@pytest.fixture(scope="module")
def quality_desk(tmp_path_factory: pytest.TempPathFactory):
    """Built once for the module, under the same frozen clock and empty config as
    conftest's per-test isolation (which is function-scoped, so it is repeated here)."""
    import os

    base = tmp_path_factory.mktemp("lookup-quality")
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("AGENTDESK_"):
                mp.delenv(key)
        mp.setenv("AGENTDESK_NOW", FROZEN)
        mp.setenv("AGENTDESK_CONFIG", str(base / "no-config.toml"))
        mp.setenv("XDG_DATA_HOME", str(base / "xdg-data"))
        desk = build_desk(base / "desk.db")
    yield desk
    desk.dispose()


def _describe(matches: list[lookup.Match]) -> str:
    if not matches:
        return "nothing"
    shown = ", ".join(f"{m.account_no} {m.name} [{m.match}, rank {m.rank}]"
                      for m in matches[:SHOWN])
    more = len(matches) - SHOWN
    return shown + (f" (+{more} more)" if more > 0 else "")


def test_the_set_is_large_enough_and_names_real_accounts() -> None:
    queries = load_queries()
    assert len(queries) >= MIN_QUERIES, f"{len(queries)} queries, want at least {MIN_QUERIES}"
    accounts = {row.account_no for row in CUSTOMERS}
    assert len(accounts) == len(CUSTOMERS), "account numbers repeat in the data"
    unknown = [(n, q, e) for n, q, e, _ in queries if e not in accounts]
    assert not unknown, f"expected accounts not in the data: {unknown}"
    seen: dict[str, int] = {}
    for number, query, _, _ in queries:
        assert query not in seen, f"line {number} repeats line {seen[query]}: {query!r}"
        seen[query] = number


def test_every_query_finds_its_caller_first(quality_desk) -> None:
    failures, report = [], []
    for number, query, expected, why in load_queries():
        with quality_desk.session() as s:
            try:
                found = lookup.search(s, query, 20)
            except lookup.QueryError as exc:
                found, error = [], f"QueryError: {exc}"
            else:
                error = ""
        ok = bool(found) and found[0].account_no == expected
        first = f"{found[0].match}" if found else "-"
        report.append(f"{'ok  ' if ok else 'FAIL'} {number:3} {query!r} -> {expected} "
                      f"({first})")
        if not ok:
            failures.append(f"line {number}: {query!r} want {expected} ({why}); got "
                            f"{error or _describe(found)}")
    print("\n".join(report))
    total = len(report)
    assert not failures, (f"{len(failures)} of {total} queries did not find their caller "
                          "first:\n" + "\n".join(failures))
