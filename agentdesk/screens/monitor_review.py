"""The monitor's review KPIs of issue 17, as table rows (drawn by
:class:`agentdesk.screens.monitor.MonitorScreen` on its KPI tab): satisfaction rate against
the centre's target, first-contact resolution, reopen rate; complaint class x urban /
rural / remote with shares and the on-time rate per class; on-time and reopen rates per
category and per agent. Definitions: :mod:`agentdesk.monitor.kpis`. Labels are data:
rich Text, never markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from collections.abc import Callable

    from agentdesk.monitor.kpis import Counts, Review
    from agentdesk.tickets.complaint_classes import Classes

REVIEW_PERIOD = "30d"  # the class and per-category / per-agent tables: the month


def pct(value: float | None, below: float | None = None) -> Text:
    """A percentage; red when under ``below`` (the target)."""
    if value is None:
        return Text("—", justify="right")
    late = below is not None and value < below
    return Text(f"{value:.1f}%", justify="right", style="bold red" if late else "")


def kpi_rows(more: dict[str, Review], periods: tuple, target: int) -> dict[str, list]:
    """Rows for the KPI matrix (one column per period)."""
    return {
        t("monitor.kpi.satisfaction_rate"): [pct(more[p].total.satisfaction_pct, target)
                                             for p in periods],
        t("monitor.kpi.satisfaction_target"): [Text(f"{target}%", justify="right")
                                               for _ in periods],
        t("monitor.kpi.fcr"): [pct(more[p].total.fcr_pct) for p in periods],
        t("monitor.kpi.reopen"): [pct(more[p].total.reopen_pct) for p in periods],
    }


CLASS_COLUMNS = ("class", "urban", "rural", "remote", "total", "share", "on_time")


def class_rows(review: Review, classes: Classes | None, lang: str) -> list[tuple]:
    """Complaint class x area: count (share of the area's complaints) per area, total,
    share of every complaint, on-time rate."""
    from agentdesk.monitor.periods import AREAS

    def label(code: str) -> str:
        if not code:
            return t("report.class.none")
        return classes.label(code, lang) if classes is not None else code

    rows = []
    for code in sorted(review.by_class, key=lambda k: (-review.by_class[k].tickets, k)):
        cells = []
        for area in AREAS:
            n = review.class_area.get((code, area), 0)
            share = review.area_share(code, area)
            cells.append(Text(f"{n} ({share:.0f}%)" if share is not None else str(n),
                              justify="right"))
        counts = review.by_class[code]
        rows.append((Text(label(code)), *cells, Text(str(counts.tickets), justify="right"),
                     pct(review.class_share(code)), pct(counts.on_time_pct)))
    return rows


GROUP_COLUMNS = ("name", "tickets", "on_time", "reopen")


def group_rows(groups: dict[str, Counts], label: Callable[[str], str]) -> list[tuple]:
    """Per category or per agent: tickets, on-time rate, reopen rate (most tickets first)."""
    return [(Text(label(k) or "—"), Text(str(c.tickets), justify="right"),
             pct(c.on_time_pct), pct(c.reopen_pct))
            for k, c in sorted(groups.items(), key=lambda kv: (-kv[1].tickets, kv[0]))]
