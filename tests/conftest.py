"""Shared fixtures: a frozen clock, no user config, and a small desk database."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest

FROZEN = "2026-11-25T09:30:00+08:00"
MARKUP_NAME = "[/]杨[bold]伟"
MARKUP_BUILDING = "1号[red]楼"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test: time frozen, no real config or data directory touched."""
    from agentdesk.core import clock, i18n

    for key in list(__import__("os").environ):
        if key.startswith("AGENTDESK_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AGENTDESK_NOW", FROZEN)
    monkeypatch.setenv("AGENTDESK_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    # Unix socket paths are short (108 bytes): a short private dir, not tmp_path.
    sock_dir = Path(tempfile.mkdtemp(prefix="ad-"))
    monkeypatch.setenv("AGENTDESK_SOCKET", str(sock_dir / "s"))
    clock.unfreeze()
    clock.set_timezone("Asia/Shanghai")
    yield
    clock.unfreeze()
    i18n.set_lang("zh")


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalog's English (zh is the default): for a test that matches English wording,
    in this process and in the commands it runs (AGENTDESK_LANG, a config setting).
    ``_isolated`` puts zh back after the test."""
    from agentdesk.core import i18n

    monkeypatch.setenv("AGENTDESK_LANG", "en")
    i18n.set_lang("en")


def make_desk(path: Path):
    """A desk database with an agent, three customers (one with a hostile name) and a
    ticket owned by the agent for that customer."""
    from agentdesk.core import clock, search_keys
    from agentdesk.sync import outbox
    from agentdesk.core.models import Agent, Customer, CustomerPhone, Ticket, TicketEvent

    desk = outbox.open_syncing_desk(path)
    now = clock.now()
    with desk.session() as s:
        agent = Agent(code="A1001", name="王芳")
        s.add(agent)
        people = [
            Customer(account_no="3100000001", name=MARKUP_NAME, utility="water",
                     district="金水区", street="花园路街道", community="幸福小区",
                     building=MARKUP_BUILDING, unit="2单元", room="301室",
                     tags="吸氧;独居老人", arrears_fen=12345, arrears_periods=2),
            Customer(account_no="3100000002", name="张三", utility="water",
                     district="二七区", street="建中街街道", community="阳光花园",
                     building="3栋", unit="1单元", room="1502室"),
            Customer(account_no="4100000003", name="李四", utility="power",
                     district="中原区", street="林山寨街道", community="金色港湾",
                     building="5栋", unit="3单元", room="602室", credit_list="black",
                     key_level=2),
        ]
        s.add_all(people)
        s.flush()
        s.add(CustomerPhone(customer_id=people[0].id, e164="+8613812345678"))
        s.add(CustomerPhone(customer_id=people[0].id, e164="+8637161234567",
                            kind="landline", position=1))
        s.add(CustomerPhone(customer_id=people[1].id, e164="+8613900001111"))
        s.add(CustomerPhone(customer_id=people[2].id, e164="+8615000002222"))
        ticket = Ticket(number="GD2026112500001", business_type="repair",
                        category="water.burst", priority="urgent", description="[bold]漏水[/]",
                        customer_id=people[0].id, first_responder_id=agent.id,
                        owner_id=agent.id, due_first_response=now + timedelta(minutes=15),
                        due_arrival=now + timedelta(minutes=30))
        s.add(ticket)
        s.flush()
        s.add(TicketEvent(ticket_id=ticket.id, agent_id=agent.id, kind="created",
                          to_status="accepted"))
        s.flush()
        search_keys.refresh(s.connection().connection.driver_connection,
                            [p.id for p in people])
    return desk


# Queue tickets of the busy desk: number, category, priority, minutes since created,
# first-response clock in minutes (None: resolution only, 24 h), owner, paused.
BUSY = (
    ("GD2026112500002", "water.burst", "urgent", 20, 15, "A1001", False),  # breached
    ("GD2026112500003", "water.burst", "urgent", 12.5, 15, "A1001", False),  # 83 %: warn
    ("GD2026112500004", "power.fault", "urgent", 9, 15, "A1001", False),  # 60 %: half
    ("GD2026112500005", "water.quality", "important", 30, None, "A1001", False),  # ok
    ("GD2026112500006", "water.quality", "important", 5, 60, "A1001", True),  # paused
    ("GD2026112500007", "power.fault", "urgent", 14, 15, "A1002", False),  # team-mate's
    ("GD2026112500008", "water.burst", "urgent", 40, 15, "A2001", False),  # other team
)


def make_busy_desk(path: Path):
    """The small desk plus tickets in every clock state, two team-mates and another team."""
    from agentdesk.core import clock
    from agentdesk.core.models import Agent, Ticket, TicketEvent

    desk = make_desk(path)
    now = clock.now()
    with desk.session() as s:
        me = s.exec(__import__("sqlmodel").select(Agent).where(Agent.code == "A1001")).one()
        me.team = "一班"
        mate = Agent(code="A1002", name="李娜", team="一班")
        other = Agent(code="A2001", name="赵强", team="二班")
        s.add_all([me, mate, other])
        s.flush()
        owners = {"A1001": me.id, "A1002": mate.id, "A2001": other.id}
        customers = [r[0] for r in s.connection().exec_driver_sql(
            "SELECT id FROM customer ORDER BY account_no")]
        for n, (number, category, priority, ago, first, owner, paused) in enumerate(BUSY):
            created = now - timedelta(minutes=ago)
            ticket = Ticket(
                number=number, business_type="repair", category=category, priority=priority,
                description="测试", customer_id=customers[n % 3],
                first_responder_id=owners[owner], owner_id=owners[owner],
                created_at=created, updated_at=created,
                due_first_response=created + timedelta(minutes=first) if first else None,
                due_resolution=None if first else created + timedelta(hours=24),
                paused_at=now - timedelta(minutes=1) if paused else None)
            s.add(ticket)
            s.flush()
            s.add(TicketEvent(ticket_id=ticket.id, agent_id=owners[owner], kind="created",
                              to_status="accepted", at=created))
    return desk


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def centre(request, tmp_path: Path):
    """A central store per test: a SQLite file, and a throw-away PostgreSQL database on
    127.0.0.1:5432 (``-m postgres``; missing: a failure when CI is set, else a loud skip)."""
    from agentdesk.sync import central
    from tests.sync_helpers import central_url

    url, cleanup = central_url(request.param, tmp_path)
    c = central.connect(url)
    c.init_schema()
    yield c
    c.dispose()
    cleanup()


@pytest.fixture
def busy_desk(tmp_path: Path):
    store = make_busy_desk(tmp_path / "desk.db")
    yield store
    store.dispose()


@pytest.fixture
def desk(tmp_path: Path):
    store = make_desk(tmp_path / "desk.db")
    yield store
    store.dispose()


async def wait_ready(pilot, timeout: float = 10.0) -> None:
    """Wait until the app has opened its store and every worker has finished."""
    app = pilot.app
    for _ in range(int(timeout / 0.02)):
        if app.store is not None:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError(f"store never opened: {app.status}")
    await settle(pilot)


async def wait_until(pilot, predicate, timeout: float = 5.0) -> bool:
    """Pause until ``predicate()`` holds (workers answer in their own time); the caller
    asserts, so a timeout shows as the assertion that failed."""
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return True
        await pilot.pause(0.05)
    return predicate()


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def visible_text(app) -> str:
    """What the current screen shows, as text: rows of the exported screenshot."""
    import html
    import re

    svg = app.export_screenshot()
    rows: dict[str, list[str]] = {}
    for y, body in re.findall(r'<text[^>]*?y="([\d.]+)"[^>]*>(.*?)</text>', svg, flags=re.S):
        rows.setdefault(y, []).append(html.unescape(body).replace("\xa0", " "))
    return "\n".join("".join(parts) for _, parts in sorted(rows.items(),
                                                          key=lambda kv: float(kv[0])))
