"""contact: how every call ended (wrap-up code), transfers out, unknown callers' details

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

A call that ends without a ticket still gets a reason (issue 19, "what an agent misses"):
``outcome`` (a wrap-up code, customers/wrapup.py), ``transfer_to`` and ``transfer_ref``
(the agency a call was transferred to and its receiving reference), ``caller_name``,
``caller_address`` and ``callback_number`` (what an unknown caller told the agent).
Plain ALTERs: tickets and contacts refer to each other, no table copy. Existing calls
keep an empty outcome (not wrapped up).
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0014"
down_revision: Union[str, None] = "0013"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = ("outcome", "transfer_to", "transfer_ref", "caller_name", "caller_address",
           "callback_number")


def upgrade() -> None:
    for column in COLUMNS:
        op.execute(f"ALTER TABLE contact ADD COLUMN {column} VARCHAR NOT NULL DEFAULT ''")


def downgrade() -> None:
    for column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE contact DROP COLUMN {column}")
