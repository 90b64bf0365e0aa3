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
import sys
import tempfile
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from contextlib import closing
from pathlib import Path

from agentdesk.core.i18n import t
from agentdesk.core.store import Store
from agentdesk.sync.central import Central

if TYPE_CHECKING:
    from agentdesk.sync.bookkeeping import SyncReport

CHUNK = 8 << 20  # bytes per chunk: one row and one transaction each at the centre
DURABLE = 16  # chunks between flushes to disk (a flush per chunk cost ~20 % of the time)
SEED_TABLES = ("customer", "customer_phone", "customer_key")  # what a seed holds
Progress = Callable[[str, int, int], None]


def build(central: Central, progress: Progress | None = None,
          folder: Path | None = None) -> dict:
    """Make a seed of the centre's customers now and store it there (older seeds go when
    it is complete). Run by ``agentdesk central seed`` (e.g. nightly) and after
    ``agentdesk central load customers``."""
    from agentdesk.core import migrations
    from agentdesk.core import search_keys, store
    from agentdesk.sync import snapshot
    from agentdesk.sync.bookkeeping import SyncReport

    with tempfile.TemporaryDirectory(dir=folder, prefix="agentdesk-seed-") as tmp:
        path = Path(tmp) / "seed.db"
        desk = store.open_desk(path)
        try:
            report = SyncReport()
            seq_hi = snapshot.copy_from_centre(desk, central, report, progress,
                                               lambda _n: None, snapshot.SNAPSHOT_BATCH,
                                               snapshot.KEY_BATCH)
        finally:
            desk.dispose()
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("DELETE FROM sync_meta")  # the desk's own state comes with it
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode = DELETE")  # one file, nothing beside it
        finally:
            conn.close()
        customers = report.pulled  # the rows the copy made (a fresh desk: all of them)
        seed_id = central.seed_begin(seq_hi, migrations.HEAD, search_keys.version(), customers,
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
    from agentdesk.core import migrations
    from agentdesk.core import search_keys

    return bool(seed) and seed["keys_version"] == search_keys.version() and \
        seed["schema_rev"] in migrations.REVISIONS


def install(desk: Store, central: Central, progress: Progress | None = None,
            hook: Callable[[str], None] = lambda _n: None,
            phases: dict[str, float] | None = None) -> tuple[int, int] | None:
    """Seed this new desk from the centre's newest seed; returns its ``seq_hi`` and its
    customer count, or None when there is no usable seed or the desk file is in use (the
    caller copies rows). Raises :class:`SeedGone` when the download cannot go on."""
    seed = central.seed_latest()
    if not usable(seed):
        return None
    with desk.sole_user() as alone:  # worth downloading? (the desk may be open elsewhere)
        if not alone:
            return None
    real = Path(os.path.realpath(desk.path))  # a symlinked desk: replace the real file
    part = Path(f"{real}.seed")
    began = time.perf_counter()
    _download(central, seed, part, progress, hook)
    downloaded = time.perf_counter()
    with desk.sole_user() as alone:  # held for the copy and the rename (about a second)
        if not alone:
            return None  # opened elsewhere meanwhile: the download waits for next time
        _take_local_rows(desk, real, part, seed)
        hook("seed.before_replace")
        _replace(desk, real, part)
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
    seed starts over, and so does one that local rows were copied into ("dirty": a crash
    before the rename; the desk's rows may have changed since, and append-only tables
    cannot be emptied to copy them again)."""
    tag = Path(f"{part}.id")
    seed_id, durable = _read_tag(tag)
    n = int(durable) if seed_id == seed["id"] and durable.isdigit() and part.exists() else 0
    if n == 0:
        _remove_part(part)
    size, chunk_size, chunks = int(seed["size"]), int(seed["chunk_size"]), int(seed["chunks"])
    n = min(n, chunks)
    from agentdesk.sync.snapshot import prefetched

    # The next chunk is fetched while this one is written (the two overlap: measured
    # 3.0 s of fetching and 4.0 s of hashing and writing for 1.2 GB).
    batches = prefetched(lambda i: (i, central.seed_chunk(seed["id"], i)), n,
                          lambda got: got[0] + 1 < chunks, lambda got: got[0] + 1)
    from agentdesk.core import private

    # 0600: the part becomes the desk's database file
    with closing(batches), private.open_write(part, "r+b" if part.exists() else "wb") as f:
        f.truncate(n * chunk_size)  # anything after the last durable chunk goes
        f.seek(n * chunk_size)
        while n < chunks:
            hook("seed.before_chunk")
            _i, got = next(batches)
            if got is None:
                raise SeedGone(t("msg.sync.seed.the_centre_replaced_its"))
            digest, data = got
            if hashlib.sha256(data).hexdigest() != digest:
                raise SeedGone(t("msg.sync.seed.seed_chunk_arrived_damaged", n=n))
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
        _remove_part(part)
        raise SeedGone(t("msg.sync.seed.seed_file_has_the"))


def _read_tag(tag: Path) -> tuple[str, str]:
    """(seed id, durable chunks or "dirty"); a missing or damaged tag reads as nothing."""
    try:
        words = tag.read_text().split()
    except (OSError, UnicodeDecodeError):
        return "", ""
    return (words[0], words[1]) if len(words) == 2 else ("", "")


def _write_tag(tag: Path, seed_id: str, chunks: int | str) -> None:
    fresh = Path(f"{tag}.new")
    from agentdesk.core import private

    with private.open_write(fresh) as f:
        f.write(f"{seed_id} {chunks}\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(fresh, tag)


def _remove_part(part: Path) -> None:
    """The part file and everything SQLite may have left beside it (a journal left by a
    crash would otherwise be played into the next download)."""
    for suffix in ("", "-journal", "-wal", "-shm", ".id", ".id.new", ".lock"):
        Path(f"{part}{suffix}").unlink(missing_ok=True)


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


def _take_local_rows(desk: Store, real: Path, part: Path, seed: dict) -> None:
    """Bring the seed to this desk's schema and copy every local row into it, rowids
    included (the KB's full-text index refers to them), in one transaction. The part is
    marked dirty first: if anything stops before the rename, the next sync starts over
    with a fresh download."""
    from agentdesk.core import migrations

    desk.engine.dispose()
    local = sqlite3.connect(real, isolation_level=None)
    try:
        busy = local.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    finally:
        local.close()
    if busy:  # another program (not an agentdesk) reads the desk: its WAL must stay
        raise SeedGone(t("msg.sync.seed.is_in_use_by", real=real))
    _write_tag(Path(f"{part}.id"), seed["id"], "dirty")
    if seed["schema_rev"] != migrations.HEAD:  # an older agentdesk made it: migrate the copy
        from agentdesk.core import store

        store.open_desk(part).dispose()
    conn = sqlite3.connect(part, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("ATTACH DATABASE ? AS desk", (str(real),))
        conn.execute("BEGIN IMMEDIATE")
        for name, with_rowid in _tables(conn, "desk"):
            table = _quoted(name)
            info = conn.execute(f"PRAGMA desk.table_info({table})").fetchall()
            cols = [row[1] for row in info]
            pks = [row for row in info if row[5]]
            aliased = len(pks) == 1 and pks[0][2].upper() == "INTEGER"  # rowid's own name
            keep_rowid = with_rowid and not aliased and name != "sqlite_sequence"
            listed = ", ".join(_quoted(c) for c in (["rowid", *cols] if keep_rowid else cols))
            conn.execute(f"DELETE FROM main.{table}")  # the seed's copy of a local table
            conn.execute(f"INSERT INTO main.{table} ({listed}) SELECT {listed} "
                         f"FROM desk.{table}")
        conn.execute("INSERT OR REPLACE INTO main.sync_meta (key, value) VALUES ('snap_hi', ?)",
                     (str(seed["seq_hi"]),))
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE desk")
        conn.execute("PRAGMA journal_mode = WAL")  # as the desk's own file is
    finally:
        conn.close()
    with open(part, "rb") as f:
        os.fsync(f.fileno())


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _replace(desk: Store, real: Path, part: Path) -> None:
    """The seed becomes the desk's file. The desk was checkpointed into one file, so its
    empty WAL and shared-memory files go first (they belong to the old file)."""
    desk.engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{real}{suffix}").unlink(missing_ok=True)
    os.replace(part, real)
    _remove_part(part)  # the tag and anything else left beside it
    fd = os.open(real.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def from_seed(store: Store, central: Central, report: SyncReport, progress: Progress | None,
              hook: Callable[[str], None]) -> int | None:
    """A new desk from the centre's seed file; None: copy rows instead (no usable seed,
    the desk is open elsewhere, or the seed changed while it came)."""
    try:
        got = install(store, central, progress, hook, report.phases)
    except SeedGone as exc:
        print(t("msg.sync.seed.agentdesk_copying_customers_row", exc=exc), file=sys.stderr)
        return None
    if got is None:
        return None
    seq_hi, customers = got
    report.pulled += customers
    return seq_hi
