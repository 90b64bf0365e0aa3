"""A central URL that cannot be used (issue 15, "Bad input"): a wrong password, no such
database, another application's database, a centre of another schema version, a refused
connection, no such host. Through the real command: one line and no traceback, the
documented exit status (3: unreachable, try later; 4: unusable as configured), the
password never shown, the desk untouched."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.sync_helpers import PgDatabase, checksum, new_desk, require_pg

SECRET = "s3cr3t-PW"
ROOT = Path(__file__).parents[1]
postgres = pytest.mark.postgres


def _with_password(url: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(url).set(password=SECRET).render_as_string(hide_password=False)


def _agentdesk(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": "", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "agentdesk", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def _desk_state(path: Path) -> str:
    """Every table of the desk, row by row."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        rows = [(t, *r) for t in tables
                for r in sorted(conn.execute(f'SELECT * FROM "{t}"'), key=repr)]
    finally:
        conn.close()
    return checksum(rows)


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    """A desk that never synced, with changes waiting in its outbox."""
    path = tmp_path / "desk.db"
    store = new_desk(path)
    store.dispose()
    return path


def _one_line(run: subprocess.CompletedProcess, as_json: bool) -> str:
    assert "Traceback" not in run.stdout + run.stderr
    assert SECRET not in run.stdout + run.stderr
    text, quiet = (run.stdout, run.stderr) if as_json else (run.stderr, run.stdout)
    assert quiet == "", quiet
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


def _sync_fails(desk: Path, url: str, as_json: bool, code: int, kind: str,
                *words: str) -> str:
    """One failed `agentdesk sync --once`: its line; the desk is as it was."""
    before = _desk_state(desk)
    run = _agentdesk("sync", "--once", *(["--json"] if as_json else []), "--db", str(desk),
                     "--central", url)
    line = _one_line(run, as_json)
    assert run.returncode == code, line
    if as_json:
        out = json.loads(line)
        assert out["ok"] is False and out["kind"] == kind and out["waiting"] > 0, out
        line = out["error"]
    else:
        assert line.startswith("agentdesk: central store ") and "change(s) waiting" in line
    assert "***" in line
    for word in words:
        assert word in line, line
    assert _desk_state(desk) == before
    return line


# --- unreachable: exit 3, no PostgreSQL needed --------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("where", ["refused", "dns"])
def test_an_unreachable_centre_exits_3(english, desk: Path, where: str, as_json: bool) -> None:
    host = f"127.0.0.1:{_closed_port()}" if where == "refused" else "nonexistent.invalid"
    url = f"postgresql://agentdesk:{SECRET}@{host}/centre"
    line = _sync_fails(desk, url, as_json, 3, "unreachable", "unreachable")
    assert ("Connection refused" if where == "refused" else "nonexistent.invalid") in line


def test_central_init_on_an_unreachable_centre_exits_3() -> None:
    run = _agentdesk("central", "init", "--central",
                     f"postgresql://agentdesk:{SECRET}@127.0.0.1:{_closed_port()}/centre")
    assert run.returncode == 3 and "unreachable" in _one_line(run, False)


