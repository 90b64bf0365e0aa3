"""``agentdesk bench lookup``: caller lookup latency per query kind, beside a naive LIKE.

Queries are built from customers sampled (seeded) from the database itself, in the forms
callers give them. Each kind runs ``queries`` times through ``lookup.search`` — the code
the screen uses — and a sample of the same queries runs through the naive baseline
(``LIKE '%q%'`` over name, account, address and phones: a full scan, so fewer runs:
at most ``baseline`` per kind, and no more than :data:`NAIVE_BUDGET` seconds of them once
one has run — at ten million customers one scan takes seconds, and the column ``naive n``
says how many ran).
The file size is shown with and without the search keys (SQLite's dbstat).
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.stats import summary

KINDS = ("phone full", "phone last 4", "phone last 7", "account", "name", "given name",
         "pinyin initials", "full pinyin", "address",
         # issue 18
         "account with letters", "account last 6", "meter", "meter last 6", "honorific",
         "two clues: surname + district", "two clues: name + community",
         "two clues: honorific + phone last 4", "two clues: initials + community")
# Input that must be answered at once (< 50 ms), never by a scan.
BAD = ("先生", "！！！（）", " ".join("张王李赵刘陈杨黄"), "张" * 200, "%张%", "张*", '"张"',
       "NEAR(张 王)", "张 OR 王", "_" * 50, "1" * 100)
# Accounts rewritten in the letter forms real billing systems issue (inside the bench's
# transaction, rolled back at the end): the stored form and the form a caller types.
LETTERED = ("W-{}", "w{}")
PAGE = 20  # matches on one screen (lookup.search's default limit)
NAIVE_BUDGET = 5.0  # seconds of naive scans per kind, after the first


def _national(e164: str) -> str:
    return e164[3:] if e164.startswith("+86") else e164


def _phone_form(e164: str, n: int) -> str:
    digits = _national(e164)
    if digits.startswith("1"):
        forms = (digits, f"{digits[:3]} {digits[3:7]} {digits[7:]}",
                 f"+86 {digits[:3]}-{digits[3:7]}-{digits[7:]}")
    else:  # landline: area code, then the local number
        area, local = digits[:3], digits[3:]
        forms = (f"0{digits}", f"0{area}-{local[:4]} {local[4:]}", f"(0{area}){local}")
    return forms[n % len(forms)]


def sample(conn: sqlite3.Connection, n: int, seed: int) -> dict[str, list[str]]:
    from agentdesk.core import search_keys

    rng = random.Random(seed)
    lo, hi = conn.execute("SELECT min(rowid), max(rowid) FROM customer").fetchone()
    out: dict[str, list[str]] = {kind: [] for kind in (*KINDS, "lettered")}
    while len(out["name"]) < n:
        row = conn.execute(
            "SELECT c.id, c.account_no, c.name, c.community, c.building, "
            "(SELECT e164 FROM customer_phone p WHERE p.customer_id = c.id ORDER BY position "
            "LIMIT 1), c.meter_no, c.district FROM customer c WHERE rowid >= ? LIMIT 1",
            (rng.randint(lo, hi),)).fetchone()
        if row is None or row[5] is None:
            continue
        cid, account, name, community, building, e164, meter, district = row
        i = len(out["name"])
        digits = _national(e164)
        readings = search_keys.name_readings(name)[0]
        out["phone full"].append(_phone_form(e164, i))
        out["phone last 4"].append(digits[-4:])
        out["phone last 7"].append(digits[-7:])
        out["account"].append(account)
        out["name"].append(name)
        out["given name"].append(search_keys.split_name(name)[1] or name)
        out["pinyin initials"].append("".join(s[0] for s in readings if s))
        out["full pinyin"].append("".join(readings))
        out["address"].append(f"{community}{building}")
        out["lettered"].append(cid)
        out["account with letters"].append(LETTERED[1].format(account))
        out["account last 6"].append(account[-6:])
        out["meter"].append(meter.lower())
        out["meter last 6"].append(meter[-6:])
        surname = search_keys.split_name(name)[0]
        out["honorific"].append(surname + ("先生", "女士", "师傅")[i % 3])
        out["two clues: surname + district"].append(f"{surname} {district}")
        out["two clues: name + community"].append(f"{name} {community}")
        out["two clues: honorific + phone last 4"].append(f"老{surname} {digits[-4:]}")
        out["two clues: initials + community"].append(
            "".join(s[0] for s in readings if s) + " " + community)
    return out


def letter_accounts(conn: sqlite3.Connection, ids: list[str]) -> None:
    """The sampled customers' accounts in a lettered form, keys and all (the caller's
    transaction; the bench rolls it back)."""
    from agentdesk.core import search_keys

    before = search_keys.current(conn, ids)
    conn.executemany("UPDATE customer SET account_no = ? || account_no WHERE id = ?",
                     [(LETTERED[0].format(""), cid) for cid in ids])
    search_keys.refresh(conn, ids, before)


def _naive(conn: sqlite3.Connection) -> Callable[[str], list]:
    """Every clue LIKE-matched against every field (a full scan): the same words an
    agent would type into a web help desk's search box."""
    one = ("(c.name LIKE {q} OR c.account_no LIKE {q} OR c.meter_no LIKE {q} OR c.district "
           "LIKE {q} OR (c.street || c.community || c.building || c.unit || c.room) LIKE {q} "
           "OR c.id IN (SELECT customer_id FROM customer_phone WHERE e164 LIKE {q}))")

    def run(query: str) -> list:
        words = query.split() or [query]
        where = " AND ".join(one.format(q=f":q{n}") for n in range(len(words)))
        return conn.execute(f"SELECT c.id FROM customer c WHERE {where} LIMIT 20",
                            {f"q{n}": f"%{w}%" for n, w in enumerate(words)}).fetchall()

    return run


