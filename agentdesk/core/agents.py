"""Agents (no textual import): ids from 工号, the one rule that finds an agent by the
工号 as typed (:func:`find`), and the screen lock's PIN, kept only as a salted hash.

**PIN** (issue 19): scrypt (n=2**14, r=8, p=1, 16 random salt bytes, 32-byte key), stored
as ``scrypt$16384$8$1$SALT$KEY`` (hex) in ``agent.pin_hash``. It is set at the centre
(``agentdesk central agent CODE --pin``, the PIN read from a prompt or stdin, never argv)
and pulled by every desk with the agent's row: an agent who changes desks keeps one PIN,
a supervisor resets it in one place, and the desk's config file (one per machine, shared
by the shifts) never holds it. A desk without a centre has no PIN: its lock asks for the
工号 again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from agentdesk.core.i18n import t
from agentdesk.core.models import Agent, Role

_NAMESPACE = uuid.UUID("6f1c8a52-3d0e-4b7a-9a43-0c1d2e3f4a5b")


def agent_id(code: str) -> str:
    """The id of the agent with this 工号: the same on every desk (uuid5 of the code), so
    desks that meet the same agent offline never make two agents for one person."""
    return str(uuid.uuid5(_NAMESPACE, code))


def ensure(session: Session, code: str, name: str, role: str = Role.AGENT.value) -> Agent:
    """The agent with this 工号, created on first use of a desk."""
    agent = session.exec(select(Agent).where(Agent.code == code)).first()
    if agent is None:
        agent = Agent(id=agent_id(code), code=code, name=name, role=role)
        session.add(agent)
        session.flush()
    return agent


@dataclass(frozen=True)
class Found:
    id: str
    code: str  # as the agents table has it
    name: str
    role: str
    pin_hash: str


def find(session: Session | sa.Connection, code: str) -> Found | None:
    """The agent with this 工号 as typed: a1002 is A1002 when only one agent has that
    number in any case (two that differ only in case: the exact one, else none)."""
    conn = session.connection() if isinstance(session, Session) else session
    rows = conn.execute(sa.text(
        "SELECT id, code, name, role, pin_hash FROM agent WHERE upper(code) = upper(:c) "
        "LIMIT 3"), {"c": (code or "").strip()}).all()
    exact = [r for r in rows if r.code == (code or "").strip()]
    row = exact[0] if exact else (rows[0] if len(rows) == 1 else None)
    return Found(*row) if row is not None else None


PIN_MIN, PIN_MAX = 4, 12  # digits
_N, _R, _P = 2 ** 14, 8, 1


class PinError(ValueError):
    """A PIN that cannot be used (not 4-12 digits)."""


def check_pin_rule(pin: str) -> str:
    pin = (pin or "").strip()
    if not (pin.isascii() and pin.isdigit() and PIN_MIN <= len(pin) <= PIN_MAX):
        raise PinError(t("lock.pin.rule", least=PIN_MIN, most=PIN_MAX))
    return pin


def hash_pin(pin: str) -> str:
    """The stored form of a PIN (salted scrypt); refuses a PIN that breaks the rule."""
    pin = check_pin_rule(pin)
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${key.hex()}"


def pin_matches(stored: str, pin: str) -> bool:
    """Whether ``pin`` is the PIN of this hash (constant-time compare); False for an
    empty or unreadable hash."""
    try:
        kind, n, r, p, salt, key = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt((pin or "").strip().encode(), salt=bytes.fromhex(salt),
                             n=int(n), r=int(r), p=int(p), dklen=len(key) // 2)
    except (ValueError, AttributeError):
        return False
    return hmac.compare_digest(got.hex(), key)
