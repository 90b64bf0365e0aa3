"""Outage notices (停水 / 停电 公告): publish, revise, withdraw, list (no textual import).

A notice is a supervisor's: the service refuses any other role here, and the centre
refuses a notice pushed by an agent who is not a supervisor in its own agent table
(:mod:`agentdesk.sync.central.apply`). Every change is a :class:`NoticeEvent` with what
changed (old and new), so the notice's history is who, when and what; the row is the
notice as it stands. Areas: :mod:`agentdesk.core.areas`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import text

from agentdesk.centre import fields
from agentdesk.core import areas as areas_mod
from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from sqlmodel import Session

    from agentdesk.centre.outreach import Rules
    from agentdesk.core.models import Notice, NoticeEvent

UTILITIES = ("water", "power")
KINDS = ("planned", "fault", "arrears")
MAX_CAUSE = 500
MAX_NOTE = 2000
MAX_REASON = 500


class NoticeError(ValueError):
    """A notice that cannot be published or changed, with what to do instead."""


class NobodyInside(NoticeError):
    """The areas hold no customer of the utility: a typo, unless the supervisor confirms
    (``force``). ``per_area`` says what each area holds (zero everywhere)."""

    def __init__(self, message: str, per_area: dict[str, int]) -> None:
        super().__init__(message)
        self.per_area = per_area


@dataclass(frozen=True)
class Revision:
    """One line of a notice's history: who (name and code), when, what changed."""

    at: datetime
    kind: str  # publish / update / withdraw
    revision: int
    who: str
    data: dict


@dataclass(frozen=True)
class Draft:
    utility: str
    kind: str
    areas: tuple[areas_mod.Area, ...]
    starts_at: datetime
    ends_at: datetime
    cause: str
    restore_by: datetime | None = None
    title: str = ""


@dataclass(frozen=True)
class Published:
    notice: Notice
    customers: int  # customers of the utility inside the areas
    per_area: dict[str, int] = field(default_factory=dict)
    outreach: int = 0  # of them, the vulnerable and key ones to call (centre.outreach)


def _text(name: str, value: str, most: int, required: bool = False) -> str:
    return fields.text(NoticeError, "notice", name, value, most, required)


def parse_time(text: str | None, name: str) -> datetime | None:
    """A time as a supervisor types it (``2026-12-05 08:00``, ``12-05 8:00``, ``14:30``):
    without an offset, the centre's time zone; a missing date is today there. Blank: None."""
    from dateutil import parser

    from agentdesk.core import clock
    from agentdesk.core.i18n import visible

    if text is None or not text.strip():
        return None
    today = clock.local().replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    try:
        value = parser.parse(text, default=today)
    except (ValueError, OverflowError):
        raise NoticeError(t("notice.err.time", flag=name, text=visible(text))) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.centre_tz())
    return value.astimezone(clock.UTC)


def in_force(notice: Notice, now: datetime) -> bool:
    """Not withdrawn and not over (restoration included): what :func:`listing` calls
    active."""
    return notice.status == "active" and max(notice.ends_at,
                                             notice.restore_by or notice.ends_at) >= now


def _supervisor(role: str) -> None:
    fields.supervisor(NoticeError, "notice", role)


def _check_window(starts: datetime, ends: datetime, restore: datetime | None,
                  now: datetime) -> None:
    if ends <= starts:
        raise NoticeError(t("notice.err.window"))
    if max(ends, restore or ends) < now:
        raise NoticeError(t("notice.err.past"))
    if restore is not None and restore < starts:
        raise NoticeError(t("notice.err.restore"))


def count_customers(session: Session, utility: str, where: tuple[areas_mod.Area, ...]
                    ) -> dict[str, int]:
    """Customers of ``utility`` inside each area (the (district, name) index narrows to
    the district; the rest is tested on its rows)."""
    out = {}
    for area in where:
        conds, params = ["utility = :u", "district = :d"], {"u": utility, "d": area.district}
        for column, value in (("street", area.street), ("community", area.community),
                              ("building", area.building)):
            if value:
                conds.append(f"{column} = :{column}")
                params[column] = value
        out[str(area)] = int(session.connection().execute(text(
            f"SELECT count(*) FROM customer WHERE {' AND '.join(conds)}"), params).scalar())
    return out


