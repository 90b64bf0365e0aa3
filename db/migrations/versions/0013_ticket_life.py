"""ticket: complaint class, channel, chase-ups, reopenings, the department's reply

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

The ticket's life as a 95598 or water centre runs it (issue 17), projected from the events
like the rest of the row (workflow.FIELDS): ``complaint_class`` (a complaint's class code,
e.g. ``service.attitude``), ``channel`` (where the request came in), ``chase_count``
(催办 events), ``reopen_count`` (reopen events, 回访 不满意 included), ``reply`` and
``reply_due`` (the department's last answer and its expected fix time) and ``follows_id``
(the closed ticket a new one follows up). Plain ALTERs, no table copy: other tables refer
to tickets and ticket_event's triggers would have to be made again. Existing tickets get
their reopenings counted from their events and the channel of their call, if any.
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0013"
down_revision: Union[str, None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = (
    "complaint_class VARCHAR NOT NULL DEFAULT ''",
    "channel VARCHAR NOT NULL DEFAULT 'phone'",
    "chase_count INTEGER NOT NULL DEFAULT 0",
    "reopen_count INTEGER NOT NULL DEFAULT 0",
    "reply VARCHAR NOT NULL DEFAULT ''",
    "reply_due VARCHAR(26)",
    "follows_id VARCHAR",
)
BACKFILL = """
UPDATE ticket SET reopen_count = (SELECT count(*) FROM ticket_event e
                                  WHERE e.ticket_id = ticket.id AND e.kind = 'reopen')
WHERE id IN (SELECT ticket_id FROM ticket_event WHERE kind = 'reopen')
"""
CHANNEL = """
UPDATE ticket SET channel = (SELECT c.channel FROM contact c WHERE c.id = ticket.contact_id)
WHERE contact_id IS NOT NULL AND EXISTS (SELECT 1 FROM contact c
                                         WHERE c.id = ticket.contact_id AND c.channel != '')
"""


def upgrade() -> None:
    for column in COLUMNS:
        op.execute(f"ALTER TABLE ticket ADD COLUMN {column}")
    op.execute(BACKFILL)
    op.execute(CHANNEL)


def downgrade() -> None:
    for column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE ticket DROP COLUMN {column.split()[0]}")
