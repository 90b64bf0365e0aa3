"""``agentdesk audit`` as text: the audit log's rows for a supervisor, one line each (no
textual import). Every label is from the catalog; every value from the log is shown
through :func:`~agentdesk.core.i18n.visible` (a query may hold anything)."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from rich.cells import cell_len

from agentdesk.core import clock
from agentdesk.core.i18n import t, visible

if TYPE_CHECKING:
    from agentdesk.core.audit import Entry

SHOWN = 3  # ids or numbers written out per line; the count says how many there were


class SinceError(ValueError):
    """``--since`` is neither a day nor a time; the message is for the user."""


def since(text: str) -> datetime:
    """``--since``: a local day (its midnight) or a local time, as a UTC instant."""
    value = text.strip()
    try:
        moment = (datetime.combine(date.fromisoformat(value), time(0)) if len(value) <= 10
                  else datetime.fromisoformat(value))
    except ValueError:
        raise SinceError(t("audit.bad_since", value=visible(text[:40]))) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.centre_tz())
    return moment.astimezone(clock.UTC)


def customers(found: list[Entry]) -> list[str]:
    """The customer ids the text lines name (to show their account numbers)."""
    ids: dict[str, None] = {}
    for entry in found:
        if entry.entity == "customer":
            ids.update(dict.fromkeys(entry.shown[:SHOWN] or [entry.entity_id]))
    ids.pop("", None)
    return list(ids)


def _what(entry: Entry, accounts: dict[str, str]) -> str:
    shown = list(entry.shown) or ([entry.entity_id] if entry.entity_id else [])
    if not shown:
        return ""  # counted, not listed (an export): the count column says how many
    if entry.entity == "customer":
        shown = [accounts.get(s, s) for s in shown]
    text = " ".join(shown[:SHOWN])
    count = max(entry.count, len(shown))
    if count > SHOWN:
        text += " " + t("audit.more", count=f"{count - min(SHOWN, len(shown)):,}")
    return text


def lines(found: list[Entry], accounts: dict[str, str]) -> list[str]:
    """A header and one line per entry (newest first, as given)."""
    if not found:
        return [t("audit.none")]
    rows = [[t(f"audit.col.{c}") for c in ("at", "agent", "action", "command", "entity",
                                           "count", "shown", "detail")]]
    for e in found:
        detail = json.dumps(e.detail, ensure_ascii=False) if e.detail else ""
        count = max(e.count, len(e.shown)) or (1 if e.entity_id else 0)
        rows.append([visible(v) for v in (
            clock.local(e.at).strftime("%Y-%m-%d %H:%M:%S"), e.agent, e.action,
            e.command or "-", e.entity, f"{count:,}", _what(e, accounts) or "-", detail)])
    # columns padded by terminal cells (Chinese takes two), except the free-text last two
    widths = [max(cell_len(r[i]) for r in rows) for i in range(6)]
    return ["  ".join([*(c + " " * (w - cell_len(c)) for c, w in zip(r, widths)),
                       *r[6:]]).rstrip() for r in rows]
