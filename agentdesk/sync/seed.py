"""A new desk's seed: its first sync as one file, not a million rows (no textual import).

Copying 1,000,000 customers row by row costs a desk about 40 s: every row, phone and
lookup key passes through Python and is inserted into SQLite B-trees. A database file
is moved as pages instead. So the centre keeps a *seed* (:func:`build`): a desk database
holding only the customers, their phones and their lookup keys, as of change-log seq
``seq_hi``, stored at the centre in checksummed chunks. A new desk (:func:`install`)
downloads it chunk by chunk into ``<desk>.seed`` (an interrupted download resumes at the
first chunk it lacks), copies its own few local rows (its sync state, agents, any tickets
made before the sync) into it, and puts it in place of its database file with one rename.
The sync then pulls the change log as after a row copy: everything after ``seq_hi``, and
before it everything but customers.

A desk file may be replaced only while nobody has it open: :meth:`Store.sole_user`. The
running desk app always has it open, so its in-app first sync copies rows instead;
``agentdesk sync --once`` on a new desk takes the seed. A seed made with other key rules,
or by a newer agentdesk (a desk migration this one does not know), is not used either.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from agentdesk.store import Store
from agentdesk.sync.central import Central

CHUNK = 8 << 20  # bytes per chunk: one row and one transaction each at the centre
DURABLE = 16  # chunks between flushes to disk (a flush per chunk cost ~20 % of the time)
SEED_TABLES = ("customer", "customer_phone", "customer_key")  # what a seed holds
Progress = Callable[[str, int, int], None]


def build(central: Central, progress: Progress | None = None,
          folder: Path | None = None) -> dict:
    """Make a seed of the centre's customers now and store it there (older seeds go when
    it is complete). Run by ``agentdesk central seed`` (e.g. nightly) and after
    ``agentdesk central load customers``."""
    import db
    from agentdesk import search_keys, store
    from agentdesk.sync import engine

    with tempfile.TemporaryDirectory(dir=folder, prefix="agentdesk-seed-") as tmp:
        path = Path(tmp) / "seed.db"
        desk = store.open_desk(path)
        try:
            report = engine.SyncReport()
            seq_hi = engine._snapshot(desk, central, report, progress, lambda _n: None,
                                      engine.SNAPSHOT_BATCH, engine.KEY_BATCH)
        finally:
            desk.dispose()
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("DELETE FROM sync_meta")  # the desk's own state comes with it
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode = DELETE")  # one file, nothing beside it
            customers = conn.execute("SELECT count(*) FROM customer").fetchone()[0]
        finally:
            conn.close()
        seed_id = central.seed_begin(seq_hi, db.HEAD, search_keys.version(), customers,
                                     CHUNK)
        size, n = path.stat().st_size, 0
        try:
            with open(path, "rb") as f:
                while data := f.read(CHUNK):
                    central.seed_put(seed_id, n, hashlib.sha256(data).hexdigest(), data)
                    n += 1
                    if progress:
                        progress("seed upload", min(n * CHUNK, size), size)
        except BaseException:
            central.seed_drop(seed_id)
            raise
        central.seed_finish(seed_id, size, n)
    return {"id": seed_id, "seq_hi": seq_hi, "customers": customers, "size": size,
            "chunks": n}


def usable(seed: dict | None) -> bool:
    """Made with this desk's key rules, by an agentdesk whose migrations this one knows."""
    import db
    from agentdesk import search_keys

    return bool(seed) and seed["keys_version"] == search_keys.version() and \
        seed["schema_rev"] in db.REVISIONS


def install(desk: Store, central: Central, progress: Progress | None = None,
            hook: Callable[[str], None] = lambda _n: None,
            phases: dict[str, float] | None = None) -> tuple[int, int] | None:
    """Seed this new desk from the centre's newest seed; returns its ``seq_hi`` and its
    customer count, or None when there is no usable seed or the desk file is in use (the
    caller copies rows). Raises :class:`SeedGone` when the download cannot go on."""
    seed = central.seed_latest()
    if not usable(seed):
        return None
    with desk.sole_user() as alone:
        if not alone:
            return None
        part = Path(f"{desk.path}.seed")
        began = time.perf_counter()
        _download(central, seed, part, progress, hook)
        downloaded = time.perf_counter()
        _take_local_rows(desk, part, seed)
        hook("seed.before_replace")
        _replace(desk, part)
        hook("seed.after_replace")
        if phases is not None:
            phases["seed download"] = downloaded - began
            phases["seed install"] = time.perf_counter() - downloaded
    return int(seed["seq_hi"]), int(seed["customers"])


