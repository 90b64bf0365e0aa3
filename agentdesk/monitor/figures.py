"""The supervisor's wallboard figures (no textual import): queue health, breaches, agent
load, the ticket mix, hot spots, KPIs and a 24-hour trend, as plain values.

Every figure is one aggregate query (or a few) over the desk database, run by SQLite, not
by loading rows into Python: a refresh over 100,000 tickets stays well under a second
(``agentdesk bench monitor``). The functions only read; the monitor opens the database with
``mode=ro`` (:func:`agentdesk.core.store.open_readonly`) so nothing here could write anyway.

Definitions (the wallboard, the CSV report and the tests use these):

* **SLA state** of an open ticket (受理 / 派单 / 到场 / 回单): its running clock that falls due
  first (as the queue shows it, :func:`agentdesk.tickets.queue.next_clock`), started at creation (at
  the last reopening for a reopened ticket; at resolution for the call-back). *breached*: now
  at or past the deadline; *warn*: 80 % of the clock used; *paused*: the clock is paused;
  *ok*: anything else, including tickets with no running clock.
* **Breach list (督办)**: open, unpaused tickets whose running clock is past its deadline,
  most overdue first, with the owner and whether a desk already recorded the escalation.
* **Met** times of a clock: first response when the ticket first leaves 受理, arrival when it
  first reaches 到场 (or 回单 straight away), resolution at ``resolved_at``, call-back at the
  回访 event (the first of each). The ticket row carries them (``responded_at``,
  ``arrived_at``, ``called_back_at``: :data:`agentdesk.tickets.workflow.MET`, projected from the
  events like ``resolved_at``), so events are read only for a few tickets (the reopening
  of an unsatisfied one, escalations on the breach list, reports linked onto an open
  incident's tickets). A clock *breached in an hour* of the trend is one whose
  deadline fell in that hour and that was not met by then (a clock paused at its deadline
  is not counted).
* **KPIs** take the tickets *created* in the window. First response (resolution) on time:
  met by the deadline, out of the clocks decided (met, or past the deadline unmet).
  Average first response: creation to first response, over the tickets answered. Call-back
  done: tickets with a satisfaction recorded, out of those that owe a call-back
  (``due_callback`` set). Answered from the knowledge base: tickets with a linked article.
* **Mix** and **hot spots** count tickets created in the window; hot spots by the caller's
  street and community; repeat callers are numbers with two or more contacts in the window.
* **Incidents**: open incidents, with the calls they drew (their tickets plus the reports
  linked onto those tickets). **Notices**: outage notices in force, with the calls received
  since they started from customers living inside their area.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from agentdesk.core import clock

UTC_FMT = "%Y-%m-%d %H:%M:%S.%f"
OPEN = ("accepted", "dispatched", "on_site", "resolved")
LEVELS = ("ok", "warn", "breached", "paused")
PERIODS = ("today", "7d", "30d")
AREAS = ("urban", "rural", "remote")
CLOCKS = ("first_response", "arrival", "resolution", "callback")
UNSATISFIED = "不满意"  # workflow.UNSATISFIED: the call-back answer that reopens a ticket
WARN = 0.8  # share of a clock used that counts as 'over 80 %' (5 x used >= 4 x span)
LIST_LIMIT = 200  # rows kept for a list on the wall (the counts are always complete)
TOP = 10  # hot spots shown
REPEAT_CALLS = 2  # contacts in the window that make a repeat caller


def _t(value: datetime) -> str:
    from agentdesk.core.models import utc_text

    return utc_text(value)


def _load(text: str | None) -> datetime | None:
    from agentdesk.core.models import UTC

    return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None


def _conn(session) -> sqlite3.Connection:  # noqa: ANN001 - sqlmodel Session or sqlite3
    """The DB-API connection under a session (aggregate SQL runs on it directly)."""
    if isinstance(session, sqlite3.Connection):
        return session
    return session.connection().connection.driver_connection


# --- windows -----------------------------------------------------------------------------

def day_start(now: datetime) -> datetime:
    """Midnight of the centre's local day holding ``now``, in UTC."""
    local = clock.local(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(clock.UTC)


def windows(now: datetime) -> dict[str, tuple[datetime, datetime]]:
    """today (since local midnight), 7d and 30d (rolling), each up to now included (the
    windows are half-open, so they end just after now)."""
    end = now + timedelta(microseconds=1)
    return {"today": (day_start(now), end), "7d": (now - timedelta(days=7), end),
            "30d": (now - timedelta(days=30), end)}


# --- plain results -----------------------------------------------------------------------

@dataclass(frozen=True)
class BreachRow:
    number: str
    owner_code: str
    owner_name: str
    clock: str
    overdue_s: float
    escalated: bool  # a desk already recorded the 督办 event


@dataclass(frozen=True)
class OffShiftRow:
    number: str
    owner_code: str
    owner_name: str
    status: str


@dataclass(frozen=True)
class EventRow:
    kind: str  # incident / notice
    title: str
    area: str
    since: datetime
    calls: int


@dataclass(frozen=True)
class AgentRow:
    code: str
    name: str
    on_shift: bool
    open: int
    breached: int
    resolved_today: int
    callbacks_due: int


@dataclass(frozen=True)
class Kpi:
    tickets: int = 0
    fr_decided: int = 0
    fr_on_time: int = 0
    res_decided: int = 0
    res_on_time: int = 0
    fr_answered: int = 0
    fr_avg_s: float | None = None  # average time to first response
    callback_owed: int = 0
    callback_done: int = 0
    kb_answered: int = 0
    satisfaction: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def pct(part: int, whole: int) -> float | None:
        return 100.0 * part / whole if whole else None

    @property
    def fr_on_time_pct(self) -> float | None:
        return self.pct(self.fr_on_time, self.fr_decided)

    @property
    def res_on_time_pct(self) -> float | None:
        return self.pct(self.res_on_time, self.res_decided)

    @property
    def callback_done_pct(self) -> float | None:
        return self.pct(self.callback_done, self.callback_owed)

    @property
    def kb_pct(self) -> float | None:
        return self.pct(self.kb_answered, self.tickets)


@dataclass(frozen=True)
class Mix:
    by_type: dict[str, int]
    by_category: dict[str, int]
    by_category_area: dict[tuple[str, str], int]

    @property
    def total(self) -> int:
        return sum(self.by_type.values())


@dataclass(frozen=True)
class HotSpots:
    streets: list[tuple[str, str, int]]  # district, street, tickets
    communities: list[tuple[str, str, str, int]]  # district, street, community, tickets
    repeat_callers: list[tuple[str, str, int]]  # e164, customer name ('' unknown), contacts


@dataclass(frozen=True)
class Trend:
    hours: list[datetime]  # the start of each hour bucket (UTC), oldest first
    created: list[int]
    resolved: list[int]
    breached: list[int]


@dataclass(frozen=True)
class Wallboard:
    now: datetime
    states: dict[str, int]
    breaches: list[BreachRow]
    breach_count: int
    off_shift: list[OffShiftRow]
    off_shift_count: int
    events: list[EventRow]
    agents: list[AgentRow]
    mix: dict[str, Mix]
    kpis: dict[str, Kpi]
    hot: HotSpots
    trend: Trend
    seconds: float = 0.0  # how long the figures took


# --- now: SLA states, breaches, off shift, incidents and notices -------------------------

_NONE = "~"  # sorts after every timestamp text: "no such clock"


def _us(column: str) -> str:
    """SQL for a stored instant as whole microseconds: exact integer arithmetic, so 80 %
    of a clock is 80 % here exactly as in :func:`agentdesk.tickets.queue.clock_state`."""
    return (f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000 "
            f"+ CAST(substr({column}, 21, 6) AS INTEGER))")

_OPEN_SQL = ",".join(f"'{s}'" for s in OPEN)
_NEXT_DUE = f"""
WITH o AS (
  SELECT t.id, t.number, t.owner_id, t.status, t.paused_at, t.created_at, t.resolved_at,
         t.satisfaction, t.due_first_response AS fr, t.due_arrival AS ar, t.due_resolution AS re,
         t.due_callback AS cb,
         CASE t.status
           WHEN 'accepted' THEN min(coalesce(t.due_first_response, '{_NONE}'),
                                    coalesce(t.due_arrival, '{_NONE}'),
                                    coalesce(t.due_resolution, '{_NONE}'))
           WHEN 'dispatched' THEN min(coalesce(t.due_arrival, '{_NONE}'),
                                      coalesce(t.due_resolution, '{_NONE}'))
           WHEN 'on_site' THEN coalesce(t.due_resolution, '{_NONE}')
           ELSE coalesce(t.due_callback, '{_NONE}') END AS due
  FROM ticket t WHERE t.status IN ({_OPEN_SQL})
), c AS (
  SELECT o.*, CASE WHEN due = '{_NONE}' THEN ''
                   WHEN status IN ('accepted') AND due = fr THEN 'first_response'
                   WHEN status IN ('accepted', 'dispatched') AND due = ar THEN 'arrival'
                   WHEN status = 'resolved' THEN 'callback'
                   ELSE 'resolution' END AS clock
  FROM o
), s AS (
  SELECT c.*, CASE WHEN clock = 'callback' AND resolved_at IS NOT NULL THEN resolved_at
                   -- only an unsatisfied call-back reopens a ticket, and its satisfaction
                   -- stays: the events are looked at for those tickets alone
                   WHEN satisfaction = '{UNSATISFIED}' THEN
                        coalesce((SELECT max(r.at) FROM ticket_event r
                                  WHERE r.ticket_id = c.id AND r.kind = 'reopen'), created_at)
                   ELSE created_at END AS start
  FROM c
)
SELECT id, number, owner_id, clock, due,
       CASE WHEN paused_at IS NOT NULL THEN 'paused'
            WHEN clock = '' THEN 'ok'
            WHEN :now >= due THEN 'breached'
            -- 80 % used: 5 (now - start) >= 4 (due - start), in whole microseconds
            WHEN 5 * :now_us >= 4 * {_us("due")} + {_us("start")} THEN 'warn'
            ELSE 'ok' END AS level
FROM s
"""


def open_levels(session, now: datetime) -> list[tuple[str, str, str, str, str | None, str]]:  # noqa: ANN001
    """(ticket id, number, owner id, clock, due text, level) of every open ticket."""
    stamp = _t(now)
    now_us = int(datetime.fromisoformat(stamp).replace(tzinfo=clock.UTC).timestamp()) \
        * 1_000_000 + int(stamp[20:26])
    rows = _conn(session).execute(_NEXT_DUE, {"now": stamp, "now_us": now_us}).fetchall()
    return [(i, n, o, c, None if d == _NONE else d, lv) for i, n, o, c, d, lv in rows]


def _agents(conn: sqlite3.Connection) -> dict[str, tuple[str, str, bool, str]]:
    return {r[0]: (r[1], r[2], bool(r[3]), r[4]) for r in conn.execute(
        "SELECT id, code, name, on_shift, role FROM agent")}


def _breach_rows(conn: sqlite3.Connection, levels: list, agents: dict, now: datetime
                 ) -> list[BreachRow]:
    late = sorted((r for r in levels if r[5] == "breached"), key=lambda r: r[4])[:LIST_LIMIT]
    ids = [r[0] for r in late]
    escalated: set[str] = set()
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        escalated.update(r[0] for r in conn.execute(
            "SELECT DISTINCT ticket_id FROM ticket_event WHERE kind = 'escalation' AND "
            f"ticket_id IN ({','.join('?' * len(part))})", part))
    out = []
    for tid, number, owner, clock_name, due, _level in late:
        code, name, _on, _role = agents.get(owner, ("?", "", True, ""))
        out.append(BreachRow(number, code, name, clock_name,
                             (now - _load(due)).total_seconds(), tid in escalated))
    return out


def off_shift(session) -> tuple[list[OffShiftRow], int]:  # noqa: ANN001
    """Open tickets whose owner is off shift (nobody watches them), oldest first."""
    conn = _conn(session)
    # the few off-shift agents first, then their open tickets by (owner, status)
    count = conn.execute(
        "SELECT count(*) FROM ticket t WHERE t.owner_id IN (SELECT id FROM agent "
        f"WHERE NOT on_shift) AND t.status IN ({_OPEN_SQL})").fetchone()[0]
    rows = [OffShiftRow(*r) for r in conn.execute(
        "SELECT t.number, a.code, a.name, t.status FROM agent a CROSS JOIN ticket t "
        f"ON t.owner_id = a.id WHERE NOT a.on_shift AND t.status IN ({_OPEN_SQL}) "
        f"ORDER BY t.created_at LIMIT {LIST_LIMIT}")]
    return rows, count


def _place(*parts: str) -> str:
    return "".join(p for p in parts if p)


def events(session, now: datetime) -> list[EventRow]:  # noqa: ANN001
    """Open incidents and notices in force, each with the calls it drew."""
    conn = _conn(session)
    out: list[EventRow] = []
    incidents = conn.execute(
        "SELECT id, title, district, street, community, started_at FROM incident "
        "WHERE status = 'open' ORDER BY started_at").fetchall()
    if incidents:
        marks = ",".join("?" * len(incidents))
        ids = [i[0] for i in incidents]
        calls = dict(conn.execute(
            f"SELECT incident_id, count(*) FROM ticket WHERE incident_id IN ({marks}) "
            "GROUP BY incident_id", ids).fetchall())
        for iid, n in conn.execute(
                f"SELECT t.incident_id, count(*) FROM ticket t JOIN ticket_event e "
                f"ON e.ticket_id = t.id AND e.kind = 'linked_report' "
                f"WHERE t.incident_id IN ({marks}) GROUP BY t.incident_id", ids):
            calls[iid] = calls.get(iid, 0) + n
        for iid, title, d, s, c, started in incidents:
            out.append(EventRow("incident", title, _place(d, s, c), _load(started),
                                calls.get(iid, 0)))
    stamp = _t(now)
    for title, d, s, c, starts in conn.execute(
            "SELECT title, district, street, community, starts_at FROM notice "
            "WHERE starts_at <= ? AND ends_at >= ? ORDER BY starts_at", (stamp, stamp)
    ).fetchall():
        calls = conn.execute(
            "SELECT count(*) FROM contact k JOIN customer u ON u.id = k.customer_id "
            "WHERE k.started_at >= ? AND k.started_at <= ? AND u.district = ? "
            "AND (? = '' OR u.street = ?) AND (? = '' OR u.community = ?)",
            (starts, stamp, d, s, s, c, c)).fetchone()[0]
        out.append(EventRow("notice", title, _place(d, s, c), _load(starts), calls))
    return out


def agent_rows(session, now: datetime, levels: list | None = None) -> list[AgentRow]:  # noqa: ANN001
    """Per agent: open tickets, breaches, resolved today, call-backs due by tonight.
    Agents with nothing open, resolved or due are left out unless on shift."""
    conn = _conn(session)
    levels = open_levels(conn, now) if levels is None else levels
    agents = _agents(conn)
    opened: dict[str, int] = {}
    breached: dict[str, int] = {}
    for _tid, _n, owner, _c, _d, level in levels:
        opened[owner] = opened.get(owner, 0) + 1
        if level == "breached":
            breached[owner] = breached.get(owner, 0) + 1
    today = day_start(now)
    resolved = dict(conn.execute(
        "SELECT owner_id, count(*) FROM ticket WHERE resolved_at >= ? AND resolved_at <= ? "
        "GROUP BY owner_id", (_t(today), _t(now))).fetchall())
    tonight = _t(today + timedelta(days=1))
    callbacks = dict(conn.execute(
        "SELECT owner_id, count(*) FROM ticket WHERE status = 'resolved' "
        "AND due_callback IS NOT NULL AND due_callback < ? GROUP BY owner_id",
        (tonight,)).fetchall())
    out = []
    for aid, (code, name, on_shift, role) in agents.items():
        row = AgentRow(code, name, on_shift, opened.get(aid, 0), breached.get(aid, 0),
                       resolved.get(aid, 0), callbacks.get(aid, 0))
        if on_shift and role != "trainer" or row.open or row.resolved_today \
                or row.callbacks_due:
            out.append(row)
    return sorted(out, key=lambda r: (-r.breached, -r.open, r.code))


# --- mix, hot spots, KPIs ----------------------------------------------------------------

def _segments(spans: dict[str, tuple[datetime, datetime]]
              ) -> list[tuple[str, str, list[str]]]:
    """The windows cut at every boundary into disjoint pieces: (from, to, the windows each
    piece lies in), in stored-text form. A window's figure is the sum over its pieces, so
    each row is read once however the windows nest or overlap, with no test per row of
    which windows hold it and no grouping by window."""
    texts = {name: (_t(a), _t(b)) for name, (a, b) in spans.items()}
    cuts = sorted({t for pair in texts.values() for t in pair})
    out = []
    for lo, hi in zip(cuts, cuts[1:]):
        inside = [name for name, (a, b) in texts.items() if a <= lo and hi <= b]
        if inside:
            out.append((lo, hi, inside))
    return out


def mix(session, since: datetime, until: datetime) -> Mix:  # noqa: ANN001
    """Tickets created in [since, until) by business type, category, category x area."""
    return mixes(session, {"": (since, until)})[""]


def mixes(session, spans: dict[str, tuple[datetime, datetime]]) -> dict[str, Mix]:  # noqa: ANN001
    """:func:`mix` for several windows, each ticket read once."""
    conn = _conn(session)
    out = {n: Mix({}, {}, {}) for n in spans}
    for lo, hi, inside in _segments(spans):
        rows = conn.execute(
            "SELECT business_type, category, area_class, count(*) FROM ticket "
            "WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2, 3", (lo, hi)).fetchall()
        for name in inside:
            m = out[name]
            for btype, cat, area, n in rows:
                m.by_type[btype] = m.by_type.get(btype, 0) + n
                m.by_category[cat] = m.by_category.get(cat, 0) + n
                m.by_category_area[(cat, area)] = m.by_category_area.get((cat, area), 0) + n
    return out


def hot_spots(session, since: datetime, until: datetime, top: int = TOP) -> HotSpots:  # noqa: ANN001
    conn = _conn(session)
    span = (_t(since), _t(until))
    streets: dict[tuple[str, str], int] = {}
    communities: dict[tuple[str, str, str], int] = {}
    # counted per caller first: each customer row is then looked up once, not per ticket
    for district, street, community, n in conn.execute(
            "SELECT c.district, c.street, c.community, sum(t.n) FROM ("
            "  SELECT customer_id, count(*) AS n FROM ticket"
            "  WHERE created_at >= ? AND created_at < ? AND customer_id IS NOT NULL"
            "  GROUP BY customer_id) t JOIN customer c ON c.id = t.customer_id "
            "GROUP BY 1, 2, 3", span):
        if street:
            streets[(district, street)] = streets.get((district, street), 0) + n
        if community:
            communities[(district, street, community)] = n

    def best(counts: dict) -> list:
        return [(*k, n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]

    repeat = [tuple(r) for r in conn.execute(
        "SELECT r.number, coalesce(u.name, ''), r.n FROM ("
        "  SELECT k.number, max(k.customer_id) AS cid, count(*) AS n FROM contact k"
        "  WHERE k.started_at >= ? AND k.started_at < ? AND k.number != ''"
        "  GROUP BY k.number HAVING n >= ?) r LEFT JOIN customer u ON u.id = r.cid "
        "ORDER BY r.n DESC, r.number LIMIT ?", (*span, REPEAT_CALLS, top))]
    return HotSpots(best(streets), best(communities), repeat)


# Each figure is a sum of a condition over the tickets of a window.
_KPI_FIGURES = (
    "1",
    "fr IS NOT NULL AND (responded IS NOT NULL OR fr <= :now)",
    "fr IS NOT NULL AND responded IS NOT NULL AND responded <= fr",
    "re IS NOT NULL AND (resolved_at IS NOT NULL OR re <= :now)",
    "re IS NOT NULL AND resolved_at IS NOT NULL AND resolved_at <= re",
    "responded IS NOT NULL",
    None,  # the average time to first response
    "cb IS NOT NULL",
    "cb IS NOT NULL AND satisfaction != ''",
    "kb",
)
# The met times are on the row (workflow.MET, projected from the events): no event is read.
_KPI_ROWS = """
  SELECT t.created_at, t.resolved_at, t.satisfaction, t.due_first_response AS fr,
         t.due_resolution AS re, t.due_callback AS cb, t.responded_at AS responded,
         EXISTS (SELECT 1 FROM ticket_article a WHERE a.ticket_id = t.id) AS kb
  FROM ticket t WHERE t.created_at >= :lo AND t.created_at < :hi"""


def kpis(session, since: datetime, until: datetime, now: datetime | None = None) -> Kpi:  # noqa: ANN001
    """KPIs of the tickets created in [since, until), as of ``now``."""
    return kpi_set(session, {"": (since, until)}, now)[""]


def kpi_set(session, spans: dict[str, tuple[datetime, datetime]],  # noqa: ANN001
            now: datetime | None = None) -> dict[str, Kpi]:
    """:func:`kpis` for several windows, each ticket read once."""
    conn = _conn(session)
    now = now or clock.now()
    columns = ["sum(" + ("(julianday(responded) - julianday(created_at)) * 86400.0 "
                         "* (responded IS NOT NULL)" if f is None else f) + ")"
               for f in _KPI_FIGURES]
    totals = {name: [0.0] * len(_KPI_FIGURES) for name in spans}
    satisfaction: dict[str, dict[str, int]] = {name: {} for name in spans}
    for lo, hi, inside in _segments(spans):
        params = {"now": _t(now), "lo": lo, "hi": hi}
        values = conn.execute(f"SELECT {', '.join(columns)} FROM ({_KPI_ROWS})",
                              params).fetchone()
        answers = conn.execute(
            "SELECT satisfaction, count(*) FROM ticket WHERE created_at >= :lo "
            "AND created_at < :hi AND satisfaction != '' GROUP BY 1", params).fetchall()
        for name in inside:
            totals[name] = [a + (b or 0) for a, b in zip(totals[name], values)]
            for value, n in answers:
                satisfaction[name][value] = satisfaction[name].get(value, 0) + n
    out = {}
    for name in spans:
        total, frd, frt, red, ret, answered, seconds, owed, done, kb = (
            int(v) if k != 6 else v for k, v in enumerate(totals[name]))
        out[name] = Kpi(total, frd, frt, red, ret, answered,
                        seconds / answered if answered else None, owed, done, kb,
                        satisfaction[name])
    return out


# --- the trend ---------------------------------------------------------------------------

# whole seconds (strftime %s), not julianday: a float would put 01:00:00 in 00:00's hour
_BUCKET = ("(CAST(strftime('%s', {col}) AS INTEGER) "
           "- CAST(strftime('%s', :lo) AS INTEGER)) / 3600")
# Clocks that fell due in the window and were not met by then (the met times are on the
# row, workflow.MET), per hour of their deadline: one pass over the tickets with a clock
# due in the window, each turned into its four (deadline, met) pairs.
_TREND_BREACHES = f"""
WITH r AS (
  SELECT t.due_first_response AS fr, t.due_arrival AS ar, t.due_resolution AS re,
         t.due_callback AS cb, t.responded_at, t.arrived_at, t.resolved_at,
         t.called_back_at, t.paused_at
  FROM ticket t
  WHERE (t.due_first_response >= :lo AND t.due_first_response <= :now)
     OR (t.due_arrival >= :lo AND t.due_arrival <= :now)
     OR (t.due_resolution >= :lo AND t.due_resolution <= :now)
     OR (t.due_callback >= :lo AND t.due_callback <= :now)
), k(n) AS (VALUES (0), (1), (2), (3)), c AS (
  SELECT CASE n WHEN 0 THEN fr WHEN 1 THEN ar WHEN 2 THEN re ELSE cb END AS due,
         CASE n WHEN 0 THEN responded_at WHEN 1 THEN arrived_at WHEN 2 THEN resolved_at
                ELSE called_back_at END AS met, paused_at
  FROM r CROSS JOIN k
)
SELECT {_BUCKET.format(col="due")} AS b, count(*) FROM c
WHERE due >= :lo AND due <= :now
  AND (met IS NULL OR met > due)  -- not met by the deadline
  AND (paused_at IS NULL OR paused_at > due)  -- a clock paused at its deadline is not late
GROUP BY b
"""


def trend(session, now: datetime, hours: int = 24) -> Trend:  # noqa: ANN001
    """Per hour over the last ``hours`` hours (the last bucket is the current hour, up to
    now): tickets created, tickets resolved, clocks breached."""
    conn = _conn(session)
    top = now.replace(minute=0, second=0, microsecond=0)
    lo = top - timedelta(hours=hours - 1)
    starts = [lo + timedelta(hours=i) for i in range(hours)]
    params = {"lo": _t(lo), "now": _t(now)}

    def per_hour(sql: str) -> list[int]:
        out = [0] * hours
        for b, n in conn.execute(sql, params):
            if 0 <= b < hours:
                out[b] += n
        return out

    def counted(col: str) -> str:
        return (f"SELECT {_BUCKET.format(col=col)} AS b, count(*) FROM ticket "
                f"WHERE {col} >= :lo AND {col} <= :now GROUP BY b")

    return Trend(starts, per_hour(counted("created_at")), per_hour(counted("resolved_at")),
                 per_hour(_TREND_BREACHES))


# --- everything at once ------------------------------------------------------------------

LIVE_PERIODS = ("today",)  # read on every refresh, with the SLA states and the trend
REVIEW_PERIODS = ("7d", "30d")  # the period figures: the monitor reads them less often


def live(source, now: datetime | None = None) -> dict:  # noqa: ANN001
    """What changes minute by minute: SLA states, breaches, off-shift owners, incidents and
    notices, agent load, the trend, today's mix and KPIs. Fields of :class:`Wallboard`."""
    conn = _conn(source)
    now = now or clock.now()
    spans = windows(now)
    part = _now_part(conn, now)
    periods = {p: spans[p] for p in LIVE_PERIODS}
    part["mix"], part["kpis"] = mixes(conn, periods), kpi_set(conn, periods, now)
    return part


def review(source, now: datetime | None = None) -> dict:  # noqa: ANN001
    """The period figures: mix and KPIs for 7 and 30 days, hot spots over 7 days."""
    conn = _conn(source)
    now = now or clock.now()
    spans = windows(now)
    periods = {p: spans[p] for p in REVIEW_PERIODS}
    return {"mix": mixes(conn, periods), "kpis": kpi_set(conn, periods, now),
            "hot": hot_spots(conn, *spans["7d"])}


EMPTY_HOT = HotSpots([], [], [])


def combine(now: datetime, live_part: dict, review_part: dict | None,
            seconds: float = 0.0) -> Wallboard:
    """One wallboard from the two halves (period figures empty until first read)."""
    review_part = review_part or {}
    mix = {p: Mix({}, {}, {}) for p in PERIODS}
    kpi = {p: Kpi() for p in PERIODS}
    mix.update(review_part.get("mix", {}))
    kpi.update(review_part.get("kpis", {}))
    mix.update(live_part["mix"])
    kpi.update(live_part["kpis"])
    fields = {k: v for k, v in live_part.items() if k not in ("mix", "kpis")}
    return Wallboard(now=now, mix=mix, kpis=kpi, hot=review_part.get("hot", EMPTY_HOT),
                     seconds=seconds, **fields)


def wallboard(source, now: datetime | None = None) -> Wallboard:  # noqa: ANN001
    """Every figure at once (run it in a worker thread, never on the UI thread).

    ``source`` is a session or connection (the halves read one after the other), or a
    :class:`~agentdesk.core.store.Store`: then :func:`live` and :func:`review` are read on two
    read-only connections at once (SQLite lets go of the GIL while it works). Each
    connection reads its own consistent snapshot."""
    began = time.perf_counter()
    now = now or clock.now()
    if hasattr(source, "raw"):
        from concurrent.futures import ThreadPoolExecutor

        def side(job):  # noqa: ANN001, ANN202
            conn = source.raw()
            try:
                return job(conn, now)
            finally:
                conn.close()

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="monitor") as pool:
            later = pool.submit(side, review)
            live_part = side(live)
            review_part = later.result()
    else:
        live_part, review_part = live(source, now), review(source, now)
    return combine(now, live_part, review_part, time.perf_counter() - began)


def _now_part(conn: sqlite3.Connection, now: datetime) -> dict:
    levels = open_levels(conn, now)
    states = dict.fromkeys(LEVELS, 0)
    for row in levels:
        states[row[5]] += 1
    shift_rows, shift_count = off_shift(conn)
    return dict(states=states, breaches=_breach_rows(conn, levels, _agents(conn), now),
                breach_count=states["breached"], off_shift=shift_rows,
                off_shift_count=shift_count, events=events(conn, now),
                agents=agent_rows(conn, now, levels), trend=trend(conn, now))