def default_title(utility: str, kind: str, where: tuple[areas_mod.Area, ...]) -> str:
    first = where[0]
    place = first.community or first.street or first.district
    more = t("notice.title.more", n=len(where) - 1) if len(where) > 1 else ""
    return t(f"notice.title.{utility}.{kind}", place=place) + more


def publish(session: Session, draft: Draft, agent_code: str, agent_name: str, role: str,
            now: datetime, force: bool = False, rules: Rules | None = None) -> Published:
    """A new notice in force from ``draft.starts_at``; refused when its areas hold no
    customer of the utility unless ``force`` (a notice nobody can see is a typo). Its
    outreach list is built at once (``rules``: who and by when; None: the defaults)."""
    from agentdesk.centre import outreach
    from agentdesk.core import agents
    from agentdesk.core.models import Notice, NoticeEvent

    _supervisor(role)
    if draft.utility not in UTILITIES:
        raise NoticeError(t("notice.err.utility", utility=draft.utility,
                            known=", ".join(UTILITIES)))
    if draft.kind not in KINDS:
        raise NoticeError(t("notice.err.kind", kind=draft.kind, known=", ".join(KINDS)))
    cause = _text(t("notice.field.cause"), draft.cause, MAX_CAUSE, required=True)
    title = _text(t("notice.field.title"), draft.title, 200)
    _check_window(draft.starts_at, draft.ends_at, draft.restore_by, now)
    where = areas_mod.dumps(draft.areas)  # refuses none or too many
    per_area = count_customers(session, draft.utility, draft.areas)
    total = sum(per_area.values())
    if not total and not force:
        raise NobodyInside(t("notice.err.nobody", areas="、".join(per_area)), per_area)
    agent = agents.ensure(session, agent_code, agent_name, role="supervisor")
    notice = Notice(utility=draft.utility, kind=draft.kind, cause=cause,
                    title=title or default_title(draft.utility, draft.kind, draft.areas),
                    areas=where, starts_at=draft.starts_at, ends_at=draft.ends_at,
                    restore_by=draft.restore_by, agent_id=agent.id, created_at=now,
                    updated_at=now)
    session.add(notice)
    session.flush()
    session.add(NoticeEvent(notice_id=notice.id, at=now, agent_id=agent.id, kind="publish",
                            revision=1, data=json.dumps(
                                {"areas": json.loads(where), "customers": total},
                                ensure_ascii=False)))
    session.flush()
    built = outreach.build(session, notice, now, rules)
    return Published(notice, total, per_area, built.listed)


def get(session: Session, ref: str) -> Notice:
    """A notice by id, or by the first characters of its id (8 or more, unique)."""
    from agentdesk.core.models import Notice

    found = fields.by_ref(session, Notice, ref)
    if found is None:
        raise NoticeError(t("notice.err.unknown", ref=ref))
    return found


def update(session: Session, ref: str, agent_code: str, agent_name: str, role: str,
           now: datetime, *, restore_by: datetime | None = None, ends_at: datetime | None = None,
           note: str | None = None, cause: str | None = None,
           where: tuple[areas_mod.Area, ...] | None = None,
           rules: Rules | None = None) -> Notice:
    """A revision: only what is given changes; the event keeps each field's old and new
    value. A withdrawn notice cannot be revised. New areas or a new window build the
    outreach list again (calls added, calls outside cancelled, nobody twice)."""
    from agentdesk.centre import outreach
    from agentdesk.core import agents
    from agentdesk.core.models import NoticeEvent

    _supervisor(role)
    notice = get(session, ref)
    if notice.status != "active":
        raise NoticeError(t("notice.err.withdrawn", title=notice.title))
    wanted: dict[str, object] = {}
    if restore_by is not None:
        wanted["restore_by"] = restore_by
    if ends_at is not None:
        wanted["ends_at"] = ends_at
    if note is not None:
        wanted["note"] = _text(t("notice.field.note"), note, MAX_NOTE)
    if cause is not None:
        wanted["cause"] = _text(t("notice.field.cause"), cause, MAX_CAUSE, required=True)
    if where is not None:
        wanted["areas"] = areas_mod.dumps(where)
    changed = {k: v for k, v in wanted.items() if getattr(notice, k) != v}
    if not changed:
        raise NoticeError(t("notice.err.unchanged"))
    _check_window(notice.starts_at, changed.get("ends_at", notice.ends_at),  # type: ignore
                  changed.get("restore_by", notice.restore_by), now)  # type: ignore
    from agentdesk.core.models import utc_text

    def shown(value: object) -> object:
        return utc_text(value) if isinstance(value, datetime) else value

    data = {k: [shown(getattr(notice, k)), shown(v)] for k, v in changed.items()}
    agent = agents.ensure(session, agent_code, agent_name, role="supervisor")
    for key, value in changed.items():
        setattr(notice, key, value)
    notice.revision += 1
    notice.agent_id, notice.updated_at = agent.id, now
    session.add(notice)
    session.add(NoticeEvent(notice_id=notice.id, at=now, agent_id=agent.id, kind="update",
                            revision=notice.revision,
                            data=json.dumps(data, ensure_ascii=False)))
    session.flush()
    if changed.keys() & {"areas", "ends_at", "restore_by"}:
        outreach.build(session, notice, now, rules)
    return notice


