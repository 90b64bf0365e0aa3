"""The monitor's 督办 list (no textual import): every 督办 of the open tickets, raised by
the SLA scan at a breach (the centre's watch, or a desk) or by a supervisor with a
reason, and where its answer stands: *raised* (waiting for the owner), *acknowledged*
(签收: by whom, when, with what note), *overdue* (not acknowledged within
:data:`agentdesk.tickets.duban.ACK_WITHIN` of being raised).

An acknowledgement names the 督办 it answers (:mod:`agentdesk.tickets.duban`), so the
state does not depend on the order the desks' clocks gave the events.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from agentdesk.monitor.db import Source, connection, load
from agentdesk.tickets import clocks
from agentdesk.tickets.duban import ACK_KIND, ACK_WITHIN, DUBAN_KINDS

STATES = ("overdue", "raised", "acknowledged")  # the list's order: what needs a push first
LIST_LIMIT = 200


@dataclass(frozen=True)
class DubanRow:
    number: str
    owner_code: str
    owner_name: str
    kind: str  # escalation (a breach) / duban (a supervisor's)
    why: str  # the clock that breached, or the supervisor's reason
    raised_by: str  # the supervisor's code; "watch" or "" for the SLA scan
    raised_at: datetime
    state: str  # raised / acknowledged / overdue
    acked_by: str = ""
    acked_at: datetime | None = None
    ack_note: str = ""


_SQL = f"""
SELECT e.id, e.ticket_id, t.number, t.owner_id, e.kind, e.agent_id, e.at, e.data, e.note
FROM ticket t JOIN ticket_event e ON e.ticket_id = t.id
WHERE {clocks.sql_open("t")} AND e.kind IN ({clocks.sql_list((*DUBAN_KINDS, ACK_KIND))})
"""


def duban_rows(source: Source, now: datetime, agents: dict[str, tuple]
               ) -> tuple[list[DubanRow], dict[str, int]]:
    """(the list, most pressing first, at most LIST_LIMIT rows; the count in each
    state, complete). ``agents``: id -> (code, name, ...) as
    :func:`agentdesk.monitor.states.agents_by_id` gives it."""
    rows = connection(source).execute(_SQL).fetchall()
    answers: dict[str, tuple[str, datetime | None, str]] = {}
    for _eid, _tid, _n, _owner, kind, agent_id, at, data, note in rows:
        if kind == ACK_KIND:
            who = agents.get(agent_id, ("?",))[0]
            for acked in json.loads(data or "{}").get("acks", ()):
                answers.setdefault(acked, (who, load(at), note))
    out: list[DubanRow] = []
    for eid, _tid, number, owner, kind, agent_id, at, data, _note in rows:
        if kind == ACK_KIND:
            continue
        said = json.loads(data or "{}")
        raised_at = load(at)
        answer = answers.get(eid)
        if answer is not None:
            state = "acknowledged"
        else:
            state = "overdue" if now - raised_at >= ACK_WITHIN else "raised"
        code, name = agents.get(owner, ("?", ""))[:2]
        by = agents.get(agent_id, ("?",))[0] if agent_id else said.get("by", "")
        out.append(DubanRow(number, code, name, kind,
                            said.get("clock" if kind == "escalation" else "reason", ""),
                            by, raised_at, state, *(answer or ("", None, ""))))
    counts = dict.fromkeys(STATES, 0)
    for row in out:
        counts[row.state] += 1
    out.sort(key=lambda r: (STATES.index(r.state),
                            -r.acked_at.timestamp() if r.acked_at else r.raised_at.timestamp()))
    return out[:LIST_LIMIT], counts
