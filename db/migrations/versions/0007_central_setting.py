"""central_setting: settings pulled from the centre (its SLA policy)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

``central_setting(name, body, updated_at)`` holds what the centre hands every desk by
name; ``sla_policy`` is the centre's SLA table (TOML text, loaded there with ``agentdesk
central load sla``), applied over the shipped defaults and the desk's own file
(agentdesk/sla.py ``for_session``). Rows arrive only by pull (agentdesk/sync/engine.py);
they are reference data and never enter the outbox. Nothing existing is filled here: a
desk gets the row on its next sync.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import agentdesk.core.models

revision: str = "0007"
down_revision: Union[str, None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_S = sqlmodel.sql.sqltypes.AutoString
_T = agentdesk.core.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "central_setting",
        sa.Column("name", _S(), nullable=False),
        sa.Column("body", _S(), nullable=False),
        sa.Column("updated_at", _T(length=26), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("central_setting")
