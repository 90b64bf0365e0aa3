"""Where a desk file's bytes go (``agentdesk db stats``; no textual import): bytes and
pages per table and per index from SQLite's ``dbstat`` table, rows per table, and bytes per
customer, so a change meant to make the desk smaller (issue 21) is measured, not guessed.

The file is opened read-only (``mode=ro``): stats never write, and may run beside a desk
that is open.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Part:
    name: str
    table: str  # the table it belongs to (itself, for a table)
    kind: str  # table / index
    bytes: int
    pages: int
    rows: int | None  # tables only


@dataclass
class DbStats:
    path: str
    file_bytes: int
    page_size: int
    free_pages: int
    customers: int
    parts: list[Part] = field(default_factory=list)

    def per_customer(self, n: int) -> float | None:
        return n / self.customers if self.customers else None

    def as_json(self) -> dict:
        return {"path": self.path, "file_bytes": self.file_bytes, "page_size": self.page_size,
                "free_pages": self.free_pages, "customers": self.customers,
                "bytes_per_customer": self.per_customer(self.file_bytes),
                "parts": [{"name": p.name, "table": p.table, "kind": p.kind,
                           "bytes": p.bytes, "pages": p.pages, "rows": p.rows,
                           "bytes_per_customer": self.per_customer(p.bytes)}
                          for p in self.parts]}


def stats(path: Path) -> DbStats:
    """The file's parts, largest first. FileNotFoundError when it is not there."""
    if not path.is_file():
        raise FileNotFoundError(path)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        kinds = {name: (kind, table) for name, kind, table in conn.execute(
            "SELECT name, type, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')")}
        sizes = conn.execute("SELECT name, sum(pgsize), count(*) FROM dbstat "
                             "GROUP BY name").fetchall()
        parts = []
        for name, size, pages in sizes:
            kind, table = kinds.get(name, ("table" if name.startswith("sqlite_") else "index",
                                           name))
            rows = None
            if kind == "table" and not name.startswith("sqlite_"):
                rows = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            parts.append(Part(name, table, kind, int(size), int(pages), rows))
        parts.sort(key=lambda p: (-p.bytes, p.name))
        has_customer = "customer" in kinds
        customers = conn.execute("SELECT count(*) FROM customer").fetchone()[0] \
            if has_customer else 0
        return DbStats(str(path), path.stat().st_size,
                       conn.execute("PRAGMA page_size").fetchone()[0],
                       conn.execute("PRAGMA freelist_count").fetchone()[0], customers, parts)
    finally:
        conn.close()