def test_a_new_desk_is_not_made_for_a_centre_it_cannot_reach(english, tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    run = _agentdesk("sync", "--once", "--db", str(path), "--central",
                     f"postgresql://agentdesk:{SECRET}@127.0.0.1:{_closed_port()}/centre")
    assert run.returncode == 3 and "0 change(s) waiting" in _one_line(run, False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("url", [f"postgresql://agentdesk:{SECRET}@host:port/centre",
                                 f"agentdesk:{SECRET}@host/centre"], ids=["port", "scheme"])
def test_a_url_that_is_no_url_exits_2_without_its_password(desk: Path, url: str) -> None:
    run = _agentdesk("sync", "--once", "--json", "--db", str(desk), "--central", url)
    out = json.loads(_one_line(run, True))
    assert run.returncode == 2 and out["kind"] == "url" and "***" in out["error"]


# --- a wrong password: exit 4 ---------------------------------------------------------


class PasswordRefuser:
    """A loopback server with just enough of PostgreSQL's protocol to ask for a password
    and refuse it with PostgreSQL's own error (28P01). The test server trusts 127.0.0.1,
    so it cannot refuse one itself; libpq still writes the message from the reply."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.passwords: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self.listener.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                try:
                    self._refuse(conn)
                except (OSError, struct.error):
                    pass

    @staticmethod
    def _read(conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise OSError("peer left")
            data += chunk
        return data

    def _refuse(self, conn: socket.socket) -> None:
        while True:
            length, code = struct.unpack("!ii", self._read(conn, 8))
            body = self._read(conn, length - 8)
            if code not in (80877103, 80877104):  # not SSLRequest, GSSENCRequest
                break
            conn.sendall(b"N")  # no encryption here: go on in the clear
        params = body.split(b"\0")
        user = dict(zip(params[::2], params[1::2], strict=False)).get(b"user", b"").decode()
        conn.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
        kind, length = struct.unpack("!ci", self._read(conn, 5))
        if kind == b"p":
            self.passwords.append(self._read(conn, length - 4).rstrip(b"\0").decode())
        fields = (b"SFATAL\0VFATAL\0C28P01\0M" + f'password authentication failed for user '
                  f'"{user}"'.encode() + b"\0\0")
        conn.sendall(b"E" + struct.pack("!i", len(fields) + 4) + fields)


@pytest.fixture
def refuser() -> Iterator[PasswordRefuser]:
    server = PasswordRefuser()
    yield server
    server.close()


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_a_wrong_password_exits_4(english, desk: Path, refuser: PasswordRefuser,
                                  as_json: bool) -> None:
    url = f"postgresql://agentdesk:{SECRET}@127.0.0.1:{refuser.port}/centre"
    _sync_fails(desk, url, as_json, 4, "auth", "login refused: password authentication "
                "failed for user \"agentdesk\"", "check the user and password")
    assert SECRET in refuser.passwords  # sent to the server, never printed
    run = _agentdesk("central", "init", "--central", url)
    assert run.returncode == 4 and "login refused" in _one_line(run, False)


def test_the_loop_stops_on_a_refused_login_and_retries_an_unreachable_centre(english,
        desk: Path, refuser: PasswordRefuser) -> None:
    run = _agentdesk("sync", "--db", str(desk), "--central",
                     f"postgresql://agentdesk:{SECRET}@127.0.0.1:{refuser.port}/centre")
    assert run.returncode == 4 and "login refused" in _one_line(run, False)
    env = {**os.environ, "CI": "", "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-m", "agentdesk", "sync", "--db", str(desk), "--central",
         f"postgresql://agentdesk:{SECRET}@127.0.0.1:{_closed_port()}/centre"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stderr.readline()
        assert "unreachable" in line and "retry in" in line and SECRET not in line, line
        assert child.poll() is None  # still there, waiting to retry
    finally:
        child.kill()
        child.wait()
        child.stderr.close()


# --- PostgreSQL answers, but this is no centre of ours: exit 4 --------------------------


def _other_app(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE customer (cust_no integer PRIMARY KEY, name text)")
        conn.execute("CREATE TABLE orders (id integer PRIMARY KEY)")


def _schema(version: str) -> Callable[[str], None]:
    def make(url: str) -> None:
        from agentdesk.sync import central

        centre = central.connect(url)
        try:
            centre.init_schema()
            with centre.engine.begin() as conn:
                conn.exec_driver_sql("UPDATE central_meta SET value = %(v)s "
                                     "WHERE key = 'schema_version'", {"v": version})
        finally:
            centre.dispose()
    return make


def _tables(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        return sorted(r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))


def _version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT value FROM central_meta "
                            "WHERE key = 'schema_version'").fetchone()[0]


NEWER = str(int(__import__("agentdesk.sync.central", fromlist=["SCHEMA_VERSION"]).SCHEMA_VERSION)
            + 1)  # a version the next agentdesk will make
CASES = {  # kind, words of the line, what `central init` then does (None: it works)
    "other-app": (_other_app, "not-agentdesk", ("not an agentdesk centre", "customer, orders",
                                                "check the database name"), 4),
    "newer-schema": (_schema(NEWER), "schema", (f"schema version {NEWER}",
                                                 "upgrade agentdesk"), 4),
    "older-schema": (_schema("3"), "schema", ("schema version 3",
                                              "run agentdesk central init"), None),
}


@pytest.fixture
def pg_db() -> Iterator[PgDatabase]:
    require_pg()
    db = PgDatabase()
    yield db
    db.drop()


@postgres
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_no_such_database_exits_4(english, desk: Path, pg_db: PgDatabase, as_json: bool) -> None:
    url = _with_password(pg_db.url.rsplit("/", 1)[0] + f"/{pg_db.name}_missing")
    _sync_fails(desk, url, as_json, 4, "no-database",
                f'database "{pg_db.name}_missing" does not exist', "check the database name")
    run = _agentdesk("central", "init", "--central", url)
    assert run.returncode == 4 and "does not exist" in _one_line(run, False)


@postgres
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_database_that_is_no_centre_of_ours_exits_4(english, desk: Path, pg_db: PgDatabase,
                                                      case: str, as_json: bool) -> None:
    make, kind, words, init_code = CASES[case]
    make(pg_db.url)
    tables = _tables(pg_db.url)
    url = _with_password(pg_db.url)
    _sync_fails(desk, url, as_json, 4, kind, *words)
    assert _tables(pg_db.url) == tables
    run = _agentdesk("central", "init", "--central", url)
    if init_code is not None:  # refused, and the database left as it was
        assert run.returncode == init_code and words[0] in _one_line(run, False)
        assert _tables(pg_db.url) == tables
        if case == "newer-schema":
            assert _version(pg_db.url) == NEWER
        return
    assert run.returncode == 0, run.stderr  # an older centre: init upgrades it
    run = _agentdesk("sync", "--once", "--json", "--db", str(desk), "--central", url)
    assert run.returncode == 0 and json.loads(run.stdout)["ok"], run.stdout + run.stderr


@postgres
def test_an_empty_database_says_run_central_init(english, desk: Path, pg_db: PgDatabase) -> None:
    line = _sync_fails(desk, _with_password(pg_db.url), False, 4, "not-initialised",
                       "empty database", "run agentdesk central init")
    assert _tables(pg_db.url) == [], line
