"""Desk configuration: one TOML file, every value overridable by AGENTDESK_* variables.

A missing file means defaults. A broken file is a :class:`ConfigError` naming the file
and the line, never a traceback.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

import platformdirs

from agentdesk.core.i18n import t
from agentdesk.core import guard

APP_NAME = "agentdesk"


class ConfigError(ValueError):
    """A configuration file or variable that cannot be used."""


@dataclass(frozen=True)
class Config:
    agent_id: str = "A1001"
    agent_name: str = "值班坐席"
    desk: str = "desk-01"
    lang: str = "zh"
    timezone: str = "Asia/Shanghai"
    central_url: str = ""
    sync_interval: int = 30
    db: str = ""  # empty: the default desk database in the user data directory
    sla_policy: str = ""  # the desk's SLA table (TOML) over the defaults; the centre's wins
    # lookup: the fewest trailing characters of an account or meter number that find it
    lookup_min_suffix: int = 5
    # agent: the agent screens; supervisor: also notices, incidents and 督办 (issue 16).
    # The centre checks its own agent table too: a desk's config alone grants nothing there.
    role: str = "agent"
    # Outage outreach (主动服务, agentdesk.centre.outreach): who is called before a notice's
    # outage (these tags, ';'-separated, or a key level at least this), by when (this many
    # hours before a planned start; within these minutes of a fault notice), and the
    # default wait before calling a no-answer again.
    outreach_tags: str = "吸氧;独居老人;残障;孤寡;电采暖"
    outreach_key_level: int = 1
    outreach_lead_h: int = 24
    outreach_fault_min: int = 30
    outreach_retry_min: int = 30
    # Reopening on the caller's word (issue 17): within this many days of the resolution;
    # after that a new ticket follows up the old one.
    reopen_days: int = 30
    # 回访 tries that reach nobody before the call-back is closed as 联系不上 (issue 19).
    callback_tries: int = 3
    # The satisfaction rate the centre aims at, in % (issue 17: the report and the monitor
    # show the rate against it; agentdesk/monitor/kpis.py says how the rate is counted).
    satisfaction_target: int = 95
    # The screen lock (issue 19): customer data is hidden after this many idle minutes
    # (no key, no mouse); 0: never. Back with the agent's PIN (core/agents.py).
    lock_after_min: int = 10
    # A partial desk (issue 21): the districts whose customers this desk keeps (a TOML list,
    # or ';'-separated in AGENTDESK_SYNC_SCOPE); empty: the whole customer file. A lookup
    # that finds nobody here asks the centre (agentdesk.sync.remote).
    sync_scope: tuple[str, ...] = ()

    def db_path(self) -> Path:
        return Path(self.db).expanduser() if self.db else default_db_path()


LANGS = ("zh", "en")
ROLES = ("agent", "supervisor")
ZERO_OK = ("lock_after_min",)  # whole-number settings where 0 means "off"
TEXT_LIMITS = {"agent_name": guard.MAX_NAME, "db": guard.MAX_PATH, "sla_policy": guard.MAX_PATH}


def config_path() -> Path:
    env = os.environ.get("AGENTDESK_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME)) / "desk.db"


def _scope(value: object, where: str) -> tuple[str, ...]:
    """``sync_scope``: a list of district names, or one text of them split by ';'."""
    items = value.split(";") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ConfigError(t("msg.core.config.scope_must_be_list", where=where))
    out = []
    for item in items:
        if not isinstance(item, str):
            raise ConfigError(t("msg.core.config.scope_must_be_list", where=where))
        try:
            name = guard.check("sync_scope", item.strip(), guard.MAX_NAME)
        except guard.FieldError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if name and name not in out:
            out.append(name)
    return tuple(out)


def _coerce(name: str, kind: type, value: object, where: str) -> object:
    if name == "sync_scope":
        return _scope(value, where)
    if kind is int:
        if isinstance(value, bool):
            raise ConfigError(t("msg.core.config.must_be_a_whole_2", where=where, name=name,
                                value=value))
        try:
            number = int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ConfigError(t("msg.core.config.must_be_a_whole", where=where, name=name,
                                value=value)) from None
        if number < 0 or number == 0 and name not in ZERO_OK:
            raise ConfigError(t("msg.core.config.must_be_positive_not", where=where, name=name,
                                number=number))
        return number
    if not isinstance(value, str):
        # the central URL's value may hold a password: its kind is enough
        shown = f"a {type(value).__name__}" if name == "central_url" else repr(value)
        raise ConfigError(t("msg.core.config.must_be_text_not", where=where, name=name,
                            shown=shown))
    try:  # the one rule at the boundary: no control characters, bounded sizes (the
        # messages name the character, never the value: a URL may hold a password)
        if name == "agent_id":
            return guard.agent_code(name, value)
        return guard.check(name, value, TEXT_LIMITS.get(name, guard.MAX_SETTING))
    except guard.FieldError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _line_of(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.split("=", 1)[0].strip() == key:
            return number
    return None


def load(path: Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Read the config file (if any), then apply AGENTDESK_* variables."""
    path = path or config_path()
    environ = os.environ if environ is None else environ
    kinds = {f.name: (int if f.type in (int, "int") else str) for f in fields(Config)}
    values: dict[str, object] = {}
    if path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(t("msg.core.config.cannot_be_read", path=path, exc=exc)) from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            # tomllib's message already says "(at line N, column M)".
            raise ConfigError(f"{path}: {exc}") from None
        for key, value in data.items():
            line = _line_of(text, key)
            where = f"{path}, line {line}" if line else str(path)
            if key not in kinds:
                raise ConfigError(t("msg.core.config.unknown_setting_known", where=where, key_=key,
                                    kinds=', '.join(kinds)))
            values[key] = _coerce(key, kinds[key], value, where)
    for key, kind in kinds.items():
        env_value = environ.get(f"AGENTDESK_{key.upper()}")
        if env_value is not None and env_value != "":
            values[key] = _coerce(key, kind, env_value, f"AGENTDESK_{key.upper()}")
    config = replace(Config(), **values)  # type: ignore[arg-type]
    if config.lang not in LANGS:
        raise ConfigError(t("msg.core.config.lang_must_be_one", LANGS=', '.join(LANGS),
                            lang=config.lang))
    if config.role not in ROLES:
        raise ConfigError(t("msg.core.config.role_must_be_one", ROLES=', '.join(ROLES),
                            role=config.role))
    if not 3 <= config.lookup_min_suffix <= 12:
        raise ConfigError(t("msg.core.config.lookup_min_suffix_must",
                            lookup_min_suffix=config.lookup_min_suffix))
    if not 1 <= config.satisfaction_target <= 100:
        raise ConfigError(t("msg.core.config.satisfaction_target_must_be",
                            satisfaction_target=config.satisfaction_target))
    if config.lock_after_min > 24 * 60:
        raise ConfigError(t("msg.core.config.lock_after_min", most=24 * 60,
                            value=config.lock_after_min))
    return config
