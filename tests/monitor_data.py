"""A small hand-built desk for the monitor's figures: every number the tests expect is
worked out by hand in the comments below (now = 2026-11-25 09:30 +08:00 = 01:30 UTC; the
local day began 2026-11-24 16:00 UTC; the trend's first hour starts 2026-11-24 02:00 UTC).

Agents: A1001 王芳 (on shift), A1002 李静 (off shift), A1003 the hostile name (on shift).
Customers: C1 金水区花园路街道幸福小区, C2 金水区花园路街道阳光小区, C3 二七区建中街街道阳光花园.

| ticket | created | owner | status | clocks (due) | what happened | level now |
|---|---|---|---|---|---|---|
| T1 water.burst C1 | -10m | A1 | accepted | fr +5m, arrival +20m | KB article linked | ok (2/3 used) |
| T2 water.no_water C1 rural | -13m | A1 | accepted | fr +2m | | warn (13/15) |
| T3 power.fault C2 remote | -120m | A3 | dispatched | fr -105m, arr -30m, res +60m | responded -110m, escalated | breached (arrival, 30 min) |
| T4 any.complaint C3 | -50h | A2 | dispatched | fr -26h, res +1000m | responded at +30h (late) | ok (75 %) |
| T5 any.consult C2 | -60m | A1 | resolved | fr +23h, res +5d, cb -10m | resolved -50m | breached (call-back, 10 min) |
| T6 water.meter C1 | -100m | A2 | accepted, paused -5m | fr -40m | | paused |
| T7 water.quality C1 | -26h | A1 | archived | fr +60m, res +24h, cb +44h (from creation) | responded +30m, resolved +20h, called back +22h 满意 | - |
| T8 power.billing C3 | -3d | A3 | called_back | fr +24h, res +2d, cb +84h | responded +25h, resolved +60h, called back 不满意 | - |
| T9 any.praise C3 | -20d | A1 | archived | res +5d, cb +2d | responded +2h, resolved +1d, 非常满意 | - |
| T10 water.billing C1 | -40d | A1 | archived | | (outside every window) | - |
| T11 water.burst C1 incident I1 | -30m | A1 | accepted | fr -15m | one report linked onto it | breached (first response, 15 min) |
| T12 water.pressure C3 | -3d | A3 | accepted (reopened -60m) | res +60m (the reopening's) | responded +1h, resolved +2d, 不满意 at -61m reopens it | ok (half of the new clock; 99 % if it ran from creation) |
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from agentdesk.core import store
from agentdesk.tickets import workflow
from agentdesk.core.ids import new_id
from agentdesk.core.models import utc_text
from tests.conftest import MARKUP_NAME

NOW = datetime.fromisoformat("2026-11-25T01:30:00+00:00")
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)

_TICKET = ("INSERT INTO ticket (id, number, business_type, category, priority, status, "
           "description, location, area_class, customer_id, incident_id, first_responder_id, "
           "owner_id, department, satisfaction, complained_party, created_at, updated_at, "
           "due_first_response, due_arrival, due_resolution, due_callback, resolved_at, "
           "closed_at, paused_at) VALUES (" + ",".join("?" * 25) + ")")
_EVENT = ("INSERT INTO ticket_event (id, ticket_id, at, agent_id, kind, from_status, "
          "to_status, note, data) VALUES (?,?,?,?,?,?,?,?,?)")


def _ts(value: datetime | None) -> str | None:
    return utc_text(value) if value is not None else None


def build(path: Path) -> dict[str, str]:
    """Write the desk at ``path``; returns ticket names -> numbers."""
    desk = store.open_desk(path)
    conn = desk.raw()
    agents = {}
    for code, name, on_shift in (("A1001", "王芳", 1), ("A1002", "李静", 0),
                                 ("A1003", MARKUP_NAME, 1)):
        agents[code] = new_id()
        conn.execute("INSERT INTO agent (id, code, name, role, team, on_shift, created_at) "
                     "VALUES (?,?,?,?,?,?,?)", (agents[code], code, name, "agent", "",
                                                on_shift, _ts(NOW - 100 * D)))
    customers = {}
    for key, account, name, district, street, community, phone in (
            ("C1", "3100000001", "张三", "金水区", "花园路街道", "幸福小区", "+8613812345678"),
            ("C2", "3100000002", "李四", "金水区", "花园路街道", "阳光小区", "+8613900001111"),
            ("C3", "4100000003", "王五", "二七区", "建中街街道", "阳光花园", "+8615000002222")):
        customers[key] = (new_id(), phone)
        conn.execute("INSERT INTO customer (id, account_no, name, utility, customer_class, "
                     "district, street, community, building, unit, room, area_class, "
                     "meter_no, meter_type, credit_list, arrears_fen, arrears_periods, tags, "
                     "key_level, status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,"
                     "?,?,?,?,?,?,?,?,?,?,?,?)",
                     (customers[key][0], account, name, "water", "居民", district, street,
                      community, "1栋", "1单元", "101室", "urban", "", "", "", 0, 0, "", 0,
                      "active", _ts(NOW - 400 * D), _ts(NOW - 400 * D)))
    incident = new_id()
    conn.execute("INSERT INTO incident (id, title, utility, category, areas, address, "
                 "cause, status, started_at) VALUES (?,?,?,?,?,'','',?,?)",
                 (incident, "花园路DN300主管爆管", "water", "water.burst",
                  '[["金水区", "花园路街道", "", ""]]', "open", _ts(NOW - 40 * M)))
    conn.execute("INSERT INTO incident (id, title, utility, category, areas, address, "
                 "cause, status, started_at, closed_at) VALUES (?,?,?,?,?,'','',?,?,?)",
                 (new_id(), "已处理的爆管", "water", "water.burst", '[["二七区", "", "", ""]]',
                  "closed", _ts(NOW - 5 * D), _ts(NOW - 4 * D)))
    numbers: dict[str, str] = {}
    ids: dict[str, str] = {}
    btypes = {"water.pressure": "repair", "water.burst": "repair", "water.no_water": "repair", "power.fault": "repair",
              "any.complaint": "complaint", "any.consult": "consult", "water.meter": "repair",
              "water.quality": "repair", "power.billing": "consult", "any.praise": "praise",
              "water.billing": "consult"}

    def ticket(name: str, category: str, area: str, customer: str, owner: str, status: str,
               created: datetime, fr=None, arr=None, res=None, cb=None, resolved=None,  # noqa: ANN001
               closed=None, paused=None, satisfaction: str = "",  # noqa: ANN001
               incident_id: str | None = None) -> str:
        tid = new_id()
        number = f"GD{created.strftime('%Y%m%d')}{len(numbers) + 1:05d}"
        numbers[name], ids[name] = number, tid
        conn.execute(_TICKET, (
            tid, number, btypes[category], category, "urgent", status, f"{name} 描述", "",
            area, customers[customer][0], incident_id, agents[owner], agents[owner], "",
            satisfaction, "", _ts(created), _ts(created), _ts(fr), _ts(arr), _ts(res),
            _ts(cb), _ts(resolved), _ts(closed), _ts(paused)))
        event(name, created, owner, "created", "", "accepted")
        return tid

    def event(name: str, at: datetime, owner: str | None, kind: str, frm: str, to: str,
              **data: object) -> None:
        conn.execute(_EVENT, (new_id(), ids[name], _ts(at), agents[owner] if owner else None,
                              kind, frm, to, "", json.dumps(data, ensure_ascii=False)))

    n = NOW
    ticket("T1", "water.burst", "urban", "C1", "A1001", "accepted", n - 10 * M,
           fr=n + 5 * M, arr=n + 20 * M)
    ticket("T2", "water.no_water", "rural", "C1", "A1001", "accepted", n - 13 * M,
           fr=n + 2 * M)
    ticket("T3", "power.fault", "remote", "C2", "A1003", "dispatched", n - 120 * M,
           fr=n - 105 * M, arr=n - 30 * M, res=n + 60 * M)
    event("T3", n - 110 * M, "A1003", "status", "accepted", "dispatched")
    event("T3", n - 29 * M, None, "escalation", "", "", clock="arrival")
    c4 = n - 50 * H
    ticket("T4", "any.complaint", "urban", "C3", "A1002", "dispatched", c4,
           fr=c4 + 24 * H, res=n + 1000 * M)
    event("T4", c4 + 30 * H, "A1002", "status", "accepted", "dispatched")
    ticket("T5", "any.consult", "urban", "C2", "A1001", "resolved", n - 60 * M,
           fr=n + 23 * H, res=n + 5 * D, cb=n - 10 * M, resolved=n - 50 * M)
    event("T5", n - 50 * M, "A1001", "status", "accepted", "resolved")
    ticket("T6", "water.meter", "urban", "C1", "A1002", "accepted", n - 100 * M,
           fr=n - 40 * M, paused=n - 5 * M)
    event("T6", n - 5 * M, "A1002", "pause", "", "", state="waiting_caller")
    c7 = n - 26 * H
    ticket("T7", "water.quality", "urban", "C1", "A1001", "archived", c7, fr=c7 + 60 * M,
           res=c7 + 24 * H, cb=c7 + 44 * H, resolved=c7 + 20 * H, closed=c7 + 23 * H,
           satisfaction="满意")
    event("T7", c7 + 30 * M, "A1001", "status", "accepted", "dispatched")
    event("T7", c7 + 3 * H, None, "status", "dispatched", "on_site")
    event("T7", c7 + 20 * H, "A1001", "status", "on_site", "resolved")
    event("T7", c7 + 22 * H, "A1001", "callback", "resolved", "called_back",
          satisfaction="满意")
    event("T7", c7 + 23 * H, None, "status", "called_back", "archived")
    c8 = n - 3 * D
    ticket("T8", "power.billing", "urban", "C3", "A1003", "called_back", c8, fr=c8 + 24 * H,
           res=c8 + 2 * D, cb=c8 + 84 * H, resolved=c8 + 60 * H, satisfaction="不满意")
    event("T8", c8 + 25 * H, "A1003", "status", "accepted", "dispatched")
    event("T8", c8 + 60 * H, "A1003", "status", "dispatched", "resolved")
    event("T8", n - 11 * H, "A1003", "callback", "resolved", "called_back",
          satisfaction="不满意")
    c9 = n - 20 * D
    ticket("T9", "any.praise", "urban", "C3", "A1001", "archived", c9, res=c9 + 5 * D,
           cb=c9 + 2 * D, resolved=c9 + 1 * D, closed=c9 + 2 * D, satisfaction="非常满意")
    event("T9", c9 + 2 * H, "A1001", "status", "accepted", "dispatched")
    event("T9", c9 + 1 * D, "A1001", "status", "dispatched", "resolved")
    c10 = n - 40 * D
    ticket("T10", "water.billing", "urban", "C1", "A1001", "archived", c10,
           resolved=c10 + 1 * H, closed=c10 + 2 * H)
    event("T10", c10 + 1 * H, "A1001", "status", "accepted", "resolved")
    ticket("T11", "water.burst", "urban", "C1", "A1001", "accepted", n - 30 * M,
           fr=n - 15 * M, incident_id=incident)
    event("T11", n - 20 * M, "A1001", "linked_report", "", "")
    c12 = n - 3 * D
    ticket("T12", "water.pressure", "urban", "C3", "A1003", "accepted", c12,
           res=n + 60 * M, satisfaction="不满意")
    event("T12", c12 + 1 * H, "A1003", "status", "accepted", "dispatched")
    event("T12", c12 + 2 * D, "A1003", "status", "dispatched", "resolved")
    event("T12", n - 61 * M, "A1003", "callback", "resolved", "called_back",
          satisfaction="不满意")
    event("T12", n - 60 * M, "A1003", "reopen", "called_back", "accepted")

    # The met times on the rows (workflow.MET) are what the reducer makes of the events,
    # as a desk writing through the ticket service would have them.
    for tid in ids.values():
        state = workflow.rebuild([
            (kind, to, data, datetime.fromisoformat(at + "+00:00"))
            for kind, to, data, at in conn.execute(
                "SELECT kind, to_status, data, at FROM ticket_event WHERE ticket_id = ? "
                "ORDER BY at, id", (tid,))])
        conn.execute("UPDATE ticket SET responded_at = ?, arrived_at = ?, called_back_at = ? "
                     "WHERE id = ?", (*(_ts(state[k]) for k in workflow.MET), tid))

    conn.execute("INSERT INTO kb_article (id, title, utility, category, tags, synonyms, body, "
                 "owner, review_days, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                 ("test-burst", "爆管怎么办", "water", "water.burst", "", "", "正文", "", 365,
                  _ts(n - 30 * D)))
    conn.execute("INSERT INTO ticket_article (ticket_id, article_id, agent_id, at) "
                 "VALUES (?,?,?,?)", (ids["T1"], "test-burst", agents["A1001"], _ts(n)))

    # An outage notice in force over C1's and C2's street; one over; contacts around them.
    for title, start, end in (("花园路街道临时停水", n - 2 * H, n + 2 * H),
                              ("已结束的停水", n - 10 * H, n - 5 * H)):
        conn.execute("INSERT INTO notice (id, utility, kind, cause, title, areas, "
                     "starts_at, ends_at, status, revision, note, created_at, updated_at) "
                     "VALUES (?,?,?,?,?,?,?,?,'active',1,'',?,?)",
                     (new_id(), "water", "fault", "", title, '[["金水区", "花园路街道", "", ""]]',
                      _ts(start), _ts(end), _ts(start), _ts(start)))
    for customer, at in (("C1", n - 60 * M), ("C2", n - 30 * M), ("C3", n - 30 * M),
                         ("C1", n - 3 * H), (None, n - 2 * D), (None, n - 1 * D),
                         (None, n - 9 * D)):
        cid, phone = customers[customer] if customer else (None, "+8613900009999")
        conn.execute("INSERT INTO contact (id, channel, number, customer_id, agent_id, "
                     "started_at, ended_at, note) VALUES (?,?,?,?,?,?,?,?)",
                     (new_id(), "phone", phone, cid, agents["A1001"], _ts(at),
                      _ts(at + 3 * M), ""))
    conn.commit()
    conn.close()
    desk.dispose()
    return numbers
