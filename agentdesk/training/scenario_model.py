"""A role-play scenario as the session and the rubric use it (no textual import): the
scenario, the customers, notices, earlier tickets and calls it puts into the training
database, the caller's lines and escalations, and the rubric's checks. Frozen dataclasses
made by :mod:`agentdesk.training.scenario_loader` from a checked file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

UTILITIES = ("water", "power")
LEVELS = (1, 2, 3)
WHERE = ("notes", "said", "any")
DEFAULT_PASS = 85
DEFAULT_AUTO_SECONDS = 8
CALLBACK_PHRASES = ("回电", "回访", "回复您", "联系您", "给您回")
TICKET_STATUSES = ("accepted", "dispatched", "on_site", "resolved")


class ScenarioError(ValueError):
    """A scenario file that cannot be played: file, line and reason."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path, self.line, self.reason = path, line, reason
        where = f"{path}, line {line}" if line else path
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class CustomerSpec:
    key: str
    account_no: str
    name: str
    utility: str
    phones: tuple[str, ...] = ()
    customer_class: str = "居民"
    district: str = ""
    street: str = ""
    community: str = ""
    building: str = ""
    unit: str = ""
    room: str = ""
    area_class: str = "urban"
    meter_no: str = ""
    meter_type: str = ""
    credit_list: str = ""
    arrears_fen: int = 0
    arrears_periods: int = 0
    tags: tuple[str, ...] = ()
    key_level: int = 0


@dataclass(frozen=True)
class NoticeSpec:
    key: str
    utility: str
    kind: str
    cause: str
    title: str
    district: str
    street: str
    community: str
    starts: datetime
    ends: datetime


@dataclass(frozen=True)
class TicketSpec:
    key: str
    customer: str
    category: str
    description: str
    created: datetime
    status: str = "accepted"


@dataclass(frozen=True)
class ContactSpec:
    customer: str
    at: datetime
    note: str = ""
    channel: str = "phone"


@dataclass(frozen=True)
class Line:
    text: str
    ask: tuple[str, ...] = ()  # said only when the trainee says one of these


@dataclass(frozen=True)
class Escalation:
    text: str
    said: tuple[str, ...] = ()
    after_minutes: float | None = None


@dataclass(frozen=True)
class Check:
    id: str
    kind: str
    weight: int
    label: str = ""
    customer: str = ""
    category: str = ""
    priority: str = ""
    business_type: str = ""
    notice: str = ""
    ticket: str = ""
    article: str = ""
    phrases: tuple[str, ...] = ()
    where: str = "any"


@dataclass(frozen=True)
class Scenario:
    id: str
    path: Path
    title: str
    level: int
    utility: str
    start: datetime
    brief: str = ""
    pass_mark: int = DEFAULT_PASS
    hidden: tuple[str, ...] = ()
    auto_seconds: float = DEFAULT_AUTO_SECONDS
    caller_customer: str = ""
    caller_number: str = ""  # E.164, empty when withheld
    persona: str = ""
    customers: tuple[CustomerSpec, ...] = ()
    notices: tuple[NoticeSpec, ...] = ()
    tickets: tuple[TicketSpec, ...] = ()
    contacts: tuple[ContactSpec, ...] = ()
    lines: tuple[Line, ...] = ()
    escalations: tuple[Escalation, ...] = ()
    checks: tuple[Check, ...] = field(default_factory=tuple)

    def customer(self, key: str) -> CustomerSpec:
        return next(c for c in self.customers if c.key == key)

    @property
    def total_weight(self) -> int:
        return sum(c.weight for c in self.checks)


# --- a session being played (the session writes these, the rubric reads them) ---


@dataclass(frozen=True)
class Said:
    who: str  # caller / trainee / escalation
    text: str
    at: datetime


@dataclass(frozen=True)
class Seeded:
    """Ids of what the scenario put into the training database, by scenario key."""

    customers: dict[str, str]
    notices: dict[str, str]
    notice_titles: dict[str, str]
    tickets: dict[str, str]
    ticket_numbers: dict[str, str]
