"""Which knowledge-base articles answered a ticket (no textual import). The monitor counts
these rows as answers given from the knowledge base."""

from __future__ import annotations

from sqlmodel import Session

from agentdesk.core.i18n import t
from agentdesk.core import clock, store
from agentdesk.core.models import utc_text


class LinkError(ValueError):
    """The ticket or the article does not exist."""


def link(session: Session, ticket_id: str, article_id: str, agent_code: str = "") -> bool:
    """Record that ``article_id`` answered ``ticket_id``; False when it already was."""
    conn = session.connection()
    if not conn.exec_driver_sql("SELECT 1 FROM ticket WHERE id = ?", (ticket_id,)).first():
        raise LinkError(t("msg.kb.links.no_ticket", ticket_id=ticket_id))
    if not conn.exec_driver_sql("SELECT 1 FROM kb_article WHERE id = ?", (article_id,)).first():
        raise LinkError(t("msg.kb.links.no_knowledge_base_article", article_id=article_id))
    agent_id = conn.exec_driver_sql("SELECT id FROM agent WHERE code = ?",
                                    (agent_code,)).scalar() if agent_code else None
    row = {"ticket_id": ticket_id, "article_id": article_id, "agent_id": agent_id,
           "at": utc_text(clock.now())}
    done = conn.exec_driver_sql(
        "INSERT OR IGNORE INTO ticket_article (ticket_id, article_id, agent_id, at) "
        "VALUES (:ticket_id, :article_id, :agent_id, :at)", row)
    if done.rowcount != 1:
        return False
    store.note_change(session, "ticket_article", row)  # the centre's KB figures count links
    return True


def articles_for(session: Session, ticket_id: str) -> list[str]:
    """The ids of the articles linked to a ticket, in the order they were linked."""
    rows = session.connection().exec_driver_sql(
        "SELECT article_id FROM ticket_article WHERE ticket_id = ? ORDER BY at, article_id",
        (ticket_id,))
    return [r[0] for r in rows]
