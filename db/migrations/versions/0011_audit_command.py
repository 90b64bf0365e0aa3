"""audit_log: the command and what it showed

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10

Every command that prints customer data (lookup, export, ticket show/list, report, sync's
conflict listing) writes an audit row (issue 20): ``command`` names it, ``shown`` lists
what it showed (customer ids, ticket numbers, caller numbers; JSON) and ``shown_count``
says how many records that was (an export's count without its list). Earlier rows get
''/''/0.

Plain ``ALTER TABLE ... ADD COLUMN`` (no batch copy): the table keeps the triggers that
make it append-only. The columns are nullable because the centre copies this table's
columns without their defaults (agentdesk/sync/central/schema.py) and writes rows of its
own that never set them.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: Union[str, None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("command", _S(), nullable=True, server_default=""))
    op.add_column("audit_log", sa.Column("shown", _S(), nullable=True, server_default=""))
    op.add_column("audit_log", sa.Column("shown_count", sa.Integer(), nullable=True,
                                         server_default="0"))


def downgrade() -> None:
    for column in ("shown_count", "shown", "command"):  # not a batch copy: keep the triggers
        op.execute(f"ALTER TABLE audit_log DROP COLUMN {column}")
