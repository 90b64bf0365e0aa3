"""Find-any-ticket cost on a generated desk (issue 17): median and p99 of
:func:`agentdesk.tickets.search.search` against a naive full scan in Python. Make the
desk, then run::

    agentdesk demo-data --db /tmp/big.db --customers 20000 --tickets 100000
    agentdesk bench find --big-db /tmp/big.db [--runs 30]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from agentdesk.core import store
from agentdesk.tickets import search

if TYPE_CHECKING:
    from sqlmodel import Session


def naive(session: Session, q: str) -> tuple[list, int]:
    """A full scan: every ticket's text read into Python, matched, sorted newest first."""
    rows = session.connection().execute(text(
        "SELECT id, number, created_at, description, location, complained_party "
        "FROM ticket")).all()
    words = q.lower().split()
    hits = [r for r in rows if r.number == q or (q.isdigit() and r.number.endswith(q))
            or all(w in f"{r.description} {r.location} {r.complained_party}".lower()
                   for w in words)]
    hits.sort(key=lambda r: r.created_at, reverse=True)
    return hits[:50], len(hits)


def measure(fn: Callable[[], Any], repeats: int) -> tuple[float, float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))], out


def main(path: str, repeats: int = 30) -> int:
    desk = store.open_desk(path)
    with desk.session() as s:
        number = s.connection().execute(text(
            "SELECT number FROM ticket ORDER BY created_at LIMIT 1 OFFSET 5000")).scalar()
        queries = {"full number": number, "last 4 digits": number[-4:],
                   "last 6 digits": number[-6:], "common word 停水": "停水",
                   "rarer word 三相电": "三相电", "two words 停水 小时": "停水 小时",
                   "absent word 火星": "火星", "location 金水区": "金水区"}
        print(f"{'query':<24}{'hits':>6}{'more':>6}{'median ms':>11}{'p99 ms':>9}"
              f"{'naive med':>11}{'naive p99':>11}{'naive all':>10}")
        for name, q in queries.items():
            med, p99, found = measure(lambda q=q: search.search(s, q), repeats)
            nmed, np99, (_, total) = measure(lambda q=q: naive(s, q), repeats)
            print(f"{name:<24}{len(found.hits):>6}{found.more!s:>6}{med:>11.1f}{p99:>9.1f}"
                  f"{nmed:>11.1f}{np99:>11.1f}{total:>10}")
    desk.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 30))
