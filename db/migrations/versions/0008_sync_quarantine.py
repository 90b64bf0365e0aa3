"""sync_quarantine: pulled changes this desk could not apply

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

A pulled change that a constraint refuses (a row that cannot be made to fit) used to end
every sync with a traceback, for ever. Now the batch is applied again change by change;
a change that still fails is kept here with the reason (agentdesk/sync/pull.py) and the
sync goes on. Nothing existing is filled.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import agentdesk.core.models

revision: str = "0008"
down_revision: Union[str, None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_S = sqlmodel.sql.sqltypes.AutoString
_T = agentdesk.core.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "sync_quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entity", _S(), nullable=False),
        sa.Column("row_id", _S(), nullable=False),
        sa.Column("op", _S(), nullable=False),
        sa.Column("row", _S(), nullable=False),
        sa.Column("reason", _S(), nullable=False),
        sa.Column("at", _T(length=26), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("sync_quarantine")
