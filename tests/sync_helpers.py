"""Shared pieces of the sync tests: a central store per test (SQLite, or a throw-away
PostgreSQL database on 127.0.0.1:5432), desks, and comparisons."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

PG_ADMIN = os.environ.get("AGENTDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
PG_REASON = (f"PostgreSQL is not reachable at {PG_ADMIN}: the postgres "
             "variants of the sync tests did NOT run (the sqlite variants did). Start "
             "PostgreSQL 15 there (trust auth) or set AGENTDESK_TEST_PG.")
_pg_ok: bool | None = None


def pg_available() -> bool:
    global _pg_ok
    if _pg_ok is None:
        try:
            import psycopg

            psycopg.connect(PG_ADMIN, connect_timeout=3).close()
            _pg_ok = True
        except Exception:  # noqa: BLE001 - any failure means "not there"
            _pg_ok = False
    return _pg_ok


def require_pg() -> None:
    """In CI a missing PostgreSQL is a failure; locally a loud skip."""
    if pg_available():
        return
    if os.environ.get("CI"):
        pytest.fail(PG_REASON + " CI=true: failing.", pytrace=False)
    pytest.skip(PG_REASON)


class PgDatabase:
    """CREATE DATABASE with a random name; DROP ... WITH (FORCE) afterwards."""

    def __init__(self) -> None:
        import psycopg

        self.name = f"agentdesk_sync_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        base = PG_ADMIN.rsplit("/", 1)[0]
        self.url = f"{base}/{self.name}"

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def central_url(kind: str, tmp_path: Path) -> tuple[str, Callable[[], None]]:
    """(url, cleanup) of a central store for this test."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'central.db'}", lambda: None
    require_pg()
    db = PgDatabase()
    return db.url, db.drop


def new_desk(path: Path, agents_: tuple[tuple[str, str], ...] = (("A1001", "王芳"),
                                                                 ("A1002", "李强"))):
    from agentdesk.core import agents
    from agentdesk.sync import outbox

    desk = outbox.open_syncing_desk(path)
    with desk.session() as s:
        for code, name in agents_:
            agents.ensure(s, code, name)
    return desk


def seed_customers(centre, n: int = 5, prefix: str = "31000") -> list[str]:
    """n customers (with a phone each) loaded at the centre; returns their ids."""
    from agentdesk.core.models import Customer
    from agentdesk.sync import codec

    rows, phones = [], {}
    for i in range(n):
        c = Customer(account_no=f"{prefix}{i:05d}", name=f"张{'一二三四五六七八九十'[i % 10]}{i}",
                     utility="water", district="金水区", street="花园路街道",
                     community="幸福小区", building=f"{i % 7 + 1}栋", unit="1单元",
                     room=f"{100 + i}室")
        rows.append(codec.to_python("customer", codec.row_of(c)))
        phones[c.id] = [{"id": str(uuid.uuid4()), "customer_id": c.id,
                         "e164": f"+86138{i:08d}", "kind": "mobile", "position": 0}]
    centre.upsert_rows("customer", rows, phones)
    return [r["id"] for r in rows]


def desk_rows(desk, sql: str) -> list[tuple]:
    with desk.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


def centre_rows(centre, sql: str) -> list[tuple]:
    import sqlalchemy as sa

    with centre.reading() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


TICKET_SQL = "SELECT id, number, status, owner_id, description FROM ticket ORDER BY id"
EVENT_SQL = "SELECT id, ticket_id, kind, note FROM ticket_event ORDER BY id"


def checksum(rows: list[tuple]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(tuple("" if v is None else str(v) for v in row)).encode())
    return digest.hexdigest()


def stop_after(n: int, point: str = "pull.after_local_commit") -> Callable[[str], None]:
    """A sync hook that stops the sync (as a closed terminal would) at the nth ``point``."""
    seen = []

    def hook(name: str) -> None:
        if name == point:
            seen.append(name)
            if len(seen) == n:
                raise KeyboardInterrupt  # the agent closed the desk mid-way

    return hook


class DroppingProxy:
    """A loopback TCP proxy to PostgreSQL that the test can cut: every open connection
    is closed at once (mid-batch) and new ones are refused until restored."""

    def __init__(self, target_port: int = 5432) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.socks: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.socks += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.up = False
        with self.lock:
            for s in self.socks:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.socks.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()
