"""Whether a desk's changes reach the sync outbox is the opener's choice: the app and
every command open a desk that syncs (the outbox hook on each writable session); a plain
``store.open_desk`` records nothing, and a sync refuses such a desk."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from agentdesk import cli_support
from agentdesk.core import agents, store
from agentdesk.kb import links, loader
from agentdesk.sync import central, engine, outbox
from agentdesk.tickets import service as tickets

OUTBOX_SQL = "SELECT entity, op FROM sync_outbox ORDER BY entity"


def _outbox(desk: store.Store) -> list[tuple[str, str]]:
    with desk.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(OUTBOX_SQL)]


def _answer_a_call(desk: store.Store) -> None:
    """An agent, a ticket and its link to a knowledge-base article (written by raw SQL)."""
    loader.ensure_shipped(desk)
    with desk.session() as s:
        agents.ensure(s, "A1001", "王芳")
        ticket = tickets.create(s, tickets.Draft(category="water.burst", description="停水",
                                                 location="花园路"), "A1001")
        article = s.connection().exec_driver_sql(
            "SELECT id FROM kb_article ORDER BY id LIMIT 1").scalar()
        assert links.link(s, ticket.id, article, "A1001")


def test_a_desk_opened_like_the_cli_records_its_changes(tmp_path: Path) -> None:
    args = argparse.Namespace(db=str(tmp_path / "d.db"), lang=None, agent=None)
    with cli_support.open_desk(cli_support.load_config(args)) as desk:
        assert outbox.captures(desk)
        _answer_a_call(desk)
        entities = {entity for entity, _op in _outbox(desk)}
    assert {"agent", "ticket", "ticket_event", "ticket_article"} <= entities


def test_a_desk_opened_like_the_app_records_its_changes(tmp_path: Path) -> None:
    desk = outbox.open_syncing_desk(tmp_path / "d.db")
    try:
        _answer_a_call(desk)
        assert ("ticket_article", "insert") in _outbox(desk)
        assert ("agent", "insert") in _outbox(desk)
    finally:
        desk.dispose()


def test_a_desk_opened_without_the_hook_records_nothing(tmp_path: Path) -> None:
    desk = store.open_desk(tmp_path / "d.db")
    try:
        assert not outbox.captures(desk)
        _answer_a_call(desk)
        with desk.session() as s:  # the writes themselves happened
            assert s.connection().exec_driver_sql(
                "SELECT count(*) FROM ticket_article").scalar() == 1
        assert _outbox(desk) == []
    finally:
        desk.dispose()


def test_a_sync_refuses_a_desk_opened_without_the_hook(tmp_path: Path) -> None:
    desk = store.open_desk(tmp_path / "d.db")
    centre = central.connect(f"sqlite:///{tmp_path / 'central.db'}")
    try:
        with pytest.raises(ValueError, match="open_syncing_desk"):
            engine.sync_once(desk, centre)
    finally:
        desk.dispose()
        centre.dispose()


def test_note_change_without_a_listener_does_nothing(tmp_path: Path) -> None:
    desk = store.open_desk(tmp_path / "d.db")
    try:
        with desk.session() as s:
            store.note_change(s, "ticket_article", {"ticket_id": "t", "article_id": "a"})
        assert _outbox(desk) == []
    finally:
        desk.dispose()

