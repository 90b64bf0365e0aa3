"""An outreach call's state from its results (no textual import): the one rule every desk
and the centre apply, so they agree whatever order the results reach them in.

A call (:class:`agentdesk.core.models.OutreachCall`) holds what the list says (reason,
due time, whether the notice still covers the customer) and what its results say
(status, attempts, next try, the ticket, who called last). Results are append-only
events; the second half of the row is :func:`project` of them:

* reached or needs help by anyone: done, whatever else was recorded (the customer was
  spoken to; needs help wins over reached, as a ticket exists then);
* else a customer the list no longer holds (area changed, notice withdrawn): cancelled;
* else a no-answer: no_answer, to be tried again from the last one's ``retry_at``;
* else due.

The calls are shared work (any agent of the centre may make one, offline too), so the
results travel as events rather than as rows: a row sent by the last desk would
overwrite a "reached" with a stale "no answer" (contacts travel as rows because only
their own desk ever writes one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

RESULTS = ("reached", "no_answer", "needs_help")
DONE = ("reached", "needs_help")
OPEN = ("due", "no_answer")
STATUSES = ("due", "no_answer", "reached", "needs_help", "cancelled")
PROJECTED = ("status", "attempts", "retry_at", "ticket_id", "agent_id", "updated_at")


def project(in_area: bool, built_at: Any, events: Iterable[Mapping[str, Any]]
            ) -> dict[str, Any]:
    """The projected columns of a call from its events (dicts with id, at, agent_id,
    result, retry_at, ticket_id). Values are returned as given (datetimes on one side,
    the same datetimes on the other), so both sides store the same row."""
    evs = sorted(events, key=lambda e: (e["at"], e["id"]))
    helped = [e for e in evs if e["result"] == "needs_help"]
    if helped:
        status = "needs_help"
    elif any(e["result"] == "reached" for e in evs):
        status = "reached"
    elif not in_area:
        status = "cancelled"
    else:
        status = "no_answer" if evs else "due"
    tries = [e for e in evs if e["result"] == "no_answer"]
    return {"status": status, "attempts": len(evs),
            "retry_at": tries[-1]["retry_at"] if tries else None,
            "ticket_id": next((e["ticket_id"] for e in reversed(helped) if e["ticket_id"]),
                              None),
            "agent_id": evs[-1]["agent_id"] if evs else None,
            "updated_at": max(built_at, evs[-1]["at"]) if evs else built_at}


def reproject(conn: sa.Connection, calls: sa.Table, events: sa.Table,
              ids: Iterable[str]) -> None:
    """Project these calls again from every event this database holds for them.
    ``calls`` and ``events`` are the two tables as this database declares them (the
    desk's models, or the centre's copies). Calls without a result (most of a list) are
    set by one statement; only those with results are read and projected here."""
    ids = sorted(set(ids))
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        conn.execute(calls.update().where(
            calls.c.id.in_(part), ~sa.exists().where(events.c.call_id == calls.c.id))
            .values(status=sa.case((calls.c.in_area == sa.true(), "due"), else_="cancelled"),
                    attempts=0, retry_at=None, ticket_id=None, agent_id=None,
                    updated_at=calls.c.built_at))
        found: dict[str, list[dict]] = {}
        for row in conn.execute(sa.select(
                events.c.id, events.c.call_id, events.c.at, events.c.agent_id,
                events.c.result, events.c.retry_at, events.c.ticket_id)
                .where(events.c.call_id.in_(part))).mappings():
            found.setdefault(row["call_id"], []).append(dict(row))
        if not found:
            continue
        rows = conn.execute(sa.select(calls.c.id, calls.c.in_area, calls.c.built_at)
                            .where(calls.c.id.in_(sorted(found)))).mappings().all()
        conn.execute(calls.update().where(calls.c.id == sa.bindparam("_id"))
                     .values({k: sa.bindparam(k) for k in PROJECTED}),
                     [{"_id": row["id"], **project(bool(row["in_area"]), row["built_at"],
                                                   found[row["id"]])} for row in rows])
