"""A new desk's first sync from the centre's seed file (agentdesk.sync.seed).

Each test runs against a SQLite central file and a throw-away PostgreSQL database
(``-m postgres``; without PostgreSQL they fail when CI is set and skip loudly otherwise).
The seed is cut into 4 KB chunks here so that a few customers make many chunks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from agentdesk.customers import lookup
from agentdesk.tickets import service as tickets
from agentdesk.sync import engine, seed
from tests.sync_helpers import (EVENT_SQL, TICKET_SQL, centre_rows, checksum, desk_rows,
                                new_desk, seed_customers, stop_after)

if TYPE_CHECKING:
    from agentdesk.sync.central import Central

CUSTOMER_SQL = "SELECT * FROM customer ORDER BY id"
PHONE_SQL = "SELECT * FROM customer_phone ORDER BY id"
KEY_SQL = "SELECT key, customer_id FROM customer_key ORDER BY key, customer_id"


@pytest.fixture
def centre(centre: Central, monkeypatch: pytest.MonkeyPatch) -> Central:
    """conftest's centre, with small seed chunks."""
    monkeypatch.setattr(seed, "CHUNK", 4096)
    monkeypatch.setattr(seed, "DURABLE", 3)
    return centre


def _sync(desk, centre, **kw) -> engine.SyncReport:
    kw.setdefault("hook", lambda name: None)
    return engine.sync_once(desk, centre, **kw)


def _ticket(desk, agent: str = "A1001", text: str = "漏水") -> str:
    engine.desk_id(desk)  # a desk set up to sync has its id before it reaches the centre
    with desk.session() as s:
        return tickets.create(s, tickets.Draft(category="water.burst", description=text,
                                               location="花园路"), agent).number


def _same_reference_data(a, b) -> None:
    for sql in (CUSTOMER_SQL, PHONE_SQL, KEY_SQL):
        assert checksum(desk_rows(a, sql)) == checksum(desk_rows(b, sql)), sql


def test_seeded_desk_equals_a_row_copied_one_and_keeps_its_local_rows(tmp_path: Path,
                                                                      centre) -> None:
    ids = seed_customers(centre, 40)
    other = new_desk(tmp_path / "other.db")
    _sync(other, centre)
    remote = _ticket(other, text="别的坐席的工单")  # in the change log before the seed
    _sync(other, centre)
    made = seed.build(centre)
    assert made["customers"] == 40 and made["chunks"] > 10
    # Changed after the seed was made: must arrive by the change log.
    from tests.test_sync import _rename_at_centre

    _rename_at_centre(centre, ids[3], "李四", "+8613900000003")
    seeded = new_desk(tmp_path / "seeded.db")
    from agentdesk.kb import loader

    assert loader.ensure_shipped(seeded)  # the desk's own KB index travels too
    local = _ticket(seeded, text="首次同步前建的单")  # made before the first sync
    report = _sync(seeded, centre, seed=True)
    assert "seed download" in report.phases and report.first
    copied = new_desk(tmp_path / "copied.db")
    assert "seed download" not in _sync(copied, centre).phases  # the row copy, for comparison
    _sync(seeded, centre)
    _same_reference_data(seeded, copied)
    assert checksum(desk_rows(seeded, TICKET_SQL)) == checksum(centre_rows(centre, TICKET_SQL))
    assert checksum(desk_rows(seeded, EVENT_SQL)) == checksum(centre_rows(centre, EVENT_SQL))
    numbers = {r[0] for r in desk_rows(seeded, "SELECT number FROM ticket")}
    assert {local, remote} <= numbers
    assert desk_rows(seeded, "SELECT code FROM agent ORDER BY code")[:2] == [("A1001",),
                                                                             ("A1002",)]
    assert desk_rows(seeded, "PRAGMA integrity_check") == [("ok",)]
    assert desk_rows(seeded, "PRAGMA journal_mode") == [("wal",)]
    assert engine.waiting(seeded) == 0
    assert desk_rows(seeded, "SELECT key FROM sync_meta WHERE key LIKE 'snap%'") == []
    with seeded.session() as s:
        assert [m.name for m in lookup.search(s, "00000030")] == ["张一30"]  # phone suffix
        assert [m.name for m in lookup.search(s, "13900000003")] == ["李四"]  # edited later
        assert "张一30" in [m.name for m in lookup.search(s, "zy", limit=200)]
        from agentdesk.kb import search

        assert search.search(s, "停水")  # the full-text index came with the desk's rows
    assert not list(tmp_path.glob("seeded.db.seed*"))  # nothing left beside it
    for desk in (other, seeded, copied):
        desk.dispose()


