"""What a desk with a past brings to the centre, made one with what is there, inside the
push transaction:

* **customers by account number**: a desk's customer whose account the centre already
  has under another id becomes an alias of it (``customer_alias``); the centre's row
  wins, and every ticket, event and contact that names the alias is stored naming the
  centre's id. Desks learn the centre's id when they pull its customer (they give way:
  :func:`agentdesk.sync.pulled_customers._give_way`).
* **ticket numbers**: a ticket numbered before its desk had a desk number may carry a
  number another ticket holds already. The one that came later is renumbered
  deterministically (:func:`new_number`) with a ``renumbered`` event that keeps the old
  number, so ``agentdesk ticket show OLD`` still finds it. The same rule runs on a desk
  that pulls a number one of its own unsent tickets holds."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from agentdesk.sync.central.schema import T

_EVENT_NS = uuid.UUID("5d0c2f4e-8a41-4c55-9f2b-7d3e61a0b9c4")


def new_number(old: str, desk_id: str, taken: set[str] | None = None) -> str:
    """The number a colliding ticket of this desk gets: the old one and the desk's tag
    (the same on every machine that decides it, so the centre and the desk agree)."""
    from agentdesk.tickets.service import desk_tag

    number, n = f"{old}-{desk_tag(desk_id)}", 1
    while taken and number in taken:
        n += 1
        number = f"{old}-{desk_tag(desk_id)}{n}"
    return number


def renumber_event(ticket_id: str, old: str, new: str, at: object) -> dict:
    """The event that records a renumbering; its id follows from what it says, so the
    centre and a desk deciding the same renumbering write one event, not two."""
    from agentdesk.tickets import workflow

    return {"id": str(uuid.uuid5(_EVENT_NS, f"{ticket_id}:{old}:{new}")),
            "ticket_id": ticket_id, "at": at, "agent_id": None, "kind": "renumbered",
            "from_status": "", "to_status": "", "note": f"编号冲突：原编号 {old}",
            "data": workflow.encode({"number": new, "old_number": old})}


class Identities:
    """Customer aliases and taken ticket numbers, as this push transaction sees them."""

    def __init__(self, conn: sa.Connection, desk_id: str) -> None:
        self.conn, self.desk_id = conn, desk_id
        self.aliases: dict[str, str] = {}

    def load(self, ids: list[str]) -> None:
        """Read the aliases of these ids in one go (the rest are themselves)."""
        alias = T["customer_alias"]
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            found = dict(self.conn.execute(sa.select(alias.c.alias_id, alias.c.customer_id)
                                           .where(alias.c.alias_id.in_(chunk))).all())
            self.aliases.update({i: found.get(i, i) for i in chunk})

    def canonical(self, customer_id: str | None) -> str | None:
        """The centre's id for a customer id a desk names (itself when not an alias)."""
        if not customer_id:
            return customer_id
        if customer_id not in self.aliases:
            alias = T["customer_alias"]
            self.aliases[customer_id] = self.conn.execute(
                sa.select(alias.c.customer_id).where(alias.c.alias_id == customer_id)
            ).scalar() or customer_id
        return self.aliases[customer_id]

    def holder(self, account_no: str, customer_id: str) -> str | None:
        """The id under which the centre has this account, when not ``customer_id``."""
        customer = T["customer"]
        return self.conn.execute(sa.select(customer.c.id).where(
            customer.c.account_no == account_no, customer.c.id != customer_id)).scalar()

    def alias(self, alias_id: str, customer_id: str) -> list[str]:
        """Record the alias and re-point what already names it (a desk's tickets may
        reach the centre before the customer they name). Returns the tickets re-pointed."""
        alias, ticket, contact = T["customer_alias"], T["ticket"], T["contact"]
        if self.conn.execute(sa.select(alias.c.alias_id).where(
                alias.c.alias_id == alias_id)).first() is None:
            self.conn.execute(alias.insert(), {"alias_id": alias_id, "customer_id": customer_id,
                                               "desk_id": self.desk_id})
        self.aliases[alias_id] = customer_id
        self.conn.execute(contact.update().where(contact.c.customer_id == alias_id)
                          .values(customer_id=customer_id))
        moved = list(self.conn.execute(sa.select(ticket.c.id).where(
            ticket.c.customer_id == alias_id)).scalars())
        if moved:
            self.conn.execute(ticket.update().where(ticket.c.customer_id == alias_id)
                              .values(customer_id=customer_id))
        return moved

    def collisions(self, tickets: dict[str, dict], ids: list[str]) -> dict[str, str]:
        """Of these tickets, those whose number another ticket holds: id -> new number.
        A ticket already at the centre keeps its number; among new ones, the first."""
        ticket = T["ticket"]
        numbers = {i: tickets[i]["number"] for i in ids}
        held: dict[str, str] = {}
        wanted = sorted(set(numbers.values()))
        for start in range(0, len(wanted), 1000):
            for number, other in self.conn.execute(sa.select(ticket.c.number, ticket.c.id)
                                                   .where(ticket.c.number.in_(
                                                       wanted[start:start + 1000]))):
                held.setdefault(number, other)
        out: dict[str, str] = {}
        for i in ids:  # receipt order
            holder = held.setdefault(numbers[i], i)
            if holder != i:
                taken = set(held)
                out[i] = new_number(numbers[i], self.desk_id, taken)
                held[out[i]] = i
        return out
