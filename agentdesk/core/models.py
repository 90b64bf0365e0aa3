"""SQLModel tables: the desk's data model.

Ids are uuid7 strings (see :mod:`agentdesk.core.ids`). Every timestamp is timezone-aware UTC:
:class:`UTCDateTime` refuses naive values and stores a fixed-width UTC text in SQLite,
so text order is time order and indexes on deadlines work.
Money is kept in fen (integer) to avoid float rounding.

500 lines: one table per class, every table of the desk in one module (Alembic's and the
centre's schema read them from this one metadata); splitting tables across modules would
only hide which ones exist.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from agentdesk.core.i18n import t
from agentdesk.core.ids import new_id

UTC = timezone.utc
_FMT = "%Y-%m-%d %H:%M:%S.%f"


class UTCDateTime(TypeDecorator):
    """Aware datetimes only; UTC text in SQLite, timestamptz elsewhere."""

    impl = sa.String(26)
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(26))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(t("msg.core.models.naive_datetime_refused_timestamps", value=value))
        value = value.astimezone(UTC)
        return value.strftime(_FMT) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_text(value: datetime) -> str:
    """The stored form of an instant, for raw SQL (bulk inserts, comparisons)."""
    return value.astimezone(UTC).strftime(_FMT)


def _now() -> datetime:
    from agentdesk.core import clock

    return clock.now()


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class Utility(StrEnum):
    WATER = "water"
    POWER = "power"


class CreditList(StrEnum):
    NONE = ""
    RED = "red"
    GREY = "grey"
    BLACK = "black"


class AreaClass(StrEnum):
    URBAN = "urban"
    RURAL = "rural"
    REMOTE = "remote"


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    TRAINER = "trainer"


class TicketStatus(StrEnum):
    ACCEPTED = "accepted"  # 受理
    DISPATCHED = "dispatched"  # 派单
    ON_SITE = "on_site"  # 到场
    RESOLVED = "resolved"  # 回单
    CALLED_BACK = "called_back"  # 回访
    ARCHIVED = "archived"  # 归档


class Priority(StrEnum):
    URGENT = "urgent"
    IMPORTANT = "important"
    GENERAL = "general"


class Agent(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    code: str = Field(unique=True, max_length=32)  # 工号, said in the greeting
    name: str
    role: str = Field(default=Role.AGENT.value)
    team: str = ""
    on_shift: bool = True
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    # The screen lock's PIN (migration 0015): a salted scrypt hash (core/agents.py), set at
    # the centre only (``agentdesk central agent CODE --pin``) and pulled by desks; empty:
    # no PIN, the lock asks for the 工号 again.
    pin_hash: str = ""


class AgentStatus(SQLModel, table=True):
    """An agent's status from ``since`` on (示闲 ready / 小休 break / 话后处理 acw; ``off``
    when signed out), one row per change, never updated (migration 0015): the last row of
    an agent is their status now. Made on the desk, synced like contacts; the monitor's
    agents tab shows each agent's latest."""

    __tablename__ = "agent_status"
    __table_args__ = (sa.Index("ix_agent_status_code_since", "code", "since"),)
    id: str = Field(default_factory=new_id, primary_key=True)
    agent_id: str = ""  # no foreign key: an agent the centre knows, a desk may not yet
    code: str = ""  # 工号, as the agents table has it
    status: str = ""  # ready / break / acw / off
    since: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    desk: str = ""  # the desk's name (config ``desk``)


# The customers an outreach worklist may hold (agentdesk.centre.outreach): the partial
# index's condition, repeated word for word by the query that wants to use the index.
OUTREACH_CANDIDATE = "tags != '' OR key_level > 0"


