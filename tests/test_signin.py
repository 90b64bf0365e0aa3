"""Agent sign-in, status and the screen lock (issue 19, "what an agent misses"): the
services (the 工号 rule, the PIN hash, status rows and their sync to the centre and on to
the monitor) and the desk (sign-in refusing an unknown 工号 with the text kept, Ctrl+B,
the idle lock over a form that keeps its typing, the PIN, the monitor's agents tab)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from agentdesk.apps.factory import create_app
from agentdesk.core.i18n import t
from agentdesk.core import agent_status, agents, clock
from agentdesk.core.config import Config
from agentdesk.screens.signin import LockScreen, SignInScreen, StatusDialog
from agentdesk.sync import engine
from tests.conftest import settle, visible_text, wait_ready, wait_until
from tests.sync_helpers import centre_rows, desk_rows, new_desk

SIZE = (120, 40)


# --- services ------------------------------------------------------------------------------


def test_find_takes_the_code_in_any_case_as_ticket_service_does(desk) -> None:  # noqa: ANN001
    with desk.session() as s:
        assert agents.find(s, "a1001").code == "A1001"
        assert agents.find(s, " A1001 ").name == "王芳"
        assert agents.find(s, "A9999") is None
        agents.ensure(s, "a1001", "小写")  # two that differ only in case: the exact one
        assert agents.find(s, "a1001").name == "小写"
        assert agents.find(s, "A1001").name == "王芳"


def test_pin_is_a_salted_hash_and_checked_in_constant_time() -> None:
    one, two = agents.hash_pin("2468"), agents.hash_pin("2468")
    assert one != two and "2468" not in one and one.startswith("scrypt$")
    assert agents.pin_matches(one, "2468") and agents.pin_matches(two, " 2468 ")
    assert not agents.pin_matches(one, "2469")
    assert not agents.pin_matches("", "2468") and not agents.pin_matches("x$y", "2468")
    for bad in ("123", "12a4", "１２３４", "1" * 13):
        with pytest.raises(agents.PinError):
            agents.hash_pin(bad)


def test_status_changes_are_rows_and_the_latest_is_now(desk) -> None:  # noqa: ANN001
    with desk.session() as s:
        me = agents.find(s, "A1001")
        assert agent_status.current(s, "A1001") is None
        agent_status.change(s, me.id, me.code, "ready", "desk-07")
        clock.advance(timedelta(minutes=3))
        agent_status.change(s, me.id, me.code, "break", "desk-07")
        with pytest.raises(agent_status.StatusError):
            agent_status.change(s, me.id, me.code, "lunch", "desk-07")
        s.commit()
        now = agent_status.current(s, "A1001")
    assert now.status == "break" and now.since == clock.now()
    assert agent_status.elapsed(now.since - timedelta(seconds=65), now.since) == "1:05"
    assert agent_status.elapsed(now.since - timedelta(hours=1, seconds=3), now.since) \
        == "1:00:03"
    # every change goes to the outbox, as a contact does
    assert [r[0] for r in desk_rows(desk, "SELECT entity FROM sync_outbox WHERE entity = "
                                          "'agent_status'")] == ["agent_status"] * 2


def test_lock_after_min_zero_means_never(tmp_path: Path) -> None:
    from agentdesk.core import config

    path = tmp_path / "c.toml"
    path.write_text("lock_after_min = 0\n", encoding="utf-8")
    assert config.load(path, {}).lock_after_min == 0
    assert config.load(tmp_path / "none.toml", {}).lock_after_min == 10
    path.write_text("lock_after_min = -1\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match="line 1"):
        config.load(path, {})


def test_status_reaches_the_centre_and_another_desk_and_its_monitor(tmp_path: Path,
                                                                    centre) -> None:
    """A status change travels like a contact: pushed once (a second sync sends nothing
    again), pulled by the other desks; the agents tab of a monitor over a desk (or the
    centre's mirror) reads the latest one."""
    from agentdesk.monitor import states

    one, two = new_desk(tmp_path / "one.db"), new_desk(tmp_path / "two.db")
    with one.session() as s:
        me = agents.find(s, "A1002")
        agent_status.change(s, me.id, me.code, "ready", "desk-01")
        clock.advance(timedelta(minutes=2))
        agent_status.change(s, me.id, me.code, "acw", "desk-01")
        s.commit()
    engine.sync_once(one, centre, hook=lambda name: None)
    engine.sync_once(one, centre, hook=lambda name: None)
    assert centre_rows(centre, "SELECT code, status, desk FROM agent_status ORDER BY since"
                       ) == [("A1002", "ready", "desk-01"), ("A1002", "acw", "desk-01")]
    engine.sync_once(two, centre, hook=lambda name: None)
    assert desk_rows(two, "SELECT status FROM agent_status ORDER BY since") == [
        ("ready",), ("acw",)]
    with two.engine.connect() as conn:
        rows = {r.code: r for r in states.agent_rows(conn.connection.dbapi_connection,
                                                     clock.now())}
    assert rows["A1002"].status == "acw" and rows["A1002"].status_since == clock.now()
    one.dispose()
    two.dispose()


def test_pin_is_set_at_the_centre_from_stdin_and_pulled(tmp_path: Path, centre,
                                                        monkeypatch, capsys) -> None:
    """``central agent CODE --pin`` reads the PIN from stdin (never argv), stores only its
    hash, and desks pull it with the agent's row; a desk's pushed row sets no PIN."""
    import io

    from agentdesk.cli import main

    url = str(centre.engine.url.render_as_string(hide_password=False))
    desk = new_desk(tmp_path / "d.db")
    engine.sync_once(desk, centre, hook=lambda name: None)  # the desk's agents go up
    monkeypatch.setattr("sys.stdin", io.StringIO("13579\n"))
    assert main(["central", "agent", "A1001", "--pin", "--central", url]) == 0
    assert "13579" not in capsys.readouterr().out
    stored = centre_rows(centre, "SELECT pin_hash, role FROM agent WHERE code = 'A1001'")
    assert agents.pin_matches(stored[0][0], "13579") and stored[0][1] == "agent"
    monkeypatch.setattr("sys.stdin", io.StringIO("12\n"))
    assert main(["central", "agent", "A1001", "--pin", "--central", url]) == 2
    engine.sync_once(desk, centre, hook=lambda name: None)
    with desk.session() as s:
        assert agents.pin_matches(agents.find(s, "A1001").pin_hash, "13579")
    desk.dispose()


# --- the desk ------------------------------------------------------------------------------


def _app(desk, code: str = "A1001", sign_in: bool = False, lock: int = 10, lang: str = "zh"):
    return create_app(Config(lang=lang, agent_id=code, agent_name="王芳",
                             lock_after_min=lock),
                      db_path=desk.path, fill_demo=False, screen_pop=False, sign_in=sign_in)


async def test_sign_in_refuses_an_unknown_code_and_keeps_the_text(desk) -> None:  # noqa: ANN001
    app = _app(desk, code="A7777", sign_in=True)  # not in the agents table: asked
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        assert await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen))
        gate = app.screen
        box = gate.query_one("#box")
        assert box.value == "A7777"  # the config's code, typed in already
        await pilot.press("f2", "f5", "ctrl+p")  # nothing opens over the sign-in
        await settle(pilot)
        assert app.screen is gate
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: gate.refused != "")
        assert "A7777" in gate.refused and box.value == "A7777"
        box.value = ""
        await pilot.press(*"a1001", "enter")  # any case, as the ticket service takes it
        assert await wait_until(pilot, lambda: not isinstance(app.screen, SignInScreen))
        assert app.agent_code == "A1001" and app.presence.signed_in
        assert app.presence.status.status == "ready"
        assert "示闲 0:00" in visible_text(app).splitlines()[0]