def test_interrupted_download_resumes_after_its_durable_chunks(tmp_path: Path,
                                                               centre) -> None:
    seed_customers(centre, 40)
    made = seed.build(centre)
    desk = new_desk(tmp_path / "d.db")
    local = _ticket(desk)
    with pytest.raises(KeyboardInterrupt):  # during the 8th chunk: 6 are durable
        _sync(desk, centre, seed=True, hook=stop_after(8, "seed.before_chunk"))
    assert Path(f"{desk.path}.seed.id").read_text().split() == [made["id"], "6"]
    assert desk_rows(desk, "SELECT count(*) FROM customer") == [(0,)]  # untouched
    fetched = []
    real = centre.seed_chunk
    centre.seed_chunk = lambda sid, n: fetched.append(n) or real(sid, n)
    report = _sync(desk, centre, seed=True)
    assert "seed download" in report.phases
    assert min(fetched) == 6 and len(fetched) == made["chunks"] - 6
    assert desk_rows(desk, "SELECT count(*) FROM customer") == [(40,)]
    assert local in {r[0] for r in desk_rows(desk, "SELECT number FROM ticket")}
    desk.dispose()


def test_a_crash_before_the_rename_keeps_rows_written_meanwhile(tmp_path: Path,
                                                                centre) -> None:
    seed_customers(centre, 10)
    seed.build(centre)
    desk = new_desk(tmp_path / "d.db")
    before = _ticket(desk, text="崩溃之前建的单")  # copied into the seed file, with its event
    with pytest.raises(KeyboardInterrupt):
        _sync(desk, centre, seed=True, hook=stop_after(1, "seed.before_replace"))
    assert Path(f"{desk.path}.seed.id").read_text().split()[1] == "dirty"
    later = _ticket(desk, text="崩溃之后建的单")  # the seed file holds an older copy
    report = _sync(desk, centre, seed=True)  # starts over: a fresh download
    assert "seed download" in report.phases
    numbers = {r[0] for r in desk_rows(desk, "SELECT number FROM ticket")}
    assert {before, later} <= numbers
    assert desk_rows(desk, "SELECT count(*) FROM ticket_event") == [(2,)]
    assert desk_rows(desk, "SELECT count(*) FROM customer") == [(10,)]
    assert {before, later} <= {r[0] for r in centre_rows(centre, "SELECT number FROM ticket")}
    assert not list(tmp_path.glob("d.db.seed*"))
    desk.dispose()


def test_a_desk_open_elsewhere_copies_rows_instead(tmp_path: Path, centre) -> None:
    from agentdesk.sync import outbox

    seed_customers(centre, 10)
    seed.build(centre)
    desk = new_desk(tmp_path / "d.db")
    elsewhere = outbox.open_syncing_desk(desk.path)  # the running desk app, say
    report = _sync(desk, centre, seed=True)
    assert "seed download" not in report.phases and "customers" in report.phases
    assert desk_rows(elsewhere, "SELECT count(*) FROM customer") == [(10,)]
    elsewhere.dispose()
    desk.dispose()


def test_a_seed_of_other_key_rules_is_not_used(tmp_path: Path, centre, monkeypatch) -> None:
    from agentdesk.core import search_keys

    seed_customers(centre, 10)
    seed.build(centre)
    monkeypatch.setattr(search_keys, "version", lambda: "other rules")
    desk = new_desk(tmp_path / "d.db")
    report = _sync(desk, centre, seed=True)
    assert "seed download" not in report.phases
    assert desk_rows(desk, "SELECT count(*) FROM customer") == [(10,)]
    desk.dispose()


