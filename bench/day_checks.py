"""The invariants checked at the end of the simulated day (``agentdesk bench day``). Each
check returns (name, ok, detail); the command exits non-zero naming every one that failed.

* every ticket a desk created is at the centre exactly once (by number, or by the number
  it had before its desk joined), and the centre holds no ticket nobody created;
* every desk equals the centre, table by table (``sync --verify``'s comparison);
* one owner per ticket, as its events say, and the first responder never changed;
* every breached clock escalated exactly once (per reopening), none escalated twice;
* every 督办 (escalation or the supervisor's) on a ticket of an agent on shift answered
  (签收) from the owner's desk;
* every customer on the outage's call list called, once;
* no desk has anything left in its outbox;
* the monitor's figures equal a recount from the raw events.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

Check = tuple[str, bool, str]


def _centre_rows(centre: Any, sql: str, **params: object) -> list[tuple]:
    import sqlalchemy as sa

    with centre.reading(seconds=120) as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params).all()]


def exactly_once(centre: Any, logs: list[dict], killed: str = "") -> Check:
    """``killed``: the agent code of a desk killed -9: a ticket it committed in the
    instant before its log was written is at the centre yet in no log (at most one)."""
    made = [n for log in logs for n in log.get("created", [])]
    numbers = Counter(r[0] for r in _centre_rows(centre, "SELECT number FROM ticket"))
    renamed = dict(_centre_rows(centre, "SELECT data::json->>'old_number', t.number FROM "
                                        "ticket_event e JOIN ticket t ON t.id = e.ticket_id "
                                        "WHERE e.kind = 'renumbered'"))
    missing = [n for n in made if numbers.get(renamed.get(n, n), 0) != 1]
    twice = [n for n, k in numbers.items() if k != 1]
    extra = len(numbers) - len(set(made))
    if killed and extra == 1:
        by = _centre_rows(centre, "SELECT count(*) FROM ticket t JOIN agent a ON "
                                  "a.id = t.first_responder_id WHERE a.code = :c", c=killed)
        mine = sum(len(log.get("created", [])) for log in logs if log.get("code") == killed)
        extra -= 1 if by and by[0][0] == mine + 1 else 0
    ok = not missing and not twice and extra == 0
    return ("every ticket once at the centre", ok,
            f"{len(made)} created on the desks, {sum(numbers.values())} at the centre; "
            f"missing {missing[:5]}, repeated {twice[:5]}, unaccounted {extra}")


def desks_equal_centre(stores: list[Any], centre: Any) -> Check:
    from agentdesk.sync import verify

    bad = []
    for store in stores:
        verdict = verify.verify(store, centre)
        if not verdict.equal:
            bad.append(f"{Path(store.path).name}: {len(verdict.differences)} differences "
                       f"({', '.join(sorted({d.entity for d in verdict.differences}))})")
    return ("every desk equals the centre (sync --verify)", not bad,
            "; ".join(bad) or f"{len(stores)} desks, every shared table equal")


def owners(centre: Any) -> Check:
    from agentdesk.tickets import workflow

    # In the centre's order (its change log), as the centre applied them: not by the
    # events' times, which are each writer's clock (a conflict is stamped by the centre).
    rows = _centre_rows(centre, "SELECT t.id, t.owner_id, t.first_responder_id, e.kind, "
                                "e.to_status, e.data, e.at FROM ticket t JOIN ticket_event e "
                                "ON e.ticket_id = t.id LEFT JOIN change_log l ON "
                                "l.entity = 'ticket_event' AND l.row_id = e.id "
                                "ORDER BY t.id, l.seq, e.at, e.id")
    wrong: list[str] = []
    by_ticket: dict[str, list[tuple]] = {}
    for row in rows:
        by_ticket.setdefault(row[0], []).append(row)
    for tid, events in by_ticket.items():
        state = workflow.rebuild([(k, s, d, a) for _t, _o, _f, k, s, d, a in events])
        first = json.loads(events[0][5] or "{}").get("first_responder_id")
        changed = any("first_responder_id" in json.loads(e[5] or "{}") for e in events[1:])
        if state.get("owner_id") != events[0][1] or first != events[0][2] or changed:
            wrong.append(tid)
    return ("one owner per ticket, first responder never changed", not wrong,
            f"{len(by_ticket)} tickets; wrong: {wrong[:5]}")


def escalations(centre: Any, end: datetime, margin: timedelta) -> Check:
    """Per ticket, clock and reopening: at most one escalation; and every clock that was
    past its deadline (unmet, not paused, ticket open) well before the end has one."""
    fired = _centre_rows(centre, "SELECT ticket_id, data::json->>'clock', at FROM "
                                 "ticket_event WHERE kind = 'escalation'")
    reopens: dict[str, list[datetime]] = {}
    for tid, at in _centre_rows(centre, "SELECT ticket_id, at FROM ticket_event "
                                        "WHERE kind = 'reopen'"):
        reopens.setdefault(tid, []).append(at)
    per = Counter((tid, name, sum(r < at for r in reopens.get(tid, ())))
                  for tid, name, at in fired)
    twice = [k for k, n in per.items() if n > 1]
    done = {(k[0], k[1]) for k in per}
    late = _centre_rows(centre, """
        SELECT id, 'first_response' FROM ticket WHERE due_first_response < :cut
           AND status = 'accepted' AND paused_at IS NULL
        UNION ALL
        SELECT id, 'arrival' FROM ticket WHERE due_arrival < :cut
           AND status IN ('accepted', 'dispatched') AND paused_at IS NULL
        UNION ALL
        SELECT id, 'resolution' FROM ticket WHERE due_resolution < :cut
           AND status IN ('accepted', 'dispatched', 'on_site') AND paused_at IS NULL""",
                        cut=end - margin)
    unfired = [r for r in late if (r[0], r[1]) not in done]
    return ("every breach escalated exactly once", not twice and not unfired,
            f"{len(fired)} escalations; twice: {len(twice)}; breached clocks still "
            f"running without one: {len(unfired)} {unfired[:3]}")


def acknowledged(centre: Any, logs: list[dict], away: list[str]) -> Check:
    """Every 督办 (the scan's escalation or the supervisor's) on a ticket of an agent still
    on shift (``away``: the codes of those who are not) that reached the owner's desk
    before the shift ended has an acknowledgement (签收) at the centre, made on that desk:
    the 督办 went from the watch or the supervisor's desk through the centre to the
    owner's desk, and the answer came back. "Reached": its change-log seq is within the
    desk's last pull cursor (its log); one raised after that pull no desk could answer."""
    seen = {log.get("code"): max((c for _w, c in log.get("cursors") or ()), default=0)
            for log in logs}
    rows = _centre_rows(centre, """
        SELECT e.id, e.kind, t.number, a.code, min(cl.seq) FROM ticket_event e
        JOIN ticket t ON t.id = e.ticket_id JOIN agent a ON a.id = t.owner_id
        JOIN change_log cl ON cl.entity = 'ticket_event' AND cl.row_id = e.id
        WHERE e.kind IN ('escalation', 'duban') AND a.code <> ALL(:away)
        GROUP BY e.id, e.kind, t.number, a.code""", away=away)
    raised = [(i, kind, number) for i, kind, number, code, seq in rows
              if seq <= seen.get(code, 0)]
    answers = Counter(i for (data,) in _centre_rows(
        centre, "SELECT data FROM ticket_event WHERE kind = 'duban_ack'")
        for i in json.loads(data or "{}").get("acks", ()))
    missing = [(kind, number) for i, kind, number in raised if not answers.get(i)]
    twice = sum(1 for i, _k, _n in raised if answers.get(i, 0) > 1)
    manual = sum(1 for _i, kind, _n in raised if kind == "duban")
    return ("every 督办 acknowledged by its owner", not missing and manual > 0,
            f"{len(raised)} 督办 ({manual} by the supervisor) reached their owners' desks "
            f"({len(rows) - len(raised)} more came after the last pull); unanswered: "
            f"{len(missing)} "
            f"{missing[:3]}; answered twice (a hand-over crossing the answer): {twice}")


