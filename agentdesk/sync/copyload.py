"""``agentdesk central load customers`` into a PostgreSQL centre at COPY speed.

The file is read once, through the desk's own reader and row rules
(:class:`agentdesk.customers.csvio.CustomerReader`: bad rows are reported by line, as
ever), and every valid row goes straight into ``COPY`` (a generator: the file is never
held in memory) of a temporary staging table, with what the merge needs computed in the
same pass: a new id, its phones and their kinds, and its lookup keys
(:func:`agentdesk.core.search_keys.customer_keys`). Then set-based SQL, in the same one
transaction, merges the staging table:

* ``load_diff``: the rows that are new, or differ from the centre's (a column the file
  owns ``IS DISTINCT FROM``, or the phones in their order); an unchanged row is in no
  statement after this one, so a re-load of the same file writes nothing;
* the changed customers updated (``created_at`` and the columns the file does not carry
  kept), the new ones inserted with the defaults; their phones replaced when the numbers
  changed, their keys when a column they are made of or the phones did (a billing file's
  arrears leave both, ids and all, as they are);
* one ``change_log`` entry per row of ``load_diff`` (numbered at commit like any other,
  :mod:`agentdesk.sync.central.ordering`), so desks pull exactly those customers.

A load that more than doubles the customers (a first load) drops the indexes of the three
tables and builds them again before it commits (:func:`_unindexed`). A file that turns
out unreadable half-way (its encoding) or a row the database refuses rolls everything
back: the centre is as it was, and the error says why (``ImportFileError``,
``CentralError``).

``agentdesk bench load`` measures it against the row path (the SQLite centre's).

Two loads at once queue on an advisory lock (they would both insert a new account). The
session's time limits are lifted for this transaction only (``SET LOCAL``): a million-row
merge is a long statement, and no desk waits on it (desk pushes touch other rows, or wait
for their row locks as for any other writer).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from agentdesk.core import clock, search_keys
from agentdesk.core.ids import new_id
from agentdesk.sync.central.connection import LOCK_KEY

if TYPE_CHECKING:
    from agentdesk.customers.csvio import CustomerReader, CustomerRow, ImportReport, OnBad
    from agentdesk.sync.central import Central

LOAD_LOCK_KEY = LOCK_KEY + 2  # one customer load at a time (SETTING_LOCK_KEY is + 1)
CHUNK = 1 << 20  # characters per COPY write
INTS = frozenset({"arrears_fen", "key_level", "arrears_periods"})


def customers(central: Central, path: Path | str, *, encoding: str | None = None,
              on_bad: OnBad | None = None,
              phases: dict[str, float] | None = None) -> ImportReport:
    """Upsert the customers of a CSV file (the desk's rules and report, with
    ``unchanged`` counted) in one PostgreSQL transaction; see the module docstring.
    ``phases``: seconds of the copy and of the merge, for the benchmark."""
    from agentdesk.customers import csvio

    import psycopg

    report = csvio.ImportReport(file=str(Path(path)))
    with csvio.CustomerReader(path, report, encoding, on_bad) as reader, \
            central.guard(), central.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        try:
            raw.rollback()  # the pool's ping may have left a transaction open
            _load(raw, reader, report, phases if phases is not None else {})
            raw.commit()
            if report.inserted + report.updated:
                began = time.perf_counter()
                _vacuum(raw)
                if phases is not None:
                    phases["vacuum"] = time.perf_counter() - began
        except psycopg.Error as exc:  # the driver's own: said as the centre's errors are
            _rollback(raw)
            raise central.explain(exc) from exc
        except BaseException:  # a file that turns out unreadable half-way: nothing stays
            _rollback(raw)
            raise
    return report


def _vacuum(raw: object) -> None:
    """VACUUM (ANALYZE) the loaded tables once the load is in. Rows just written are not
    yet marked visible to all, so an index-only scan still reads the table for each
    one: the seed's key copy in key order read a different table page for nearly every
    key (ten million customers: 820 ms a batch of 50,000 keys, 23 ms after VACUUM, which
    took 17 s). Only the pages the load changed are read. One that fails (a lock) is
    left to autovacuum: the load itself is in."""
    import psycopg

    try:
        raw.autocommit = True  # type: ignore[attr-defined]  # VACUUM runs outside one
        with raw.cursor() as cur:  # type: ignore[attr-defined]
            cur.execute("SET statement_timeout = 0")
            cur.execute("VACUUM (ANALYZE) " + ", ".join(BULK_TABLES))
            cur.execute("RESET statement_timeout")
    except psycopg.Error:
        pass
    finally:
        try:
            raw.autocommit = False  # type: ignore[attr-defined]
        except psycopg.Error:
            pass  # a broken connection: the pool drops it


def _rollback(raw: object) -> None:
    import psycopg

    try:
        raw.rollback()  # type: ignore[attr-defined]
    except psycopg.Error:
        pass  # a broken connection must not hide the error that broke it


def _load(raw: object, reader: CustomerReader, report: ImportReport,
          phases: dict[str, float]) -> None:
    from agentdesk.customers import csvio

    columns = reader.columns
    began = time.perf_counter()
    with raw.cursor() as cur:  # type: ignore[attr-defined]
        for setting, value in (("statement_timeout", "0"), ("lock_timeout", "0"),
                               ("idle_in_transaction_session_timeout", "0"),
                               ("work_mem", "'256MB'"), ("maintenance_work_mem", "'256MB'")):
            cur.execute(f"SET LOCAL {setting} = {value}")
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOAD_LOCK_KEY,))
        typed = ", ".join(f"{c} {'bigint' if c in INTS else 'text'}" for c in columns)
        cur.execute("CREATE TEMP TABLE load_stage (line integer, id text, account_no text, "
                    f"{typed}, phones text, kinds text, phone_ids text, keys text) ON COMMIT DROP")
        staged = 0
        with cur.copy(f"COPY load_stage (line, id, account_no, {', '.join(columns)}, "
                      "phones, kinds, phone_ids, keys) FROM STDIN") as copy:
            for block in _lines(reader):
                copy.write(block[0])
                staged += block[1]
        phases["copy"] = time.perf_counter() - began
        began = time.perf_counter()
        cur.execute("ANALYZE load_stage")
        inserted, updated = _merge(cur, columns, csvio.EXTRA, phases)
        phases["merge"] = time.perf_counter() - began
    report.inserted, report.updated = inserted, updated
    report.unchanged = staged - inserted - updated


def _lines(reader: CustomerReader) -> Iterator[tuple[str, int]]:
    """COPY text of the reader's valid rows, in blocks of about :data:`CHUNK` characters
    (with the rows in each): in this process, or with the row rules spread over worker
    processes for a big file (:func:`_spread`)."""
    workers = _workers(reader.path)
    if workers > 1:
        yield from _spread(reader, workers)
        return
    parts: list[str] = []
    size = rows = 0
    for row in reader:
        text = _copy_line(row, new_id())
        parts.append(text)
        rows += 1
        size += len(text)
        if size >= CHUNK:
            parts.append("")
            yield "\n".join(parts), rows
            parts, size, rows = [], 0, 0
    if parts:
        parts.append("")
        yield "\n".join(parts), rows


def _copy_line(row: CustomerRow, cid: str) -> str:
    """One valid row as a line of COPY text, with what the merge needs: its new id, its
    phones, their kinds and new ids, its lookup keys. Fields carry no control characters
    (the row rules refuse them), so a backslash is the only character text format needs
    escaped; keys, e164 numbers and kinds never hold a space, the separator of their
    lists."""
    values = row.values
    numbers = [e164 for e164, _ in row.numbers]
    keys = search_keys.customer_keys(values[0], values[2], values[3], values[4], values[5],
                                     values[6], numbers, row.account, values[9])
    text = "\t".join([str(row.line), cid, row.account,
                      *(v if isinstance(v, str) else str(v) for v in values),
                      " ".join(numbers), " ".join(kind for _, kind in row.numbers),
                      " ".join(new_id() for _ in numbers), " ".join(keys)])
    return text.replace("\\", "\\\\") if "\\" in text else text


# --- the row rules in worker processes ------------------------------------------------
# Reading and checking a row (the phone rules, pinyin keys) is most of a load's time,
# one process's worth: PostgreSQL's COPY took 4 % of a core meanwhile. So a big file's
# records are read here, in order (the column count and repeated accounts need the whole
# file), and checked in workers in blocks, each block's COPY text and bad rows coming
# back in file order. New ids are made here, so they keep the file's order (uuid7).
SPREAD_BYTES = 32 << 20  # a smaller file is checked here (starting workers costs ~1 s)
SPREAD_ROWS = 5_000  # records a block
MAX_WORKERS = 8
WORKERS: int | None = None  # None: one a core, up to MAX_WORKERS (tests set it)


def _workers(path: Path) -> int:
    import os

    try:
        big = path.stat().st_size >= SPREAD_BYTES
    except OSError:
        return 1
    return (WORKERS or min(os.cpu_count() or 1, MAX_WORKERS)) if big else 1


def _spread(reader: CustomerReader, workers: int) -> Iterator[tuple[str, int]]:
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from itertools import islice

    from agentdesk.core import i18n

    records = reader.records()
    # spawn: the parent holds a database connection and threads, which fork would copy
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_worker_init, initargs=(i18n.lang(),)) as pool:
        waiting: deque = deque()
        more = True
        while more or waiting:
            while more and len(waiting) < 2 * workers:  # a bounded read-ahead
                block = list(islice(records, SPREAD_ROWS))
                if not block:
                    more = False
                    break
                ids = [new_id() if r[4] is None else "" for r in block]
                waiting.append(pool.submit(_check_block, reader.columns, reader.index,
                                           block, ids))
            if waiting:
                text, rows, bad = waiting.popleft().result()
                for error, fields in bad:
                    reader.bad(error, fields)
                if rows:
                    yield text, rows


def _worker_init(lang: str) -> None:
    """A worker's language (its error messages), and pypinyin without its phrase
    dictionary: keys read one character at a time (search_keys.reading), which that
    dictionary never changes (every CJK character's reading compared), and it cost each
    worker 44 MB."""
    import os

    from agentdesk.core import i18n

    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    i18n.set_lang(lang)


def _check_block(columns: tuple[str, ...], index: list[int], block: list, ids: list[str]
                 ) -> tuple[str, int, list]:
    """In a worker: a block's COPY text, its valid rows, and its bad rows in order."""
    from agentdesk.customers.csvio import CustomerRow, check_row

    parts, bad = [], []
    for record, cid in zip(block, ids):
        got = check_row(columns, index, record)
        if isinstance(got, CustomerRow):
            parts.append(_copy_line(got, cid))
        else:
            bad.append(got)
    if parts:
        parts.append("")
    return "\n".join(parts), len(parts) - 1 if parts else 0, bad


def _merge(cur: object, columns: tuple[str, ...], extra: dict,
           phases: dict[str, float]) -> tuple[int, int]:
    """The staged rows into customer, customer_phone, customer_key and change_log;
    (inserted, updated). ``phases`` gets each statement's seconds, by its first words."""
    now = clock.now()
    cols = ", ".join(columns)
    old = ", ".join(f"c.{c}" for c in columns)
    new = ", ".join(f"s.{c}" for c in columns)
    absent = {k: v for k, v in extra.items() if k not in columns}  # defaults on insert

    def run(sql: str, params: dict | None = None) -> None:
        began = time.perf_counter()
        cur.execute(sql, params)  # type: ignore[attr-defined]
        name = " ".join(sql.split()[:3])
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - began

    keyed = [c for c in search_keys.KEYED_COLUMNS if c in columns]
    keyed_changed = (f"({', '.join('c.' + c for c in keyed)}) IS DISTINCT FROM "
                     f"({', '.join('s.' + c for c in keyed)})") if keyed else "false"
    # rephone / rekey: only these get their phones / keys replaced; a billing file's
    # arrears change leaves them (and their ids, which every desk would rewrite) alone.
    run(f"""CREATE TEMP TABLE load_diff ON COMMIT DROP AS
        SELECT line, id, new, rephone, rephone OR keyed AS rekey FROM (
          SELECT s.line, coalesce(c.id, s.id) AS id, c.id IS NULL AS new,
                 c.id IS NULL OR ({old}) IS DISTINCT FROM ({new}) AS changed,
                 c.id IS NULL OR {keyed_changed} AS keyed,
                 c.id IS NULL
                   OR coalesce((SELECT string_agg(p.e164, ' ' ORDER BY p.position)
                                  FROM customer_phone p WHERE p.customer_id = c.id), '')
                      <> s.phones AS rephone
            FROM load_stage s LEFT JOIN customer c ON c.account_no = s.account_no) x
         WHERE changed OR rephone""")
    run("ANALYZE load_diff")
    cur.execute("SELECT count(*) FILTER (WHERE new) FROM load_diff")  # type: ignore[attr-defined]
    adding = cur.fetchone()[0]  # type: ignore[attr-defined]
    cur.execute("SELECT count(*) FROM customer")  # type: ignore[attr-defined]
    rebuilt = _unindexed(cur) if adding > cur.fetchone()[0] else []  # type: ignore[attr-defined]
    run(f"""UPDATE customer c SET ({cols}, updated_at) = ({new}, %(now)s)
              FROM load_diff d JOIN load_stage s ON s.line = d.line
             WHERE c.id = d.id AND NOT d.new""", {"now": now})
    updated = cur.rowcount  # type: ignore[attr-defined]
    named = ", ".join(f"%({k})s" for k in absent)
    run(f"""INSERT INTO customer (id, account_no, {cols}{''.join(', ' + k for k in absent)},
                                  created_at, updated_at)
            SELECT d.id, s.account_no, {new}{', ' + named if absent else ''}, %(now)s, %(now)s
              FROM load_diff d JOIN load_stage s ON s.line = d.line
             WHERE d.new ORDER BY d.id""", {"now": now, **absent})
    inserted = cur.rowcount  # type: ignore[attr-defined]
    if updated:
        run("DELETE FROM customer_phone p USING load_diff d "
            "WHERE p.customer_id = d.id AND d.rephone AND NOT d.new")
        run("DELETE FROM customer_key k USING load_diff d "
            "WHERE k.customer_id = d.id AND d.rekey AND NOT d.new")
    run("""INSERT INTO customer_phone (id, customer_id, e164, kind, position)
           SELECT x.id, d.id, x.e164, x.kind, x.n - 1
             FROM load_diff d JOIN load_stage s ON s.line = d.line,
                  unnest(string_to_array(s.phone_ids, ' '), string_to_array(s.phones, ' '),
                         string_to_array(s.kinds, ' ')) WITH ORDINALITY AS x(id, e164, kind, n)
            WHERE s.phones <> '' AND d.rephone""")
    run("""INSERT INTO customer_key (key, customer_id)
           SELECT x.key, d.id FROM load_diff d JOIN load_stage s ON s.line = d.line,
                  unnest(string_to_array(s.keys, ' ')) AS x(key)
            WHERE s.keys <> '' AND d.rekey""")
    for sql in rebuilt:
        run(sql)
    run("""INSERT INTO change_log (entity, row_id, op, origin)
           SELECT 'customer', d.id, 'upsert', 'centre' FROM load_diff d ORDER BY d.line""")
    return inserted, updated


BULK_TABLES = ("customer", "customer_phone", "customer_key")


def _unindexed(cur: object) -> list[str]:
    """A load that more than doubles the customers (a first load, above all) drops the
    indexes of the tables it fills and builds them again at the end: one sort per index
    instead of an index insert per row (measured on 2,000,000 lookup keys: 16 s with the
    two indexes in place, 6 s heap then build). Until the load commits, the tables are
    locked (a desk's pull waits, or times out and retries). Returns the statements that
    put the indexes back, primary keys first; DDL is transactional, so a failed load
    leaves them as they were."""
    cur.execute(  # type: ignore[attr-defined]
        "SELECT c.relname, i.relname, pg_get_indexdef(i.oid), x.indisprimary "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_class c ON c.oid = x.indrelid "
        "WHERE c.relname = ANY(%s) AND c.relnamespace = 'public'::regnamespace "
        "ORDER BY x.indisprimary DESC, c.relname, i.relname", (list(BULK_TABLES),))
    found = cur.fetchall()  # type: ignore[attr-defined]
    back = []
    for table, index, definition, primary in found:
        if primary:
            columns = definition[definition.rindex("(") + 1:definition.rindex(")")]
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{index}"')  # type: ignore[attr-defined]
            back.append(f'ALTER TABLE {table} ADD CONSTRAINT "{index}" PRIMARY KEY ({columns})')
        else:
            cur.execute(f'DROP INDEX "{index}"')  # type: ignore[attr-defined]
            back.append(definition)
    return back
