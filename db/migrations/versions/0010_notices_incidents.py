"""notices and incidents: several areas; notices' kinds, restoration, withdrawal and
revisions; incidents' cause, opener and closer; calls linked to an incident

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

A notice's area was one district/street/community; a centre publishes one notice over
several, down to a building (agentdesk/core/areas.py). The old columns move into
``areas`` (JSON) and are dropped, so the area has one home. ``unplanned`` becomes
``fault``. Revisions are ``notice_event`` rows, append-only like ticket events; each
existing notice gets its ``publish`` event. Incidents get the same ``areas`` (their
district/street/community move there), an address, the cause they are closed with, who
opened and closed them and the ticket they were opened from; a call (contact) may link
to one.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import agentdesk.core.models

revision: str = "0010"
down_revision: Union[str, None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_S = sqlmodel.sql.sqltypes.AutoString
_T = agentdesk.core.models.UTCDateTime

# The same conversion runs at a centre (sync/central/schema.py, schema 6).
AREAS_FROM_COLUMNS = """
UPDATE notice SET areas = json_array(json_array(district, street, community, ''))
"""
PUBLISH_EVENTS = """
INSERT INTO notice_event (id, notice_id, at, agent_id, kind, revision, data)
SELECT id, id, created_at, NULL, 'publish', 1, '{}' FROM notice
"""


INCIDENT_AREAS = """
UPDATE incident SET areas = json_array(json_array(district, street, community, ''))
"""


def upgrade() -> None:
    with op.batch_alter_table("notice") as batch:
        batch.add_column(sa.Column("areas", _S(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("restore_by", _T(length=26), nullable=True))
        batch.add_column(sa.Column("status", _S(), nullable=False, server_default="active"))
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False,
                                   server_default="1"))
        batch.add_column(sa.Column("agent_id", _S(), nullable=True))
        batch.add_column(sa.Column("note", _S(), nullable=False, server_default=""))
        batch.add_column(sa.Column("updated_at", _T(length=26), nullable=True))
    op.execute(AREAS_FROM_COLUMNS)
    op.execute("UPDATE notice SET kind = 'fault' WHERE kind = 'unplanned'")
    op.execute("UPDATE notice SET updated_at = created_at")
    with op.batch_alter_table("notice") as batch:
        batch.drop_column("district")
        batch.drop_column("street")
        batch.drop_column("community")
        batch.alter_column("updated_at", existing_type=_T(length=26), nullable=False)
        batch.create_foreign_key("fk_notice_agent_id", "agent", ["agent_id"], ["id"])
    op.create_table(
        "notice_event",
        sa.Column("id", _S(), nullable=False),
        sa.Column("notice_id", _S(), nullable=False),
        sa.Column("at", _T(length=26), nullable=False),
        sa.Column("agent_id", _S(), nullable=True),
        sa.Column("kind", _S(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("data", _S(), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"]),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notice_event_notice_id", "notice_event", ["notice_id"])
    op.execute(PUBLISH_EVENTS)
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER notice_event_no_{verb.lower()} BEFORE {verb} ON "
                   "notice_event BEGIN SELECT RAISE(ABORT, 'notice_event is append-only'); END")
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("areas", _S(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("address", _S(), nullable=False, server_default=""))
        batch.add_column(sa.Column("cause", _S(), nullable=False, server_default=""))
        batch.add_column(sa.Column("opened_by", _S(), nullable=True))
        batch.add_column(sa.Column("closed_by", _S(), nullable=True))
        batch.add_column(sa.Column("ticket_id", _S(), nullable=True))
    op.execute(INCIDENT_AREAS)
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("district")
        batch.drop_column("street")
        batch.drop_column("community")
        batch.create_foreign_key("fk_incident_opened_by", "agent", ["opened_by"], ["id"])
        batch.create_foreign_key("fk_incident_closed_by", "agent", ["closed_by"], ["id"])
    # contact may be big: a plain ADD COLUMN (no table copy), its reference declared inline
    op.execute("ALTER TABLE contact ADD COLUMN incident_id VARCHAR REFERENCES incident (id)")


def downgrade() -> None:
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("incident_id")
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("district", _S(), nullable=False, server_default=""))
        batch.add_column(sa.Column("street", _S(), nullable=False, server_default=""))
        batch.add_column(sa.Column("community", _S(), nullable=False, server_default=""))
    op.execute("UPDATE incident SET district = json_extract(areas, '$[0][0]'), "
               "street = json_extract(areas, '$[0][1]'), "
               "community = json_extract(areas, '$[0][2]')")
    with op.batch_alter_table("incident") as batch:
        batch.drop_constraint("fk_incident_opened_by", type_="foreignkey")
        batch.drop_constraint("fk_incident_closed_by", type_="foreignkey")
        for name in ("areas", "address", "cause", "opened_by", "closed_by", "ticket_id"):
            batch.drop_column(name)
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS notice_event_no_{verb}")
    op.drop_index("ix_notice_event_notice_id", table_name="notice_event")
    op.drop_table("notice_event")
    with op.batch_alter_table("notice") as batch:
        batch.add_column(sa.Column("district", _S(), nullable=False, server_default=""))
        batch.add_column(sa.Column("street", _S(), nullable=False, server_default=""))
        batch.add_column(sa.Column("community", _S(), nullable=False, server_default=""))
    op.execute("UPDATE notice SET district = json_extract(areas, '$[0][0]'), "
               "street = json_extract(areas, '$[0][1]'), "
               "community = json_extract(areas, '$[0][2]')")
    op.execute("UPDATE notice SET kind = 'unplanned' WHERE kind = 'fault'")
    with op.batch_alter_table("notice") as batch:
        batch.drop_constraint("fk_notice_agent_id", type_="foreignkey")
        for name in ("areas", "restore_by", "status", "revision", "agent_id", "note",
                     "updated_at"):
            batch.drop_column(name)
