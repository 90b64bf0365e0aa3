"""Outreach calls at the centre, inside a push (:class:`~.apply.BatchApply` hands them
here): a call row from a supervisor desk's list sets the list's columns (reason, due
time, in the area or not; its results are left alone), a result is kept once, and every
call touched is projected again from all the results the centre holds
(:func:`agentdesk.core.outreach_state.reproject`), so two desks' results merge whatever
order they arrive in. Rows are read and written per batch, not one statement per call: a
notice's list is thousands of rows in one push."""

from __future__ import annotations

import sqlalchemy as sa

from agentdesk.core import outreach_state
from agentdesk.sync import codec
from agentdesk.sync.central.joining import Identities
from agentdesk.sync.central.schema import T

LIST_COLUMNS = ("notice_id", "customer_id", "reason", "due_at", "in_area", "built_at")


def _chunks(ids: list[str], size: int = 1000) -> list[list[str]]:
    return [ids[n:n + size] for n in range(0, len(ids), size)]


class Calls:
    def __init__(self, conn: sa.Connection, ids: Identities) -> None:
        self.conn, self.ids = conn, ids
        self.notices: set[str] = set()  # the batch's notices the centre holds
        self.missing: set[str] = set()  # and those it does not (refused, never sent)
        self.present: set[str] = set()  # the batch's calls the centre holds
        self.events: set[str] = set()  # results already kept
        self.new: dict[str, dict] = {}
        self.changed: dict[str, dict] = {}
        self.new_events: list[dict] = []
        self.touched: set[str] = set()

    @staticmethod
    def customers(changes: list[dict]) -> set[str]:
        """The customer ids the batch's calls name (their aliases are read in one go)."""
        return {c["payload"].get("customer_id") for c in changes
                if c["entity"] == "outreach_call"} - {None}

    def prepare(self, changes: list[dict]) -> None:
        call, event, notice = T["outreach_call"], T["outreach_event"], T["notice"]
        calls = sorted({c["row_id"] for c in changes if c["entity"] == "outreach_call"})
        notices = sorted({c["payload"].get("notice_id") for c in changes
                          if c["entity"] == "outreach_call"} - {None})
        events = sorted({c["row_id"] for c in changes if c["entity"] == "outreach_event"})
        for part in _chunks(notices):
            self.notices.update(self.conn.execute(sa.select(notice.c.id).where(
                notice.c.id.in_(part))).scalars())
        for part in _chunks(calls):
            self.present.update(self.conn.execute(sa.select(call.c.id).where(
                call.c.id.in_(part)).order_by(call.c.id).with_for_update()).scalars())
        for part in _chunks(events):
            self.events.update(self.conn.execute(sa.select(event.c.id).where(
                event.c.id.in_(part))).scalars())

    def call(self, payload: dict) -> str | None:
        """A call row of a desk's list; the reason it is refused, or None."""
        row = codec.to_python("outreach_call", payload)
        if not self._notice_held(row["notice_id"]):
            return (f"outreach_call for notice {row['notice_id']}, which the centre does not "
                    "hold (refused, or never sent)")
        row["customer_id"] = self.ids.canonical(row["customer_id"]) or row["customer_id"]
        if row["id"] in self.present:
            self.changed[row["id"]] = {k: row[k] for k in LIST_COLUMNS}
        elif row["id"] in self.new:
            self.new[row["id"]].update({k: row[k] for k in LIST_COLUMNS})
        else:
            self.new[row["id"]] = row
        self.touched.add(row["id"])
        return None

    def _notice_held(self, notice_id: str) -> bool:
        if notice_id not in self.notices and notice_id not in self.missing:
            # a notice of this batch (applied before its calls), or none at all
            found = self.conn.execute(sa.select(T["notice"].c.id).where(
                T["notice"].c.id == notice_id)).first()
            (self.notices if found else self.missing).add(notice_id)
        return notice_id in self.notices

    def event(self, payload: dict) -> bool:
        """A result; False when the centre already keeps it."""
        row = codec.to_python("outreach_event", payload)
        if row["id"] in self.events:
            return False
        self.events.add(row["id"])
        self.new_events.append(row)
        self.touched.add(row["call_id"])
        return True

    def finish(self) -> list[str]:
        """Write the batch's calls and results, project the touched calls again;
        returns them (desks pull their rows anew)."""
        call = T["outreach_call"]
        if self.new:
            self.conn.execute(call.insert(), list(self.new.values()))
        if self.changed:
            self.conn.execute(
                call.update().where(call.c.id == sa.bindparam("_id"))
                .values({k: sa.bindparam(k) for k in LIST_COLUMNS}),
                [{"_id": i, **v} for i, v in sorted(self.changed.items())])
        if self.new_events:
            self.conn.execute(T["outreach_event"].insert(), self.new_events)
        outreach_state.reproject(self.conn, call, T["outreach_event"], self.touched)
        return sorted(self.touched)
