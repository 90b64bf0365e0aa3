"""The centre's SLA policy: loaded at the centre (``agentdesk central load sla``), pulled by
every desk (``central_setting``), and used for the deadlines of the desk's tickets, over
the shipped defaults and the desk's own file (the centre wins, cell by cell).

Every test that needs a central store runs against a SQLite central file and against a
throw-away PostgreSQL database on 127.0.0.1:5432 (``-m postgres``; without PostgreSQL
they fail when CI is set and skip loudly otherwise), as tests/test_sync.py does."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from agentdesk import cli
from agentdesk.tickets import sla, service as tickets
from agentdesk.sync import central, engine, load
from tests.sync_helpers import centre_rows, desk_rows, new_desk

if TYPE_CHECKING:
    from agentdesk.core.models import Ticket
    from agentdesk.core.store import Store


# water.burst: first response 15 min, arrival 30 min urban in the shipped table.
CENTRE_TOML = '# 中心的时限表\n[category."water.burst"]\nfirst_response = "5m"\n'
SETTING_LOG = "SELECT count(*) FROM change_log WHERE entity = 'central_setting'"


def _sync(desk, centre) -> engine.SyncReport:
    return engine.sync_once(desk, centre, hook=lambda name: None)


def _write(tmp_path: Path, text: str, name: str = "centre_sla.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _load_cli(centre, path: Path) -> int:
    return cli.main(["central", "load", "sla", str(path), "--central", centre.url])


def _burst(desk: Store, policy: sla.Policy | None = None) -> Ticket:
    with desk.session() as s:
        return tickets.create(s, tickets.Draft(category="water.burst", description="爆管",
                                               location="花园路"), "A1001", policy=policy)


def _clocks(ticket: Ticket) -> tuple[timedelta | None, timedelta | None]:
    """(first response, arrival) as time after creation."""
    return tuple(None if d is None else d - ticket.created_at
                 for d in (ticket.due_first_response, ticket.due_arrival))


def test_centre_policy_reaches_the_desk_and_sets_its_deadlines(tmp_path: Path, centre,
                                                               capsys) -> None:
    desk = new_desk(tmp_path / "d.db")
    _sync(desk, centre)
    assert _clocks(_burst(desk)) == (timedelta(minutes=15), timedelta(minutes=30))
    _sync(desk, centre)  # the ticket pushed: the outbox is empty again
    assert desk_rows(desk, "SELECT count(*) FROM sync_outbox") == [(0,)]

    path = _write(tmp_path, CENTRE_TOML)
    assert _load_cli(centre, path) == 0
    assert "stored at the centre" in capsys.readouterr().out
    assert centre.setting("sla_policy") == CENTRE_TOML
    assert centre_rows(centre, "SELECT entity, row_id, op FROM change_log WHERE entity = "
                               "'central_setting'") == [("central_setting", "sla_policy",
                                                         "upsert")]

    report = _sync(desk, centre)
    assert report.pulled == 1
    assert desk_rows(desk, "SELECT name, body FROM central_setting") == [
        ("sla_policy", CENTRE_TOML)]
    # Reference data: pulled, never captured for the way back.
    assert desk_rows(desk, "SELECT count(*) FROM sync_outbox") == [(0,)]

    ticket = _burst(desk)
    assert _clocks(ticket) == (timedelta(minutes=5), timedelta(minutes=30))  # arrival kept
    with desk.session() as s:  # another category keeps the shipped clocks
        other = tickets.create(s, tickets.Draft(category="water.no_water", description="停水",
                                                location="花园路"), "A1001")
        assert _clocks(other) == (timedelta(minutes=15), timedelta(minutes=30))
    # The ticket event the desk pushes carries the centre's deadline to the centre too.
    _sync(desk, centre)
    due, created = centre_rows(centre, f"SELECT due_first_response, created_at FROM ticket "
                                       f"WHERE id = '{ticket.id}'")[0]
    assert central.aware(due) - central.aware(created) == timedelta(minutes=5)
    desk.dispose()


def test_precedence_defaults_then_desk_file_then_centre(tmp_path: Path, centre) -> None:
    from agentdesk.core.config import Config

    desk_file = _write(tmp_path, '[category."water.burst"]\nfirst_response = "10m"\n'
                                 'arrival = "20m"\n', "desk_sla.toml")
    config = Config(sla_policy=str(desk_file))
    desk = new_desk(tmp_path / "d.db")
    with desk.session() as s:
        assert _clocks(tickets.create(s, tickets.Draft(
            category="water.burst", description="x", location="y"), "A1001",
            policy=sla.for_config(config, s))) == (timedelta(minutes=10), timedelta(minutes=20))
    load.sla_policy(centre, _write(tmp_path, CENTRE_TOML))
    _sync(desk, centre)
    with desk.session() as s:
        policy = sla.for_config(config, s)
        # the centre's cell wins; the desk's own arrival stays (the centre names none)
        assert _clocks(tickets.create(s, tickets.Draft(
            category="water.burst", description="x", location="y"), "A1001",
            policy=policy)) == (timedelta(minutes=5), timedelta(minutes=20))
        assert policy.sources[1:] == (str(desk_file), sla.CENTRAL_SOURCE)
        # parsed once per (file, text): the next ticket write finds it in the cache
        assert sla.for_config(config, s) is policy
        assert sla.for_session(s) is sla.for_session(s)
    desk.dispose()


def test_a_broken_policy_is_refused_with_its_line_and_changes_nothing(english,
        tmp_path: Path, centre, capsys) -> None:
    good = _write(tmp_path, CENTRE_TOML)
    assert _load_cli(centre, good) == 0
    seq, body = centre.max_seq(), centre.setting("sla_policy")
    capsys.readouterr()

    bad = _write(tmp_path, '[category."water.burst"]\nfirst_response = "5m"\n'
                           'arrival = "half an hour"\n', "bad.toml")
    assert _load_cli(centre, bad) == 2
    err = capsys.readouterr().err
    assert f"{bad}, line 3:" in err and "half an hour" in err
    with pytest.raises(sla.SlaError) as caught:
        load.sla_policy(centre, _write(tmp_path, '[category."water.bust"]\n'
                                                 'arrival = "30m"\n', "typo.toml"))
    assert caught.value.line == 1 and "did you mean 'water.burst'" in str(caught.value)
    with pytest.raises(sla.SlaError, match="cannot be read"):
        load.sla_policy(centre, tmp_path / "absent.toml")
    assert _load_cli(centre, tmp_path / "absent.toml") == 2
    assert centre.max_seq() == seq  # no change-log entry
    assert centre.setting("sla_policy") == body == CENTRE_TOML  # the good text stays
    assert centre_rows(centre, SETTING_LOG) == [(1,)]


def test_loading_the_same_text_again_logs_nothing(tmp_path: Path, centre) -> None:
    path = _write(tmp_path, CENTRE_TOML)
    first = load.sla_policy(centre, path)
    assert first.seq == centre.max_seq()
    when = centre_rows(centre, "SELECT updated_at FROM central_setting")
    again = load.sla_policy(centre, path)
    assert again.seq is None and "nothing changed" in again.format()
    assert centre.max_seq() == first.seq
    assert centre_rows(centre, SETTING_LOG) == [(1,)]
    assert centre_rows(centre, "SELECT updated_at FROM central_setting") == when

    # A changed table is logged once more, and a desk ends with the latest text only.
    desk = new_desk(tmp_path / "d.db")
    _sync(desk, centre)
    assert _clocks(_burst(desk)) == (timedelta(minutes=5), timedelta(minutes=30))
    newer = CENTRE_TOML.replace('"5m"', '"7m"')
    assert load.sla_policy(centre, _write(tmp_path, newer)).seq == centre.max_seq()
    assert centre_rows(centre, SETTING_LOG) == [(2,)]
    _sync(desk, centre)
    assert desk_rows(desk, "SELECT body FROM central_setting") == [(newer,)]
    assert _clocks(_burst(desk)) == (timedelta(minutes=7), timedelta(minutes=30))
    # A desk that first syncs now gets the same policy.
    late = new_desk(tmp_path / "late.db")
    _sync(late, centre)
    assert desk_rows(late, "SELECT body FROM central_setting") == [(newer,)]
    assert _clocks(_burst(late)) == (timedelta(minutes=7), timedelta(minutes=30))
    desk.dispose(), late.dispose()


def test_a_desk_at_0006_migrates_to_0007_then_pulls_the_policy(tmp_path: Path,
                                                                centre) -> None:
    from agentdesk.core import migrations
    from agentdesk.sync import outbox

    path = tmp_path / "old.db"
    engine_ = sa.create_engine(f"sqlite:///{path}")
    migrations.upgrade(engine_, path, target="0006")
    with engine_.connect() as conn:
        assert not conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = "
                                        "'central_setting'").first()
    engine_.dispose()
    desk = outbox.open_syncing_desk(path)
    assert migrations.current(desk.engine) == migrations.HEAD == "0016"
    assert desk_rows(desk, "SELECT count(*) FROM central_setting") == [(0,)]
    with desk.session() as s:
        assert sla.for_session(s) is sla.default_policy()  # no centre policy yet
    load.sla_policy(centre, _write(tmp_path, CENTRE_TOML))
    from agentdesk.core import agents

    with desk.session() as s:
        agents.ensure(s, "A1001", "王芳")
    _sync(desk, centre)
    assert desk_rows(desk, "SELECT name, body FROM central_setting") == [
        ("sla_policy", CENTRE_TOML)]
    assert _clocks(_burst(desk)) == (timedelta(minutes=5), timedelta(minutes=30))
    desk.dispose()


def test_a_synced_text_this_desk_cannot_use_falls_back_to_its_own_policy(
        tmp_path: Path, caplog) -> None:
    """The centre checks a policy before storing it, but a desk of an older agentdesk may
    not know a category it names: tickets are still created, on the desk's policy."""
    desk = new_desk(tmp_path / "d.db")
    with desk.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO central_setting (name, body, updated_at) VALUES ('sla_policy', ?, "
            "'2026-11-25 01:00:00.000000')",
            ('[category."water.burst"]\nfirst_response = "5m"\n'
             '[category."water.future_kind"]\narrival = "1h"\n',))
    with caplog.at_level(logging.WARNING, logger="agentdesk.tickets.sla"):
        assert _clocks(_burst(desk)) == (timedelta(minutes=15), timedelta(minutes=30))
        _burst(desk)  # the outcome is cached: warned once
    warned = [r.getMessage() for r in caplog.records if r.name == "agentdesk.tickets.sla"]
    assert len(warned) == 1 and "water.future_kind" in warned[0]
    assert sla.CENTRAL_SOURCE in warned[0] and "line 3" in warned[0]
    desk.dispose()