async def test_a_known_config_agent_is_signed_in_without_typing(desk) -> None:  # noqa: ANN001
    app = _app(desk, code="a1001", sign_in=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        assert not isinstance(app.screen, SignInScreen)
        assert app.agent_code == "A1001" and app.presence.status.status == "ready"
        # sign out from the palette: off recorded, the sign-in asks again
        app.action_sign_out()
        assert await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen))
        await settle(pilot)
    assert desk_rows(desk, "SELECT status FROM agent_status ORDER BY since, id")[-1] == ("off",)


async def test_ctrl_b_changes_the_status_and_the_header_counts_its_time(desk) -> None:  # noqa: ANN001
    app = _app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert isinstance(app.screen, StatusDialog)
        await pilot.press("2")  # 小休
        await settle(pilot)
        clock.advance(timedelta(minutes=4, seconds=5))
        app.refresh_header()
        await pilot.pause()
        assert "小休 4:05" in visible_text(app).splitlines()[0]
        await pilot.press("ctrl+b", "3")  # 话后处理; a wrap-up makes the agent ready again
        await settle(pilot)
        assert app.presence.status.status == "acw"
        app.presence.wrapped_up()
        await settle(pilot)
    assert [r[0] for r in desk_rows(desk, "SELECT status FROM agent_status ORDER BY since, id")
            ] == ["ready", "break", "acw", "ready", "off"]