class Customer(SQLModel, table=True):
    # a district and a surname (岳麓区 张): customers.lookup; migration 0009
    __table_args__ = (sa.Index("ix_customer_district_name", "district", "name"),
                      # the vulnerable and key customers by address, and only them (a few
                      # per cent of the rows): an outage notice's call list (migration 0012)
                      sa.Index("ix_customer_outreach", "district", "street", "community",
                               "building", sqlite_where=sa.text(OUTREACH_CANDIDATE)))

    id: str = Field(default_factory=new_id, primary_key=True)
    account_no: str = Field(unique=True, max_length=32)  # 户号
    name: str = Field(index=True)
    utility: str  # Utility
    customer_class: str = "居民"
    district: str = ""  # 区
    street: str = ""  # 街道
    community: str = ""  # 小区
    building: str = ""  # 楼栋
    unit: str = ""  # 单元
    room: str = ""  # 室
    area_class: str = Field(default=AreaClass.URBAN.value)
    meter_no: str = ""
    meter_type: str = ""  # mechanical / smart / prepaid
    credit_list: str = ""  # CreditList
    arrears_fen: int = 0
    arrears_periods: int = 0
    tags: str = ""  # vulnerability tags, ';'-separated: 吸氧;独居老人
    key_level: int = 0  # 0: none, 1-3: key customer level
    status: str = "active"
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)

    @property
    def address(self) -> str:
        return format_address(
            self.district, self.street, self.community, self.building, self.unit, self.room
        )

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(";") if t]


def format_address(district: str, street: str, community: str, building: str, unit: str,
                   room: str) -> str:
    """区 街道 小区 楼栋 单元 室 as one line; the parts already carry their suffixes."""
    return "".join(p for p in (district, street, community, building, unit, room) if p)


class CustomerPhone(SQLModel, table=True):
    __tablename__ = "customer_phone"
    id: str = Field(default_factory=new_id, primary_key=True)
    customer_id: str = Field(foreign_key="customer.id", index=True, ondelete="CASCADE")
    e164: str = Field(index=True)  # +8613812345678
    kind: str = "mobile"  # mobile / landline
    position: int = 0


class CustomerKey(SQLModel, table=True):
    """Lookup keys (see :mod:`agentdesk.core.search_keys`): one B-tree, found by prefix ranges.

    The customer id is stored packed (:func:`agentdesk.core.ids.packed`: 16 bytes, not 36
    characters, in each of a customer's ~10 rows); SQL reads it back with ``key_id(...)``.
    So it has no foreign key: the writers that delete a customer delete its keys."""

    __tablename__ = "customer_key"
    # No index by customer: it would double the table. Writers delete stale keys by their
    # exact (key, customer_id) instead (search_keys.refresh).
    __table_args__ = {"sqlite_with_rowid": False}
    key: str = Field(primary_key=True)
    customer_id: bytes = Field(primary_key=True)


class Contact(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    channel: str = "phone"  # phone / app / wechat / 12345 / counter
    number: str = ""  # no index: no query looks a call up by number (tests/test_index_use.py)
    customer_id: str | None = Field(default=None, foreign_key="customer.id", index=True)
    agent_id: str | None = Field(default=None, foreign_key="agent.id")
    started_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime, index=True)
    ended_at: datetime | None = _ts()
    note: str = ""
    incident_id: str | None = Field(default=None, foreign_key="incident.id")  # the call's event
    # How the call ended, a transfer's agency and reference, an unknown caller's details
    outcome: str = Field(default="", sa_column_kwargs={"server_default": ""})
    transfer_to: str = Field(default="", sa_column_kwargs={"server_default": ""})
    transfer_ref: str = Field(default="", sa_column_kwargs={"server_default": ""})
    caller_name: str = Field(default="", sa_column_kwargs={"server_default": ""})
    caller_address: str = Field(default="", sa_column_kwargs={"server_default": ""})
    callback_number: str = Field(default="", sa_column_kwargs={"server_default": ""})


class Notice(SQLModel, table=True):
    """An outage notice (停水 / 停电 公告) over one or more areas and a time window.

    The row is the notice as it stands; every publish, revision and withdrawal is a
    :class:`NoticeEvent` (who, when, what changed). ``areas`` is JSON, see
    :mod:`agentdesk.core.areas` (migration 0010 moved the old district/street/community
    columns into it)."""

    id: str = Field(default_factory=new_id, primary_key=True)
    utility: str
    kind: str = "planned"  # planned / fault / arrears
    cause: str = ""
    title: str
    areas: str = "[]"  # JSON [[district, street, community, building], ...]
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    restore_by: datetime | None = _ts()  # expected restoration, when said (a fault's moves)
    status: str = "active"  # active / withdrawn
    revision: int = 1
    agent_id: str | None = Field(default=None, foreign_key="agent.id")  # the last revision's
    note: str = ""
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)


