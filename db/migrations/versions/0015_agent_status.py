"""agent sign-in, status and screen lock: agent_status rows, the agent's PIN hash

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

Issue 19 ("what an agent misses"): an agent's status (ready / break / after-call work;
``off`` when signed out) is one ``agent_status`` row per change, the latest being the
status now; it syncs to the centre so the supervisor's monitor shows it. ``agent.pin_hash``
is the screen lock's PIN as a salted scrypt hash (agentdesk/core/agents.py), set at the
centre and pulled. Existing agents get no PIN (the lock asks for the 工号 again).
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import agentdesk.core.models

revision: str = "0015"
down_revision: Union[str, None] = "0014"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_S = sqlmodel.sql.sqltypes.AutoString
_T = agentdesk.core.models.UTCDateTime


def upgrade() -> None:
    op.execute("ALTER TABLE agent ADD COLUMN pin_hash VARCHAR NOT NULL DEFAULT ''")
    op.create_table(
        "agent_status",
        sa.Column("id", _S(), nullable=False),
        sa.Column("agent_id", _S(), nullable=False),
        sa.Column("code", _S(), nullable=False),
        sa.Column("status", _S(), nullable=False),
        sa.Column("since", _T(length=26), nullable=False),
        sa.Column("desk", _S(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agent_status_code_since", "agent_status", ["code", "since"])


def downgrade() -> None:
    op.drop_index("ix_agent_status_code_since", table_name="agent_status")
    op.drop_table("agent_status")
    op.execute("ALTER TABLE agent DROP COLUMN pin_hash")
