"""A burst of screen pops (issue 20): the last call wins. Each pop has a sequence number
(the call's serial in the desk, the connection's order at the socket) and a result older
than the newest pop is dropped, however the workers finish."""

from __future__ import annotations

import asyncio
import json
import socket
import threading

import pytest

from agentdesk.customers import contacts, lookup, screenpop
from tests.conftest import MARKUP_NAME, settle, visible_text, wait_ready, wait_until
from tests.test_app import SIZE, desk_app

YANG = "+8613812345678"  # 杨伟 (MARKUP_NAME) in the test desk
ZHANG = "+8613900001111"  # 张三


class Gate:
    """Holds the calls of ``real`` whose ``key(*args)`` is in ``holds`` until released, in
    whatever order the test releases them."""

    def __init__(self, real, key, holds) -> None:
        self.real, self.key, self.holds = real, key, holds
        self.started: dict[str, threading.Event] = {}
        self.release: dict[str, threading.Event] = {}

    def __call__(self, *args, **kwargs):
        key = self.key(*args)
        if key in self.holds:
            self.started.setdefault(key, threading.Event()).set()
            assert self.release.setdefault(key, threading.Event()).wait(20)
        return self.real(*args, **kwargs)

    def open(self, key: str) -> None:
        self.release.setdefault(key, threading.Event()).set()


@pytest.mark.parametrize("last", ["+8618600000099", ZHANG])
async def test_the_last_of_a_hundred_pops_wins(desk, monkeypatch, last: str) -> None:
    with desk.session() as s:
        yang_id = lookup.search(s, YANG)[0].customer_id
    cards = Gate(lookup.card, lambda session, customer_id, *rest: "yang"
                 if customer_id == yang_id else "", {"yang"})
    slow = {"+8618600000002", "+8618600000003", "+8618600000004"}
    calls = Gate(contacts.record_call, lambda session, number, *rest: number, slow)
    monkeypatch.setattr(lookup, "card", cards)
    monkeypatch.setattr(contacts, "record_call", calls)
    numbers = [YANG] + [f"+86186000000{i:02d}" for i in range(1, 99)] + [last]
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        app.pop_call(numbers[0])  # the first caller's card is being read ...
        assert await asyncio.get_running_loop().run_in_executor(
            None, lambda: cards.started.setdefault("yang", threading.Event()).wait(10))
        for i, number in enumerate(numbers[1:], 1):  # ... when 99 more calls ring
            app.pop_call(number)
            if i % 10 == 0:
                await pilot.pause()
        assert await wait_until(pilot, lambda: app.call.recorded and app.call.number == last)
        await pilot.pause(0.1)
        for number in sorted(slow, reverse=True):  # the early workers finish last
            calls.open(number)
        cards.open("yang")
        await settle(pilot)
        await pilot.pause(0.1)
        await settle(pilot)
        screen = app.screen
        assert app.call.number == last
        if last == ZHANG:
            assert screen.card is not None and screen.card.name == "张三"
            assert [m.name for m in screen.matches] == ["张三"]
        else:
            assert screen.card is None and screen.matches == []
            assert "186 0000 0099" in visible_text(app)
        assert MARKUP_NAME not in visible_text(app)


async def test_a_call_that_connected_first_but_spoke_last_does_not_pop() -> None:
    """Numbered as accepted: the connection that came first is the older call, whenever
    its line arrives."""
    path = screenpop.socket_path()
    popped: list[str] = []
    stale: list[str] = []
    server = await screenpop.serve(popped.append, path, on_stale=stale.append)
    loop = asyncio.get_running_loop()

    def talk(sock: socket.socket, number: str) -> dict:
        sock.sendall(json.dumps({"type": "call", "number": number}).encode() + b"\n")
        return json.loads(sock.makefile("rb").readline())

    early = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    late = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        early.connect(str(path))
        late.connect(str(path))
        assert (await loop.run_in_executor(None, talk, late, ZHANG))["ok"]
        assert (await loop.run_in_executor(None, talk, early, YANG))["ok"]  # not an error
        assert (await loop.run_in_executor(None, screenpop.send_call, "+8618600000001"))
    finally:
        early.close()
        late.close()
        screenpop.cleanup(server, path)
    assert popped == [ZHANG, "+8618600000001"] and stale == [YANG]


async def test_a_superseded_call_is_kept_as_a_contact_without_popping(desk) -> None:
    from sqlalchemy import text

    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        app.pop_call(ZHANG)
        assert await wait_until(pilot, lambda: app.call.recorded)
        app.note_superseded_call(YANG)
        await settle(pilot)
        assert app.call.number == ZHANG and app.screen.card.name == "张三"
    with desk.session() as s:
        numbers = s.connection().execute(text("SELECT number FROM contact")).scalars().all()
    assert sorted(numbers) == sorted([ZHANG, YANG])
