"""Screen pop over the user's Unix socket, the unknown-caller card, contacts (issue 3)."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from pathlib import Path

from sqlalchemy import text

from agentdesk.customers import screenpop
from tests.conftest import MARKUP_NAME, settle, visible_text, wait_ready, wait_until
from tests.test_app import SIZE, desk_app


async def _send(number: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(None, screenpop.send_call, number)


async def _wait_for(pilot, predicate, timeout: float = 5.0) -> None:
    assert await wait_until(pilot, predicate, timeout), "condition not reached"


async def test_pop_over_socket_shows_caller_and_records_contact(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await _wait_for(pilot, lambda: app._pop_server is not None)
        path = screenpop.socket_path()
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
        await pilot.press("f5")  # the agent is elsewhere when the call rings
        assert await _send("+8613812345678")
        await _wait_for(pilot, lambda: getattr(app.screen, "card", None) is not None)
        await settle(pilot)
        assert app.current_mode == "lookup"
        assert app.screen.card.name == MARKUP_NAME
        assert MARKUP_NAME in visible_text(app)
        # once the call is recorded the card lists it among the recent contacts
        await _wait_for(pilot, lambda: len(app.screen.card.contacts) == 1)
    with desk.session() as s:
        rows = s.connection().execute(text(
            "SELECT c.number, c.channel, cu.name, a.code FROM contact c "
            "JOIN customer cu ON cu.id = c.customer_id JOIN agent a ON a.id = c.agent_id"
        )).all()
    assert rows == [("+8613812345678", "phone", MARKUP_NAME, "A1001")]
    assert not screenpop.socket_path().exists()  # removed when the desk closes


async def test_unknown_caller_card(desk) -> None:
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        app.pop_call("+8618600000000")
        await pilot.pause(0.3)
        await settle(pilot)
        text_on_screen = visible_text(app)
        assert "186 0000 0000" in text_on_screen and "没有找到客户" in text_on_screen
        assert app.screen.card is None


def test_no_desk_listening_means_false(tmp_path: Path) -> None:
    assert screenpop.send_call("+8613812345678", path=tmp_path / "nothing") is False


async def test_stale_socket_is_replaced_and_a_live_one_respected(tmp_path: Path) -> None:
    path = Path(os.environ["AGENTDESK_SOCKET"])
    path.parent.mkdir(exist_ok=True)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))  # the socket file left behind by a desk that died
    dead.close()
    got: list[str] = []
    server = await screenpop.serve(got.append, path)
    assert server is not None
    second = await screenpop.serve(got.append, path)
    assert second is None  # a live desk owns the socket: the second does not steal it
    assert await _send("+8613900001111")
    assert got == ["+8613900001111"]
    screenpop.cleanup(server, path)


async def test_bad_messages_are_refused(tmp_path: Path) -> None:
    path = Path(os.environ["AGENTDESK_SOCKET"])
    got: list[str] = []
    server = await screenpop.serve(got.append, path)
    for payload in (b"not json\n", b'{"type": "hangup"}\n', b'{"type": "call"}\n'):
        reader, writer = await asyncio.open_unix_connection(str(path))
        writer.write(payload)
        await writer.drain()
        reply = await reader.readline()
        writer.close()
        assert b'"ok": false' in reply
    assert got == []
    screenpop.cleanup(server, path)


def test_cli_call_rejects_a_malformed_number(capsys) -> None:
    from agentdesk import cli

    assert cli.main(["call", "12345"]) == 2
    assert "not a valid phone number" in capsys.readouterr().err


def test_cli_call_passes_the_extension_on(monkeypatch) -> None:
    from agentdesk import cli

    sent: list[str] = []
    monkeypatch.setattr(screenpop, "send_call", lambda number: sent.append(number) or True)
    assert cli.main(["call", "0571-88886666 转123"]) == 0
    assert cli.main(["call", "138 1234 5678"]) == 0
    assert sent == ["+8657188886666;ext=123", "+8613812345678"]


async def test_the_ringing_number_is_parsed_once_and_a_shared_number_lists_everyone(
        desk, monkeypatch) -> None:
    """The number is normalised when the call is recorded, and the pop shows the customers
    found by it then: no second parse of a formatted copy from the search box. A number
    two customers share (a household) lists both: the call names no one caller."""
    from agentdesk.core.models import Customer, CustomerPhone
    from agentdesk.customers import phones

    with desk.session() as s:
        zhang = s.connection().execute(text(
            "SELECT id FROM customer WHERE account_no = '3100000002'")).scalar()
        s.add(CustomerPhone(customer_id=zhang, e164="+8613812345678", position=1))
        assert s.get(Customer, zhang) is not None
    calls: list[str] = []

    def counting(real):
        def parse(raw: str, *args: object, **kwargs: object):
            calls.append(raw)
            return real(raw, *args, **kwargs)
        return parse

    for name in ("normalise", "normalise_with_extension"):
        monkeypatch.setattr(phones, name, counting(getattr(phones, name)))
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        app.pop_call("+8613812345678")
        await _wait_for(pilot, lambda: app.call.recorded)
        await pilot.pause(0.4)  # past the search box's debounce: it must not search again
        await settle(pilot)
        shown = {m.name for m in app.screen.matches}
        assert shown == {MARKUP_NAME, "张三"}
        assert app.call.caller is None and app.call.contact_id is not None
        assert calls == ["+8613812345678"]
