"""The simulated day's report (``agentdesk bench day --report DIR``): ``day.md`` with the
figures a centre manager reads, and SVG charts of the day (calls and open tickets per
hour, breaches per hour, sync time per desk): a picture, not only a table. The SVG is
written by hand (a few rectangles and lines): no plotting library for four charts.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

from bench.stats import percentile, summary


def _rows(centre: Any, sql: str, **params: object) -> list[tuple]:
    import sqlalchemy as sa

    with centre.reading(seconds=120) as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params).all()]


def bars(title: str, labels: list[str], series: dict[str, list[float]],
         width: int = 760, height: int = 260) -> str:
    """Grouped bars, one colour per series, the value axis from zero."""
    colours = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
    top = max([v for values in series.values() for v in values] + [1])
    left, bottom, plot_w, plot_h = 50, height - 40, width - 70, height - 80
    slot = plot_w / max(1, len(labels))
    bar_w = slot * 0.8 / max(1, len(series))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="14">'
           f'{escape(title)}</text>',
           f'<line x1="{left}" y1="{bottom}" x2="{left + plot_w}" y2="{bottom}" '
           'stroke="#333"/>',
           f'<text x="{left - 6}" y="{bottom - plot_h + 4}" text-anchor="end">'
           f'{top:g}</text>',
           f'<text x="{left - 6}" y="{bottom}" text-anchor="end">0</text>']
    for i, label in enumerate(labels):
        x0 = left + i * slot + slot * 0.1
        for j, values in enumerate(series.values()):
            value = values[i] if i < len(values) else 0
            h = plot_h * value / top
            out.append(f'<rect x="{x0 + j * bar_w:.1f}" y="{bottom - h:.1f}" '
                       f'width="{bar_w:.1f}" height="{h:.1f}" '
                       f'fill="{colours[j % len(colours)]}"/>')
        out.append(f'<text x="{left + (i + 0.5) * slot:.1f}" y="{bottom + 14}" '
                   f'text-anchor="middle">{escape(label)}</text>')
    for j, name in enumerate(series):
        out.append(f'<rect x="{left + j * 140}" y="{height - 14}" width="10" height="10" '
                   f'fill="{colours[j % len(colours)]}"/><text x="{left + j * 140 + 14}" '
                   f'y="{height - 5}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out)


# Sync lag: how old a desk's ticket event is when the centre has it (its change-log row,
# stamped by the centre's own clock in wall time). The event's ``at`` is on the day's fast
# clock: ``wall0 + (at - start) / speed`` is the wall instant it was made. Not the events
# the centre itself makes while it applies a push (an ownership conflict, a renumbering):
# they carry the centre's real clock, not the day's, and read as made hours ahead (a lag
# of -100 s at 50 desks).
_DESK_MADE = "e.kind NOT IN ('conflict', 'renumbered')"
_LAG = """
SELECT d.name,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY lag),
       percentile_cont(0.99) WITHIN GROUP (ORDER BY lag), count(*)
FROM (SELECT cl.origin,
             extract(epoch FROM cl.at)
             - (:wall0 + extract(epoch FROM (e.at - :start)) / :speed) AS lag
      FROM change_log cl JOIN ticket_event e ON e.id = cl.row_id
      WHERE cl.entity = 'ticket_event' AND e.at >= :start AND %s) x
