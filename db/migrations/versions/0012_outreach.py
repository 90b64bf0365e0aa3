"""outreach: the calls made before an outage (主动服务) and their results

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

Publishing a notice builds a list of the vulnerable and key customers inside its areas,
each to be called by a time (agentdesk/centre/outreach.py): ``outreach_call``, one row per
notice and customer. A result is an ``outreach_event`` row, append-only like ticket
events. ``ix_customer_outreach`` indexes the address of only the customers such a list
can hold (tags or a key level: a few per cent of them), so a list over 50,000 customers
reads about two thousand index entries, not the area's every row. Nothing existing is
filled: a notice published before has no list.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import agentdesk.core.models

revision: str = "0012"
down_revision: Union[str, None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_S = sqlmodel.sql.sqltypes.AutoString
_T = agentdesk.core.models.UTCDateTime


def upgrade() -> None:
    op.create_index("ix_customer_outreach", "customer",
                    ["district", "street", "community", "building"],
                    sqlite_where=sa.text(agentdesk.core.models.OUTREACH_CANDIDATE))
    op.create_table(
        "outreach_call",
        sa.Column("id", _S(), nullable=False),
        sa.Column("notice_id", _S(), nullable=False),
        sa.Column("customer_id", _S(), nullable=False),
        sa.Column("reason", _S(), nullable=False),
        sa.Column("due_at", _T(length=26), nullable=False),
        sa.Column("in_area", sa.Boolean(), nullable=False),
        sa.Column("status", _S(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retry_at", _T(length=26), nullable=True),
        sa.Column("ticket_id", _S(), nullable=True),
        sa.Column("agent_id", _S(), nullable=True),
        sa.Column("created_at", _T(length=26), nullable=False),
        sa.Column("built_at", _T(length=26), nullable=False),
        sa.Column("updated_at", _T(length=26), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"]),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notice_id", "customer_id",
                            name="uq_outreach_call_notice_customer"),
    )
    op.create_index("ix_outreach_call_customer_id", "outreach_call", ["customer_id"])
    op.create_index("ix_outreach_call_status_due", "outreach_call", ["status", "due_at"])
    op.create_table(
        "outreach_event",
        sa.Column("id", _S(), nullable=False),
        sa.Column("call_id", _S(), nullable=False),
        sa.Column("at", _T(length=26), nullable=False),
        sa.Column("agent_id", _S(), nullable=True),
        sa.Column("result", _S(), nullable=False),
        sa.Column("retry_at", _T(length=26), nullable=True),
        sa.Column("ticket_id", _S(), nullable=True),
        sa.Column("note", _S(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["outreach_call.id"]),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outreach_event_call_id", "outreach_event", ["call_id"])
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER outreach_event_no_{verb.lower()} BEFORE {verb} ON "
                   "outreach_event BEGIN SELECT RAISE(ABORT, 'outreach_event is append-only'); "
                   "END")


def downgrade() -> None:
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS outreach_event_no_{verb}")
    op.drop_index("ix_outreach_event_call_id", table_name="outreach_event")
    op.drop_table("outreach_event")
    op.drop_index("ix_outreach_call_status_due", table_name="outreach_call")
    op.drop_index("ix_outreach_call_customer_id", table_name="outreach_call")
    op.drop_table("outreach_call")
    op.drop_index("ix_customer_outreach", table_name="customer")