class NoticeEvent(SQLModel, table=True):
    """A notice published, revised or withdrawn. Append-only (a trigger refuses UPDATE and
    DELETE), like ticket events."""

    __tablename__ = "notice_event"
    id: str = Field(default_factory=new_id, primary_key=True)
    notice_id: str = Field(foreign_key="notice.id", index=True)
    at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    agent_id: str | None = Field(default=None, foreign_key="agent.id")
    kind: str  # publish / update / withdraw
    revision: int = 1
    data: str = "{}"  # JSON: the fields changed, {"field": [old, new]}; a withdrawal's reason


class Incident(SQLModel, table=True):
    """Many calls about one event (a burst main, a substation fault) link here instead of
    becoming many tickets. Its area is ``areas`` JSON like a notice's
    (:mod:`agentdesk.core.areas`); tickets link by ``ticket.incident_id`` (an event), calls
    by ``contact.incident_id``."""

    id: str = Field(default_factory=new_id, primary_key=True)
    title: str
    utility: str
    category: str
    areas: str = "[]"  # JSON [[district, street, community, building], ...]
    address: str = ""  # where it happened, as said (路口, 井盖, 变压器编号)
    status: str = "open"  # open / closed
    started_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    closed_at: datetime | None = _ts()
    cause: str = ""  # said when it is closed
    opened_by: str | None = Field(default=None, foreign_key="agent.id")
    closed_by: str | None = Field(default=None, foreign_key="agent.id")
    ticket_id: str | None = None  # the ticket it was opened from (no FK: tickets refer here)


class Ticket(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_ticket_owner_status", "owner_id", "status"),
                      # tickets resolved in a span, by owner (the monitor; migration 0006)
                      sa.Index("ix_ticket_resolved_at", "resolved_at", "owner_id"))

    id: str = Field(default_factory=new_id, primary_key=True)
    number: str = Field(unique=True, max_length=40)  # shown to callers
    business_type: str  # 咨询 / 故障报修 / 投诉 ...
    category: str  # category code, e.g. water.burst
    priority: str = Priority.GENERAL.value
    status: str = Field(default=TicketStatus.ACCEPTED.value, index=True)
    description: str = ""
    location: str = ""
    area_class: str = AreaClass.URBAN.value
    customer_id: str | None = Field(default=None, foreign_key="customer.id", index=True)
    contact_id: str | None = Field(default=None, foreign_key="contact.id")
    incident_id: str | None = Field(default=None, foreign_key="incident.id", index=True)
    first_responder_id: str = Field(foreign_key="agent.id")  # 首问责任人, fixed forever
    owner_id: str = Field(foreign_key="agent.id")
    department: str = ""
    satisfaction: str = ""
    complained_party: str = Field(default="", sa_column_kwargs={"server_default": ""})
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    due_first_response: datetime | None = _ts()
    due_arrival: datetime | None = _ts()
    due_resolution: datetime | None = _ts()
    due_callback: datetime | None = _ts()
    resolved_at: datetime | None = _ts()
    closed_at: datetime | None = _ts()
    paused_at: datetime | None = _ts()  # a clock waiting for the caller (an event says why)
    # When the clocks were first met, projected from the events like resolved_at
    # (workflow.MET; migration 0006): the monitor reads them instead of the events.
    responded_at: datetime | None = _ts()  # first left 受理
    arrived_at: datetime | None = _ts()  # first reached 到场 (or 回单 straight away)
    called_back_at: datetime | None = _ts()  # first 回访
    # The ticket's life (issue 17, migration 0013), projected from its events like the rest.
    complaint_class: str = Field(default="", sa_column_kwargs={"server_default": ""})
    channel: str = Field(default="phone", sa_column_kwargs={"server_default": "phone"})
    chase_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # 催办
    reopen_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    reply: str = Field(default="", sa_column_kwargs={"server_default": ""})  # dept's answer
    reply_due: datetime | None = _ts()  # when the department expects to have it fixed
    follows_id: str | None = None  # the closed ticket it follows up (no FK: ALTER in place)


