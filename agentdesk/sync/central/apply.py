"""Applying one batch of a desk's changes at the centre, inside the push transaction,
and the **ownership decisions**: a claim or hand-over names the owner it expects to
replace; if the ticket's owner is no longer that one, the event is kept (history is
append-only) and followed by a ``conflict`` event restoring the winner, and a
``conflict`` change tells the losing desk. A customer field edit overwrites in receipt
order; the overwritten value goes to the audit log. A 督办 (``duban`` event) by an agent
the centre's own agent table does not call a supervisor is refused: set aside in
``quarantine`` with the reason, and the desk is told."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from agentdesk.core.i18n import t
from agentdesk.core.ids import new_id
from agentdesk.sync import codec
from agentdesk.sync.central.calls import Calls
from agentdesk.sync.central.connection import CentralError
from agentdesk.sync.central.joining import Identities, renumber_event
from agentdesk.sync.central.rows import aware, refresh_keys, upsert
from agentdesk.sync.central.schema import T

OWNERSHIP_KINDS = ("claim", "handover")
SUPERVISOR_KINDS = ("duban",)  # ticket events the centre takes from supervisors only


@dataclass
class PushResult:
    applied: int = 0  # changes applied now
    repeated: int = 0  # changes the centre had already applied (a retried batch)
    conflicts: list[dict] = field(default_factory=list)
    quarantined: list[dict] = field(default_factory=list)  # change_id, entity, row_id, reason


class BatchApply:
    """Applies one batch of a desk's changes inside the centre's transaction.

    Tickets and events are worked in memory (the batch's tickets read in one query,
    projected event by event in receipt order, written once at the end); change-log rows
    are written together at the end in receipt order. Other rows are written at once."""

    def __init__(self, conn: sa.Connection, desk_id: str, now: datetime,
                 result: PushResult) -> None:
        self.conn, self.desk_id, self.now, self.result = conn, desk_id, now, result
        self.logs: list[dict] = []
        self.tickets: dict[str, dict] = {}  # id -> state (python values)
        self.new_tickets: list[str] = []
        self.dirty: set[str] = set()
        self.new_events: list[dict] = []
        self.known_events: set[str] = set()
        self.owner_since: dict[str, datetime] = {}
        self.customers: set[str] = set()  # changed: their lookup keys are recomputed
        self.refused: set[str] = set()  # customers a desk may not make (and their phones)
        self.ids = Identities(conn, desk_id)
        self.calls = Calls(conn, self.ids)  # outreach calls and their results

    def log(self, entity: str, row_id: str, op: str, change_id: str | None,
            payload: dict | None = None) -> None:
        self.logs.append({
            "entity": entity, "row_id": row_id, "op": op, "origin": self.desk_id,
            "change_id": change_id,
            "payload": json.dumps(payload, ensure_ascii=False) if payload else None})

    def prepare(self, changes: list[dict]) -> None:
        ticket_ids = {c["payload"]["ticket_id"] for c in changes if c["entity"] == "ticket_event"}
        ticket_ids |= {c["row_id"] for c in changes if c["entity"] == "ticket"}
        event_ids = [c["row_id"] for c in changes if c["entity"] == "ticket_event"]
        ticket, events = T["ticket"], T["ticket_event"]
        ids = sorted(ticket_ids)
        for start in range(0, len(ids), 1000):
            # Row locks, in id order (no deadlock between batches): two desks' events on
            # one ticket are projected one batch after the other, never both on one read.
            for row in self.conn.execute(sa.select(ticket).where(
                    ticket.c.id.in_(ids[start:start + 1000])).order_by(ticket.c.id)
                    .with_for_update()).mappings():
                self.tickets[row["id"]] = dict(row)
        customers = sorted({c["row_id"] for c in changes if c["entity"] == "customer"})
        for start in range(0, len(customers), 1000):
            self.conn.execute(sa.select(T["customer"].c.id).where(
                T["customer"].c.id.in_(customers[start:start + 1000]))
                .order_by(T["customer"].c.id).with_for_update()).all()
        # The customer ids the batch names, their aliases read at once (not one by one).
        named = {c["payload"].get("customer_id") for c in changes
                 if c["entity"] in ("ticket", "contact")}
        named |= {c["row_id"] for c in changes if c["entity"] == "customer"}
        named |= Calls.customers(changes)
        for c in changes:
            if c["entity"] == "ticket_event" and '"customer_id"' in (c["payload"].get("data")
                                                                     or ""):
                named.add(json.loads(c["payload"]["data"]).get("customer_id"))
        self.ids.load(sorted(i for i in named if i))
        for start in range(0, len(event_ids), 1000):
            self.known_events.update(self.conn.execute(sa.select(events.c.id).where(
                events.c.id.in_(event_ids[start:start + 1000]))).scalars())
        self.calls.prepare(changes)

    def finish(self) -> None:
        ticket = T["ticket"]
        self.renumber()
        if self.new_tickets:
            self.conn.execute(ticket.insert(), [self.tickets[i] for i in self.new_tickets])
        old = [i for i in self.dirty if i not in set(self.new_tickets)]
        if old:
            cols = [c.name for c in ticket.columns if c.name not in ("id", "created_at")]
            self.conn.execute(
                ticket.update().where(ticket.c.id == sa.bindparam("_id"))
                .values({c: sa.bindparam(c) for c in cols}),
                [{"_id": i, **{c: self.tickets[i][c] for c in cols}} for i in sorted(old)])
        if self.customers:
            refresh_keys(self.conn, list(self.customers))
        if self.new_events:
            self.conn.execute(T["ticket_event"].insert(), self.new_events)
        for i in sorted(self.dirty):
            self.log("ticket", i, "update", None)
        logged = {e["row_id"] for e in self.logs if e["entity"] == "outreach_call"}
        for i in self.calls.finish():  # projected anew: desks pull the row
            if i not in logged:
                self.log("outreach_call", i, "update", None)
        if self.logs:
            self.conn.execute(T["change_log"].insert(), self.logs)

    def renumber(self) -> None:
        """A number another ticket holds (numbered before its desk joined): the later
        ticket gets a new one and a ``renumbered`` event (:mod:`.joining`)."""
        from agentdesk.tickets import workflow

        touched = [*self.new_tickets, *sorted(self.dirty - set(self.new_tickets))]
        for ticket_id, number in self.ids.collisions(self.tickets, touched).items():
            state = self.tickets[ticket_id]
            ev = renumber_event(ticket_id, state["number"], number, self.now)
            if ev["id"] not in self.known_events:
                self.known_events.add(ev["id"])
                self.new_events.append(ev)
                self.log("ticket_event", ev["id"], "insert", None)
            self.project(state, "renumbered", "", workflow.decode(ev["data"]), self.now)
            self.dirty.add(ticket_id)

    def apply(self, change: dict) -> None:
        entity, op, payload = change["entity"], change["op"], change["payload"]
        cid, row_id = change["change_id"], change["row_id"]
        conn = self.conn
        if entity == "agent":
            row = codec.to_python(entity, payload)
            taken = conn.execute(sa.select(T["agent"].c.id).where(
                sa.or_(T["agent"].c.id == row["id"], T["agent"].c.code == row["code"]))).first()
            if taken is None:
                # a desk's say-so grants no role here, nor a PIN: `agentdesk central agent`
                conn.execute(T["agent"].insert(), {**row, "role": "agent", "pin_hash": ""})
                self.log(entity, row_id, op, cid)
        elif entity == "agent_status":  # a status change: kept once, never updated
            row, status = codec.to_python(entity, payload), T["agent_status"]
            if conn.execute(sa.select(status.c.id).where(status.c.id == row["id"])
                            ).first() is None:
                conn.execute(status.insert(), row)
                self.log(entity, row_id, op, cid)
        elif entity in ("contact", "incident"):
            row = codec.to_python(entity, payload)
            if "customer_id" in row:
                row["customer_id"] = self.ids.canonical(row["customer_id"])
            upsert(conn, T[entity], [row])
            self.log(entity, row_id, op, cid)
        elif entity in ("notice", "notice_event"):
            self.notice(change)
        elif entity == "outreach_call":
            refused = self.calls.call(payload)
            if refused:
                self.refuse(change, refused)
            else:
                self.log(entity, row_id, op, cid)
        elif entity == "outreach_event":
            if self.calls.event(payload):
                self.log(entity, row_id, op, cid)
        elif entity == "customer":
            self.customer(change)
        elif entity == "ticket":
            if row_id not in self.tickets:
                row = codec.to_python(entity, payload)
                row["customer_id"] = self.ids.canonical(row.get("customer_id"))
                self.tickets[row_id] = row
                self.new_tickets.append(row_id)
                self.log(entity, row_id, op, cid)
        elif entity == "ticket_event":
            self.ticket_event(change)
        elif entity == "ticket_article":  # a link: kept once, carried in the log entry
            row, link = codec.to_python(entity, payload), T["ticket_article"]
            if conn.execute(sa.select(link.c.ticket_id).where(
                    link.c.ticket_id == row["ticket_id"],
                    link.c.article_id == row["article_id"])).first() is None:
                conn.execute(link.insert(), row)
                self.log(entity, row_id, op, cid, payload)
        else:
            raise CentralError(t("msg.sync.central.apply.unknown_change_entity_change",
                                 entity=entity, cid=cid))

    # notices: a supervisor's only (the centre's agent table says who is one)
    def notice(self, change: dict) -> None:
        entity, payload = change["entity"], change["payload"]
        row = codec.to_python(entity, payload)
        agent = T["agent"]
        role = self.conn.execute(sa.select(agent.c.role).where(
            agent.c.id == row.get("agent_id"))).scalar() if row.get("agent_id") else None
        if role != "supervisor":
            self.refuse(change, f"{entity} by agent {row.get('agent_id') or '?'}: only a "
                                f"supervisor publishes notices (role here: {role or 'none'})")
            return
        if entity == "notice":
            upsert(self.conn, T["notice"], [row])
        elif self.conn.execute(sa.select(T["notice_event"].c.id).where(
                T["notice_event"].c.id == row["id"])).first() is None:
            self.conn.execute(T["notice_event"].insert(), row)
        else:
            return
        self.log(entity, change["row_id"], change["op"], change["change_id"])

    def refuse(self, change: dict, reason: str) -> None:
        """A change the centre will not apply (not the desk's to make): set aside with
        the reason, like a change a constraint refuses, and reported to the desk."""
        self.conn.execute(T["quarantine"].insert(), {
            "change_id": change["change_id"], "desk_id": self.desk_id,
            "entity": change["entity"], "row_id": change["row_id"], "op": change["op"],
            "reason": reason,
            "payload": json.dumps(change["payload"], ensure_ascii=False, default=str)})
        self.result.quarantined.append({"change_id": change["change_id"],
                                        "entity": change["entity"],
                                        "row_id": change["row_id"], "reason": reason})

    # customers: field edits win in receipt order; the overwritten value is audited
    def customer(self, change: dict) -> None:
        conn, customer, payload = self.conn, T["customer"], change["payload"]
        cid = self.ids.canonical(change["row_id"]) or change["row_id"]
        current = conn.execute(sa.select(customer).where(customer.c.id == cid)
                               .with_for_update()).mappings().first()
        if current is None and self.refused_customer(change, cid):
            return
        if change["op"] == "phones":
            ph = T["customer_phone"]
            old = [r.e164 for r in conn.execute(sa.select(ph.c.e164).where(
                ph.c.customer_id == cid).order_by(ph.c.position))]
            new = payload["phones"]
            conn.execute(ph.delete().where(ph.c.customer_id == cid))
            if new:
                conn.execute(ph.insert(), [{**p, "customer_id": cid} for p in new])
            if old != [p["e164"] for p in new]:
                self.audit(cid, change, {"field": "phones", "old": old,
                                         "new": [p["e164"] for p in new]})
        elif current is None:
            if change["op"] != "insert":
                return  # an edit of a customer the centre does not have: nothing to edit
            holder = self.ids.holder(payload["account_no"], cid)
            if holder is not None:  # the same account, another id: the centre's wins
                for moved in self.ids.alias(cid, holder):  # tickets that came first
                    self.log("ticket", moved, "update", None)
                for state in self.tickets.values():
                    if state.get("customer_id") == cid:
                        state["customer_id"] = holder
                        self.dirty.add(state["id"])
                # logged again, so the desk pulls the centre's row and gives way to it
                self.log("customer", holder, "update", change["change_id"])
                return
            conn.execute(customer.insert(), codec.to_python("customer", payload))
            if payload.get("phones"):  # a desk's own customer, sent when it joins
                conn.execute(T["customer_phone"].insert(),
                             [{**codec.to_python("customer_phone", p), "customer_id": cid}
                              for p in payload["phones"]])
        else:
            fields = payload if change["op"] == "insert" else payload["fields"]
            values = codec.to_python("customer", {k: v for k, v in fields.items()
                                                  if k not in ("id", "created_at")})
            changed = {k: v for k, v in values.items() if current[k] != v}
            for key, value in changed.items():
                if key == "updated_at":
                    continue
                self.audit(cid, change, {"field": key, "old": codec.wire(current[key]),
                                         "new": codec.wire(value),
                                         "desk_old": payload.get("old", {}).get(key)})
            if changed:
                conn.execute(customer.update().where(customer.c.id == cid).values(**changed))
        self.customers.add(cid)
        self.log("customer", cid, change["op"], change["change_id"])

    def refused_customer(self, change: dict, cid: str) -> bool:
        """A desk's own new customer (a provisional 临时户号 made from a call) while the
        centre does not allow desks to make them: refused here too, not only on the desk
        (a desk with an old setting, or one that skipped the check), and so are its
        phones."""
        from agentdesk.customers import from_call

        if cid in self.refused:
            self.refuse(change, f"customer {cid}: its record was refused")
            return True
        account = str(change["payload"].get("account_no") or "")
        if change["op"] != "insert" or not account.startswith(from_call.ACCOUNT_PREFIX):
            return False
        setting = T["central_setting"]
        allowed = self.conn.execute(sa.select(setting.c.body).where(
            setting.c.name == from_call.SETTING)).scalar()
        if (allowed or "").strip().lower() == "on":
            return False
        self.refused.add(cid)
        self.refuse(change, f"customer {account}: the centre does not allow desks to "
                            f"create customers ({from_call.SETTING} is off)")
        return True

    def audit(self, customer_id: str, change: dict, detail: dict) -> None:
        self.conn.execute(T["audit_log"].insert(), {
            "id": new_id(), "at": self.now, "agent_id": f"sync:{self.desk_id}",
            "action": "sync_overwrite", "entity": "customer", "entity_id": customer_id,
            "detail": json.dumps({**detail, "change_id": change["change_id"]},
                                 ensure_ascii=False)})

    # ticket events: append-only, projected onto the ticket in receipt order
    def ticket_event(self, change: dict) -> None:
        from agentdesk.tickets import workflow

        ev = codec.to_python("ticket_event", change["payload"])
        if ev["id"] in self.known_events:
            return  # the same event again (another change id, e.g. a re-enqueue)
        if ev["kind"] in SUPERVISOR_KINDS:  # a supervisor's only: the centre's agent table says
            agent = T["agent"]
            role = self.conn.execute(sa.select(agent.c.role).where(
                agent.c.id == ev["agent_id"])).scalar() if ev["agent_id"] else None
            if role != "supervisor":
                self.refuse(change, f"{ev['kind']} by agent {ev['agent_id'] or '?'}: only a "
                                    f"supervisor raises a 督办 (role here: {role or 'none'})")
                return
        self.known_events.add(ev["id"])
        self.new_events.append(ev)
        self.log("ticket_event", ev["id"], "insert", change["change_id"])
        state = self.tickets.get(ev["ticket_id"])
        if state is None:
            return  # a ticket the centre never received (a desk's pre-sync data)
        data = workflow.decode(ev["data"])
        owner_before = state["owner_id"]
        rejected = (ev["kind"] in OWNERSHIP_KINDS and "expect_owner" in data
                    and owner_before != data["expect_owner"])
        self.project(state, ev["kind"], ev["to_status"], data, ev["at"])
        state["customer_id"] = self.ids.canonical(state.get("customer_id"))
        if rejected:
            self.reject(state, owner_before, ev)
            comp = {"id": new_id(), "ticket_id": state["id"], "at": self.now, "agent_id": None,
                    "kind": "conflict", "from_status": "", "to_status": "",
                    "note": "所有权冲突：已由他人先行接手",
                    "data": workflow.encode({"owner_id": owner_before,
                                             "rejected_event": ev["id"],
                                             "rejected_owner": data.get("owner_id")})}
            self.new_events.append(comp)
            self.known_events.add(comp["id"])
            self.log("ticket_event", comp["id"], "insert", None)
            self.project(state, "conflict", "", {"owner_id": owner_before}, self.now)
        elif state["owner_id"] != owner_before:
            self.owner_since[state["id"]] = self.now
        self.dirty.add(state["id"])

    @staticmethod
    def project(state: dict, kind: str, to_status: str, data: dict, at: datetime) -> None:
        from agentdesk.tickets import workflow

        current = {k: state[k] for k in workflow.FIELDS if k in state}
        current["status"] = state["status"]
        new = workflow.apply(current, kind, to_status, data, at)
        state.update({k: v for k, v in new.items()
                      if k in T["ticket"].c and k not in ("id", "created_at")})

    def reject(self, state: dict, winner_id: str, ev: dict) -> None:
        """Tell the losing desk: a conflict change with who holds the ticket since when."""
        conn, agent, log, events = self.conn, T["agent"], T["change_log"], T["ticket_event"]
        winner = conn.execute(sa.select(agent.c.name, agent.c.code).where(
            agent.c.id == winner_id)).first()
        taken_at = self.owner_since.get(state["id"])
        if taken_at is None:
            for at, data in conn.execute(
                    sa.select(log.c.at, events.c.data)
                    .join(events, events.c.id == log.c.row_id)
                    .where(log.c.entity == "ticket_event", events.c.ticket_id == state["id"],
                           events.c.kind.in_((*OWNERSHIP_KINDS, "created", "conflict")))
                    .order_by(log.c.seq.desc())):
                if json.loads(data or "{}").get("owner_id") == winner_id:
                    taken_at = aware(at)
                    break
        conflict = {
            "id": new_id(), "desk_id": self.desk_id, "ticket_id": state["id"],
            "ticket_number": state["number"], "event_id": ev["id"],
            "agent_id": ev["agent_id"] or "", "winner_id": winner_id,
            "winner_name": winner.name if winner else "",
            "winner_code": winner.code if winner else "",
            "taken_at": codec.wire(taken_at) if taken_at else None,
            "decided_at": codec.wire(self.now)}
        self.result.conflicts.append(conflict)
        self.log("conflict", conflict["id"], "insert", None, conflict)