def test_a_newer_seed_replaces_the_older_and_a_stale_part_starts_over(tmp_path: Path,
                                                                      centre) -> None:
    seed_customers(centre, 20)
    first = seed.build(centre)
    desk = new_desk(tmp_path / "d.db")
    with pytest.raises(KeyboardInterrupt):
        _sync(desk, centre, seed=True, hook=stop_after(5, "seed.before_chunk"))
    Path(f"{desk.path}.seed-journal").write_bytes(b"a journal an old crash left")
    seed_customers(centre, 5, prefix="32000")
    second = seed.build(centre)
    assert centre_rows(centre, "SELECT id FROM desk_seed") == [(second["id"],)]
    assert centre_rows(centre, "SELECT count(*) FROM desk_seed_chunk WHERE seed_id = "
                               f"'{first['id']}'") == [(0,)]
    report = _sync(desk, centre, seed=True)
    assert "seed download" in report.phases
    assert desk_rows(desk, "SELECT count(*) FROM customer") == [(25,)]
    assert desk_rows(desk, "PRAGMA integrity_check") == [("ok",)]
    assert not Path(f"{desk.path}.seed-journal").exists()  # never played into the new file
    desk.dispose()


def test_two_seed_builds_at_once_leave_a_seed(tmp_path: Path, centre) -> None:
    seed_customers(centre, 5)
    early = centre.seed_begin(5, "0007", "rules", 5, 4096)
    late = centre.seed_begin(5, "0007", "rules", 5, 4096)
    centre.seed_put(late, 0, "x", b"late")
    centre.seed_finish(late, 4, 1)
    centre.seed_finish(early, 0, 0)  # finishes after: it must not remove the later one
    assert centre.seed_latest()["id"] == late  # the build that began last
    assert {r[0] for r in centre_rows(centre, "SELECT id FROM desk_seed")} == {early, late}
    third = seed.build(centre)  # a later build clears both
    assert centre_rows(centre, "SELECT id FROM desk_seed") == [(third["id"],)]
    assert centre_rows(centre, "SELECT DISTINCT seed_id FROM desk_seed_chunk") == [
        (third["id"],)]


_SYNC_SCRIPT = """
import sys
from agentdesk.sync import central, engine, outbox, seed
seed.CHUNK, seed.DURABLE = 4096, 3
desk = outbox.open_syncing_desk(sys.argv[1])
c = central.connect(sys.argv[2])
engine.sync_once(desk, c, seed=True)
"""


