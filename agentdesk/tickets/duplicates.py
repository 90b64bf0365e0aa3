"""The duplicate check before a new ticket (no textual import): an open ticket of the
same category at the same building, an open incident over the address, an outage notice
in force. Named in :mod:`agentdesk.tickets.service` too."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

from agentdesk.tickets import clocks


@dataclass(frozen=True)
class Duplicate:
    kind: str  # ticket / incident / notice
    id: str
    label: str  # ticket number, incident or notice title
    detail: str  # same_address / same_building / open_incident / notice_in_force



DUPLICATE_HOURS = 24


def duplicates(session: Session, category: str, customer_id: str | None) -> list[Duplicate]:
    """What to offer before dispatching again: an open ticket of the same category at the
    same building in the last day, an open incident of that category over the address,
    or an active outage notice over it (repairs only)."""
    from datetime import timedelta

    from agentdesk.core import clock
    from agentdesk.tickets import taxonomy
    from agentdesk.core.models import Customer, utc_text

    customer = session.get(Customer, customer_id) if customer_id else None
    if customer is None:
        return []
    now = clock.now()
    conn = session.connection()
    found: list[Duplicate] = []
    place = {"d": customer.district, "s": customer.street, "c": customer.community,
             "b": customer.building}
    for tid, number, room, unit in conn.execute(text(
            f"""SELECT t.id, t.number, c.room, c.unit FROM ticket t
               JOIN customer c ON c.id = t.customer_id
               WHERE t.created_at >= :since AND t.category = :cat
                 AND t.status IN ({clocks.sql_list(clocks.UNRESOLVED)})
                 AND c.district = :d AND c.street = :s AND c.community = :c
                 AND c.building = :b
               ORDER BY t.created_at DESC LIMIT 10"""),
            {**place, "cat": category,
             "since": utc_text(now - timedelta(hours=DUPLICATE_HOURS))}):
        same = unit == customer.unit and room == customer.room
        found.append(Duplicate("ticket", tid, number, "same_address" if same
                               else "same_building"))
    from agentdesk.core import areas

    address = {"district": customer.district, "street": customer.street,
               "community": customer.community, "building": customer.building}
    for iid, title in conn.execute(text(
            f"""SELECT id, title FROM incident WHERE status = 'open' AND category = :cat
               AND {areas.sql_covers("incident.areas")}"""), {**address, "cat": category}):
        found.append(Duplicate("incident", iid, title, "open_incident"))
    if taxonomy.load().category(category).business_type == "repair":
        for nid, title in conn.execute(text(
                f"""SELECT id, title FROM notice WHERE utility = :u AND status = 'active'
                   AND starts_at <= :now AND max(ends_at, coalesce(restore_by, '')) >= :now
                   AND {areas.sql_covers("notice.areas")}"""),
                {**address, "u": customer.utility, "now": utc_text(now)}):
            found.append(Duplicate("notice", nid, title, "notice_in_force"))
    return found
