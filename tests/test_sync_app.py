"""The desk syncs on its own: in a worker after the store opens, again on F9, and the
header says how it went (SQLite central: no server needed)."""

from __future__ import annotations

from pathlib import Path

from agentdesk.apps.factory import create_app
from agentdesk.core.config import Config
from agentdesk.sync import central
from tests.conftest import wait_until
from tests.sync_helpers import desk_rows, seed_customers

SIZE = (140, 30)


async def test_desk_syncs_in_the_background_and_on_f9(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'central.db'}"
    centre = central.connect(url)
    centre.init_schema()
    seed_customers(centre, 3)
    app = create_app(Config(lang="en", agent_id="A1001", agent_name="王芳", central_url=url,
                            sync_interval=3600), db_path=tmp_path / "desk.db")
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_until(pilot, lambda: app.sync_state.startswith("synced"), 15)
        assert desk_rows(app.store, "SELECT count(*) FROM customer") == [(3,)]  # no demo
        version = app.data_version
        seed_customers(centre, 2, prefix="41000")
        await pilot.press("f9")
        assert await wait_until(pilot, lambda: app.data_version > version, 15)
        assert desk_rows(app.store, "SELECT count(*) FROM customer") == [(5,)]
    centre.dispose()


async def test_header_says_offline_and_what_waits(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing-folder' / 'central.db'}"
    app = create_app(Config(lang="en", agent_id="A1001", agent_name="王芳", central_url=url,
                            sync_interval=3600), db_path=tmp_path / "desk.db")
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_until(pilot, lambda: app.sync_state.startswith("offline since"), 15)
        assert "changes waiting" in app.sync_state
        assert app.store is not None  # the desk works on


async def test_a_centre_the_desk_cannot_use_is_said_once_not_only_offline(tmp_path: Path
                                                                          ) -> None:
    """A centre of another schema will not heal by waiting: the agent is told what to do
    (once, not at every retry), and the desk works on."""
    url = f"sqlite:///{tmp_path / 'central.db'}"
    centre = central.connect(url)
    centre.init_schema()
    with centre.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE central_meta SET value = '99' "
                             "WHERE key = 'schema_version'")
    app = create_app(Config(lang="en", agent_id="A1001", agent_name="王芳", central_url=url,
                            sync_interval=3600), db_path=tmp_path / "desk.db")
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_until(pilot, lambda: app.sync_state.startswith("offline since"), 15)

        def told() -> list[str]:
            return [n.message for n in app._notifications if "upgrade agentdesk" in n.message]

        assert await wait_until(pilot, lambda: len(told()) == 1, 5)
        await pilot.press("f9")
        await pilot.pause(0.5)
        assert len(told()) == 1 and app.store is not None
    centre.dispose()


def test_one_desk_sync_is_headless_and_never_raises(tmp_path: Path) -> None:
    """The app's sync job calls DeskSyncer in a worker: a centre it cannot use is an
    outcome, not an exception; the problem is to be told once, and the schedule backs off."""
    from agentdesk.sync import outbox
    from agentdesk.sync.desk_runner import DeskSyncer

    url = f"sqlite:///{tmp_path / 'central.db'}"
    centre = central.connect(url)
    centre.init_schema()
    with centre.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE central_meta SET value = '99' "
                             "WHERE key = 'schema_version'")
    desk = outbox.open_syncing_desk(tmp_path / "desk.db")
    syncer = DeskSyncer(desk, url, interval=30)
    try:
        first = syncer.run()
        assert first.report is None and first.tell and "upgrade agentdesk" in first.error
        assert syncer.settle(first) == first.error  # said to the agent
        again = syncer.run()
        assert syncer.settle(again) == ""  # the same problem is not said again
        assert syncer.plan.failures == 2 and syncer.status.offline_since is not None
    finally:
        syncer.close()
        desk.dispose()
        centre.dispose()


def test_a_locked_desk_is_an_outcome_not_a_stopped_schedule(tmp_path: Path) -> None:
    """Another program holds the desk's write lock: the run reports it (the agent is told
    what to do) instead of raising, so the app's sync job settles and arms the next run."""
    import sqlite3

    from agentdesk.sync import outbox
    from agentdesk.sync.desk_runner import DeskSyncer

    url = f"sqlite:///{tmp_path / 'central.db'}"
    centre = central.connect(url)
    centre.init_schema()
    desk = outbox.open_syncing_desk(tmp_path / "desk.db")
    other = sqlite3.connect(tmp_path / "desk.db", timeout=0)
    syncer = DeskSyncer(desk, url, interval=30)
    try:
        other.execute("BEGIN IMMEDIATE")  # a long import holds the write lock
        outcome = syncer.run()
        assert outcome.report is None and outcome.tell
        assert "locked" in outcome.error
        assert syncer.settle(outcome) == outcome.error
        other.rollback()
        assert syncer.run().report is not None  # the next run works
    finally:
        other.close()
        syncer.close()
        desk.dispose()
        centre.dispose()


async def test_f9_without_a_centre_says_so(tmp_path: Path) -> None:
    """F9 on a desk with no central store did nothing at all (issue 19, small list)."""
    app = create_app(Config(lang="en", agent_id="A1001", agent_name="王芳"),
                     db_path=tmp_path / "desk.db")
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_until(pilot, lambda: app.store is not None, 15)
        await pilot.press("f9")
        await pilot.pause()
        assert any("no central store configured" in str(n.message)
                   for n in app._notifications)