class TicketEvent(SQLModel, table=True):
    """Append-only: the database refuses UPDATE and DELETE on this table (a trigger)."""

    __tablename__ = "ticket_event"
    id: str = Field(default_factory=new_id, primary_key=True)
    ticket_id: str = Field(foreign_key="ticket.id", index=True)
    at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    agent_id: str | None = Field(default=None, foreign_key="agent.id")
    kind: str  # created / status / note / handover / dispatch / escalation / pause / resume ...
    from_status: str = ""
    to_status: str = ""
    note: str = ""
    data: str = "{}"  # JSON details


class KbArticle(SQLModel, table=True):
    __tablename__ = "kb_article"
    id: str = Field(primary_key=True)  # a stable slug from the article's header
    title: str
    utility: str = ""  # water / power / empty for both
    category: str = ""
    tags: str = ""
    synonyms: str = ""  # caller phrasings, one per line
    body: str = ""
    owner: str = ""
    reviewed_on: date | None = None
    review_days: int = 365
    updated_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)


class KbMeta(SQLModel, table=True):
    """Knowledge-base bookkeeping: the hash of the shipped articles last imported and the
    version of the tokens in the full-text index (``kb_fts``, an FTS5 table of migration
    0003 that no model declares)."""

    __tablename__ = "kb_meta"
    key: str = Field(primary_key=True)
    value: str = ""


class KbTerm(SQLModel, table=True):
    """How many articles hold each search token (search drops the commonest tokens and
    ranks only articles holding a rare one); kept in step with ``kb_fts`` by kb.index."""

    __tablename__ = "kb_term"
    __table_args__ = {"sqlite_with_rowid": False}
    term: str = Field(primary_key=True)
    docs: int = 0


class TicketArticle(SQLModel, table=True):
    """Which knowledge-base articles answered a ticket (the monitor counts these)."""

    __tablename__ = "ticket_article"
    ticket_id: str = Field(foreign_key="ticket.id", primary_key=True)
    article_id: str = Field(foreign_key="kb_article.id", primary_key=True)
    agent_id: str | None = Field(default=None, foreign_key="agent.id")
    at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)


class AuditLog(SQLModel, table=True):
    """Who read or changed what, when. Append-only like ticket events."""

    __tablename__ = "audit_log"
    id: str = Field(default_factory=new_id, primary_key=True)
    at: datetime = Field(default_factory=_now, sa_type=UTCDateTime, index=True)
    agent_id: str = ""  # agent code, or "system"
    action: str  # read / create / update / import / export
    entity: str  # customer / ticket / ...
    entity_id: str = ""
    detail: str = ""
    # What a command printed or wrote (migration 0011, :mod:`agentdesk.core.audit`); None
    # only in the centre's own rows, which never set them.
    command: str | None = ""  # lookup / ticket show / export customers / report / ...
    shown: str | None = ""  # JSON list: customer ids, ticket numbers, caller numbers
    shown_count: int | None = 0  # records shown (an export: its count, without the list)


class OutreachCall(SQLModel, table=True):
    """One customer to call before an outage (主动服务): vulnerable (吸氧, 独居老人, ...) or
    a key customer inside a notice's areas (agentdesk.centre.outreach builds the list).

    The id is uuid5 of the notice and the customer, so two desks building the list for
    one notice make the same row, never two calls. ``reason``, ``due_at``, ``in_area``
    and ``built_at`` are the list's (the build sets them); ``status`` to ``updated_at``
    are projected from the call's :class:`OutreachEvent` rows
    (:func:`agentdesk.core.outreach_state.project`), on every desk and at the centre."""

    __tablename__ = "outreach_call"
    __table_args__ = (sa.UniqueConstraint("notice_id", "customer_id",
                                          name="uq_outreach_call_notice_customer"),
                      sa.Index("ix_outreach_call_status_due", "status", "due_at"))
    id: str = Field(primary_key=True)
    notice_id: str = Field(foreign_key="notice.id")
    customer_id: str = Field(foreign_key="customer.id", index=True)
    reason: str = ""  # ';'-separated: the matching tags, key:N for a key customer
    due_at: datetime = Field(sa_type=UTCDateTime)
    in_area: bool = True  # false: the notice no longer covers the customer, or withdrawn
    status: str = "due"  # due / no_answer / reached / needs_help / cancelled
    attempts: int = 0
    retry_at: datetime | None = _ts()  # the last no-answer's "call again at"
    ticket_id: str | None = Field(default=None, foreign_key="ticket.id")  # needs help
    agent_id: str | None = Field(default=None, foreign_key="agent.id")  # the last result's
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    built_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)


