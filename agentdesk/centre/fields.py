"""What the centre's services share (no textual import): a text field checked by the one
rule at the boundary, a row found by its id or the first characters of it, the
supervisor check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentdesk.core import guard
from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from sqlmodel import Session


def text(error: type[Exception], domain: str, name: str, value: str, most: int,
         required: bool = False) -> str:
    """``value`` stripped, refused with ``error`` and the ``{domain}.err.*`` message when
    empty (if required) or too long, and by :func:`agentdesk.core.guard.check` for a
    control character (its message names the character)."""
    value = (value or "").strip()
    if required and not value:
        raise error(t(f"{domain}.err.empty", field=name))
    if len(value) > most:
        raise error(t(f"{domain}.err.long", field=name, length=len(value), most=most))
    try:
        return guard.check(name, value, most, lines=True)
    except guard.FieldError as exc:
        raise error(str(exc)) from None


def supervisor(error: type[Exception], domain: str, role: str) -> None:
    if role != "supervisor":
        raise error(t(f"{domain}.err.role", role=role))


def by_ref(session: Session, model: Any, ref: str) -> Any | None:
    """The row whose id is ``ref``, or starts with it (8 characters or more, unique)."""
    from sqlmodel import select

    ref = (ref or "").strip()
    found = session.get(model, ref)
    if found is None and len(ref) >= 8:
        rows = session.exec(select(model).where(model.id.startswith(ref)).limit(2)).all()
        found = rows[0] if len(rows) == 1 else None
    return found