def test_sigkill_during_seeding_then_rerun(tmp_path: Path, centre) -> None:
    """Killed at every seed point (download, before and after the rename) in a
    subprocess, then run again: the desk ends like a desk that was never killed."""
    seed_customers(centre, 20)
    seed.build(centre)
    reference = new_desk(tmp_path / "ref.db")
    _sync(reference, centre)
    # The points a first sync passes, in order, as the subprocess will meet them.
    names: list[str] = []
    probe = new_desk(tmp_path / "probe.db")
    _ticket(probe)
    _sync(probe, centre, seed=True, hook=names.append)
    probe.dispose()
    chunks = [i + 1 for i, n in enumerate(names) if n == "seed.before_chunk"]
    chosen = [chunks[0], chunks[len(chunks) // 2], chunks[-1],
              names.index("seed.before_replace") + 1, names.index("seed.after_replace") + 1,
              names.index("seed.after_replace") + 2]  # the change-log pull after it
    assert len(chunks) > 10 and len(set(chosen)) == 6, names
    env = {**os.environ}
    for point in chosen:
        path = tmp_path / f"d{point}.db"
        desk = new_desk(path)
        local = _ticket(desk)
        desk.dispose()
        env[engine.CRASH_ENV] = str(point)
        run = subprocess.run([sys.executable, "-c", _SYNC_SCRIPT, str(path), centre.url],
                             env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == -signal.SIGKILL, run.stderr
        assert f"crash point {point}: {names[point - 1]}" in run.stderr
        env.pop(engine.CRASH_ENV)
        run = subprocess.run([sys.executable, "-c", _SYNC_SCRIPT, str(path), centre.url],
                             env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        desk = new_desk(path)
        _same_reference_data(desk, reference)
        assert local in {r[0] for r in desk_rows(desk, "SELECT number FROM ticket")}
        assert desk_rows(desk, "PRAGMA integrity_check") == [("ok",)]
        assert engine.waiting(desk) == 0
        desk.dispose()
    reference.dispose()


def test_cli_load_makes_a_seed_and_sync_once_takes_it(english, tmp_path: Path, capsys) -> None:
    from agentdesk import cli

    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert cli.main(["central", "init", "--central", url]) == 0
    csv = tmp_path / "c.csv"
    csv.write_text("account_no,name,phones,district,street,community,building,unit,room,"
                   "utility,customer_class,meter_no,credit_list,arrears_yuan,tags\n"
                   "3100000001,张三,13812345678,金水区,花园路街道,幸福小区,1栋,1单元,101室,"
                   "water,,,,,\n", encoding="utf-8")
    assert cli.main(["central", "load", "customers", str(csv), "--central", url]) == 0
    assert "seed for new desks made: 1 customers" in capsys.readouterr().out
    assert cli.main(["sync", "--once", "--json", "--db", str(tmp_path / "d.db"),
                     "--central", url]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["first"] and "seed download" in out["phases"] and out["pulled"] >= 1
    assert cli.main(["sync", "--once", "--json", "--no-seed", "--db",
                     str(tmp_path / "e.db"), "--central", url]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and "seed download" not in out["phases"]
    assert cli.main(["central", "seed", "--central", url]) == 0
    assert "seed for new desks made" in capsys.readouterr().out


def test_desks_that_have_not_reached_the_centre_number_tickets_apart(tmp_path: Path,
                                                                     centre) -> None:
    """Two new desks take calls before their first sync: their numbers carry each desk's
    tag, so both tickets arrive; after registration the desk number takes over."""
    a, b = new_desk(tmp_path / "a.db"), new_desk(tmp_path / "b.db")
    first_a, first_b = _ticket(a), _ticket(b)
    assert first_a != first_b
    assert first_a[10] == "L" and first_a[11:17] == tickets.desk_tag(engine.desk_id(a))
    for desk in (a, b, a):
        _sync(desk, centre)
    numbers = {r[0] for r in centre_rows(centre, "SELECT number FROM ticket")}
    assert numbers == {first_a, first_b}
    assert {r[0] for r in desk_rows(a, "SELECT number FROM ticket")} == numbers
    registered = _ticket(a)
    assert registered[10:13] == "001" and len(registered) == 18
    for desk in (a, b):
        desk.dispose()


def test_a_failed_sole_user_attempt_keeps_its_shared_lock(tmp_path: Path) -> None:
    """Linux drops a shared flock whose upgrade fails: the store must take it back, or a
    second store would think itself alone and replace the file under the first."""
    from agentdesk.sync import outbox

    a, b = outbox.open_syncing_desk(tmp_path / "d.db"), outbox.open_syncing_desk(tmp_path / "d.db")
    with a.sole_user() as alone:
        assert not alone
    with b.sole_user() as alone:
        assert not alone  # a still holds its share
    a.dispose()
    with b.sole_user() as alone:
        assert alone
    b.dispose()


def test_an_opener_waits_while_a_sole_user_step_runs(tmp_path: Path) -> None:
    import threading

    from agentdesk.sync import outbox

    a = outbox.open_syncing_desk(tmp_path / "d.db")
    opened = threading.Event()

    def open_it() -> None:
        outbox.open_syncing_desk(tmp_path / "d.db").dispose()
        opened.set()

    with a.sole_user() as alone:
        assert alone
        thread = threading.Thread(target=open_it)
        thread.start()
        assert not opened.wait(0.5)  # held off: no connection to a file about to go
    assert opened.wait(30)
    thread.join()
    a.dispose()
