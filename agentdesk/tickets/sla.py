"""SLA policy: which clocks run on a ticket and when each is due (no textual import).

Four clocks (:data:`CLOCKS`), stored on the ticket as ``due_<clock>``. Each is a
:class:`Duration`: wall-clock minutes / hours / days, or working days / hours on a
:class:`~agentdesk.core.workcal.Calendar` (see :mod:`agentdesk.core.workcal` for how those count).

The defaults are ``sla_policy.toml`` beside this module; a file of the same shape overrides
any cell (:func:`load_policy`). A desk uses (:func:`for_session`) the defaults, then its own
file (config ``sla_policy``), then the centre's policy on top: the text loaded at the centre
(``agentdesk central load sla``) and pulled into the desk's ``central_setting`` table. A cell
is looked up, for a ticket of category C in area class A:

1. ``[category."C".A]``, then ``[category."C"]`` (every area), then
2. the priority row of C's *default* priority (taxonomy.toml): ``[priority.P.A]``, then
   ``[priority.P]``.

``"-"`` in a cell means "no such clock" and ends the search.

Priority: :func:`effective_priority` raises a vulnerable customer (吸氧, 独居老人, 残障, 孤寡)
or a key customer (key level ≥ 1) one step (general → important → urgent; one step even when
both apply). When the ticket's priority is above its category's default, each clock the
category has is due at the *earlier* of its own deadline and the raised priority row's
deadline; a clock the category does not have (arrival for a consultation) stays absent, and a
priority below the default changes nothing (a priority never loosens a category's clocks).

Key customers: a ``[key_customer]`` table names the categories (``categories = [...]``) whose
clocks a key customer (``key_level`` 1-3) has shortened, and one row per level
(``[key_customer.1]``, a level without a row uses the next lower one) with the clocks, by area
class like a category row. Each clock the category has becomes the earlier of the deadline
found above and the key level's (never looser; a clock the category lacks stays absent).

Calendar coverage: :func:`calendar_gaps` names the years a ticket's working-day deadlines
run through that the calendar has no holiday data for (:mod:`agentdesk.core.workcal`); the
ticket form, the ticket's detail, the monitor header and ``ticket create --json`` say so.

Deadlines are computed once, when a clock starts, and stored: first response, arrival and
resolution when the ticket is created (:func:`deadlines`), the call-back when it is resolved
(:func:`callback_due`); a reopened ticket gets a new resolution clock with :func:`due`. A clock
stands still only in the policy's ``pausable_states``; :func:`resume` moves a deadline by the
time paused. Every function here is pure (plain values in, aware UTC datetimes out).

This module is the deadline arithmetic and the one import for callers: the policy values
are :mod:`agentdesk.tickets.sla_policy`, reading files and the desk's policy
(:func:`for_session`, :func:`central_text`, which read the desk's one policy row)
:mod:`agentdesk.tickets.sla_files`; their public names are named here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from agentdesk.core import clock
from agentdesk.core.i18n import t
from agentdesk.core.workcal import Calendar, Holiday, aware
from agentdesk.tickets.sla_files import (
    central_text, default_policy, for_session, load_policy, policy_for_texts, read_text,
    use_desk_file)
from agentdesk.tickets.sla_policy import (
    ANY_AREA, AREAS, CENTRAL_CALENDAR, CENTRAL_SETTING, CENTRAL_SOURCE, CLOCKS, DEFAULT_FILE,
    KEY_LEVELS, PRIORITIES, VULNERABLE_TAGS, Duration, DurationKind, Policy, SlaError,
    check_priority, effective_priority, parse_duration, raise_priority)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from agentdesk.core.config import Config

__all__ = [
    "ANY_AREA", "AREAS", "CENTRAL_CALENDAR", "CENTRAL_SETTING", "KEY_LEVELS",
    "calendar_gaps", "policy_for_texts", "CENTRAL_SOURCE", "CLOCKS", "DEFAULT_FILE",
    "PRIORITIES", "VULNERABLE_TAGS", "Calendar", "Duration", "DurationKind", "Holiday",
    "Policy", "SlaError", "callback_due", "central_text", "deadlines", "default_policy",
    "due", "effective_priority", "for_session", "load_policy", "parse_duration",
    "raise_priority", "read_text", "resume", "rule_for", "use_desk_file", "for_config",
]


def _choose(policy: Policy, name: str, category: str, area_class: str, priority: str,
            start: datetime, calendar: Calendar | None, key_level: int | None = 0,
            ) -> tuple[Duration | None, datetime | None]:
    start = aware(start, "start")
    check_priority(priority)
    calendar = calendar or policy.calendar
    own = policy.rule(category, area_class, name)
    if own is None:
        return None, None
    best, best_due = own, own.after(start, calendar)
    default = policy.category_priority[category]
    if PRIORITIES.index(priority) < PRIORITIES.index(default):
        raised = policy.priority_rule(priority, area_class, name)
        if raised is not None:
            raised_due = raised.after(start, calendar)
            if raised_due < best_due:
                best, best_due = raised, raised_due
    key = policy.key_rule(key_level, category, area_class, name)
    if key is not None:
        key_due = key.after(start, calendar)
        if key_due < best_due:
            best, best_due = key, key_due
    return best, best_due


def due(policy: Policy, name: str, category: str, area_class: str, priority: str,
        start: datetime, calendar: Calendar | None = None, *, key_level: int | None = 0,
        ) -> datetime | None:
    """When clock ``name`` started at ``start`` is due (aware UTC), or None: no such clock.
    ``key_level``: the customer's (the ``[key_customer]`` rule)."""
    return _choose(policy, name, category, area_class, priority, start, calendar,
                   key_level)[1]


