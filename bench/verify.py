"""``agentdesk bench sync``'s verify figures: ``sync --verify`` on the bench's synced
1,000,000-customer desk (median and p99 of several runs), against the naive way in the
same run (every row of every shared table read from both sides and compared in Python),
and one customer deleted by hand on the desk: found, and brought back by ``--repair``."""

from __future__ import annotations

import time
from pathlib import Path

from bench.stats import summary

RUNS, NAIVE_RUNS = 5, 2


def _naive(desk: object, centre: object) -> int:
    """Every row of every shared table from both sides, in key order, compared row by
    row (a merge, so memory stays flat): the rows that differ. The baseline that moves
    the whole centre over the network."""
    from agentdesk.sync import verify

    differ = 0
    for entity in verify.SHARED:
        key = verify.key_expr(entity)
        order = f'{key} COLLATE "C"' if centre.dialect == "postgresql" else key  # type: ignore
        cols = ", ".join(f"x.{c}" for c in verify.codec.columns(entity))
        # no watchdog here: reading every row may take longer than one round of work
        with centre.engine.connect() as far, desk.engine.connect() as near:  # type: ignore
            theirs = far.execution_options(stream_results=True, max_row_buffer=5000) \
                .exec_driver_sql(f"SELECT {key}, {centre.desk_columns(entity)} "  # type: ignore
                                 f"FROM {entity} x ORDER BY {order}")
            mine = near.exec_driver_sql(f"SELECT {key}, {cols} FROM {entity} x ORDER BY {key}")
            a, b = next(mine, None), next(theirs, None)
            while a is not None or b is not None:
                if b is None or (a is not None and a[0] < b[0]):
                    differ, a = differ + 1, next(mine, None)
                elif a is None or b[0] < a[0]:
                    differ, b = differ + 1, next(theirs, None)
                else:
                    differ += tuple(map(str, a)) != tuple(map(str, b))
                    a, b = next(mine, None), next(theirs, None)
    return differ


def measure(url: str, desk_path: Path) -> dict:
    from agentdesk.sync import central, engine, outbox, repair, verify

    desk = outbox.open_syncing_desk(desk_path)
    centre = central.connect(url)
    try:
        engine.sync_once(desk, centre)
        runs, verdict = [], None
        for _ in range(RUNS):
            began = time.perf_counter()
            verdict = verify.verify(desk, centre)
            runs.append(time.perf_counter() - began)
        assert verdict is not None
        naive, naive_differ = [], 0
        for _ in range(NAIVE_RUNS):
            began = time.perf_counter()
            naive_differ = _naive(desk, centre)
            naive.append(time.perf_counter() - began)
        with desk.engine.connect() as conn:
            victim = conn.exec_driver_sql("SELECT id FROM customer ORDER BY id LIMIT 1 OFFSET "
                                          "500000").scalar() or conn.exec_driver_sql(
                "SELECT max(id) FROM customer").scalar()
        with desk.engine.begin() as conn:  # by hand: nothing goes to the outbox
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
            conn.exec_driver_sql("DELETE FROM customer_key WHERE customer_id = key_ref(?)",
                                 (victim,))
            conn.exec_driver_sql("DELETE FROM customer_phone WHERE customer_id = ?", (victim,))
            conn.exec_driver_sql("DELETE FROM customer WHERE id = ?", (victim,))
        began = time.perf_counter()
        found = verify.verify(desk, centre)
        find_s = time.perf_counter() - began
        began = time.perf_counter()
        done = repair.repair(desk, centre, found.differences)
        engine.sync_once(desk, centre)
        after = verify.verify(desk, centre)
        repair_s = time.perf_counter() - began
        rows = {t.entity: t.desk for t in verdict.tables}
        return {"verify": summary(runs), "naive": summary(naive), "equal": verdict.equal,
                "naive_differ": naive_differ, "customers": rows["customer"],
                "rows": sum(rows.values()), "found": len(found.differences),
                "find_s": find_s, "repaired": done, "repair_s": repair_s,
                "equal_after": after.equal}
    finally:
        centre.dispose()
        desk.dispose()
