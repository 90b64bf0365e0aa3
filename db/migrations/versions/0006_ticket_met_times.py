"""ticket: when each clock was first met; indexes the monitor reads by

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

The ticket row projects from its events when each clock was first met (workflow.MET):
``responded_at`` (first left 受理), ``arrived_at`` (first reached 到场, or 回单 straight
away), ``called_back_at`` (first 回访 of the current call-back clock), as it already projects ``resolved_at``. The
supervisor monitor reads them instead of scanning every ticket event. Existing rows are
filled here from their events, by the reducer's own rules: the first (earliest) status
change that leaves 受理 for another status (the creation enters 受理 and answers nothing),
the first reaching 到场 or 回单, the first 回访 (after the last reopening, which starts a
new call-back clock).

Indexes for the monitor: tickets resolved in a span (agents' resolved today, the trend)
with their owner, tickets by incident (the calls an incident drew), and contacts by
start (repeat callers, calls under a notice).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import agentdesk.core.models

revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_T = agentdesk.core.models.UTCDateTime
MET = ("responded_at", "arrived_at", "called_back_at")

# One pass over the status changes, grouped by ticket (UPDATE ... FROM: SQLite 3.33+).
BACKFILL = """
UPDATE ticket SET responded_at = m.responded, arrived_at = m.arrived,
                  called_back_at = m.called_back
FROM (SELECT ticket_id,
             min(CASE WHEN from_status = 'accepted' AND to_status != 'accepted'
                      THEN at END) AS responded,
             min(CASE WHEN to_status IN ('on_site', 'resolved') THEN at END) AS arrived,
             min(CASE WHEN to_status = 'called_back' THEN at END) AS called_back
      FROM ticket_event WHERE to_status != '' GROUP BY ticket_id) AS m
WHERE m.ticket_id = ticket.id
"""
# A reopening (回访 不满意) starts a new call-back clock: met by the first 回访 after it.
BACKFILL_REOPENED = """
UPDATE ticket SET called_back_at = (
    SELECT min(c.at) FROM ticket_event c
    WHERE c.ticket_id = ticket.id AND c.to_status = 'called_back'
      AND c.at > (SELECT max(r.at) FROM ticket_event r
                  WHERE r.ticket_id = ticket.id AND r.kind = 'reopen'))
WHERE id IN (SELECT ticket_id FROM ticket_event WHERE kind = 'reopen')
"""


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        for name in MET:
            batch.add_column(sa.Column(name, _T(length=26), nullable=True))
        batch.create_index("ix_ticket_resolved_at", ["resolved_at", "owner_id"], unique=False)
        batch.create_index(batch.f("ix_ticket_incident_id"), ["incident_id"], unique=False)
    with op.batch_alter_table("contact") as batch:
        batch.create_index(batch.f("ix_contact_started_at"), ["started_at"], unique=False)
    op.execute(BACKFILL)
    op.execute(BACKFILL_REOPENED)


def downgrade() -> None:
    with op.batch_alter_table("contact") as batch:
        batch.drop_index(batch.f("ix_contact_started_at"))
    with op.batch_alter_table("ticket") as batch:
        batch.drop_index(batch.f("ix_ticket_incident_id"))
        batch.drop_index("ix_ticket_resolved_at")
        for name in reversed(MET):
            batch.drop_column(name)
