"""The escalation scan (no textual import): a warning when 80 % of a running clock is used
and escalation (督办) at its breach, each exactly once per clock.

The clocks and their levels are :mod:`agentdesk.tickets.clocks`'. Warnings and escalations
are ticket events, so "once" survives restarts, and a ticket that breached while the desk
was closed is escalated by the next scan (at start or after a sync). A reopened ticket's
clocks are new clocks: they may warn and escalate again.

Each alert has one event id, made from the ticket, the clock, the kind and the reopening
it belongs to (:func:`alert_id`): the desk's scan and the centre's watch
(:mod:`agentdesk.sync.central.watch`) give the same alert the same id, so the centre and
the desks keep it once even when two writers fired it. With a watch running (its
heartbeat, the ``watch`` central setting, is recent: :func:`watched`) a desk that syncs
leaves the scan to it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import text

from agentdesk.tickets import clocks

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlmodel import Session


@dataclass(frozen=True)
class Alert:
    ticket_id: str
    number: str
    owner_id: str
    clock: str
    kind: str  # warning / escalation (duban: a supervisor's, clock holds the reason)
    event_id: str = ""  # alert_id(): the same for every writer of this alert


_OPEN_CLOCKS = f"""
SELECT t.id, t.number, t.owner_id, t.status, t.created_at, t.resolved_at, t.paused_at,
       t.due_first_response, t.due_arrival, t.due_resolution, t.due_callback,
       {clocks.sql_reopened("t")} AS reopened,
       (SELECT group_concat(e.kind || ':' || json_extract(e.data, '$.clock'))
          FROM ticket_event e WHERE e.ticket_id = t.id
           AND e.kind IN ('warning', 'escalation')
           AND e.at > coalesce((SELECT max(r.at) FROM ticket_event r
                                 WHERE r.ticket_id = t.id AND r.kind = 'reopen'), '')
       ) AS fired
FROM ticket t
WHERE {clocks.sql_open("t")}
"""
_OWNED = " AND t.owner_id = (SELECT id FROM agent WHERE code = :owner)"
# What each level fires; past the deadline a warning is moot.
KIND_OF_LEVEL = {"warn": "warning", "breached": "escalation"}
NOTES = {"warning": "时限已用 80%", "escalation": "超时督办"}  # the events' note (data)
_ALERT_NS = uuid.UUID("0b6f2d1e-8c4a-5e7f-9a10-3c2b1d4e5f60")


def alert_id(ticket_id: str, clock_name: str, kind: str, reopened: datetime | None) -> str:
    """The event id of one alert: the same on a desk and at the centre's watch. A
    reopened ticket's clocks are new ones (its latest reopening is part of the id)."""
    from agentdesk.core.models import utc_text

    generation = utc_text(reopened) if reopened else ""
    return str(uuid.uuid5(_ALERT_NS, f"{ticket_id}|{clock_name}|{kind}|{generation}"))


def owed(status: str, dues: Mapping[str, datetime | None], created: datetime,
         resolved: datetime | None, reopened: datetime | None,
         now: datetime) -> list[tuple[str, str]]:
    """(clock, kind) of every alert an unpaused open ticket owes by ``now``, given or not:
    one per running clock at 80 % or past its deadline (:func:`clocks.running`'s clocks,
    without making their states: the centre's watch asks this of every open ticket)."""
    out = []
    for name in clocks.RUNNING.get(status, ()):
        due = dues.get(name)
        if due is not None:
            start = clocks.clock_start(name, created, resolved, reopened)
            kind = KIND_OF_LEVEL.get(clocks.level(clocks.used_share(start, due, now)))
            if kind:
                out.append((name, kind))
    return out


def candidates(ticket_id: str, number: str, owner_id: str, status: str,
               dues: Mapping[str, datetime | None], created: datetime,
               resolved: datetime | None, reopened: datetime | None,
               now: datetime) -> list[Alert]:
    """:func:`owed` as alerts with their ids."""
    return [Alert(ticket_id, number, owner_id, name, kind,
                  alert_id(ticket_id, name, kind, reopened))
            for name, kind in owed(status, dues, created, resolved, reopened, now)]


def due_alerts(session: Session, now: datetime, owner: str | None = None) -> list[Alert]:
    """Warnings (80 % used) and escalations (breached) not yet given, one per clock.

    ``owner`` (an agent code): only that agent's tickets. A desk scans only what its agent
    owns, so desks that share tickets through the central store never escalate the same
    clock twice; ``None`` (tests, a single-desk centre) scans every open ticket."""
    from agentdesk.core.models import UTCDateTime

    load = UTCDateTime().process_result_value
    alerts: list[Alert] = []
    sql = _OPEN_CLOCKS + (_OWNED if owner else "")
    for row in session.connection().execute(text(sql), {"owner": owner}).mappings():
        if row["paused_at"]:
            continue  # a paused clock neither warns nor breaches
        fired = set((row["fired"] or "").split(","))
        dues = {name: load(row[f"due_{name}"], None) for name in clocks.CLOCKS}
        alerts += [a for a in candidates(
            row["id"], row["number"], row["owner_id"], row["status"], dues,
            load(row["created_at"], None), load(row["resolved_at"], None),
            load(row["reopened"], None), now) if f"{a.kind}:{a.clock}" not in fired]
    return alerts


