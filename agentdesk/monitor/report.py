"""The monthly review's tables as CSV (no textual import): the ticket mix, the KPIs and the
hot spots of the tickets created between two local dates (both included), from the same
figures as the wallboard (:mod:`agentdesk.monitor.figures`).

Files are UTF-8 with a byte-order mark, so spreadsheet programs open the Chinese text
correctly; every header is in the interface language (one language a file), the codes
stay beside the labels as data. Text
cells that a spreadsheet would run as a formula get a leading quote (a ``+86`` phone
too); counts stay numbers (:mod:`agentdesk.core.csvsafe`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import csv
from datetime import date, datetime, time, timedelta
from pathlib import Path

from agentdesk.core import clock, csvsafe
from agentdesk.monitor import figures as monitor, kpis
from agentdesk.core.i18n import satisfaction_label, t

if TYPE_CHECKING:
    from agentdesk.monitor.db import Source

FILES = ("mix_business_type.csv", "mix_category.csv", "mix_category_area.csv", "kpi.csv",
         "hot_streets.csv", "hot_communities.csv", "repeat_callers.csv",
         # issue 17 (agentdesk/monitor/kpis.py has the definitions)
         "complaint_class_area.csv", "channel_mix.csv", "kpi_by_category.csv",
         "kpi_by_agent.csv",
         # issue 19: how every call ended (customers/wrapup.py)
         "call_outcomes.csv")
TOP = 50


def span(first: date, last: date) -> tuple[datetime, datetime]:
    """[local midnight of ``first``, local midnight after ``last``) as UTC instants."""
    tz = clock.centre_tz()
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(clock.UTC), end.astimezone(clock.UTC)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def tables(session: Source, first: date, last: date,
           target: int = kpis.DEFAULT_TARGET) -> dict[str, list[list[object]]]:
    """Each file's rows (header first), for writing or checking; ``target``: the centre's
    satisfaction target in % (config ``satisfaction_target``)."""
    from agentdesk.tickets import taxonomy, workflow
    from agentdesk.core.i18n import lang

    tax = taxonomy.load()
    since, until = span(first, last)
    mix = monitor.mix(session, since, until)
    kpi = monitor.kpis(session, since, until)
    hot = monitor.hot_spots(session, since, until, top=TOP)
    zh = lang() == "zh"

    def cat_label(code: str) -> str:
        cat = tax.categories.get(code)
        return cat.label(lang()) if cat else code

    def type_label(code: str) -> str:
        names = tax.business_types.get(code)
        return (names[0] if zh else names[1]) if names else code

    def ordered(counts: dict) -> list:
        return sorted(counts, key=lambda k: (-counts[k], k))

    total = t("monitor.col.total")
    out: dict[str, list[list[object]]] = {}
    out["mix_business_type.csv"] = [[t("report.col.code"), t("monitor.col.business_type"),
                                     t("monitor.col.tickets")]] + [
        [k, type_label(k), mix.by_type[k]] for k in ordered(mix.by_type)]
    out["mix_category.csv"] = [[t("report.col.code"), t("monitor.col.category"),
                                t("monitor.col.business_type"), t("monitor.col.tickets")]] + [
        [k, cat_label(k), type_label(tax.categories[k].business_type)
         if k in tax.categories else "", mix.by_category[k]] for k in ordered(mix.by_category)]
    out["mix_category_area.csv"] = [[t("report.col.code"), t("monitor.col.category"),
                                     *[t(f"monitor.area.{a}") for a in monitor.AREAS], total]] + [
        [k, cat_label(k), *[mix.by_category_area.get((k, a), 0) for a in monitor.AREAS],
         mix.by_category[k]] for k in ordered(mix.by_category)]
    avg_min = "" if kpi.fr_avg_s is None else f"{kpi.fr_avg_s / 60:.1f}"
    rows: list[list[object]] = [
        ["tickets", t("monitor.kpi.tickets"), kpi.tickets, "", ""],
        ["first_response_on_time_pct", t("monitor.kpi.fr_on_time"),
         _pct(kpi.fr_on_time_pct), kpi.fr_on_time, kpi.fr_decided],
        ["resolution_on_time_pct", t("monitor.kpi.res_on_time"),
         _pct(kpi.res_on_time_pct), kpi.res_on_time, kpi.res_decided],
        ["first_response_avg_min", t("monitor.kpi.fr_avg"), avg_min, "", kpi.fr_answered],
        ["callback_done_pct", t("monitor.kpi.callback_done"), _pct(kpi.callback_done_pct),
         kpi.callback_done, kpi.callback_owed],
        ["kb_answered_pct", t("monitor.kpi.kb"), _pct(kpi.kb_pct), kpi.kb_answered,
         kpi.tickets],
    ]
    values = list(workflow.SATISFACTION)
    values += sorted(set(kpi.satisfaction) - set(values))
    for value in values:
        rows.append([f"satisfaction:{value}",
                     t("monitor.kpi.satisfaction", value=satisfaction_label(value)),
                     kpi.satisfaction.get(value, 0), "", ""])
    more = kpis.review(session, since, until)
    rows += review_rows(more, target)
    out["kpi.csv"] = [[t("report.col.kpi_code"), t("monitor.col.kpi"), t("report.col.value"),
                       t("report.col.part"), t("report.col.whole")], *rows]
    out.update(review_tables(session, more))
    out["hot_streets.csv"] = [[t("report.col.district"), t("monitor.col.street"),
                               t("monitor.col.tickets")]] + [list(r) for r in hot.streets]
    out["hot_communities.csv"] = [[t("report.col.district"), t("report.col.street_code"),
                                   t("monitor.col.community"),
                                   t("monitor.col.tickets")]] + [list(r) for r in
                                                                 hot.communities]
    out["repeat_callers.csv"] = [[t("monitor.col.caller"), t("monitor.col.name"),
                                  t("monitor.col.contacts")]] + [list(r) for r in
                                                                 hot.repeat_callers]
    out["call_outcomes.csv"] = outcome_rows(session, since, until)
    return out


def outcome_rows(session: Source, since: datetime, until: datetime) -> list[list[object]]:
    """Calls started in the span by wrap-up code (customers.wrapup.CODES, then "ticket",
    then calls not wrapped up), with each one's share of all calls."""
    from agentdesk.core.models import utc_text
    from agentdesk.customers import wrapup
    from agentdesk.monitor.db import connection

    counts = dict(connection(session).execute(
        "SELECT outcome, count(*) FROM contact WHERE started_at >= ? AND started_at < ? "
        "GROUP BY outcome", (utc_text(since), utc_text(until))).fetchall())
    whole = sum(counts.values())
    order = [*wrapup.CODES, "ticket", ""]
    order += sorted(k for k in counts if k not in order)  # a code a newer desk wrote
    return [[t("report.col.code"), t("report.col.outcome"), t("report.col.calls"),
             t("report.col.share_all")]] + [
        [code or "none", wrapup.label(code), counts[code],
         _pct(kpis.Counts.pct(counts[code], whole))] for code in order if counts.get(code)]


