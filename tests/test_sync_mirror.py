"""The monitor's mirror of the centre (agentdesk.sync.mirror): the wallboard of every
desk's tickets, read from a central store with a read-only role.

Runs against a SQLite central file and a throw-away PostgreSQL database (``-m postgres``;
without PostgreSQL these fail when CI is set and skip loudly otherwise)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from agentdesk.monitor import figures as monitor
from agentdesk.core import store
from agentdesk.tickets import service as tickets
from agentdesk.sync import central, engine, mirror
from tests.sync_helpers import (PG_ADMIN, TICKET_SQL, central_url, centre_rows, checksum,
                                desk_rows, new_desk, seed_customers)


def _ticket(desk, agent: str, text: str) -> str:
    with desk.session() as s:
        return tickets.create(s, tickets.Draft(category="water.burst", description=text,
                                               location="花园路"), agent).number


def _two_desks_with_tickets(tmp_path: Path, centre) -> list:
    seed_customers(centre, 5)
    a = new_desk(tmp_path / "a.db", (("A1001", "王芳"),))
    b = new_desk(tmp_path / "b.db", (("A2001", "赵敏"),))
    for desk, agent in ((a, "A1001"), (b, "A2001")):
        engine.sync_once(desk, centre, hook=lambda _n: None)
        _ticket(desk, agent, f"{agent} 的单")
        engine.sync_once(desk, centre, hook=lambda _n: None)
    return [a, b]


def _open_tickets(path: Path) -> int:
    wall = store.open_readonly(path)
    try:
        board = monitor.wallboard(wall)
        return sum(board.states.values())
    finally:
        wall.dispose()


def test_mirror_shows_every_desk_and_follows_new_tickets(tmp_path: Path, centre) -> None:
    desks = _two_desks_with_tickets(tmp_path, centre)
    path = tmp_path / "mirror.db"
    report = mirror.first_pull(path, centre.url)
    assert report.pulled > 0
    copy = store.open_readonly(path)
    assert checksum(desk_rows(copy, TICKET_SQL)) == checksum(centre_rows(centre, TICKET_SQL))
    assert desk_rows(copy, "SELECT count(*) FROM sync_outbox") == [(0,)]  # pulls only
    assert desk_rows(copy, "SELECT count(*) FROM customer") == [(5,)]
    copy.dispose()
    assert centre_rows(centre, "SELECT count(*) FROM desk") == [(2,)]  # never registered
    assert _open_tickets(path) == 2
    follower = mirror.Follower(path, centre.url, interval=0.1).start()
    try:
        _ticket(desks[0], "A1001", "新来的单")
        engine.sync_once(desks[0], centre, hook=lambda _n: None)
        deadline = time.monotonic() + 30  # a wait for the thread, not a timing claim
        while _open_tickets(path) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _open_tickets(path) == 3
        assert follower.last_ok is not None and follower.last_error == ""
    finally:
        follower.stop()
    for desk in desks:
        desk.dispose()


def test_unreachable_centre_keeps_the_last_mirror(tmp_path: Path, centre) -> None:
    desks = _two_desks_with_tickets(tmp_path, centre)
    path = tmp_path / "mirror.db"
    mirror.first_pull(path, centre.url)
    dead = "postgresql://postgres@127.0.0.1:9/none"
    with pytest.raises(central.CentralUnavailable):
        mirror.first_pull(path, dead)
    follower = mirror.Follower(path, dead, interval=0.05).start()
    try:
        deadline = time.monotonic() + 30
        while not follower.last_error and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "unreachable" in follower.last_error
    finally:
        follower.stop()
    assert _open_tickets(path) == 2  # what was pulled before is still shown
    for desk in desks:
        desk.dispose()


@pytest.mark.postgres
def test_a_read_only_role_is_enough_for_the_monitor(tmp_path: Path) -> None:
    """As the README sets it up: SELECT only, default_transaction_read_only. The mirror
    works with it; a desk sync with the same role is refused by the server."""
    url, cleanup = central_url("postgres", tmp_path)
    role = f"agentdesk_monitor_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")
    c = central.connect(url)
    try:
        c.init_schema()
        desks = _two_desks_with_tickets(tmp_path, c)
        with admin.connect() as conn:
            for sql in (f'CREATE ROLE "{role}" LOGIN',
                        f'GRANT USAGE ON SCHEMA public TO "{role}"',
                        f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"',
                        f'ALTER ROLE "{role}" SET default_transaction_read_only = on'):
                conn.exec_driver_sql(sql)
        read_only = url.replace("postgresql://postgres@", f"postgresql://{role}@")
        from agentdesk.sync import seed

        seed.build(c)  # a new mirror starts from the seed: read in binary, read-only
        path = tmp_path / "mirror.db"
        report = mirror.first_pull(path, read_only)
        assert "seed download" in report.phases
        assert _open_tickets(path) == 2
        with pytest.raises(central.CentralError):  # a desk cannot sync with this role
            engine.sync_once(new_desk(tmp_path / "c.db"), central.connect(read_only),
                             hook=lambda _n: None)
        for desk in desks:
            desk.dispose()
    finally:
        c.dispose()
        cleanup()
        with sa.create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://"),
                              isolation_level="AUTOCOMMIT").connect() as conn:
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')


def test_monitor_cli_without_a_reachable_centre_or_a_mirror_says_so(tmp_path: Path, capsys) -> None:
    from agentdesk import cli

    code = cli.main(["--db", str(tmp_path / "m.db"), "monitor", "--central",
                     "postgresql://postgres@127.0.0.1:9/none"])
    assert code == 2
    assert "unreachable" in capsys.readouterr().err
    assert not (tmp_path / "m.db").exists()  # no empty mirror to show next time


async def test_the_wallboard_header_says_how_old_the_centres_data_is(tmp_path: Path,
                                                                     centre) -> None:
    from datetime import timedelta

    from agentdesk.core import clock
    from agentdesk.core.config import Config
    from agentdesk.apps.monitor import create_monitor_app
    from tests.conftest import visible_text, wait_until

    desks = _two_desks_with_tickets(tmp_path, centre)
    path = tmp_path / "mirror.db"
    mirror.first_pull(path, centre.url)
    follower = mirror.Follower(path, centre.url, 60, clock.now() - timedelta(seconds=7))
    app = create_monitor_app(Config(lang="zh"), path, interval=60, follower=follower)
    async with app.run_test(size=(160, 50)) as pilot:
        assert await wait_until(pilot, lambda: "中心数据 7 秒前" in visible_text(app)
                                or "中心数据 8 秒前" in visible_text(app), timeout=10)
        assert await wait_until(pilot, lambda: "未结工单 2 张" in visible_text(app),
                                timeout=10)
        follower.last_error = "central store …: unreachable"
        shown = clock.local(follower.last_ok).strftime("%H:%M:%S")
        assert await wait_until(pilot, lambda: f"中心不可达，数据截至 {shown}"
                                in visible_text(app), timeout=10)
    for desk in desks:
        desk.dispose()