def test_the_running_desk_uses_its_own_file_under_the_centre(tmp_path: Path, centre) -> None:
    """create_app hands the config's file to every service call (the screens pass no
    policy); a broken file stops the desk at start with its line."""
    from agentdesk.apps.factory import create_app
    from agentdesk.core.config import Config

    desk_file = _write(tmp_path, '[category."water.burst"]\narrival = "20m"\n', "desk.toml")
    try:
        create_app(Config(sla_policy=str(desk_file)), tmp_path / "d.db", fill_demo=False)
        desk = new_desk(tmp_path / "d.db")
        assert _clocks(_burst(desk)) == (timedelta(minutes=15), timedelta(minutes=20))
        load.sla_policy(centre, _write(tmp_path, CENTRE_TOML))
        _sync(desk, centre)
        assert _clocks(_burst(desk)) == (timedelta(minutes=5), timedelta(minutes=20))
        desk.dispose()
        broken = _write(tmp_path, '[category."water.burst"]\narrival = 20\n', "bad.toml")
        with pytest.raises(sla.SlaError, match="bad.toml, line 2"):
            create_app(Config(sla_policy=str(broken)), tmp_path / "d.db", fill_demo=False)
    finally:
        sla.use_desk_file(None)  # the process-wide setting goes back for other tests
