"""Screen pop: a telephony system tells a running desk that a call is ringing.

A Unix socket owned by the user (in the user's runtime directory, mode 0600; a missing
folder is made 0700), not a network port: only this user's processes can pop this desk.
An existing folder is never chmodded and nothing but a stale socket of ours is ever
removed from the path. One JSON line in, one JSON line out. No textual import: the app
hands :func:`serve` a callback.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path

MAX_MESSAGE = 1024


class PopError(RuntimeError):
    pass


def socket_path() -> Path:
    env = os.environ.get("AGENTDESK_SOCKET")
    if env:
        return Path(env)
    runtime = os.environ.get("XDG_RUNTIME_DIR")  # per-user, cleared at logout
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "agentdesk" / "desk.sock"
    import tempfile  # no runtime dir (root, containers): a private folder in tmp

    return Path(tempfile.gettempdir()) / f"agentdesk-{os.getuid()}" / "desk.sock"


def _private_dir(path: Path) -> None:
    """The socket's folder: created 0700 when missing. An existing folder is never
    chmodded (AGENTDESK_SOCKET may point into a folder shared on purpose); one where
    another user could put their own socket in place of ours is refused."""
    from agentdesk.core import private
    from agentdesk.core.i18n import t

    folder = path.parent
    if not folder.exists():
        private.folder(folder)
    info = folder.stat()
    if info.st_uid != os.getuid() and not info.st_mode & stat.S_ISVTX:
        raise PopError(t("pop.not_ours", path=folder))
    if info.st_mode & 0o002 and not info.st_mode & stat.S_ISVTX:
        raise PopError(t("pop.open_folder", path=folder))


def _clear_stale(path: Path) -> bool:
    """False when a live desk listens at ``path``. A socket of ours that nobody answers
    (its desk died) is removed; anything else there is refused, never deleted."""
    from agentdesk.core.i18n import t

    try:
        info = path.lstat()
    except FileNotFoundError:
        return True
    if not stat.S_ISSOCK(info.st_mode):
        raise PopError(t("pop.not_socket", path=path))
    if info.st_uid != os.getuid():
        raise PopError(t("pop.not_ours", path=path))
    if listening(path):
        return False
    path.unlink()  # stale: its desk is gone
    return True


def send_call(number: str, path: Path | None = None, timeout: float = 2.0) -> bool:
    """Tell the running desk; False when no desk listens (the caller starts one)."""
    path = path or socket_path()
    if not path.exists():
        return False
    message = json.dumps({"type": "call", "number": number}).encode() + b"\n"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(message)
            reply = sock.makefile("rb").readline(MAX_MESSAGE)
    except (ConnectionRefusedError, FileNotFoundError):
        return False  # a socket file left by a desk that died
    except OSError as exc:
        raise PopError(f"{path}: {exc}") from None
    answer = json.loads(reply or b"{}")
    if not answer.get("ok"):
        raise PopError(answer.get("error", "the desk did not accept the call"))
    return True


def listening(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            sock.connect(str(path))
        return True
    except OSError:
        return False


async def serve(on_call: Callable[[str], None], path: Path | None = None,
                on_stale: Callable[[str], None] | None = None
                ) -> asyncio.AbstractServer | None:
    """Listen for calls; None when another live desk already owns the socket.

    Each connection is numbered as it is accepted: a call that connected before the last
    one popped but spoke after it is older, and goes to ``on_stale`` (the desk keeps it
    as a contact) instead of popping over the newer call."""
    path = path or socket_path()
    _private_dir(path)
    if not _clear_stale(path):
        return None

    order = itertools.count(1)
    newest = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal newest
        seq = next(order)  # before the first await: accept order
        try:
            line = await asyncio.wait_for(reader.readline(), timeout=2.0)
            message = json.loads(line[:MAX_MESSAGE] or b"{}")
            number = str(message.get("number", ""))[:64]
            if message.get("type") != "call" or not number.strip():
                reply = {"ok": False, "error": "expected {\"type\": \"call\", \"number\": ...}"}
            else:
                if seq > newest:
                    newest = seq
                    on_call(number)
                elif on_stale is not None:
                    on_stale(number)
                reply = {"ok": True}
        except (ValueError, asyncio.TimeoutError) as exc:
            reply = {"ok": False, "error": f"bad message: {exc}"}
        writer.write(json.dumps(reply).encode() + b"\n")
        try:
            await writer.drain()
        finally:
            writer.close()

    old_umask = os.umask(0o177)  # the socket file is born 0600
    try:
        server = await asyncio.start_unix_server(handle, path=str(path))
    finally:
        os.umask(old_umask)
    return server


def cleanup(server: asyncio.AbstractServer | None, path: Path | None = None) -> None:
    if server is None:
        return
    server.close()
    path = path or socket_path()
    try:
        if stat.S_ISSOCK(path.lstat().st_mode):  # ours, unless replaced meanwhile
            path.unlink()
    except FileNotFoundError:
        pass
