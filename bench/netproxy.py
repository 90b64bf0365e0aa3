"""A loopback TCP proxy that can misbehave, for the sync tests and ``agentdesk bench sync``:
put it in front of PostgreSQL and point one desk at it.

* ``stall_after(n)``: each connection forwards ``n`` more bytes towards the server, then
  nothing more in either direction, while keeping both sockets open (a silent link: the
  kernel still acknowledges, so no keepalive notices);
* ``reset_every(n)``: a connection is reset (RST) once it has carried ``n`` bytes, both
  directions counted;
* ``latency(s)``: every chunk waits ``s`` seconds before it is forwarded.

Threads, not asyncio: it runs beside code under test that may block its own thread."""

from __future__ import annotations

import socket
import struct
import threading
import time


class Proxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.stall_bytes: int | None = None
        self.reset_bytes: int | None = None
        self.delay = 0.0
        self.connections = 0
        self.resets = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="netproxy").start()

    # --- modes ------------------------------------------------------------------------

    def stall_after(self, n: int | None) -> None:
        self.stall_bytes = n

    def reset_every(self, n: int | None) -> None:
        self.reset_bytes = n

    def latency(self, seconds: float) -> None:
        self.delay = seconds

    def url(self, database_url: str) -> str:
        """``database_url`` with its host and port replaced by this proxy's."""
        import sqlalchemy as sa

        return sa.make_url(database_url).set(host="127.0.0.1", port=self.port) \
            .render_as_string(hide_password=False)

    # --- plumbing ---------------------------------------------------------------------

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        with self._lock:
            for sock in list(self._open):
                _reset(sock)
            self._open.clear()

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                _reset(client)
                continue
            self.connections += 1
            link = _Link(self, client, server)
            with self._lock:
                self._open.update((client, server))
            for src, dst, up in ((client, server, True), (server, client, False)):
                threading.Thread(target=link.pump, args=(src, dst, up), daemon=True).start()


class _Link:
    """One proxied connection: its byte counts decide when it stalls or is reset."""

    def __init__(self, proxy: Proxy, client: socket.socket, server: socket.socket) -> None:
        self.proxy, self.client, self.server = proxy, client, server
        self.carried = 0
        self.sent_up = 0
        self.stall_from: int | None = None
        self.stalled = False
        self.dead = False

    def pump(self, src: socket.socket, dst: socket.socket, up: bool) -> None:
        proxy = self.proxy
        while not self.dead:
            try:
                data = src.recv(16384)
            except OSError:
                break
            if not data:
                break
            if proxy.delay:
                time.sleep(proxy.delay)
            if self.stalled:
                self._hang()
                return
            if proxy.stall_bytes is not None and up:
                if self.stall_from is None:
                    self.stall_from = self.sent_up
                room = self.stall_from + proxy.stall_bytes - self.sent_up
                if room <= len(data):
                    self.stalled = True
                    self._send(dst, data[:max(room, 0)])
                    self._hang()
                    return
            if proxy.reset_bytes is not None and self.carried + len(data) > proxy.reset_bytes:
                self._send(dst, data[:proxy.reset_bytes - self.carried])
                proxy.resets += 1
                self._kill()
                return
            if not self._send(dst, data):
                break
            self.carried += len(data)
            if up:
                self.sent_up += len(data)
        self._kill()

    def _send(self, dst: socket.socket, data: bytes) -> bool:
        try:
            dst.sendall(data)
        except OSError:
            return False
        return True

    def _hang(self) -> None:
        """Forward nothing more, either way; keep both sockets open until the proxy
        closes or the stall is lifted (then the link is reset)."""
        while not self.proxy._closed and self.proxy.stall_bytes is not None:
            time.sleep(0.05)
        self._kill()

    def _kill(self) -> None:
        if self.dead:
            return
        self.dead = True
        for sock in (self.client, self.server):
            _reset(sock)
        with self.proxy._lock:
            self.proxy._open.discard(self.client)
            self.proxy._open.discard(self.server)


def _reset(sock: socket.socket) -> None:
    """Close with RST (linger 0), as a middlebox dropping the flow does. The shutdown
    comes first because a close() alone does not end a socket another thread is blocked
    in recv() on: the peer would never hear of it."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
