"""The wallboard's period figures (no textual import): the windows (today, 7 and 30
days), the ticket mix, hot spots, KPIs and the 24-hour trend. Each is one aggregate query
(or a few) per window piece; definitions are in :mod:`agentdesk.monitor.figures`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from agentdesk.core import clock
from agentdesk.monitor.db import Source, connection, stamp

PERIODS = ("today", "7d", "30d")
AREAS = ("urban", "rural", "remote")  # sla.AREAS: the area classes of the mix
TOP = 10  # hot spots shown
REPEAT_CALLS = 2  # contacts in the window that make a repeat caller


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


# --- mix, hot spots, KPIs ----------------------------------------------------------------

def segments(spans: dict[str, tuple[datetime, datetime]]
              ) -> list[tuple[str, str, list[str]]]:
    """The windows cut at every boundary into disjoint pieces: (from, to, the windows each
    piece lies in), in stored-text form. A window's figure is the sum over its pieces, so
    each row is read once however the windows nest or overlap, with no test per row of
    which windows hold it and no grouping by window."""
    texts = {name: (stamp(a), stamp(b)) for name, (a, b) in spans.items()}
    cuts = sorted({t for pair in texts.values() for t in pair})
    out = []
    for lo, hi in zip(cuts, cuts[1:]):
        inside = [name for name, (a, b) in texts.items() if a <= lo and hi <= b]
        if inside:
            out.append((lo, hi, inside))
    return out


def mix(session: Source, since: datetime, until: datetime) -> Mix:
    """Tickets created in [since, until) by business type, category, category x area."""
    return mixes(session, {"": (since, until)})[""]


def mixes(session: Source, spans: dict[str, tuple[datetime, datetime]]
           ) -> dict[str, Mix]:
    """:func:`mix` for several windows, each ticket read once."""
    conn = connection(session)
    out = {n: Mix({}, {}, {}) for n in spans}
    for lo, hi, inside in segments(spans):
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


def hot_spots(session: Source, since: datetime, until: datetime, top: int = TOP
              ) -> HotSpots:
    conn = connection(session)
    span = (stamp(since), stamp(until))
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


def kpis(session: Source, since: datetime, until: datetime,
         now: datetime | None = None) -> Kpi:
    """KPIs of the tickets created in [since, until), as of ``now``."""
    return kpi_set(session, {"": (since, until)}, now)[""]


def kpi_set(session: Source, spans: dict[str, tuple[datetime, datetime]],
            now: datetime | None = None) -> dict[str, Kpi]:
    """:func:`kpis` for several windows, each ticket read once."""
    conn = connection(session)
    now = now or clock.now()
    columns = ["sum(" + ("(julianday(responded) - julianday(created_at)) * 86400.0 "
                         "* (responded IS NOT NULL)" if f is None else f) + ")"
               for f in _KPI_FIGURES]
    totals = {name: [0.0] * len(_KPI_FIGURES) for name in spans}
    satisfaction: dict[str, dict[str, int]] = {name: {} for name in spans}
    for lo, hi, inside in segments(spans):
        params = {"now": stamp(now), "lo": lo, "hi": hi}
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


def trend(session: Source, now: datetime, hours: int = 24) -> Trend:
    """Per hour over the last ``hours`` hours (the last bucket is the current hour, up to
    now): tickets created, tickets resolved, clocks breached."""
    conn = connection(session)
    top = now.replace(minute=0, second=0, microsecond=0)
    lo = top - timedelta(hours=hours - 1)
    starts = [lo + timedelta(hours=i) for i in range(hours)]
    params = {"lo": stamp(lo), "now": stamp(now)}

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
