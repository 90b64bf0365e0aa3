"""lookup keys, rules 2: account and meter numbers of any shape, punctuation-free address
keys; customers by district and name

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

search_keys.RULES 2 adds ``r`` (account) and ``m`` (meter) keys and drops punctuation
and brackets from address keys, so every customer's keys are computed again here (in key
order: search_keys.rebuild_all), and a desk finds ``WX-0003`` as soon as it opens. The
index on (district, name) answers a caller who gives a district and a surname
(``岳麓区 张``) without reading every 张.
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0009"
down_revision: Union[str, None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    from agentdesk.core import search_keys

    op.create_index("ix_customer_district_name", "customer", ["district", "name"])
    search_keys.rebuild_all(op.get_bind().connection.dbapi_connection)


def downgrade() -> None:
    op.drop_index("ix_customer_district_name", table_name="customer")
