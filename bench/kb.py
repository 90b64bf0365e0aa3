"""``agentdesk bench kb``: knowledge-base search latency and ranking quality.

* latency: every question of ``tests/kb_queries.tsv``, repeated to at least 1,000 searches,
  over the shipped articles and over 5,000 articles generated from them (deterministic:
  titles varied, sentences recombined across articles), each in a temporary database;
* quality: recall@1, recall@3 and MRR on the quality set, for :func:`agentdesk.kb.search`,
  for SQLite's trigram tokenizer and for a naive baseline (``title LIKE '%query%'``), in
  the same run.
"""

from __future__ import annotations

import csv
import math
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.stats import summary

QUALITY_SET = Path(__file__).resolve().parent.parent / "tests" / "kb_queries.tsv"
GENERATED = 5000
MIN_SEARCHES = 1000
SEED = 4

PLACES = ("金水区", "二七区", "中原区", "管城区", "惠济区", "高新区", "经开区", "航空港区",
          "郑东新区", "上街区")
VARIANTS = ("（{place}）", "：{place}口径", "（{place}试行）", "—{place}补充说明", "（{place}版）")


def load_quality_set(path: Path = QUALITY_SET) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        next(reader)
        return [(row[0], row[1]) for row in reader if len(row) >= 2]