def rule_for(policy: Policy, name: str, category: str, area_class: str, priority: str,
             start: datetime, calendar: Calendar | None = None, *,
             key_level: int | None = 0) -> Duration | None:
    """The duration that sets :func:`due`'s deadline (for display, and its ``kind`` for
    :func:`resume`)."""
    return _choose(policy, name, category, area_class, priority, start, calendar,
                   key_level)[0]


def deadlines(policy: Policy, category: str, area_class: str, priority: str, start: datetime,
              calendar: Calendar | None = None, *, key_level: int | None = 0,
              ) -> dict[str, datetime | None]:
    """The clocks that start with the ticket; ``callback`` is None until it is resolved."""
    result: dict[str, datetime | None] = {
        name: due(policy, name, category, area_class, priority, start, calendar,
                  key_level=key_level)
        for name in CLOCKS if name != "callback"}
    result["callback"] = None
    return result


def calendar_gaps(policy: Policy, category: str, area_class: str, priority: str,
                  start: datetime, due_at: Mapping[str, datetime | None], *,
                  key_level: int | None = 0) -> list[int]:
    """The years (sorted) that a working-day deadline of ``due_at`` (clock -> deadline, as
    :func:`deadlines` gives them or the ticket stores them) runs through, from the local
    day of ``start`` to the deadline's, whose holidays the policy's calendar does not know:
    there it counted public holidays as working days. [] when every such year is covered."""
    start = aware(start, "start")
    first = start.astimezone(clock.centre_tz()).year
    years: set[int] = set()
    for name, deadline in due_at.items():
        if deadline is None or name not in CLOCKS:
            continue
        rule = rule_for(policy, name, category, area_class, priority, start,
                        key_level=key_level)
        if rule is None or rule.kind != "working":
            continue
        last = aware(deadline, "deadline").astimezone(clock.centre_tz()).year
        years.update(y for y in range(first, last + 1)
                     if y not in policy.calendar.covered_years)
    return sorted(years)


def callback_due(policy: Policy, category: str, area_class: str, resolved_at: datetime,
                 calendar: Calendar | None = None) -> datetime | None:
    """The call-back deadline, counted from resolution (回单)."""
    return due(policy, "callback", category, area_class, policy.category_priority.get(
        category, "general"), resolved_at, calendar)


def resume(deadline: datetime | None, paused_at: datetime, resumed_at: datetime,
           duration_kind: DurationKind | Duration, calendar: Calendar | None = None,
           ) -> datetime | None:
    """The deadline after a pause from ``paused_at`` to ``resumed_at``.

    Wall-clock durations (m, h, d) move by the time paused. Working durations (wd, wh) move
    by the *working* time paused, counted on from the deadline, so the working time left
    when the clock stopped is the working time left when it starts again (a close-of-business
    deadline moved by part of a day lands inside a day). ``calendar`` defaults to the
    shipped one: pass the policy's. A pause that starts at or after the deadline changes
    nothing: a clock that has run out stays run out. None (no such clock) stays None."""
    if deadline is None:
        return None
    deadline = aware(deadline, "deadline")
    paused_at, resumed_at = aware(paused_at, "paused_at"), aware(resumed_at, "resumed_at")
    if resumed_at < paused_at:
        raise SlaError(t("msg.tickets.sla.resumed_before_paused", isoformat=resumed_at.isoformat(),
                         isoformat2=paused_at.isoformat()))
    kind = duration_kind.kind if isinstance(duration_kind, Duration) else duration_kind
    if kind not in ("wall", "working"):
        raise SlaError(t("msg.tickets.sla.unknown_duration_kind_wall", duration_kind=duration_kind))
    if paused_at >= deadline:
        return deadline
    if kind == "wall":
        return deadline + (resumed_at - paused_at)
    calendar = calendar or default_policy().calendar
    return calendar.add_working_time(deadline, calendar.working_time_between(paused_at,
                                                                             resumed_at))


# --- the policy for a desk's configuration ----------------------------------------------

def for_config(config: Config, session: Session | None = None) -> Policy:
    """The shipped defaults, the config's ``sla_policy`` file over them, and (given the
    desk's session) the centre's synced policy over both (:func:`for_session`)."""
    path = Path(config.sla_policy).expanduser() if config.sla_policy else None
    return load_policy(path) if session is None else for_session(session, path)
