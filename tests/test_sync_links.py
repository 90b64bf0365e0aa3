"""A ticket's link to the knowledge-base article that answered it travels to the centre
and to every desk (the centre's "answered from the knowledge base" figure counts them).

Runs against a SQLite central file and a throw-away PostgreSQL database (``-m postgres``;
without PostgreSQL these fail when CI is set and skip loudly otherwise)."""

from __future__ import annotations

from pathlib import Path

from agentdesk.core import clock, store
from agentdesk.monitor import figures as monitor
from agentdesk.tickets import service as tickets
from agentdesk.kb import links, loader
from agentdesk.sync import engine, mirror
from tests.sync_helpers import centre_rows, desk_rows, new_desk

LINK_SQL = "SELECT ticket_id, article_id FROM ticket_article ORDER BY ticket_id, article_id"


def _sync(desk, centre) -> engine.SyncReport:
    return engine.sync_once(desk, centre, hook=lambda _n: None)


def _answered_ticket(desk) -> tuple[str, str]:
    """A consultation answered from the first shipped article: (ticket id, article id)."""
    with desk.session() as s:
        ticket = tickets.create(s, tickets.Draft(category="water.burst", description="停水咨询",
                                                 location="花园路"), "A1001")
        article = s.connection().exec_driver_sql(
            "SELECT id FROM kb_article ORDER BY id LIMIT 1").scalar()
        assert links.link(s, ticket.id, article, "A1001")
        assert not links.link(s, ticket.id, article, "A1001")  # once
    return ticket.id, article


def test_a_link_reaches_the_centre_every_desk_and_the_monitor_once(tmp_path: Path,
                                                                   centre) -> None:
    a, b = new_desk(tmp_path / "a.db"), new_desk(tmp_path / "b.db")
    for desk in (a, b):
        loader.ensure_shipped(desk)
    link = _answered_ticket(a)  # made before a's first sync: it waits in the outbox
    assert desk_rows(a, "SELECT count(*) FROM sync_outbox WHERE entity = 'ticket_article'"
                     ) == [(1,)]
    for desk in (a, b, a):
        _sync(desk, centre)
    assert centre_rows(centre, LINK_SQL) == [link]
    assert centre_rows(centre, "SELECT count(*) FROM change_log WHERE entity = "
                               "'ticket_article'") == [(1,)]
    assert desk_rows(b, LINK_SQL) == [link] and desk_rows(a, LINK_SQL) == [link]
    assert engine.waiting(a) == 0
    path = tmp_path / "mirror.db"
    mirror.first_pull(path, centre.url)
    wall = store.open_readonly(path)
    try:
        kpi = monitor.kpis(wall.raw(), *monitor.windows(clock.now())["7d"])
        assert kpi.kb_answered == 1 and kpi.tickets == 1
    finally:
        wall.dispose()
    for desk in (a, b):
        desk.dispose()


def test_a_resent_link_is_applied_once(tmp_path: Path, centre) -> None:
    a = new_desk(tmp_path / "a.db")
    loader.ensure_shipped(a)
    _sync(a, centre)
    ticket_id, article_id = _answered_ticket(a)
    rows = desk_rows(a, "SELECT change_id, entity, row_id, op, payload FROM sync_outbox "
                        "ORDER BY seq")
    import json

    changes = [{"change_id": c, "entity": e, "row_id": r, "op": o,
                "payload": json.loads(p)} for c, e, r, o, p in rows]
    me = engine.desk_id(a)
    first = centre.push(me, changes)
    again = centre.push(me, changes)
    assert first.applied == len(changes) and again.repeated == len(changes)
    assert centre_rows(centre, LINK_SQL) == [(ticket_id, article_id)]
    a.dispose()