def outreach(centre: Any, notice_id: str) -> Check:
    if not notice_id:
        return ("every vulnerable customer in the outage area called once", False,
                "no notice was published")
    rows = _centre_rows(centre, "SELECT c.id, count(e.id) FROM outreach_call c LEFT JOIN "
                                "outreach_event e ON e.call_id = c.id WHERE c.notice_id = :n "
                                "GROUP BY c.id", n=notice_id)
    wrong = [r for r in rows if r[1] != 1]
    return ("every vulnerable customer in the outage area called once",
            bool(rows) and not wrong,
            f"{len(rows)} on the call list; not called once: {len(wrong)}")


def outboxes(stores: list[Any]) -> Check:
    left = {}
    for store in stores:
        with store.engine.connect() as conn:
            n = conn.exec_driver_sql("SELECT count(*) FROM sync_outbox").scalar()
        if n:
            left[Path(store.path).name] = n
    return ("no outbox left on any desk", not left, json.dumps(left) if left else "all empty")


def monitor_recount(store: Any, now: datetime) -> Check:
    """The wallboard's SLA level of every open ticket (monitor.states.open_levels, the SQL
    the monitor runs) against the level recomputed from the raw events: each ticket's
    events replayed (workflow.rebuild), its running clocks read with tickets.clocks."""
    from agentdesk.core.models import UTC
    from agentdesk.monitor import states
    from agentdesk.tickets import clocks, service as tickets

    with store.session() as session:
        shown = {r[0]: r[5] for r in states.open_levels(session, now)}
        conn = session.connection().connection.driver_connection
        ids = [r[0] for r in conn.execute("SELECT id FROM ticket")]
        reopened: dict[str, datetime] = {}
        for tid, at in conn.execute("SELECT ticket_id, max(at) FROM ticket_event "
                                    "WHERE kind = 'reopen' GROUP BY ticket_id"):
            reopened[tid] = datetime.fromisoformat(at).replace(tzinfo=UTC)
        # each ticket replayed in the order every desk applies its events (the centre's)
        states_of = {tid: tickets.rebuilt(session, tid) for tid in ids}
    replayed = {}
    for tid, state in states_of.items():
        if state.get("status") not in clocks.OPEN:
            continue
        dues = {name: state.get(f"due_{name}") for name in clocks.CLOCKS}
        nxt = clocks.next_clock(state["status"], dues, state["created_at"],
                                state.get("resolved_at"), now, reopened.get(tid))
        level = nxt.level if nxt is not None else "ok"
        # the wallboard's levels: half is still ok there; a paused ticket is its own
        replayed[tid] = "paused" if state.get("paused_at") else (
            "ok" if level == "half" else level)
    differ = [t for t in set(shown) | set(replayed) if shown.get(t) != replayed.get(t)]
    return ("the monitor's figures equal a recount from the events", not differ,
            f"monitor: {dict(Counter(shown.values()))}; recount: "
            f"{dict(Counter(replayed.values()))}; differing tickets: {len(differ)}")