def generate(count: int, seed: int = SEED) -> list:
    """``count`` articles recombined from the shipped ones (same seed, same articles)."""
    from dataclasses import replace

    from agentdesk.kb import loader

    shipped = [loader.read_file(p) for p in sorted(loader.SHIPPED_DIR.glob("*.md"))]
    rng = random.Random(seed)
    sentences = [s for a in shipped for s in re.findall(r"[^。\n]+。", a.body)]
    phrasings = [s for a in shipped for s in a.synonyms.splitlines()]
    out = []
    for n in range(count):
        base = shipped[n % len(shipped)]
        place = PLACES[(n // len(shipped)) % len(PLACES)]
        title = base.title + rng.choice(VARIANTS).format(place=place)
        sections = []
        for heading in ("答复口径", "处理步骤", "时限承诺", "何时转工单"):
            sections.append(f"## {heading}\n\n" + "".join(rng.sample(sentences, 4)))
        out.append(replace(
            base, id=f"gen-{n:05d}-{base.id}", title=title,
            synonyms="\n".join(rng.sample(phrasings, 3) + base.synonyms.splitlines()[:2]),
            body="\n\n".join(sections) + "\n"))
    return out


def _fill(store, articles: list) -> None:  # noqa: ANN001
    from agentdesk.kb import loader

    with store.session() as session:
        loader.upsert(session.connection(), articles, loader.KbImportReport())
        session.connection().exec_driver_sql("INSERT INTO kb_fts(kb_fts) VALUES ('optimize')")


def _latencies(store, queries: list[str], rounds: int) -> list[float]:  # noqa: ANN001
    from agentdesk.kb import search

    times: list[float] = []
    with store.session() as session:
        search.search(session, queries[0])  # warm pypinyin and SQLite's cache
        for _ in range(rounds):
            for q in queries:
                start = time.perf_counter()
                search.search(session, q, limit=10)
                times.append((time.perf_counter() - start) * 1000)
    return times


def naive_title_like(session, query: str, limit: int = 10) -> list[str]:  # noqa: ANN001
    """The baseline: the query as one substring of the title."""
    rows = session.connection().exec_driver_sql(
        "SELECT id FROM kb_article WHERE title LIKE ? ESCAPE '\\' ORDER BY id LIMIT ?",
        ("%" + re.sub(r"([%_\\])", r"\\\1", query.strip()) + "%", limit))
    return [r[0] for r in rows]


def quality(store, pairs: list[tuple[str, str]], rank) -> dict[str, float]:  # noqa: ANN001
    """recall@1, recall@3 and MRR (over the first 10) of ``rank(session, query)``."""
    r1 = r3 = rr = 0.0
    with store.session() as session:
        for query, want in pairs:
            try:
                ids = rank(session, query)[:10]
            except ValueError:
                ids = []
            r1 += ids[:1] == [want]
            r3 += want in ids[:3]
            rr += 1 / (ids.index(want) + 1) if want in ids else 0
    n = len(pairs) or 1
    return {"recall@1": r1 / n, "recall@3": r3 / n, "MRR": rr / n}


class TrigramBaseline:
    """SQLite's own ``trigram`` tokenizer over the raw text (same columns and weights), the
    alternative the issue names: it cannot match a two-character word."""

    def __init__(self) -> None:
        import sqlite3

        from agentdesk.kb import loader

        self.conn = sqlite3.connect(":memory:")
        self.conn.execute("CREATE VIRTUAL TABLE t USING fts5(title, phrases, body, "
                          "id UNINDEXED, tokenize = 'trigram')")
        for path in sorted(loader.SHIPPED_DIR.glob("*.md")):
            a = loader.read_file(path)
            self.conn.execute("INSERT INTO t VALUES (?, ?, ?, ?)",
                              (a.title, a.tags + "\n" + a.synonyms, a.body, a.id))

    def __call__(self, _session, query: str) -> list[str]:  # noqa: ANN001
        from agentdesk.kb import tokens

        grams = {run[i:i + 3] for is_han, run in tokens.pieces(query)
                 for i in range(max(0, len(run) - 2))}
        if not grams:
            return []
        match = " OR ".join('"' + g.replace('"', '""') + '"' for g in sorted(grams))
        rows = self.conn.execute("SELECT id FROM t WHERE t MATCH ? ORDER BY "
                                 "bm25(t, 8.0, 5.0, 1.0) LIMIT 10", (match,))
        return [r[0] for r in rows]


def pruning_agreement(store, queries: list[str]) -> float:  # noqa: ANN001
    """Share of queries whose top three are the same with the candidate cut-off
    (``search.CANDIDATES``) as with every matching article ranked."""
    from agentdesk.kb import search

    saved = search.CANDIDATES
    same = 0
    with store.session() as session:
        for query in queries:
            search.CANDIDATES = saved
            cut = ours(session, query)[:3]
            search.CANDIDATES = 10**9
            same += cut == ours(session, query)[:3]
    search.CANDIDATES = saved
    return same / (len(queries) or 1)


def ours(session, query: str) -> list[str]:  # noqa: ANN001
    from agentdesk.kb import search

    return [h.id for h in search.search(session, query, limit=10)]


def main(runs: int = 15) -> int:
    from agentdesk.core import store as store_mod
    from agentdesk.kb import loader

    console = Console()
    pairs = load_quality_set()
    queries = [q for q, _ in pairs]
    rounds = max(runs, math.ceil(MIN_SEARCHES / len(queries)))
    with tempfile.TemporaryDirectory(prefix="agentdesk-bench-kb-") as tmp:
        small = store_mod.open_desk(Path(tmp) / "shipped.db")
        shipped = loader.ensure_shipped(small)
        started = time.perf_counter()
        big = store_mod.open_desk(Path(tmp) / "generated.db")
        loader.ensure_shipped(big)
        _fill(big, generate(GENERATED - (shipped or 0)))
        fill_s = time.perf_counter() - started
        with big.session() as session:
            total = session.connection().exec_driver_sql(
                "SELECT count(*) FROM kb_article").scalar()

        latency = Table(title=f"agentdesk bench kb: search latency, {rounds} rounds of "
                              f"{len(queries)} quality-set questions, ms per search")
        for column in ("articles", "searches", "p50", "p99", "min", "max"):
            latency.add_column(column, justify="left" if column == "articles" else "right")
        for label, store in ((f"{shipped} shipped", small), (f"{total:,} generated", big)):
            s = summary(_latencies(store, queries, rounds))
            latency.add_row(label, f"{s['n']:,}", f"{s['median']:.2f}", f"{s['p99']:.2f}",
                            f"{s['min']:.2f}", f"{s['max']:.2f}")

        scores = Table(title=f"ranking quality on {QUALITY_SET.name} ({len(pairs)} questions, "
                             "shipped articles)")
        for column in ("method", "recall@1", "recall@3", "MRR"):
            scores.add_column(column, justify="left" if column == "method" else "right")
        for label, rank in (("agentdesk kb search (bm25, bigrams + pinyin)", ours),
                            ("FTS5 trigram tokenizer, same weights", TrigramBaseline()),
                            ("naive: title LIKE '%query%'", naive_title_like)):
            q = quality(small, pairs, rank)
            scores.add_row(label, *(f"{q[k]:.3f}" for k in ("recall@1", "recall@3", "MRR")))
        agreement = pruning_agreement(big, queries)
        small.dispose()
        big.dispose()
    console.print(latency)
    console.print(scores)
    console.print(f"at {total:,} articles, ranking only the articles that hold a rare token "
                  f"gives the same top three as ranking every match for {agreement:.1%} "
                  "of the questions")
    console.print(f"generated database filled and indexed in {fill_s:.1f} s; "
                  f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    return 0
