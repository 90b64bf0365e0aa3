"""No password of the central store is ever printed (issue 20, "Secrets"). Every command
that takes a central URL is run in this process with URLs that carry a secret in every
way one can be written (userinfo, a malformed port, the query string, an ``@`` inside,
percent-encoded, a libpq key=value DSN, no host, no scheme), against nothing listening
or no such host; the secret appears in none of stdout, stderr, the log records, the
desk's sync message or its header. With PostgreSQL on 127.0.0.1:5432 the same holds for
the commands that work and for a refused database."""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.sync_helpers import PgDatabase, new_desk, require_pg

SECRET = "Zq9-s3cr3t"
CORE = "s3cr3t"  # what must not appear, in whatever form the secret was written
CSV = ("account_no,name,phones,district,street,community,building,unit,room,utility,"
       "customer_class,meter_no,credit_list,arrears_yuan,tags\n"
       "3100000001,张三,13812345678,金水区,花园路街道,幸福小区,1栋,1单元,101室,water,,,,,\n")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = _closed_port()
URLS = {
    "userinfo": f"postgresql://agentdesk:{SECRET}@127.0.0.1:{PORT}/centre",
    "malformed-port": f"postgresql://agentdesk:{SECRET}@127.0.0.1:abc/nope",
    "query": f"postgresql://agentdesk@127.0.0.1:{PORT}/centre?password={SECRET}",
    "query-and-bad-option": f"postgresql://agentdesk@127.0.0.1:{PORT}/centre?"
                            f"sslmode=bogus&password={SECRET}",
    "at-sign": f"postgresql://agentdesk:ab@{SECRET}@127.0.0.1:{PORT}/centre",
    "percent-encoded": f"postgresql://agentdesk:{quote(SECRET + '@:/?', safe='')}"
                       f"@127.0.0.1:{PORT}/centre",
    "dsn": f"host=127.0.0.1 port={PORT} user=agentdesk password={SECRET} dbname=centre",
    "dsn-quoted": f"host=127.0.0.1 port={PORT} password='{SECRET} x' dbname=centre",
    "no-host": f"postgresql://agentdesk:{SECRET}127.0.0.1/centre",
    "no-scheme": f"agentdesk:{SECRET}@127.0.0.1/centre",
    "no-such-host": f"postgresql://agentdesk:{SECRET}@nonexistent.invalid/centre",
}


def _commands(tmp_path: Path, url: str) -> list[list[str]]:
    desk = tmp_path / "desk.db"
    if not desk.exists():
        new_desk(desk).dispose()  # a desk with changes waiting
    csv = tmp_path / "c.csv"
    csv.write_text(CSV, encoding="utf-8")
    sla = tmp_path / "sla.toml"
    sla.write_text("", encoding="utf-8")
    db = ["--db", str(desk)]
    return [
        ["sync", "--once", *db, "--central", url],
        ["sync", "--once", "--json", *db, "--central", url],
        ["sync", "--verify", *db, "--central", url],
        ["sync", "--once", "--db", str(tmp_path / "new.db"), "--central", url],
        ["central", "init", "--central", url],
        ["central", "seed", "--central", url],
        ["central", "load", "customers", str(csv), "--central", url],
        ["central", "load", "kb", str(tmp_path), "--central", url],
        ["central", "load", "sla", str(sla), "--central", url],
        ["monitor", "--central", url, "--db", str(tmp_path / "mirror.db")],
    ]


def _run(argv: list[str], capsys: pytest.CaptureFixture, caplog: pytest.LogCaptureFixture
         ) -> tuple[int, str]:
    from agentdesk import cli

    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        code = cli.main(argv)
    out, err = capsys.readouterr()
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    return code, out + err + logged


def _clean(text: str, where: object) -> None:
    assert CORE not in text, f"{where}: {text}"
    assert "Traceback" not in text, f"{where}: {text}"


@pytest.mark.parametrize("form", list(URLS))
def test_no_command_prints_the_secret(form: str, tmp_path: Path, capsys, caplog) -> None:
    url = URLS[form]
    for argv in _commands(tmp_path, url):
        code, said = _run(argv, capsys, caplog)
        _clean(said, argv[:3])
        assert code in (2, 3, 4), (argv, code, said)
        assert said.strip(), argv  # it said why


