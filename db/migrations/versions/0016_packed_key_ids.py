"""customer_key stores the customer id packed (16 bytes, not 36 characters); no contact index by number

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

Issue 21, item 2 (compact desk storage): ``agentdesk db stats`` found customer_key to be
47 % of a desk file, about 10 rows a customer, each repeating the customer's 36-character
id. The id is now stored as the uuid's 16 bytes (ids that are not uuid text stay text;
:func:`agentdesk.core.ids.packed`), which also drops the foreign key (a packed id is not
the customer's text id; the writers that delete a customer delete its keys). The table is
rebuilt in key order, in the migration's one transaction.

``ix_contact_number`` goes: no query the desk runs uses it (tests/test_index_use.py; the
repeat callers are read by time, then grouped by number), and the contact table gains a
row a call.
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0016"
down_revision: Union[str, None] = "0015"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_TABLE = """CREATE TABLE {name} (
    key VARCHAR NOT NULL,
    customer_id {kind} NOT NULL,
    {fk}PRIMARY KEY (key, customer_id)
) WITHOUT ROWID"""


def _rebuild(kind: str, convert: str, fk: str) -> None:
    from agentdesk.core import ids

    ids.register(op.get_bind().connection.dbapi_connection)  # key_ref / key_id
    op.execute(_TABLE.format(name="customer_key_new", kind=kind, fk=fk))
    op.execute(f"INSERT OR IGNORE INTO customer_key_new (key, customer_id) "
               f"SELECT key, {convert}(customer_id) AS ref FROM customer_key ORDER BY key, ref")
    op.execute("DROP TABLE customer_key")
    op.execute("ALTER TABLE customer_key_new RENAME TO customer_key")


def upgrade() -> None:
    _rebuild("BLOB", "key_ref", "")
    op.execute("DROP INDEX IF EXISTS ix_contact_number")


def downgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_contact_number ON contact (number)")
    _rebuild("VARCHAR", "key_id",
             "FOREIGN KEY(customer_id) REFERENCES customer (id) ON DELETE CASCADE,\n    ")
