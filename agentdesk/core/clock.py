"""The one source of "now".

Everything that needs the current time calls :func:`now`. Tests and role-play
control time here: ``AGENTDESK_NOW`` (ISO 8601 with an offset) freezes it for a
whole process, :func:`freeze` / :func:`advance` move it inside one. With
``AGENTDESK_SPEED`` (a factor) and ``AGENTDESK_SPEED_FROM`` (a Unix time) as well, the
clock runs from ``AGENTDESK_NOW`` at that speed since that wall-clock moment: the
processes of a simulated day (``agentdesk bench day``) share one fast clock.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from agentdesk.core.i18n import t

UTC = timezone.utc
DEFAULT_TZ = "Asia/Shanghai"

_frozen: datetime | None = None
_tz: ZoneInfo = ZoneInfo(DEFAULT_TZ)


class ClockError(ValueError):
    """AGENTDESK_NOW or a frozen time that cannot be used."""


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ClockError(t("msg.core.clock.time_without_a_utc", isoformat=value.isoformat()))
    return value.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """Parse ISO 8601 text that carries an offset; naive text is an error."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ClockError(t("msg.core.clock.not_an_iso_time", text=text)) from exc
    return _aware(value)


def _from_env() -> datetime | None:
    text = os.environ.get("AGENTDESK_NOW", "").strip()
    if not text:
        return None
    try:
        start = parse_instant(text)
    except ClockError as exc:
        raise ClockError(t("msg.core.clock.agentdesk_now", exc=exc)) from None
    speed = os.environ.get("AGENTDESK_SPEED", "").strip()
    if not speed:
        return start
    try:
        factor, since = float(speed), float(os.environ["AGENTDESK_SPEED_FROM"])
    except (KeyError, ValueError):
        raise ClockError(t("msg.core.clock.agentdesk_speed_needs_a")) from None
    return start + timedelta(seconds=(time.time() - since) * factor)


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    if _frozen is not None:
        return _frozen
    env = _from_env()
    if env is not None:
        return env
    return datetime.now(UTC)


def freeze(at: datetime | str) -> datetime:
    """Stop the clock at ``at`` (tests, role-play)."""
    global _frozen
    _frozen = parse_instant(at) if isinstance(at, str) else _aware(at)
    return _frozen


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock forward (or back, with a negative delta)."""
    global _frozen
    _frozen = now() + delta
    return _frozen


def unfreeze() -> None:
    global _frozen
    _frozen = None


def is_frozen() -> bool:
    return _frozen is not None or (bool(os.environ.get("AGENTDESK_NOW", "").strip())
                                   and not os.environ.get("AGENTDESK_SPEED", "").strip())


def set_timezone(name: str) -> None:
    """Set the centre's time zone (used for display and working-day calendars)."""
    global _tz
    try:
        _tz = ZoneInfo(name)
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError on odd names
        raise ClockError(t("msg.core.clock.unknown_time_zone", name=name)) from exc


def centre_tz() -> ZoneInfo:
    return _tz


def local(value: datetime | None = None) -> datetime:
    """An instant in the centre's time zone (``now()`` when omitted)."""
    return _aware(value if value is not None else now()).astimezone(_tz)