def _download(central: Central, seed: dict, part: Path, progress: Progress | None,
              hook: Callable[[str], None]) -> None:
    """Chunks into ``part``. Every ``DURABLE`` chunks the file is flushed to disk and then
    ``part.id`` records the seed's id and how many chunks are safely there, so an
    interrupted download (even by a power cut) resumes after them; a part file of another
    seed starts over."""
    tag = Path(f"{part}.id")
    seed_id, durable = (tag.read_text().split() + ["", "0"])[:2] if tag.exists() else ("", "0")
    n = int(durable) if seed_id == seed["id"] and part.exists() else 0
    if n == 0:
        part.unlink(missing_ok=True)
    size, chunk_size, chunks = int(seed["size"]), int(seed["chunk_size"]), int(seed["chunks"])
    n = min(n, chunks)
    from agentdesk.sync.engine import _prefetched

    # The next chunk is fetched while this one is written (the two overlap: measured
    # 3.0 s of fetching and 4.0 s of hashing and writing for 1.2 GB).
    batches = _prefetched(lambda i: (i, central.seed_chunk(seed["id"], i)), n,
                          lambda got: got[0] + 1 < chunks, lambda got: got[0] + 1)
    with closing(batches), open(part, "r+b" if part.exists() else "wb") as f:
        f.truncate(n * chunk_size)  # anything after the last durable chunk goes
        f.seek(n * chunk_size)
        while n < chunks:
            hook("seed.before_chunk")
            _i, got = next(batches)
            if got is None:
                raise SeedGone("the centre replaced its seed during the download; "
                               "the next sync starts the new one")
            digest, data = got
            if hashlib.sha256(data).hexdigest() != digest:
                raise SeedGone(f"seed chunk {n} arrived damaged; the next sync fetches it again")
            f.write(data)
            n += 1
            if n % DURABLE == 0 or n == chunks:
                f.flush()
                os.fsync(f.fileno())
                _write_tag(tag, seed["id"], n)
            if progress:  # shown as customers, the unit the agent knows
                progress("customers", int(seed["customers"]) * min(n * chunk_size, size)
                         // max(size, 1), int(seed["customers"]))
    if part.stat().st_size != size:
        part.unlink()
        tag.unlink(missing_ok=True)
        raise SeedGone("seed file has the wrong size; the next sync fetches it again")


def _write_tag(tag: Path, seed_id: str, chunks: int) -> None:
    fresh = Path(f"{tag}.new")
    fresh.write_text(f"{seed_id} {chunks}\n")
    os.replace(fresh, tag)


class SeedGone(RuntimeError):
    """The download cannot go on now (nothing local changed); the next sync retries."""


def _tables(conn: sqlite3.Connection, schema: str) -> list[tuple[str, bool]]:
    """(name, has rowid) of the plain tables to carry over: all but the seed's own, the
    schema version, the planner's statistics (of the seed's data), and virtual tables
    (an FTS index travels as its shadow tables)."""
    out = []
    for name, sql in conn.execute(f"SELECT name, sql FROM {schema}.sqlite_master "
                                  "WHERE type = 'table' ORDER BY name"):
        if name in SEED_TABLES or name == "alembic_version" or \
                name.startswith("sqlite_stat") or \
                (sql or "").upper().startswith("CREATE VIRTUAL TABLE"):
            continue
        with_rowid = "WITHOUT ROWID" not in (sql or "").upper()
        out.append((name, with_rowid))
    return out


def _take_local_rows(desk: Store, part: Path, seed: dict) -> None:
    """Bring the seed to this desk's schema and copy every local row into it, rowids
    included (the KB's full-text index refers to them), in one transaction. Run again
    after a crash it does the same (each table is emptied first)."""
    import db

    if seed["schema_rev"] != db.HEAD:  # an older agentdesk made it: migrate the copy
        from agentdesk import store

        store.open_desk(part).dispose()
        Path(f"{part}.lock").unlink(missing_ok=True)
    desk.engine.dispose()
    local = sqlite3.connect(desk.path, isolation_level=None)
    try:
        local.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the desk is one file now
    finally:
        local.close()
    conn = sqlite3.connect(part, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("ATTACH DATABASE ? AS desk", (str(desk.path),))
        conn.execute("BEGIN IMMEDIATE")
        for name, with_rowid in _tables(conn, "desk"):
            info = conn.execute(f'PRAGMA desk.table_info("{name}")').fetchall()
            cols = [row[1] for row in info]
            pks = [row for row in info if row[5]]
            aliased = len(pks) == 1 and pks[0][2].upper() == "INTEGER"  # rowid's own name
            keep_rowid = with_rowid and not aliased and name != "sqlite_sequence"
            listed = ", ".join(f'"{c}"' for c in (["rowid", *cols] if keep_rowid else cols))
            conn.execute(f'DELETE FROM main."{name}"')
            conn.execute(f'INSERT INTO main."{name}" ({listed}) SELECT {listed} FROM desk."{name}"')
        conn.execute("INSERT OR REPLACE INTO main.sync_meta (key, value) VALUES ('snap_hi', ?)",
                     (str(seed["seq_hi"]),))
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE desk")
        conn.execute("PRAGMA journal_mode = WAL")  # as the desk's own file is
    finally:
        conn.close()
    with open(part, "rb") as f:
        os.fsync(f.fileno())


def _replace(desk: Store, part: Path) -> None:
    """The seed becomes the desk's file. The desk was checkpointed into one file, so its
    empty WAL and shared-memory files go first (they belong to the old file)."""
    desk.engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{desk.path}{suffix}").unlink(missing_ok=True)
    os.replace(part, desk.path)
    Path(f"{part}.id").unlink(missing_ok=True)
    fd = os.open(desk.path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
