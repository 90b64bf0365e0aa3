"""The review KPIs of issue 17 (no textual import): satisfaction rate against the centre's
target, first-contact resolution, reopen rate and on-time rate (overall, per category,
per agent, per complaint class), complaint class x urban / rural / remote, and the channel
mix. Like :mod:`agentdesk.monitor.periods`, one aggregate query per window piece, the
windows cut into disjoint pieces (:func:`~agentdesk.monitor.periods.segments`); the
report and the monitor read them from here.

Definitions (each figure takes the tickets *created* in the window):

* **Satisfaction rate**: call-backs answered 非常满意, 满意 or 基本满意, out of every
  call-back with a satisfaction recorded (one closed as 联系不上 after its tries is no
  answer and counts in neither). 非常满意 counts: a centre counts the very
  satisfied as satisfied (the issue's "满意 + 基本满意" read as "everything but 不满意").
  Shown against ``satisfaction_target`` (config, default 95 %).
* **First-contact resolution (FCR)**: tickets resolved (``resolved_at`` set) that were never
  dispatched to a department (no 派单: ``department`` empty, which dispatch always sets),
  never reopened (``reopen_count`` 0) and never chased (``chase_count`` 0: the caller did
  not have to ring again), out of every ticket created in the window.
* **Reopen rate**: tickets reopened at least once (``reopen_count`` > 0: a 不满意 call-back
  or the caller's word), out of the tickets created; per category and per agent.
* **On-time rate**: the resolution clock met by its deadline, out of the resolution clocks
  decided (met, or past the deadline unmet) — the wallboard's "resolution on time"
  (:mod:`agentdesk.monitor.figures`); per category, per agent and per complaint class.
* **Per agent** means per first responder (首问负责: the agent answerable for the ticket
  from creation to the end, whoever it was handed to).
* **Complaint class** rows are the first-level classes (95598's monthly table: 服务 / 营业 /
  停送电 / 供电质量 / 电网建设; the water centre's own); the area share of a cell is its
  count out of the complaints of that area.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from agentdesk.core import clock
from agentdesk.monitor.db import Source, connection, stamp
from agentdesk.monitor.periods import segments
from agentdesk.tickets import workflow

SATISFIED = ("非常满意", "满意", "基本满意")  # counted satisfied (see the docstring)
DEFAULT_TARGET = 95


@dataclass
class Counts:
    """Sums over a group of tickets (a category, an agent, a class, everything)."""

    tickets: int = 0
    reopened: int = 0
    decided: int = 0  # resolution clocks decided
    on_time: int = 0  # of those, met by the deadline
    answered: int = 0  # call-backs with a satisfaction
    satisfied: int = 0
    fcr: int = 0

    def add(self, other: Counts) -> None:
        self.tickets += other.tickets
        self.reopened += other.reopened
        self.decided += other.decided
        self.on_time += other.on_time
        self.answered += other.answered
        self.satisfied += other.satisfied
        self.fcr += other.fcr

    @staticmethod
    def pct(part: int, whole: int) -> float | None:
        return 100.0 * part / whole if whole else None

    @property
    def on_time_pct(self) -> float | None:
        return self.pct(self.on_time, self.decided)

    @property
    def reopen_pct(self) -> float | None:
        return self.pct(self.reopened, self.tickets)

    @property
    def satisfaction_pct(self) -> float | None:
        return self.pct(self.satisfied, self.answered)

    @property
    def fcr_pct(self) -> float | None:
        return self.pct(self.fcr, self.tickets)


@dataclass
class Review:
    total: Counts = field(default_factory=Counts)
    by_category: dict[str, Counts] = field(default_factory=dict)
    by_agent: dict[str, Counts] = field(default_factory=dict)  # agent code (first responder)
    by_class: dict[str, Counts] = field(default_factory=dict)  # first-level class code
    class_area: dict[tuple[str, str], int] = field(default_factory=dict)  # (class, area)
    channels: dict[str, int] = field(default_factory=dict)

    def area_complaints(self, area: str) -> int:
        return sum(n for (_c, a), n in self.class_area.items() if a == area)

    def area_share(self, klass: str, area: str) -> float | None:
        """The class's share (%) of the complaints of ``area``."""
        return Counts.pct(self.class_area.get((klass, area), 0), self.area_complaints(area))

    def class_share(self, klass: str) -> float | None:
        """The class's share (%) of every complaint."""
        whole = sum(c.tickets for c in self.by_class.values())
        return Counts.pct(self.by_class[klass].tickets if klass in self.by_class else 0, whole)