JOIN desk d ON d.id = x.origin
GROUP BY d.name ORDER BY d.name""" % _DESK_MADE


def lag(centre: Any, start: datetime, wall0: float, speed: float) -> dict[str, tuple]:
    """Per desk name: (p50, p99, n) of the wall seconds from a ticket event made on the
    desk to its arrival at the centre (multiply by ``speed`` for simulated seconds)."""
    return {name: (float(p50), float(p99), n) for name, p50, p99, n in _rows(
        centre, _LAG, wall0=wall0, start=start, speed=speed)}


# The other half of a change's journey: when did every *other* desk have it? A desk's log
# holds its pull cursor after each sync with the wall time; an event arrived at the first
# sync whose cursor reached its change-log seq.
_MADE = """
SELECT cl.seq, d.name, :wall0 + extract(epoch FROM (e.at - :start)) / :speed
FROM change_log cl JOIN ticket_event e ON e.id = cl.row_id JOIN desk d ON d.id = cl.origin
WHERE cl.entity = 'ticket_event' AND e.at >= :start AND %s ORDER BY cl.seq""" % _DESK_MADE


def spread(centre: Any, logs: list[dict], start: datetime, wall0: float,
           speed: float, faulted: set[str] = frozenset()) -> dict[str, tuple]:
    """Per receiving desk name: (p50, p99, n, p99 of the events made on desks without a
    fault) of the wall seconds from a ticket event made on another desk to its arrival on
    this one (only events made after this desk's first sync: a late joiner's first pull
    of the morning is not lag). An offline desk's events are an hour old when they come
    back: the last figure says what the others' events take."""
    from bisect import bisect_left

    made = _rows(centre, _MADE, wall0=wall0, start=start, speed=speed)
    out = {}
    for log in logs:
        marks = log.get("cursors") or []
        if not marks:
            continue
        # cursors only move forward; a running maximum guards a restarted desk's log
        walls, reach, top = [], [], 0
        for wall, cursor in marks:
            top = max(top, cursor)
            walls.append(wall)
            reach.append(top)
        ages, healthy = [], []
        for seq, origin, at in made:
            if origin == log.get("name") or float(at) < walls[0]:
                continue
            k = bisect_left(reach, seq)
            if k < len(reach):
                ages.append(walls[k] - float(at))
                if origin not in faulted:
                    healthy.append(ages[-1])
        if ages:
            out[log.get("name") or log.get("code", "")] = (
                percentile(ages, 50), percentile(ages, 99), len(ages),
                percentile(healthy, 99) if healthy else float("nan"))
    return out


def cpu_mark(centre: Any) -> tuple[float, float | None]:
    """CPU seconds so far of this process's finished children (the desks, the watch) and
    of PostgreSQL's finished backends (its postmaster's children: every connection that
    closed, on this machine; None when the server is elsewhere or its files unreadable).
    Two marks bracket the day; the desks' backends end with the desks."""
    import resource

    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    mine = kids.ru_utime + kids.ru_stime
    try:
        folder = _rows(centre, "SELECT setting FROM pg_settings WHERE name = "
                               "'data_directory'")[0][0]
        pid = int(Path(folder, "postmaster.pid").read_text().split()[0])
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return mine, (int(fields[13]) + int(fields[14])) / tick  # cutime, cstime
    except Exception:  # noqa: BLE001 - a figure, if there is one
        return mine, None


def cpu_use(centre: Any, before: tuple, after: tuple, wall0: float,
            play_s: float) -> dict[str, Any]:
    """Where the machine's CPU went during the day: the desks and the watch (this driver's
    children) against PostgreSQL, per change the centre logged; the line says it."""
    changes = _rows(centre, "SELECT count(*) FROM change_log WHERE at >= to_timestamp(:w)",
                    w=wall0)[0][0]
    desks = after[0] - before[0]
    pg = after[1] - before[1] if after[1] is not None and before[1] is not None else None
    cores = os.cpu_count() or 1
    line = (f"CPU over the day's {play_s:.0f} s on {cores} cores: desks and watch "
            f"{desks:.0f} s ({desks / max(play_s, 1e-9):.1f} cores)")
    if pg is not None:
        line += (f", PostgreSQL {pg:.0f} s ({pg / max(play_s, 1e-9):.2f} cores, "
                 f"{pg * 1000 / max(changes, 1):.2f} ms per change, {changes} changes)")
    return {"desks_s": desks, "pg_s": pg, "changes": changes, "play_s": play_s,
            "cores": cores, "line": line}


