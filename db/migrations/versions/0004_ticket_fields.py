"""ticket: complained-about party, pause

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

A complaint names who or what it is about (the quality gate requires it); a paused clock
(waiting for the caller) keeps when it paused, so deadlines can be shifted on resume.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import agentdesk.core.models

revision: str = "0004"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("complained_party", sqlmodel.sql.sqltypes.AutoString(),
                                   nullable=False, server_default=""))
        batch.add_column(sa.Column("paused_at", agentdesk.core.models.UTCDateTime(length=26),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("paused_at")
        batch.drop_column("complained_party")