def withdraw(session: Session, ref: str, agent_code: str, agent_name: str, role: str,
             now: datetime, reason: str) -> Notice:
    """Withdrawn: gone from every card at once (cards read only active notices), and its
    outreach calls not yet made cancelled."""
    from agentdesk.centre import outreach
    from agentdesk.core import agents
    from agentdesk.core.models import NoticeEvent

    _supervisor(role)
    reason = _text(t("notice.field.reason"), reason, MAX_REASON, required=True)
    notice = get(session, ref)
    if notice.status != "active":
        raise NoticeError(t("notice.err.withdrawn", title=notice.title))
    agent = agents.ensure(session, agent_code, agent_name, role="supervisor")
    notice.status, notice.revision = "withdrawn", notice.revision + 1
    notice.agent_id, notice.updated_at = agent.id, now
    session.add(notice)
    session.add(NoticeEvent(notice_id=notice.id, at=now, agent_id=agent.id, kind="withdraw",
                            revision=notice.revision,
                            data=json.dumps({"reason": reason}, ensure_ascii=False)))
    session.flush()
    outreach.build(session, notice, now)
    return notice


def listing(session: Session, now: datetime, active_only: bool = False,
            limit: int = 200) -> list[Notice]:
    """Newest first; ``active_only``: not withdrawn and not yet over (restoration
    included)."""
    from sqlmodel import select

    from agentdesk.core.models import Notice, utc_text

    query = select(Notice).order_by(Notice.starts_at.desc()).limit(max(1, limit))
    if active_only:
        query = query.where(Notice.status == "active").where(text(
            "max(notice.ends_at, coalesce(notice.restore_by, '')) >= :now").bindparams(
                now=utc_text(now)))
    return list(session.exec(query).all())


def history(session: Session, notice_id: str) -> list[NoticeEvent]:
    from sqlmodel import select

    from agentdesk.core.models import NoticeEvent

    return list(session.exec(select(NoticeEvent).where(NoticeEvent.notice_id == notice_id)
                             .order_by(NoticeEvent.at, NoticeEvent.revision)).all())


def revisions(session: Session, notice_id: str) -> list[Revision]:
    """:func:`history` with each event's agent as "name(code)" and its data decoded."""
    from agentdesk.core.models import Agent

    out = []
    for event in history(session, notice_id):
        agent = session.get(Agent, event.agent_id) if event.agent_id else None
        who = f"{agent.name}({agent.code})" if agent else "—"
        try:
            data = json.loads(event.data or "{}")
        except ValueError:
            data = {}
        out.append(Revision(event.at, event.kind, event.revision, who,
                            data if isinstance(data, dict) else {}))
    return out


def as_json(notice: Notice) -> dict:
    """Times in the centre's time zone, ISO 8601 with the offset."""
    from agentdesk.core import clock

    def when(value: datetime | None) -> str | None:
        return clock.local(value).isoformat(timespec="minutes") if value else None

    return {"id": notice.id, "utility": notice.utility, "kind": notice.kind,
            "title": notice.title, "cause": notice.cause,
            "areas": [str(a) for a in areas_mod.loads(notice.areas)],
            "from": when(notice.starts_at), "to": when(notice.ends_at),
            "restore_by": when(notice.restore_by), "status": notice.status,
            "revision": notice.revision, "note": notice.note,
            "updated_at": when(notice.updated_at)}