def figures(centre: Any, start: datetime, hours: int,
            surge: tuple[float, float] | None = None) -> dict[str, Any]:
    """Per hour of the day and in total, read at the centre. ``surge``: the outage's
    surge hour as wall-clock epoch seconds (the change log keeps the centre's real time),
    for the change rate the centre took while the outage area rang."""
    def hour_of(at: datetime) -> int:
        return max(0, min(hours - 1, int((at - start).total_seconds() // 3600)))

    calls = Counter(hour_of(r[0]) for r in _rows(centre, "SELECT started_at FROM contact "
                                                         "WHERE started_at >= :s", s=start))
    tickets = _rows(centre, "SELECT created_at, resolved_at, category, area_class, "
                            "satisfaction, reopen_count, due_first_response, responded_at "
                            "FROM ticket")
    breaches = Counter(hour_of(r[0]) for r in _rows(
        centre, "SELECT at FROM ticket_event WHERE kind = 'escalation'"))
    open_per_hour = []
    for h in range(hours):
        edge = start + timedelta(hours=h + 1)
        open_per_hour.append(sum(1 for c, r, *_ in tickets
                                 if c < edge and (r is None or r >= edge)))
    rated = [t[4] for t in tickets if t[4]]
    on_time = [t for t in tickets if t[6] is not None and t[7] is not None]
    dubans = _rows(centre, "SELECT count(*) FROM ticket_event WHERE kind = 'duban'")[0][0]
    conflicts = _rows(centre, "SELECT count(*) FROM ticket_event WHERE kind = 'conflict'")
    outcomes = _rows(centre, "SELECT outcome, count(*) FROM contact WHERE started_at >= :s "
                             "GROUP BY outcome ORDER BY 2 DESC", s=start)
    # the centre's busiest second (its own clock: the change log's commit time)
    busiest = _rows(centre, "SELECT count(*) FROM change_log WHERE entity IN ('ticket', "
                            "'ticket_event', 'contact', 'outreach_event') GROUP BY "
                            "date_trunc('second', at) ORDER BY 1 DESC LIMIT 1")
    at_surge = None
    if surge is not None:
        busy = _rows(centre, "SELECT count(*) FROM change_log WHERE at >= to_timestamp(:a) "
                             "AND at < to_timestamp(:b) GROUP BY date_trunc('second', at) "
                             "ORDER BY 1 DESC", a=surge[0], b=surge[1])
        total = sum(n for (n,) in busy)
        at_surge = (total / max(1e-9, surge[1] - surge[0]), busy[0][0] if busy else 0)
    return {
        "at_surge": at_surge,
        "calls": [calls.get(h, 0) for h in range(hours)],
        "open": open_per_hour,
        "breaches": [breaches.get(h, 0) for h in range(hours)],
        "tickets": len(tickets),
        "by_category": Counter(t[2] for t in tickets).most_common(),
        "by_area": Counter(t[3] for t in tickets).most_common(),
        "first_response_on_time": (sum(t[7] <= t[6] for t in on_time) / len(on_time)
                                   if on_time else None),
        "satisfied": (sum(s in ("非常满意", "满意", "基本满意") for s in rated) / len(rated)
                      if rated else None),
        "reopen_rate": (sum(1 for t in tickets if t[5]) / len(tickets) if tickets else None),
        "escalations": sum(breaches.values()), "dubans": dubans,
        "conflicts": conflicts[0][0] if conflicts else 0,
        "busiest_second": busiest[0][0] if busiest else 0,
        "outcomes": outcomes,
    }


def _cell(text: str) -> str:
    """Text for a Markdown table cell: its bars and angle brackets cannot break the table."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _label(i: int, log: dict) -> str:
    """A desk as the other tables name it (its agent's desk name), else its index."""
    return log.get("name") or f"desk{i}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def write(folder: Path, run: dict[str, Any], figs: dict[str, Any],
          checks: list[tuple[str, bool, str]], logs: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    hours = len(figs["calls"])
    labels = [f"{(run['start_hour'] + h) % 24:02d}" for h in range(hours)]
    (folder / "calls.svg").write_text(bars("Calls and open tickets per hour", labels, {
        "calls": figs["calls"], "open tickets": figs["open"]}), encoding="utf-8")
    (folder / "breaches.svg").write_text(bars("Escalations (breaches) per hour", labels, {
        "escalations": figs["breaches"]}), encoding="utf-8")
    lag = {_label(i, log): summary([s[1] * 1000 for s in log.get("syncs", [])] or [0])
           for i, log in enumerate(logs)}
    names = list(lag)
    (folder / "sync.svg").write_text(bars("Sync time per desk (ms)", names, {
        "p50": [lag[n]["median"] for n in names], "p99": [lag[n]["p99"] for n in names]}),
        encoding="utf-8")
    lines = [f"# A simulated day: {run['desks']} desks, {run['hours']} h at speed "
             f"{run['speed']}, faults {'on' if run['faults'] else 'off'}", "",
             f"Wall time {run['wall_s']:.0f} s; seed {run['seed']}; centre PostgreSQL.", "",
             "## Invariants", "", "| check | result | detail |", "|---|---|---|"]
    lines += [f"| {name} | {'PASS' if ok else '**FAIL**'} | {_cell(detail)} |"
              for name, ok, detail in checks]
    lines += ["", "## The day", "",
              f"- calls: {sum(figs['calls'])}; tickets: {figs['tickets']}; answered from "
              f"the knowledge base: {sum(log.get('answered', 0) for log in logs)}",
              f"- first response on time: {_pct(figs['first_response_on_time'])}; "
              f"satisfied (非常满意 + 满意 + 基本满意): {_pct(figs['satisfied'])}; reopen "
              f"rate: {_pct(figs['reopen_rate'])}",
              f"- escalations: {figs['escalations']}; 督办: {figs['dubans']}; 签收 "
              f"(acknowledgements, each answering every open 督办 of a ticket): "
              f"{sum(log.get('acks', 0) for log in logs)}; ownership "
              f"conflicts: {figs['conflicts']}; hand-overs: "
              f"{sum(log.get('handovers', 0) for log in logs)}",
              f"- the centre's busiest second: {figs['busiest_second']} changes"
              + (f"; during the outage surge: {figs['at_surge'][0]:.1f} changes/s on "
                 f"average, {figs['at_surge'][1]} in its busiest second"
                 if figs.get("at_surge") else ""),
              "- calls by wrap-up: " + ", ".join(f"{code or 'none'} {n}"
                                                 for code, n in figs["outcomes"]),
              f"- by category: {', '.join(f'{c} {n}' for c, n in figs['by_category'])}",
              f"- by area class: {', '.join(f'{c} {n}' for c, n in figs['by_area'])}", "",
              "![calls](calls.svg)", "", "![breaches](breaches.svg)", "",
              "## Sync per desk", "",
              "| desk | syncs | failed | p50 ms | p99 ms | peak MB | errors |",
              "|---|---|---|---|---|---|---|"]
    for i, log in enumerate(logs):
        s = lag[_label(i, log)]
        lines.append(f"| {_cell(_label(i, log))} | {len(log.get('syncs', []))} | "
                     f"{log.get('sync_failures', 0)} | {s['median']:.0f} | {s['p99']:.0f} "
                     f"| {log.get('max_rss_mb', 0)} "
                     f"| {len(log.get('errors', []))} |")
    lines += ["", "![sync](sync.svg)", ""]
    order = [_label(i, log) for i, log in enumerate(logs)]
    ages = {n: run["lag"][n] for n in order if n in (run.get("lag") or {})}
    speed = run["speed"]
    if ages:  # issue 22: sync lag as the age of a change when the centre has it
        lines += ["## Sync lag per desk", "",
                  "From a ticket event made on the desk to its arrival at the centre "
                  "(wall seconds; simulated = wall × speed).", "",
                  "| desk | events | p50 s (wall) | p99 s (wall) | p50 min (simulated) "
                  "| p99 min (simulated) |", "|---|---|---|---|---|---|"]
        lines += [f"| {_cell(name)} | {n} | {p50:.1f} | {p99:.1f} | {p50 * speed / 60:.1f} "
                  f"| {p99 * speed / 60:.1f} |" for name, (p50, p99, n) in ages.items()]
        names = list(ages)
        (folder / "lag.svg").write_text(bars("Sync lag per desk (wall s)", names, {
            "p50": [ages[n][0] for n in names], "p99": [ages[n][1] for n in names]}),
            encoding="utf-8")
        lines += ["", "![lag](lag.svg)", ""]
    spread = run.get("spread") or {}
    if spread:  # and from the centre on to every other desk
        lines += ["## Sync lag to the other desks", "",
                  "From a ticket event made on another desk to its arrival on this one "
                  "(through the centre; wall seconds). The last column leaves out the events "
                  "made on the desks with a fault (offline, killed, stalled, joining late).",
                  "", "| desk | events | p50 s (wall) | p99 s (wall) | p50 min (simulated) "
                  "| p99 min (simulated) | p99 s, from desks without a fault |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {_cell(name)} | {n} | {p50:.1f} | {p99:.1f} | {p50 * speed / 60:.1f} "
                  f"| {p99 * speed / 60:.1f} | {ok99:.1f} |".replace("| nan |", "| – |")
                  for name, (p50, p99, n, ok99) in spread.items()]
        names = list(spread)
        (folder / "spread.svg").write_text(bars("Sync lag to the other desks (wall s)", names, {
            "p50": [spread[n][0] for n in names], "p99": [spread[n][1] for n in names]}),
            encoding="utf-8")
        lines += ["", "![spread](spread.svg)", ""]
    if run.get("cpu"):
        lines += ["## Where the CPU went", "", f"- {run['cpu']['line']}", ""]
    said, planned = run.get("faults_seen") or [], run.get("planned") or []
    if said or planned or run.get("kills"):
        lines += ["## Faults", ""]
        lines += [f"- {_cell(line)}" for line in planned + said]
        for kill in run.get("kills") or []:
            lines.append(f"- kill -9 of {kill['desk']} at {kill['at']}: "
                         + (f"inside its sync, at `{kill['point']}` ({kill['outbox']} "
                            "changes in its outbox)" if kill["point"] else
                            "not inside a sync"))
        lines.append("")
    path = folder / "day.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
