"""``agentdesk monitor --web``: the same read-only wallboard served by textual-serve, seen
in a real (headless) Chromium.

textual-serve draws the terminal with xterm.js on a canvas; the test turns on xterm's screen
reader mode, which mirrors every terminal row into the DOM (``.xterm-accessibility-tree``),
and reads the wallboard's text there. Chromium is driven over the DevTools protocol with
aiohttp (a dependency of textual-serve): no playwright, no network beyond loopback.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import MARKUP_NAME
from tests.monitor_data import build

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")
# Runs before the page's scripts: keeps a handle on textual-serve's client when it builds
# its terminal (it assigns ``this.webglAddon``), so the test can switch on screen-reader rows.
CAPTURE_CLIENT = """
Object.defineProperty(Object.prototype, "webglAddon", {configurable: true, set(value) {
  window.__textualClient = this;
  Object.defineProperty(this, "webglAddon", {value: value, writable: true,
                                             configurable: true, enumerable: true});
}});
"""
READ_ROWS = """(() => {
  const client = window.__textualClient;
  if (!client || !client.terminal) return "";
  if (!client.terminal.options.screenReaderMode) client.terminal.options.screenReaderMode = true;
  const tree = document.querySelector(".xterm-accessibility-tree");
  return tree ? tree.innerText : "";
})()"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 20) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read().decode(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")


@pytest.fixture
def served(tmp_path: Path):  # noqa: ANN201
    path = tmp_path / "desk.db"
    numbers = build(path)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentdesk", "monitor", "--web", "--db", str(path),
         "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1], env=dict(os.environ))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        page = _wait_http(f"http://127.0.0.1:{port}/", proc)
        yield {"port": port, "page": page, "numbers": numbers, "path": path, "proc": proc}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # nothing was written


def test_page_is_served_on_loopback(served) -> None:  # noqa: ANN001
    page = served["page"].decode()
    port = served["port"]
    assert 'class="textual-terminal"' in page
    assert f"ws://127.0.0.1:{port}/ws" in page
    assert "MONITOR" in page  # the page title is the monitor's


def test_the_page_loads_nothing_from_outside_the_server(served) -> None:  # noqa: ANN001
    """An offline centre's wall screen: no font CDN (textual-serve's page asked
    fonts.googleapis.com); the bundled font is served by the monitor itself."""
    import re

    page = served["page"].decode()
    outside = [u for u in re.findall(r"""(?:src|href|url)\(?=?["']?(https?://[^"')\s]+)""",
                                     page) if "127.0.0.1" not in u]
    assert outside == [] and "googleapis" not in page
    font = re.search(r'url\("([^"]+RobotoMono-VariableFont_wght\.ttf)"\)', page)
    assert font is not None
    with urllib.request.urlopen(font.group(1), timeout=5) as response:
        assert response.status == 200 and len(response.read()) > 10_000


async def _rows_in_chromium(url: str, want: tuple[str, ...], timeout: float = 40) -> str:
    import aiohttp

    port = _free_port()
    profile = tempfile.mkdtemp(prefix="agentdesk-chromium-")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    proc = subprocess.Popen([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                             f"--remote-debugging-port={port}", "--window-size=1600,1000",
                             "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    text = ""
    try:
        targets: list = []
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as r:
                    targets = [t for t in json.load(r) if t["type"] == "page"]
                if targets:
                    break
            except OSError:
                pass
            await asyncio.sleep(0.1)
        assert targets, "chromium's DevTools never answered"
        async with aiohttp.ClientSession() as http, http.ws_connect(
                targets[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            counter = 0

            async def call(method: str, **params: object) -> dict:
                nonlocal counter
                counter += 1
                mine = counter
                await ws.send_json({"id": mine, "method": method, "params": params})
                async for message in ws:
                    data = json.loads(message.data)
                    if data.get("id") == mine:
                        return data
                raise AssertionError("DevTools connection closed")

            await call("Page.enable")
            await call("Page.addScriptToEvaluateOnNewDocument", source=CAPTURE_CLIENT)
            await call("Page.navigate", url=url)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                await asyncio.sleep(0.3)
                answer = await call("Runtime.evaluate", expression=READ_ROWS,
                                    returnByValue=True)
                text = answer["result"]["result"].get("value", "") or ""
                if all(w in text for w in want):
                    break
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    return text


async def test_chromium_shows_the_wallboard(served) -> None:  # noqa: ANN001
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        pytest.skip("CHROMIUM IS NOT INSTALLED: the browser half of the web-mode test did not "
                    "run (.ci/run installs the Debian package 'chromium')")
    t3 = served["numbers"]["T3"]
    want = ("MONITOR", "未结工单 8 张", t3, MARKUP_NAME)
    text = await _rows_in_chromium(f"http://127.0.0.1:{served['port']}/", want)
    for piece in want:
        assert piece in text, f"{piece!r} not in the browser's terminal rows:\n{text}"


def test_bound_elsewhere_it_warns_that_it_has_no_login(monkeypatch, capsys, tmp_path) -> None:  # noqa: ANN001
    import textual_serve.server


    made: list[dict] = []

    class FakeServer:
        def __init__(self, command: str, **kwargs: object) -> None:
            made.append({"command": command, **kwargs})
            self.public_url = f"http://{kwargs['host']}:{kwargs['port']}"

        def serve(self) -> None:
            pass

    monkeypatch.setattr(textual_serve.server, "Server", FakeServer)
    path = tmp_path / "desk.db"
    build(path)
    from agentdesk import cli

    assert cli.main(["monitor", "--web", "--db", str(path)]) == 0
    err = capsys.readouterr().err
    assert made[-1]["host"] == "127.0.0.1" and made[-1]["port"] == 8090
    assert "没有登录" not in err
    command = made[-1]["command"]
    assert " monitor " in command and "--web" not in command and str(path) in command
    assert cli.main(["monitor", "--web", "--host", "0.0.0.0", "--port", "9001", "--db",
                     str(path)]) == 0
    assert "没有登录" in capsys.readouterr().err
    assert made[-1]["host"] == "0.0.0.0" and made[-1]["port"] == 9001
