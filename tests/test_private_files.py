"""Customer data is this user's only (issue 20, "Private files"), and agentdesk keeps its
hands off what is not its own ("Hostile input" at the boundaries): with the usual umask
(022) every folder agentdesk creates is 0700 and every file 0600 (databases, WAL, locks,
exports, reports, scorecards, training databases, mirrors, the seed a desk starts from);
a loose data folder is tightened with a notice, a folder the user chose is left alone;
another program's SQLite file is refused and left as it was; the screen-pop socket never
chmods a folder that exists nor deletes what is not its socket."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import socket
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_desk
from tests.test_training import perfect_run, run_of  # noqa: F401 - run_of is a fixture

CSV = ("account_no,name,phones,district,street,community,building,unit,room,utility,"
       "customer_class,meter_no,credit_list,arrears_yuan,tags\n"
       "3100000001,张三,13812345678,金水区,花园路街道,幸福小区,1栋,1单元,101室,water,,,,,\n")


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _modes(root: Path) -> dict[str, int]:
    """Every folder and file under ``root`` (itself included) with its mode."""
    found = {str(root): _mode(root)}
    for here, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(here) / name
            found[str(path)] = _mode(path)
    return found


def _private(root: Path) -> None:
    modes = _modes(root)
    loose = {p: f"{m:04o}" for p, m in modes.items()
             if m != (0o700 if Path(p).is_dir() else 0o600)}
    assert not loose, loose


def _data_dir() -> Path:
    from agentdesk.core.private import data_dir

    return data_dir()


def _cli(*argv: str) -> int:
    from agentdesk import cli

    return cli.main(list(argv))


# --- what agentdesk creates -------------------------------------------------------------


def test_the_data_folder_and_the_desk_files_are_private(tmp_path: Path) -> None:
    from agentdesk.core import store

    data = _data_dir()
    assert not data.parent.exists()  # XDG_DATA_HOME too: made by agentdesk, 0700
    assert _cli("demo-data", "--customers", "20", "--tickets", "5") == 0
    desk = store.open_desk(data / "desk.db")  # open: its -wal and -shm exist now
    try:
        with desk.session() as s:
            s.connection().exec_driver_sql("CREATE TABLE scratch (x)")
        with desk.sole_user():
            pass
        names = {p.name for p in data.iterdir()}
        assert {"desk.db", "desk.db-wal", "desk.db-shm", "desk.db.lock",
                "desk.db.lock.excl"} <= names, names
        _private(data.parent)
    finally:
        desk.dispose()


def test_a_loose_data_folder_is_tightened_with_a_notice(tmp_path: Path, capsys) -> None:
    data = _data_dir()
    (data / "training").mkdir(parents=True)
    for folder in (data, data / "training"):
        os.chmod(folder, 0o755)
    assert _cli("--lang", "en", "ticket", "list") == 0
    err = capsys.readouterr().err
    assert _mode(data) == 0o700
    assert f"{data} had mode 0755" in err and "tightened to 0700" in err
    from agentdesk.core import private

    assert private.folder(data / "training") and _mode(data / "training") == 0o700


def test_a_folder_the_user_chose_is_left_as_it_is(tmp_path: Path, capsys) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    assert _cli("ticket", "list", "--db", str(shared / "desk.db")) == 0
    assert _mode(shared) == 0o755 and "0700" not in capsys.readouterr().err
    assert _mode(shared / "desk.db") == 0o600 and _mode(shared / "desk.db.lock") == 0o600
    assert _cli("ticket", "list", "--db", str(tmp_path / "new" / "sub" / "desk.db")) == 0
    _private(tmp_path / "new")


def test_exports_and_reports_are_private(tmp_path: Path) -> None:
    desk = make_desk(tmp_path / "desk.db")
    desk.dispose()
    out = tmp_path / "out"
    out.mkdir(mode=0o700)  # the user's folder: what agentdesk writes in it is checked
    assert _cli("export", "customers", str(out / "customers.csv"),
                "--db", str(tmp_path / "desk.db")) == 0
    assert _cli("report", "--csv", str(out / "report"), "--db", str(tmp_path / "desk.db")) == 0
    assert (out / "report" / "kpi.csv").exists()
    _private(out)


def test_scorecards_and_the_training_database_are_private(run_of) -> None:  # noqa: F811
    from agentdesk.training import history

    run = run_of("burst-main-night")
    assert _mode(run.db_path) == 0o600
    card = perfect_run(run)
    json_path, md_path = history.save(card)
    assert json_path.parent == _data_dir() / "training"
    _private(_data_dir().parent)


def test_a_centre_file_a_mirror_and_a_desk_from_the_seed_are_private(english, tmp_path: Path) -> None:
    from agentdesk.sync import mirror

    centre_dir, desks = tmp_path / "centre", tmp_path / "desks"
    centre_dir.mkdir(mode=0o700)
    desks.mkdir(mode=0o700)
    url = f"sqlite:///{centre_dir / 'central.db'}"
    csv = tmp_path / "c.csv"
    csv.write_text(CSV, encoding="utf-8")
    assert _cli("central", "init", "--central", url) == 0
    assert _cli("central", "load", "customers", str(csv), "--central", url) == 0  # + a seed
    assert _cli("sync", "--once", "--db", str(desks / "desk.db"), "--central", url) == 0
    mirror.first_pull(desks / "mirror.db", url)
    _private(centre_dir)
    _private(desks)
    assert (desks / "desk.db").exists() and (desks / "mirror.db").exists()


# --- another program's SQLite file ----------------------------------------------------------


def _state(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def _tables(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM sqlite_master ORDER BY name")]
    finally:
        conn.close()


@pytest.mark.parametrize("tables", [["orders"], ["alembic_version", "orders"]],
                         ids=["plain", "its-own-alembic"])
def test_another_programs_database_is_refused_and_left_as_it_was(
        tmp_path: Path, capsys, tables: list[str]) -> None:
    from agentdesk.core import store

    folder = tmp_path / "other"
    folder.mkdir()
    path = folder / "app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, v TEXT)")
    if "alembic_version" in tables:  # as Alembic makes it
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                     "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
        conn.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
    conn.commit()
    conn.close()
    before, names = _state(folder), _tables(path)
    assert _cli("--lang", "en", "ticket", "list", "--db", str(path)) == 2
    err = capsys.readouterr().err
    assert "is not an agentdesk database" in err and "orders" in err, err
    assert "nothing was changed" in err
    with pytest.raises(store.StoreError, match="not an agentdesk database"):
        store.open_desk(path)
    assert _tables(path) == names and _state(folder) == before  # no table, no WAL, no lock


def test_an_empty_file_becomes_a_desk(tmp_path: Path) -> None:
    from agentdesk.core import store

    path = tmp_path / "empty.db"
    path.touch()
    store.open_desk(path).dispose()
    assert "ticket" in _tables(path)


# --- the screen-pop socket ------------------------------------------------------------------


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """Unix socket paths are short (108 bytes): a short folder, not tmp_path."""
    from agentdesk.core import i18n

    i18n.set_lang("en")  # the messages below are matched in English
    folder = Path(tempfile.mkdtemp(prefix="ad-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _serve(path: Path) -> object:
    from agentdesk.customers import screenpop

    async def go() -> object:
        server = await screenpop.serve(lambda _n: None, path)
        screenpop.cleanup(server, path)
        return server

    return asyncio.run(go())


def test_an_existing_shared_folder_is_never_chmodded(short_dir: Path) -> None:
    os.chmod(short_dir, 0o755)
    assert _serve(short_dir / "desk.sock") is not None
    assert _mode(short_dir) == 0o755
    sticky = short_dir / "tmp"
    sticky.mkdir()
    os.chmod(sticky, 0o1777)  # as /tmp: others may not remove our socket
    assert _serve(sticky / "desk.sock") is not None
    assert stat.S_IMODE(sticky.stat().st_mode) == 0o1777


def test_a_missing_folder_is_made_private(short_dir: Path) -> None:
    assert _serve(short_dir / "a" / "b" / "desk.sock") is not None
    assert _mode(short_dir / "a") == 0o700 and _mode(short_dir / "a" / "b") == 0o700


def test_a_folder_anyone_may_write_is_refused_untouched(short_dir: Path) -> None:
    from agentdesk.customers import screenpop

    os.chmod(short_dir, 0o777)
    with pytest.raises(screenpop.PopError, match="AGENTDESK_SOCKET"):
        _serve(short_dir / "desk.sock")
    assert _mode(short_dir) == 0o777 and list(short_dir.iterdir()) == []


def test_a_file_at_the_socket_path_is_refused_never_deleted(short_dir: Path) -> None:
    from agentdesk.customers import screenpop

    path = short_dir / "desk.sock"
    path.write_text("someone's notes", encoding="utf-8")
    with pytest.raises(screenpop.PopError, match="not a socket"):
        _serve(path)
    assert path.read_text(encoding="utf-8") == "someone's notes"


def test_a_stale_socket_of_ours_is_replaced(short_dir: Path) -> None:
    path = short_dir / "desk.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()  # the file stays, nobody listens: a desk that died
    assert stat.S_ISSOCK(path.lstat().st_mode)
    assert _serve(path) is not None
    assert not path.exists()  # and cleaned up again at the end
