"""sync: outbox, cursor, conflicts, central event order

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

``sync_outbox`` holds every local change (contacts, tickets, ticket events, customer
edits, agents) until the central store has applied it; it is written in the same
transaction as the change (agentdesk/sync/outbox.py). ``sync_meta`` keeps the pull
cursor (moved in the same transaction as the pulled rows). ``sync_conflict`` records
claims and hand-overs of this desk that the centre rejected. ``sync_event_seq`` is the
centre's order of ticket events, so every desk replays them in the same order.
Nothing existing is enqueued here: a desk's own rows are enqueued when it first
registers with a centre (agentdesk/sync/engine.py).
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import agentdesk.core.models

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_S = sqlmodel.sql.sqltypes.AutoString
_T = agentdesk.core.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "sync_outbox",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("change_id", _S(), nullable=False),
        sa.Column("entity", _S(), nullable=False),
        sa.Column("row_id", _S(), nullable=False),
        sa.Column("op", _S(), nullable=False),
        sa.Column("payload", _S(), nullable=False),
        sa.Column("made_at", _T(length=26), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("change_id"),
    )
    op.create_table(
        "sync_meta",
        sa.Column("key", _S(), nullable=False),
        sa.Column("value", _S(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "sync_conflict",
        sa.Column("id", _S(), nullable=False),
        sa.Column("ticket_id", _S(), nullable=False),
        sa.Column("ticket_number", _S(), nullable=False),
        sa.Column("event_id", _S(), nullable=False),
        sa.Column("agent_id", _S(), nullable=False),
        sa.Column("winner_id", _S(), nullable=False),
        sa.Column("winner_name", _S(), nullable=False),
        sa.Column("taken_at", _T(length=26), nullable=True),
        sa.Column("decided_at", _T(length=26), nullable=True),
        sa.Column("seen", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sync_conflict") as batch:
        batch.create_index(batch.f("ix_sync_conflict_ticket_id"), ["ticket_id"], unique=False)
    op.create_table(
        "sync_event_seq",
        sa.Column("event_id", _S(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("sync_event_seq") as batch:
        batch.create_index(batch.f("ix_sync_event_seq_seq"), ["seq"], unique=False)


def downgrade() -> None:
    op.drop_table("sync_event_seq")
    op.drop_table("sync_conflict")
    op.drop_table("sync_meta")
    op.drop_table("sync_outbox")
