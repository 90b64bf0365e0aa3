"""The ticket's state machine, as a pure reducer over its events (no database, no textual).

A ticket row is a projection: every change is an appended ``ticket_event`` and the row is
what :func:`apply` makes of the events in order. :func:`rebuild` replays them from
nothing, so the row can always be checked (and repaired, and synced) from its history.

受理 accepted → 派单 dispatched → 到场 on_site → 回单 resolved → 回访 called_back → 归档 archived
(a consultation may be resolved straight from accepted; 不满意 at the call-back reopens).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from agentdesk.core.i18n import CATALOG, t

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "accepted": ("dispatched", "on_site", "resolved"),
    "dispatched": ("on_site", "resolved"),
    "on_site": ("resolved",),
    "resolved": ("called_back",),
    "called_back": ("archived",),
    "archived": (),
}
SATISFACTION = ("非常满意", "满意", "基本满意", "不满意")
UNSATISFIED = "不满意"
# 联系不上: a call-back try that reached nobody. Not a satisfaction (KPIs count only the four
# above); the last allowed try closes the call-back with it (config ``callback_tries``).
UNREACHABLE = "联系不上"
CALLBACK_TRIES = 3
DUE = ("due_first_response", "due_arrival", "due_resolution", "due_callback")
# When each clock was first met, projected from the status changes (the monitor's met
# times, migration 0006): first response when the ticket first leaves 受理 (not the
# creation, which enters it), arrival when it first reaches 到场 or 回单 (resolved straight
# away), call-back at the first 回访. Resolution is ``resolved_at``. Never cleared: a
# reopened ticket keeps its first response.
MET = ("responded_at", "arrived_at", "called_back_at")
# The row's state an event may set (data keys) or the reducer derives, beyond status:
# callers pass all of it to :func:`apply` (the met times need what came before).
FIELDS = ("number", "business_type", "category", "priority", "description", "location",
          "area_class", "customer_id", "contact_id", "incident_id", "first_responder_id",
          "owner_id", "department", "satisfaction", "complained_party", *DUE,
          "resolved_at", "closed_at", "paused_at", "created_at", *MET,
          "complaint_class", "channel", "reply", "reply_due", "follows_id",
          "chase_count", "reopen_count")
# Counted by the reducer, never set by an event's data (migration 0013).
COUNTS = {"chase": "chase_count", "reopen": "reopen_count"}


class WorkflowError(ValueError):
    """A change the workflow forbids, said so the agent knows what to do instead."""


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS:
        raise WorkflowError(t("msg.tickets.workflow.unknown_status", target=target))
    if target not in TRANSITIONS.get(current, ()):
        allowed = ", ".join(status_name(s) for s in TRANSITIONS.get(current, ())) or t(
            "msg.tickets.workflow.none_archived")
        raise WorkflowError(t("msg.tickets.workflow.a_ticket_in_cannot",
                              current=status_name(current), target=status_name(target),
                              allowed=allowed))


def status_name(code: str) -> str:
    """A status as the user reads it (the catalog's name; an unknown code as it is)."""
    return t(f"status.{code}") if f"status.{code}" in CATALOG else code


def encode(data: dict[str, Any]) -> str:
    """Event data as JSON; datetimes as ISO 8601 with offset."""
    return json.dumps({k: (v.isoformat() if isinstance(v, datetime) else v)
                       for k, v in data.items()}, ensure_ascii=False, sort_keys=True)


def decode(text: str) -> dict[str, Any]:
    data = json.loads(text or "{}")
    for key in (*DUE, "resolved_at", "closed_at", "paused_at", "created_at", *MET,
                "reply_due"):
        if isinstance(data.get(key), str):
            data[key] = datetime.fromisoformat(data[key])
    return data


def apply(state: dict[str, Any], kind: str, to_status: str, data: dict[str, Any],
          at: datetime) -> dict[str, Any]:
    """The state after one event. ``data`` holds the fields the event sets."""
    state = dict(state)
    before = state.get("status")
    if kind == "created":
        before = None  # creation enters 受理: it answers nothing
        state = {"status": "accepted", "satisfaction": "", "department": "",
                 "resolved_at": None, "closed_at": None, "paused_at": None,
                 "due_callback": None, "created_at": at,
                 "responded_at": None, "arrived_at": None, "called_back_at": None,
                 "complaint_class": "", "channel": "phone", "reply": "",
                 "reply_due": None, "follows_id": None, "chase_count": 0,
                 "reopen_count": 0}
    for key, value in data.items():
        if key in FIELDS and key not in COUNTS.values():
            state[key] = value
    if kind in COUNTS:
        state[COUNTS[kind]] = (state.get(COUNTS[kind]) or 0) + 1
    if to_status:
        if (before == "accepted" and to_status != "accepted"
                and state.get("responded_at") is None):
            state["responded_at"] = at
        if to_status in ("on_site", "resolved") and state.get("arrived_at") is None:
            state["arrived_at"] = at
        if to_status == "called_back" and state.get("called_back_at") is None:
            state["called_back_at"] = at
        state["status"] = to_status
        if to_status == "resolved":
            state["resolved_at"] = at
        if to_status == "archived":
            state["closed_at"] = at
    if kind == "reopen":  # 回访 不满意: the next call-back is a new clock, met anew
        state["called_back_at"] = None
    if kind == "pause":
        state["paused_at"] = at
    if kind == "resume":
        state["paused_at"] = None
    state["updated_at"] = at
    return state


def rebuild(events: list[tuple[str, str, str, datetime]]) -> dict[str, Any]:
    """Replay ``(kind, to_status, data_json, at)`` in order into the ticket's state."""
    state: dict[str, Any] = {}
    for kind, to_status, data, at in events:
        state = apply(state, kind, to_status, decode(data), at)
    return state