def review_rows(more: kpis.Review, target: int) -> list[list[object]]:
    """kpi.csv's rows of issue 17: satisfaction rate and target, FCR, reopen rate."""
    total = more.total
    return [
        ["satisfaction_rate_pct", t("monitor.kpi.satisfaction_rate"),
         _pct(total.satisfaction_pct), total.satisfied, total.answered],
        ["satisfaction_target_pct", t("monitor.kpi.satisfaction_target"), target, "", ""],
        ["first_contact_resolution_pct", t("monitor.kpi.fcr"), _pct(total.fcr_pct),
         total.fcr, total.tickets],
        ["reopen_pct", t("monitor.kpi.reopen"), _pct(total.reopen_pct), total.reopened,
         total.tickets],
    ]


def review_tables(session: Source, more: kpis.Review) -> dict[str, list[list[object]]]:
    """Complaint class x area (counts and the share of each area's complaints, on-time
    rate per class), the channel mix, on-time and reopen rates per category and agent."""
    from agentdesk.tickets import complaint_classes, taxonomy
    from agentdesk.core.i18n import lang

    classes = complaint_classes.for_session(session)
    tax = taxonomy.load()
    areas = monitor.AREAS
    out: dict[str, list[list[object]]] = {}

    def class_label(code: str) -> str:
        return classes.label(code, lang()) if code else t("report.class.none")

    def cat_label(code: str) -> str:
        cat = tax.categories.get(code)
        return cat.label(lang()) if cat else code

    def share(klass: str, area: str) -> str:
        return _pct(more.area_share(klass, area))

    order = sorted(more.by_class, key=lambda k: (-more.by_class[k].tickets, k))
    out["complaint_class_area.csv"] = [[
        t("report.col.code"), t("report.col.class"), *[t(f"monitor.area.{a}") for a in areas],
        *[t("report.col.share", area=t(f"monitor.area.{a}")) for a in areas],
        t("monitor.col.total"), t("report.col.share_all"), t("report.col.on_time")]] + [
        [k, class_label(k), *[more.class_area.get((k, a), 0) for a in areas],
         *[share(k, a) for a in areas], more.by_class[k].tickets, _pct(more.class_share(k)),
         _pct(more.by_class[k].on_time_pct)] for k in order]
    whole = sum(more.channels.values())
    out["channel_mix.csv"] = [[t("report.col.code"), t("report.col.channel"),
                               t("monitor.col.tickets"), t("report.col.share_all")]] + [
        [k, t(f"channel.{k}"), n, _pct(kpis.Counts.pct(n, whole))]
        for k, n in sorted(more.channels.items(), key=lambda kv: (-kv[1], kv[0]))]
    head = [t("monitor.col.tickets"), t("report.col.on_time"), "on_time", "decided",
            t("monitor.kpi.reopen"), "reopened"]

    def figures(c: kpis.Counts) -> list[object]:
        return [c.tickets, _pct(c.on_time_pct), c.on_time, c.decided, _pct(c.reopen_pct),
                c.reopened]

    out["kpi_by_category.csv"] = [[t("report.col.code"), t("monitor.col.category"), *head]] + [
        [k, cat_label(k), *figures(c)] for k, c in sorted(more.by_category.items())]
    out["kpi_by_agent.csv"] = [[t("monitor.col.agent"), *head]] + [
        [k, *figures(c)] for k, c in sorted(more.by_agent.items())]
    return out


def callers(made: dict[str, list[list[object]]]) -> list[str]:
    """The callers (numbers) a report's tables name: what its audit row lists."""
    return [str(r[0]) for r in made.get("repeat_callers.csv", [])[1:]]


def write_csv(session: Source, folder: Path, first: date, last: date) -> list[Path]:
    """Write every table into ``folder``; returns the files written."""
    return write_tables(tables(session, first, last), folder)


def write_tables(made: dict[str, list[list[object]]], folder: Path) -> list[Path]:
    """Write tables made by :func:`tables` into ``folder``; returns the files written."""
    from agentdesk.core import private

    folder = private.folder(Path(folder))  # a new folder 0700; the user's own left as it is
    written = []
    for name, rows in made.items():
        path = folder / name
        with private.open_write(path, encoding="utf-8-sig", newline="") as out:
            csv.writer(out).writerows(csvsafe.row(r) for r in rows)
        written.append(path)
    return written
