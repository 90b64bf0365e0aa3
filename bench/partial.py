"""``agentdesk bench partial``: a partial desk's lookup through the centre (issue 21, item 4),
beside the same queries on the desk's own file.

The customers, phones and lookup keys of a desk database (``--db``, made by ``agentdesk
demo-data``) are copied with COPY into a throw-away PostgreSQL database (``--central``:
the server to make it on, default 127.0.0.1:5432), made by ``central init`` (schema 11,
its lookup indexes). Queries are sampled from the file as :mod:`bench.lookup` samples them;
each runs through :func:`agentdesk.sync.remote.search` (the code the lookup screen's worker
calls, one pooled connection, loopback) and, as the baseline, through ``lookup.search`` on
the desk file. Median and p99 in ms, per kind and over all queries.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from bench.stats import summary

if TYPE_CHECKING:
    import psycopg

KINDS = ("phone full", "phone last 4", "phone last 7", "account", "name", "pinyin initials",
         "full pinyin", "address", "two clues: surname + district")
ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
COPY_BATCH = 50_000


def _copy(raw: sqlite3.Connection, pg: psycopg.Connection, table: str, columns: list[str],
          select: str = "") -> int:
    """One desk table into the centre's table of the same columns, by COPY (``select``:
    what to read instead of the columns)."""
    cols = ", ".join(columns)
    rows = raw.execute(f"SELECT {select or cols} FROM {table}")
    done = 0
    with pg.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        while batch := rows.fetchmany(COPY_BATCH):
            for row in batch:
                copy.write_row(row)
            done += len(batch)
    return done


def main(db: str | None, queries: int = 500, admin: str | None = None, seed: int = 7) -> int:
    import psycopg

    from agentdesk.core import store
    from agentdesk.customers import lookup
    from agentdesk.sync import central, codec, remote
    from bench.lookup import sample

    console = Console()
    if not db or not Path(db).is_file():
        console.print("bench partial needs --db PATH: a database made by "
                      "`agentdesk demo-data --db PATH --customers 200000`")
        return 2
    admin = admin or ADMIN
    name = f"agentdesk_partial_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{admin.rsplit('/', 1)[0]}/{name}"
    desk = store.open_desk(Path(db))
    try:
        raw = desk.raw()
        centre = central.connect(url)
        centre.init_schema()
        began = time.perf_counter()
        with psycopg.connect(url) as pg:
            pg.execute("SET session_replication_role = replica")  # no change-log triggers
            count = _copy(raw, pg, "customer", codec.columns("customer"))
            _copy(raw, pg, "customer_phone", codec.columns("customer_phone"))
            _copy(raw, pg, "customer_key", ["key", "customer_id"],
                  "key, key_id(customer_id)")  # the desk's ids are packed, the centre's text
            pg.commit()
        with psycopg.connect(url, autocommit=True) as pg:
            pg.execute("VACUUM ANALYZE")
        console.print(f"centre {name}: {count:,} customers copied in "
                      f"{time.perf_counter() - began:.0f} s")
        samples = sample(raw, queries, seed)
        table = Table(title=f"agentdesk bench partial: {count:,} customers, {queries} queries "
                            "per kind; through the centre (PostgreSQL, loopback) vs the "
                            "desk's own file (ms)")
        for column in ("kind", "centre p50", "centre p99", "centre max", "found",
                       "desk p50", "desk p99"):
            table.add_column(column, justify="left" if column == "kind" else "right")
        every_far: list[float] = []
        every_here: list[float] = []
        with desk.session() as session:
            for q in samples["name"][:50]:  # warm both sides; not counted
                remote.search(centre, q)
                lookup.search(session, q)
            for kind in KINDS:
                far, here, hits = [], [], 0
                for q in samples[kind]:
                    t0 = time.perf_counter()
                    got = remote.search(centre, q)
                    far.append((time.perf_counter() - t0) * 1000)
                    t0 = time.perf_counter()
                    mine = lookup.search(session, q)
                    here.append((time.perf_counter() - t0) * 1000)
                    # found: the centre gives the sampled customer when the desk does
                    want = {m.customer_id for m in mine}
                    hits += bool(want & {m.customer_id for m in got}) or not want
                f, h = summary(far), summary(here)
                every_far += far
                every_here += here
                table.add_row(kind, f"{f['median']:.2f}", f"{f['p99']:.2f}", f"{f['max']:.1f}",
                              f"{hits / len(far):.0%}", f"{h['median']:.2f}", f"{h['p99']:.2f}")
        f, h = summary(every_far), summary(every_here)
        table.add_row("all", f"{f['median']:.2f}", f"{f['p99']:.2f}", f"{f['max']:.1f}", "",
                      f"{h['median']:.2f}", f"{h['p99']:.2f}")
        console.print(table)
        console.print(f"goal: a lookup through the centre, p99 under 20 ms: "
                      f"{'met' if f['p99'] < 20 else 'MISSED'} ({f['p99']:.2f} ms over "
                      f"{f['n']} queries)")
        centre.dispose()
        return 0
    finally:
        desk.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
