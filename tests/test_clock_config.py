from __future__ import annotations

from datetime import timedelta, timezone
from pathlib import Path

import pytest

from agentdesk.core import clock, config


def test_now_is_aware_utc_and_frozen_by_env() -> None:
    now = clock.now()
    assert now.tzinfo is timezone.utc
    assert now.isoformat() == "2026-11-25T01:30:00+00:00"
    assert clock.local().strftime("%H:%M") == "09:30"


def test_freeze_and_advance_override_env() -> None:
    clock.freeze("2026-12-31T23:59:00+08:00")
    moved = clock.advance(timedelta(minutes=2))
    assert moved.isoformat() == "2026-12-31T16:01:00+00:00"
    assert clock.local().isoformat() == "2027-01-01T00:01:00+08:00"  # across a year end
    clock.unfreeze()
    assert clock.now().isoformat() == "2026-11-25T01:30:00+00:00"


def test_naive_now_env_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTDESK_NOW", "2026-11-25T09:30:00")
    with pytest.raises(clock.ClockError, match="AGENTDESK_NOW"):
        clock.now()


def test_a_fast_clock_runs_from_now_at_its_speed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulated day's processes share one clock: AGENTDESK_NOW at AGENTDESK_SPEED
    since AGENTDESK_SPEED_FROM (wall time)."""
    import time

    monkeypatch.setattr(time, "time", lambda: 1_000_010.0)
    monkeypatch.setenv("AGENTDESK_SPEED", "120")
    monkeypatch.setenv("AGENTDESK_SPEED_FROM", "1000000")
    assert clock.now().isoformat() == "2026-11-25T01:50:00+00:00"  # 10 s x 120 = 20 min
    assert not clock.is_frozen()
    monkeypatch.setenv("AGENTDESK_SPEED_FROM", "soon")
    with pytest.raises(clock.ClockError, match="AGENTDESK_SPEED"):
        clock.now()


def test_unknown_timezone_is_an_error() -> None:
    with pytest.raises(clock.ClockError):
        clock.set_timezone("Mars/Olympus")


def test_missing_config_means_defaults(tmp_path: Path) -> None:
    cfg = config.load(tmp_path / "absent.toml", environ={})
    assert cfg == config.Config()
    assert cfg.lang == "zh" and cfg.timezone == "Asia/Shanghai"


def test_config_file_and_env_override(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('agent_id = "A2002"\nagent_name = "李娜"\nsync_interval = 60\n',
                    encoding="utf-8")
    cfg = config.load(path, environ={"AGENTDESK_LANG": "en", "AGENTDESK_SYNC_INTERVAL": "15"})
    assert (cfg.agent_id, cfg.agent_name, cfg.lang, cfg.sync_interval) == (
        "A2002", "李娜", "en", 15)


def test_broken_config_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('agent_id = "A1"\nlang = "zh\n', encoding="utf-8")
    with pytest.raises(config.ConfigError) as err:
        config.load(path, environ={})
    assert str(path) in str(err.value) and "line 2" in str(err.value)


@pytest.mark.parametrize("text, needle", [
    ('sync_interval = "often"\n', "line 1"),
    ('\nunknown_key = 1\n', "line 2"),
    ('lang = "fr"\n', "lang"),
    ('sync_interval = -5\n', "positive"),
])
def test_bad_values_are_clear(english, tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(config.ConfigError, match=needle):
        config.load(path, environ={})


def test_bad_env_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match="AGENTDESK_SYNC_INTERVAL"):
        config.load(tmp_path / "absent.toml", environ={"AGENTDESK_SYNC_INTERVAL": "x"})


def test_db_path_from_env(tmp_path: Path) -> None:
    cfg = config.load(tmp_path / "absent.toml", environ={"AGENTDESK_DB": str(tmp_path / "x.db")})
    assert cfg.db_path() == tmp_path / "x.db"


def test_role_is_agent_by_default_supervisor_when_set_and_nothing_else(tmp_path) -> None:
    from agentdesk.core import config

    path = tmp_path / "config.toml"
    assert config.load(path, environ={}).role == "agent"
    path.write_text('role = "supervisor"\n', encoding="utf-8")
    assert config.load(path, environ={}).role == "supervisor"
    assert config.load(path, environ={"AGENTDESK_ROLE": "agent"}).role == "agent"
    path.write_text('role = "boss"\n', encoding="utf-8")
    with pytest.raises(config.ConfigError, match="role"):
        config.load(path, environ={})