def _time(fn: Callable[[str], list], queries: list[str], targets: list[str] | None = None,
          budget: float | None = None) -> tuple[list[float], int]:
    """Times per query, and how many found their customer: the sampled one is among the
    matches, or the page is full (a common name: the agent narrows). Without targets: any
    match. ``budget``: stop once this many seconds have gone (after one query at least)."""
    times, hits = [], 0
    for n, q in enumerate(queries):
        if budget is not None and times and sum(times) >= budget * 1000:
            break
        start = time.perf_counter()
        result = fn(q)
        times.append((time.perf_counter() - start) * 1000)
        if targets is None:
            hits += bool(result)
        else:
            hits += len(result) >= PAGE or any(m.customer_id == targets[n] for m in result)
    return times, hits


def sizes(path: Path) -> tuple[float, float]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        total = conn.execute("SELECT sum(pgsize) FROM dbstat").fetchone()[0]
        keys = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'customer_key'"
                            ).fetchone()[0] or 0
    finally:
        conn.close()
    return total / 1e6, (total - keys) / 1e6


def main(db: str | None, queries: int = 1000, baseline: int = 20, seed: int = 7) -> int:
    from agentdesk.customers import lookup
    from agentdesk.core import store

    console = Console()
    if not db or not Path(db).is_file():
        console.print("bench lookup needs --db PATH: a database made by "
                      "`agentdesk demo-data --db PATH --customers 1000000`")
        return 2
    desk = store.open_desk(Path(db))
    raw = desk.raw()
    count = raw.execute("SELECT count(*) FROM customer").fetchone()[0]
    samples = sample(raw, queries, seed)
    naive = _naive(raw)
    table = Table(title=f"agentdesk bench lookup: {count:,} customers, {queries} queries per "
                        f"kind through lookup.search; naive LIKE on up to {baseline} of them (ms); "
                        f"found: the sampled customer among the matches, or {PAGE} shown")
    for column in ("kind", "p50", "p99", "max", "found", "naive n", "naive p50", "naive p99",
                   "x faster"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    with desk.session() as session:
        def ours(q: str) -> list:
            return lookup.search(session, q)

        driver = session.connection().connection.driver_connection
        driver.execute("SAVEPOINT bench_letters")  # undone at the end, whatever the mode
        letter_accounts(driver, samples["lettered"])
        _time(ours, samples["name"][:50])  # warm the page cache; not counted
        for kind in KINDS:
            times, hits = _time(ours, samples[kind], samples["lettered"])
            s = summary(times)
            naive_times, _ = _time(naive, samples[kind][:baseline], budget=NAIVE_BUDGET)
            n = summary(naive_times)
            table.add_row(kind, f"{s['median']:.3f}", f"{s['p99']:.3f}", f"{s['max']:.2f}",
                          f"{hits / len(times):.0%}", str(len(naive_times)),
                          f"{n['median']:.1f}", f"{n['p99']:.1f}",
                          f"{n['median'] / s['median']:.0f}")

        def guarded(q: str) -> list:
            try:
                return lookup.search(session, q)
            except lookup.QueryError:
                return []

        bad, _ = _time(guarded, list(BAD) * 20)
        b = summary(bad)
        table.add_row("bad input (honorific alone, punctuation, 8 clues, 200 characters, "
                      "LIKE/FTS syntax)", f"{b['median']:.3f}", f"{b['p99']:.3f}",
                      f"{b['max']:.2f}", "", "", "", "", "")
        driver.execute("ROLLBACK TO bench_letters")  # the lettered accounts were the bench's
        driver.execute("RELEASE bench_letters")
    raw.close()
    desk.dispose()
    console.print(table)
    total, without = sizes(Path(db))
    console.print(f"database {total:,.0f} MB; without the search keys {without:,.0f} MB "
                  f"(x{total / without:.2f})")
    return 0
