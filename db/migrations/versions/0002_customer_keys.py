"""customer lookup keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

One WITHOUT ROWID B-tree of (key, customer_id) for caller lookup by phone suffix, pinyin,
given name and address (see agentdesk/search_keys.py). Existing customers are indexed by
the migration itself, so an older desk database can be searched as soon as it opens.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "customer_key",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key", "customer_id"),
        sqlite_with_rowid=False,
    )
    _index_existing()


def _index_existing() -> None:
    from agentdesk.core import search_keys

    conn = op.get_bind().connection.dbapi_connection
    ids = [row[0] for row in conn.execute("SELECT id FROM customer")]
    for start in range(0, len(ids), 20000):
        # the id as text, as this table held it until 0016 packed it
        conn.executemany("INSERT OR IGNORE INTO customer_key (key, customer_id) VALUES (?, ?)",
                         sorted(search_keys.current(conn, ids[start:start + 20000])))


def downgrade() -> None:
    op.drop_table("customer_key")