async def test_idle_lock_hides_the_data_keeps_the_typing_and_takes_the_pin(desk) -> None:  # noqa: ANN001
    with desk.session() as s:
        s.connection().exec_driver_sql("UPDATE agent SET pin_hash = ? WHERE code = 'A1001'",
                                       (agents.hash_pin("2468"),))
        s.commit()
    app = _app(desk, lock=1)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("f4")
        await settle(pilot)
        form = app.screen
        box = form.focused
        assert box is not None and hasattr(box, "value"), box
        await pilot.press(*"pipe")
        typed = box.value
        assert "pipe" in typed
        app.presence.idle_limit_s = 0.5  # a short timer, not ten minutes
        assert await wait_until(pilot, lambda: isinstance(app.screen, LockScreen), 5)
        # Locked: the half-second timer would lock the form again as soon as it is back
        # when the PIN check takes longer (a loaded CI machine: the form was never seen).
        app.presence.idle_limit_s = 600.0
        lock = app.screen
        assert "pipe" not in visible_text(app)
        await pilot.press("f2")  # the F-keys do not open a screen over the lock
        await settle(pilot)
        assert app.screen is lock
        for n in range(5):  # wrong PINs: the catalog's message, then a wait
            await pilot.press(*"1111", "enter")
            assert await wait_until(pilot, lambda: lock.refused != "" and
                                    lock.query_one("#box").value == "")
            lock.refused = ""
        await pilot.press(*"2468", "enter")  # right, but the lock waits now
        assert await wait_until(pilot, lambda: "秒后再试" in lock.refused)
        app.presence.wait_until = 0.0
        await pilot.press(*"2468", "enter")
        assert await wait_until(pilot, lambda: app.screen is form)
        assert box.value == typed  # the form underneath kept its typing


async def test_without_a_pin_the_lock_asks_for_the_code(desk) -> None:  # noqa: ANN001
    app = _app(desk, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        app.action_lock()
        assert await wait_until(pilot, lambda: isinstance(app.screen, LockScreen)
                                and not app.screen.secret)
        lock = app.screen
        await settle(pilot)  # the box asks for the code, not a PIN (walked in tmux: it did)
        assert lock.query_one("#box").placeholder == t("lock.code")
        assert not lock.query_one("#box").password
        await pilot.press(*"A1002", "enter")  # another agent's code does not unlock
        assert await wait_until(pilot, lambda: "Wrong code" in lock.refused)
        app.pop_call("13812345678")  # a call rings while locked: no toast over the lock
        await settle(pilot)
        shown = visible_text(app)
        assert "1381234" not in shown and "138 1234" not in shown, shown
        lock.query_one("#box").value = ""
        await pilot.press(*"a1001", "enter")
        assert await wait_until(pilot, lambda: not isinstance(app.screen, LockScreen))
        await settle(pilot)
        assert app.presence.held == []  # said now that the data may be seen
        assert any("138" in n.message for n in app._notifications), \
            [n.message for n in app._notifications]


async def test_the_monitor_agents_tab_shows_status_and_time(desk) -> None:  # noqa: ANN001
    from agentdesk.apps.monitor import create_monitor_app

    with desk.session() as s:
        me = agents.find(s, "A1001")
        agent_status.change(s, me.id, me.code, "break", "desk-02",
                            clock.now() - timedelta(minutes=7, seconds=30))
        s.commit()
    app = create_monitor_app(Config(lang="zh"), desk.path, interval=60.0)
    async with app.run_test(size=(160, 60)) as pilot:
        assert await wait_until(pilot, lambda: app.screen.refreshes >= 1, 10)
        await pilot.press("2")
        await settle(pilot)
        text = visible_text(app)
        assert "小休" in text and "7:30" in text