_SATISFIED_SQL = ", ".join(f"'{v}'" for v in SATISFIED)
# An answer is one of the four verdicts: a call-back closed as 联系不上 is not one.
_ANSWERS_SQL = ", ".join(f"'{v}'" for v in workflow.SATISFACTION)
# One row per (category, area, class, channel, first responder) of a window piece.
_ROWS = f"""
SELECT t.category, t.area_class, t.complaint_class, t.channel, t.first_responder_id,
       max(t.business_type),
       count(*),
       sum(t.reopen_count > 0),
       sum(t.due_resolution IS NOT NULL AND (t.resolved_at IS NOT NULL
           OR t.due_resolution <= :now)),
       sum(t.due_resolution IS NOT NULL AND t.resolved_at IS NOT NULL
           AND t.resolved_at <= t.due_resolution),
       sum(t.satisfaction IN ({_ANSWERS_SQL})),
       sum(t.satisfaction IN ({_SATISFIED_SQL})),
       sum(t.resolved_at IS NOT NULL AND t.department = '' AND t.reopen_count = 0
           AND t.chase_count = 0)
FROM ticket t
WHERE t.created_at >= :lo AND t.created_at < :hi
GROUP BY 1, 2, 3, 4, 5"""  # no join: the agents' codes are mapped after (a small table)


def review(session: Source, since: datetime, until: datetime,
           now: datetime | None = None) -> Review:
    """The review KPIs of the tickets created in [since, until), as of ``now``."""
    return review_set(session, {"": (since, until)}, now)[""]


def review_set(session: Source, spans: dict[str, tuple[datetime, datetime]],
               now: datetime | None = None) -> dict[str, Review]:
    """:func:`review` for several windows, each ticket read once."""
    conn = connection(session)
    now = now or clock.now()
    out = {name: Review() for name in spans}
    codes = dict(conn.execute("SELECT id, code FROM agent").fetchall())
    for lo, hi, inside in segments(spans):
        rows = conn.execute(_ROWS, {"now": stamp(now), "lo": lo, "hi": hi}).fetchall()
        part = Review()  # the piece summed once, then added to each window holding it
        for row in rows:
            _add(part, (*row[:4], codes.get(row[4], "") if row[4] else "", *row[5:]))
        for name in inside:
            _merge(out[name], part)
    return out


def _merge(into: Review, part: Review) -> None:
    into.total.add(part.total)
    for mine, theirs in ((into.by_category, part.by_category), (into.by_agent, part.by_agent),
                         (into.by_class, part.by_class)):
        for key, counts in theirs.items():
            mine.setdefault(key, Counts()).add(counts)
    for mine_n, theirs_n in ((into.class_area, part.class_area),
                             (into.channels, part.channels)):
        for key, n in theirs_n.items():
            mine_n[key] = mine_n.get(key, 0) + n


def _add(made: Review, row: tuple) -> None:
    category, area, klass, channel, agent, btype, *sums = row
    counts = Counts(*(int(v or 0) for v in sums))
    made.total.add(counts)
    made.by_category.setdefault(category, Counts()).add(counts)
    made.by_agent.setdefault(agent, Counts()).add(counts)
    made.channels[channel] = made.channels.get(channel, 0) + counts.tickets
    if btype == "complaint":
        first = klass.split(".", 1)[0] if klass else ""  # "": filed before classes existed
        made.by_class.setdefault(first, Counts()).add(counts)
        made.class_area[(first, area)] = made.class_area.get((first, area), 0) + counts.tickets