class OutreachEvent(SQLModel, table=True):
    """A call's result: append-only (a trigger refuses UPDATE and DELETE), like ticket
    events. Two agents on two desks may both call; every attempt is kept and the call's
    row is projected from all of them, whatever order they arrive in."""

    __tablename__ = "outreach_event"
    id: str = Field(default_factory=new_id, primary_key=True)
    call_id: str = Field(foreign_key="outreach_call.id", index=True)
    at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    agent_id: str | None = Field(default=None, foreign_key="agent.id")
    result: str  # reached / no_answer / needs_help
    retry_at: datetime | None = _ts()
    ticket_id: str | None = Field(default=None, foreign_key="ticket.id")
    note: str = ""


APPEND_ONLY_TABLES = ("ticket_event", "audit_log", "notice_event", "outreach_event")


# --- sync (agentdesk/sync): desk-side bookkeeping, migration 0005 ------------------------


class SyncOutbox(SQLModel, table=True):
    """Local changes waiting for the central store, written in the same transaction as the
    change itself. ``change_id`` is made on the desk: the centre applies each id once."""

    __tablename__ = "sync_outbox"
    seq: int | None = Field(default=None, primary_key=True)  # push order
    change_id: str = Field(unique=True)
    entity: str  # agent / customer / contact / incident / ticket / ticket_event
    row_id: str
    op: str  # insert / update / edit (customer fields) / phones
    payload: str = "{}"
    made_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)


class SyncMeta(SQLModel, table=True):
    """Sync bookkeeping: the pull cursor, the desk's id and number, the last outcome."""

    __tablename__ = "sync_meta"
    key: str = Field(primary_key=True)
    value: str = ""


class SyncQuarantine(SQLModel, table=True):
    """A pulled change this desk could not apply (a constraint refused it): kept here with
    the reason, so the sync goes on and a supervisor can look."""

    __tablename__ = "sync_quarantine"
    id: int | None = Field(default=None, primary_key=True)
    seq: int = 0  # the centre's change-log seq
    entity: str = ""
    row_id: str = ""
    op: str = ""
    row: str = ""  # the pulled row or payload, as JSON
    reason: str = ""
    at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)


class SyncConflict(SQLModel, table=True):
    """An ownership claim or hand-over of this desk that the centre rejected."""

    __tablename__ = "sync_conflict"
    id: str = Field(primary_key=True)  # the centre's id of the conflict
    ticket_id: str = Field(index=True)
    ticket_number: str = ""
    event_id: str = ""  # the rejected claim / hand-over (kept, like every event)
    agent_id: str = ""  # who lost
    winner_id: str = ""
    winner_name: str = ""
    taken_at: datetime | None = _ts()
    decided_at: datetime | None = _ts()
    seen: bool = False


class SyncEventSeq(SQLModel, table=True):
    """The centre's order of each ticket event (the same on every desk): events are
    replayed in this order; events not yet synced come after, in local order."""

    __tablename__ = "sync_event_seq"
    event_id: str = Field(primary_key=True)
    seq: int = Field(index=True)


# --- settings the centre hands every desk, migration 0007 ----------------------------------


class CentralSetting(SQLModel, table=True):
    """A setting pulled from the centre (never pushed back: reference data, not in the
    outbox). ``sla_policy``: the centre's SLA table (TOML text, ``agentdesk central load
    sla``), layered over the shipped defaults and the desk's own file (sla.for_session)."""

    __tablename__ = "central_setting"
    name: str = Field(primary_key=True)
    body: str = ""
    updated_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)  # at the centre