@pytest.mark.parametrize("form", ["malformed-port", "query", "at-sign", "dsn"])
def test_the_url_from_the_environment_or_the_config_file_is_not_printed(
        form: str, tmp_path: Path, capsys, caplog, monkeypatch) -> None:
    url = URLS[form]
    monkeypatch.setenv("AGENTDESK_CENTRAL_URL", url)
    for argv in (["sync", "--once", "--db", str(tmp_path / "d.db")], ["central", "init"]):
        code, said = _run(argv, capsys, caplog)
        _clean(said, argv)
        assert code in (2, 3, 4) and said.strip()
    monkeypatch.delenv("AGENTDESK_CENTRAL_URL")
    config = tmp_path / "config.toml"
    config.write_text(f"central_url = '{url}'\n", encoding="utf-8")  # TOML literal
    monkeypatch.setenv("AGENTDESK_CONFIG", str(config))
    code, said = _run(["central", "init"], capsys, caplog)
    _clean(said, "config")
    assert code in (2, 3, 4) and said.strip()


def test_a_config_value_of_the_wrong_kind_is_not_echoed(english, tmp_path: Path, capsys, caplog,
                                                        monkeypatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'central_url = ["postgresql://u:{SECRET}@h/db"]\n', encoding="utf-8")
    monkeypatch.setenv("AGENTDESK_CONFIG", str(config))
    code, said = _run(["central", "init"], capsys, caplog)
    _clean(said, "config")
    assert code == 2 and "central_url must be text" in said


@pytest.mark.parametrize("form", list(URLS))
def test_the_desk_sync_job_says_nothing_of_the_secret(form: str, tmp_path: Path) -> None:
    from agentdesk.sync.desk_runner import DeskSyncer

    desk = new_desk(tmp_path / "desk.db")
    syncer = DeskSyncer(desk, URLS[form], 30, "desk-01")
    try:
        outcome = syncer.run()
        told = syncer.settle(outcome)
    finally:
        syncer.close()
        desk.dispose()
    assert outcome.error, form
    for text in (outcome.error, told, syncer.status.text(), syncer.status.error):
        _clean(text, form)


async def test_the_desk_screen_shows_no_secret(tmp_path: Path) -> None:
    """The running desk: its header and every notification while the sync fails."""
    from agentdesk.apps.factory import create_app
    from agentdesk.core.config import Config
    from tests.conftest import wait_until

    for form in ("malformed-port", "query", "at-sign", "dsn"):
        app = create_app(Config(lang="en", agent_id="A1001", agent_name="王芳",
                                central_url=URLS[form], sync_interval=3600),
                         db_path=tmp_path / f"{form}.db")
        async with app.run_test(size=(140, 30)) as pilot:
            assert await wait_until(pilot, lambda: app.sync_state.startswith("offline"), 15)
            await pilot.pause(0.2)
            shown = [app.sync_state, *(n.message for n in app._notifications)]
            for text in shown:
                _clean(text, form)


# --- a reachable PostgreSQL (trust auth: the password is carried, never checked) -------


@pytest.fixture
def pg_db():
    require_pg()
    db = PgDatabase()
    yield db
    db.drop()


def _with_secret(url: str, where: str) -> str:
    base, _, name = url.rpartition("/")
    user_host = base.removeprefix("postgresql://")
    if where == "userinfo":
        user, _, host = user_host.partition("@")
        return f"postgresql://{user}:{quote(SECRET + '@', safe='')}@{host}/{name}"
    return f"{url}?password={SECRET}"


@pytest.mark.postgres
@pytest.mark.parametrize("where", ["userinfo", "query"])
def test_working_commands_against_postgresql_print_no_secret(english, where: str, pg_db, tmp_path: Path,
                                                             capsys, caplog) -> None:
    url = _with_secret(pg_db.url, where)
    csv = tmp_path / "c.csv"
    csv.write_text(CSV, encoding="utf-8")
    desk = str(tmp_path / "desk.db")
    for argv in (["central", "init", "--central", url],
                 ["central", "load", "customers", str(csv), "--central", url],
                 ["central", "seed", "--central", url],
                 ["sync", "--once", "--db", desk, "--central", url],
                 ["sync", "--verify", "--db", desk, "--central", url],
                 ["sync", "--once", "--json", "--db", desk, "--central", url]):
        code, said = _run(argv, capsys, caplog)
        _clean(said, argv[:3])
        assert code == 0, (argv, said)
    missing = url.replace(pg_db.name, pg_db.name + "_missing")
    code, said = _run(["sync", "--once", "--db", desk, "--central", missing], capsys, caplog)
    _clean(said, "missing database")
    assert code == 4 and "does not exist" in said