def fire(session: Session, alerts: list[Alert]) -> list[Alert]:
    """Record each alert as a ticket event (督办 for escalations): once, for good. An
    alert whose event is here already (the watch's, pulled) is not fired again. Returns
    the alerts fired."""
    from agentdesk.core.models import TicketEvent
    from agentdesk.tickets import service as tickets

    fired = []
    for alert in alerts:
        if alert.event_id and session.get(TicketEvent, alert.event_id) is not None:
            continue
        ticket = tickets.get(session, alert.ticket_id)
        tickets.append_event(session, ticket, alert.kind, None, note=NOTES[alert.kind],
                             event_id=alert.event_id or None, clock=alert.clock)
        fired.append(alert)
    return fired


def scan(session: Session, now: datetime, owner: str | None = None) -> list[Alert]:
    """Find and record what is due; returns what was fired (for notifications)."""
    return fire(session, due_alerts(session, now, owner))


def breach_list(session: Session) -> list[tuple[str, str, str]]:
    """(number, owner code, clock) of open tickets escalated (the supervisor's 督办 list)."""
    rows = session.connection().execute(text(
        f"""SELECT t.number, a.code, json_extract(e.data, '$.clock') FROM ticket t
           JOIN ticket_event e ON e.ticket_id = t.id AND e.kind = 'escalation'
           JOIN agent a ON a.id = t.owner_id
           WHERE {clocks.sql_open("t")}
           ORDER BY e.at"""))
    return [tuple(r) for r in rows]


NOTIFY_KINDS = ("warning", "escalation", "duban")  # what the owner is told of


def received(session: Session, owner: str, after: int | None) -> tuple[list[Alert], int]:
    """Warnings and 督办 on ``owner``'s open tickets that reached this desk from the
    centre after change ``after`` (the watch's, a supervisor's), and the last change
    received (``after`` None: only that). A 督办's reason stands in the clock's place."""
    conn = session.connection()
    last = int(conn.execute(text("SELECT coalesce(max(seq), 0) FROM sync_event_seq"))
               .scalar() or 0)
    if after is None or last <= after:
        return [], last
    rows = conn.execute(text(
        f"""SELECT e.id, t.id, t.number, t.owner_id, e.kind, e.data
           FROM sync_event_seq q JOIN ticket_event e ON e.id = q.event_id
           JOIN ticket t ON t.id = e.ticket_id
           WHERE q.seq > :after AND e.kind IN ({clocks.sql_list(NOTIFY_KINDS)})
             AND {clocks.sql_open("t")}
             AND t.owner_id = (SELECT id FROM agent WHERE code = :owner)
           ORDER BY q.seq"""), {"after": after, "owner": owner}).all()
    alerts = []
    for eid, tid, number, owner_id, kind, data in rows:
        said = json.loads(data or "{}")
        alerts.append(Alert(tid, number, owner_id, said.get("clock") or said.get("reason")
                            or "", kind, eid))
    return alerts, last


# --- the centre's watch, as a desk sees it ----------------------------------------------
# The watch writes its heartbeat into the central setting WATCH_SETTING, which every desk
# pulls; a desk that syncs leaves the scan to a watch whose heartbeat is recent.

WATCH_SETTING = "watch"
HEARTBEAT_S = 120  # the watch logs its heartbeat this often (each entry reaches every desk)
FRESH_S = 600  # a heartbeat older than this (by the desk's clock): the desk scans again


def watch_body(holder: str, at: datetime, every: float, stopped: bool = False) -> str:
    """The ``watch`` setting's text: who watches, as of when, how often it scans."""
    from agentdesk.core.models import utc_text

    return json.dumps({"holder": holder, "at": utc_text(at), "every": every,
                       "stopped": stopped}, ensure_ascii=False, sort_keys=True)


def beat_age(body: str | None, now: datetime) -> float:
    """Seconds between the heartbeat ``body`` and ``now``, either side (desk clocks
    drift); infinite for none, a stopped watch's, or one that cannot be read."""
    from agentdesk.core.models import UTC

    try:
        beat = json.loads(body or "{}")
        at = datetime.fromisoformat(beat["at"]).replace(tzinfo=UTC)
    except (ValueError, KeyError, TypeError):
        return float("inf")
    return float("inf") if beat.get("stopped") else abs((now - at).total_seconds())


def watched(session: Session, now: datetime) -> bool:
    """True when the centre's watch escalates for this desk: its heartbeat is within
    FRESH_S of ``now`` and it did not say it stopped."""
    body = session.connection().execute(text(
        "SELECT body FROM central_setting WHERE name = :n"), {"n": WATCH_SETTING}).scalar()
    return beat_age(body, now) <= FRESH_S
