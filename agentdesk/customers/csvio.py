"""Customer CSV import and export (the billing system's account list).

Format: UTF-8 (a BOM is optional on import and always written on export, so spreadsheet
programs in China open it as UTF-8), header :data:`HEADER`, ``phones`` and ``tags``
separated by ``;``. Import upserts by ``account_no`` in one transaction; bad rows are
reported by the physical line a user sees in an editor, and skipped (or, with
``strict``, nothing is imported). Export streams rows and replaces the target
atomically; a text cell that a spreadsheet would run as a formula is written with a
leading quote, which import takes off again (:mod:`agentdesk.core.csvsafe`).

Row rules: account_no required (at most 32 characters, no spaces), name required (at
most 100), other fields at most 200; no control or invisible format characters (so no
line breaks inside a field); zero phones is fine, but every phone given must be valid
(``;`` or ``；`` between them; repeats count once); utility ``water``/``power`` or
水/电/供水/供电; credit_list empty, red/grey/black or 红/灰/黑(名单); arrears_yuan empty or
a plain amount with at most 2 decimals, never negative. Empty customer_class means 居民.
Blank rows are skipped; columns may come in any order. Optional columns ``area_class``,
``key_level``, ``meter_type``, ``arrears_periods``: :mod:`agentdesk.customers.csv_columns`.
A repeated account_no is refused on its later line (even when its first line was itself bad).

Bulk work goes through ``store.raw()`` (plain sqlite3, ``executemany``): an ORM object
per row is far too slow for 100,000 rows.

:class:`CustomerReader` streams a file's valid rows under these rules: the desk's import
here and the centre's load (``agentdesk.sync.load``) both read through it. The module is
a little over 500 lines because the format, its row rules, the reader and the writer are
one thing to keep in step.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import itertools
import os
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from agentdesk.core import audit, clock, controls, csvsafe, search_keys
from agentdesk.customers import csv_columns, phones
from agentdesk.customers.firstlines import FirstLines
from agentdesk.core.i18n import t
from agentdesk.core.ids import new_id
from agentdesk.core.models import Customer, utc_text
from agentdesk.core.store import Store, StoreError, explain

HEADER = ("account_no", "name", "phones", "district", "street", "community", "building",
          "unit", "room", "utility", "customer_class", "meter_no", "credit_list",
          "arrears_yuan", "tags")
# Columns of ``customer`` the file owns, in the order _validate returns them. Other
# columns (area_class, key_level, status ...) are left alone on update.
OWNED = ("name", "district", "street", "community", "building", "unit", "room", "utility",
         "customer_class", "meter_no", "credit_list", "arrears_fen", "tags")
# Model defaults for the columns the file does not carry (raw SQL skips SQLModel's).
EXTRA = {name: Customer.model_fields[name].default
         for name in ("area_class", "meter_type", "arrears_periods", "key_level", "status")}
DEFAULT_CLASS = Customer.model_fields["customer_class"].default  # 居民

MAX_ACCOUNT = 32  # Customer.account_no max_length
MAX_NAME = 100
MAX_FIELD = 200
BATCH = 500  # rows per executemany round (also the IN (...) list size)
ERRORS_SHOWN = 50

UTILITY = {"water": "water", "水": "water", "供水": "water", "power": "power", "电": "power",
           "供电": "power"}
CREDIT = {"": "", "red": "red", "红": "red", "红名单": "red", "grey": "grey", "gray": "grey",
          "灰": "grey", "灰名单": "grey", "black": "black", "黑": "black", "黑名单": "black"}
_SEP = re.compile(r"[;；]")  # full-width semicolons come from Chinese input methods
_MONEY = re.compile(r"\d{1,10}(?:\.\d{1,2})?")
# C0/C1 controls (incl. newlines and tabs inside a field) and the invisible format
# characters that hide or reorder text (zero-width, bidi overrides, stray BOM): the one
# rule every way in applies (agentdesk.core.controls).
_CONTROL = controls.CONTROL
_GB = {"gbk", "gb2312", "gb18030", "hz"}


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (missing, empty, wrong header, encoding)."""


@dataclass
class RowError:
    line: int
    account_no: str
    reason: str

    def __str__(self) -> str:
        account = f" (account {self.account_no})" if self.account_no else ""
        return f"line {self.line}{account}: {self.reason}"


@dataclass
class ImportReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    file: str = ""
    rejected: bool = False  # strict mode and some row was bad: nothing imported
    errors_file: str = ""  # where every bad row was written (--errors FILE)

    def format(self, limit: int = ERRORS_SHOWN) -> str:
        name = self.file or "import"
        if self.rejected:
            head = (f"{name}: nothing imported: {len(self.errors)} bad row(s) and strict mode "
                    "is on. Fix them and import again.")
        else:
            head = (f"{name}: {self.inserted} inserted, {self.updated} updated, "
                    f"{self.unchanged} unchanged, {len(self.errors)} bad row(s) skipped.")
        lines = [head, *(str(e) for e in self.errors[:limit])]
        if len(self.errors) > limit and not self.errors_file:
            lines.append(t("import.more", count=f"{len(self.errors) - limit:,}"))
        if self.errors_file:
            lines.append(t("import.errors_written", count=f"{len(self.errors):,}",
                           file=self.errors_file))
        return "\n".join(lines)


class _Bad(Exception):
    """One row's reason for rejection (internal control flow)."""


# --- reading ------------------------------------------------------------------------


def _codec(encoding: str | None) -> str:
    try:
        name = codecs.lookup(encoding or "utf-8").name
    except LookupError:
        raise ImportFileError(t("msg.customers.csvio.unknown_encoding_try_utf",
                                encoding=encoding)) from None
    return "utf-8-sig" if name in ("utf-8", "utf-8-sig") else name


def _first_bad_line(path: Path, codec: str) -> int | None:
    # Line by line is exact for UTF-8 and GB18030: neither uses byte 0x0A inside a character.
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            try:
                line.decode(codec)
            except UnicodeDecodeError:
                return number
    return None


def _encoding_problem(path: Path, codec: str) -> ImportFileError:
    with open(path, "rb") as f:
        start = f.read(2)
    if start in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return ImportFileError(f"{path} is UTF-16 (Excel 'Unicode text'). Save it as "
                               "'CSV UTF-8' and import again.")
    line = _first_bad_line(path, codec)
    where = f" (first bad byte on line {line})" if line else ""
    if codec == "utf-8-sig":
        if _first_bad_line(path, "gb18030") is None:
            return ImportFileError(
                f"{path} is not UTF-8 (looks like GBK/GB18030: it decodes as such){where}. "
                "Convert it or pass --encoding gbk")
        return ImportFileError(f"{path} is not UTF-8{where}. Save it as 'CSV UTF-8'.")
    return ImportFileError(f"{path} is not valid {codec}{where}.")


def _refuse_utf8_as_gbk(path: Path, codec: str) -> None:
    """UTF-8 Chinese usually *decodes* as GBK too, into garbage: refuse that mix-up."""
    if codec not in _GB:
        return
    non_ascii = False
    with open(path, "rb") as f:
        for line in f:
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return
            non_ascii = True
    if non_ascii:
        raise ImportFileError(t("msg.customers.csvio.is_utf_not_importing", path=path, codec=codec))


def _records(reader: Iterator[list[str]]) -> Iterator[tuple[int, int, list[str] | str]]:
    """(first line, last line, fields or a csv error) per record, by physical line."""
    end = reader.line_num
    while True:
        try:
            row: list[str] | str = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a field over csv.field_size_limit(); reader goes on
            row = f"unreadable CSV: {exc}"
        start, end = end + 1, reader.line_num
        yield start, end, row


def _check_header(path: Path, row: list[str] | str | None
                  ) -> tuple[list[int], tuple[str, ...]]:
    """Column index for each HEADER name, then for each optional column the file has
    (any order is accepted); and those optional columns' names."""
    if row is None:
        raise ImportFileError(t("msg.customers.csvio.is_empty_expected_the", path=path,
                                HEADER=','.join(HEADER)))
    if isinstance(row, list) and not "".join(row).strip():
        raise ImportFileError(t("msg.customers.csvio.line_is_blank_expected", path=path,
                                HEADER=','.join(HEADER)))
    if isinstance(row, str):
        raise ImportFileError(t("msg.customers.csvio.line", path=path, row=row))
    names = [c.strip().lstrip("\ufeff").strip().lower() for c in row]
    missing = [c for c in HEADER if c not in names]
    unknown = [repr(c) for c in names if c not in HEADER and c not in csv_columns.OPTIONAL]
    doubled = sorted({c for c in names if names.count(c) > 1})
    if missing or unknown or doubled:
        parts = [f"missing columns: {', '.join(missing)}" if missing else "",
                 f"unknown columns: {', '.join(unknown)}" if unknown else "",
                 f"repeated columns: {', '.join(doubled)}" if doubled else ""]
        raise ImportFileError(t("msg.customers.csvio.wrong_header_expected_optional", path=path,
                                value='; '.join(p for p in parts if p),
                                HEADER=','.join(HEADER),
                                OPTIONAL=','.join(csv_columns.OPTIONAL)))
    optional = csv_columns.present(names)
    return [names.index(c) for c in (*HEADER, *optional)], optional


# --- one row ------------------------------------------------------------------------


_LIMITS = [MAX_ACCOUNT, MAX_NAME] + [MAX_FIELD] * (len(HEADER) - 2)


def _split(value: str) -> list[str]:
    return list(dict.fromkeys(p.strip() for p in _SEP.split(value) if p.strip()))


def _validate(fields: list[str]) -> tuple[tuple, list[tuple[str, str]]]:
    """Stripped fields in HEADER order -> (values in OWNED order, [(e164, kind)]), or _Bad."""
    for column, value, limit in zip(HEADER, fields, _LIMITS):
        if len(value) > limit:
            raise _Bad(t("msg.customers.csvio.is_characters_long_at", column=column,
                         count=len(value), limit=limit))
    if _CONTROL.search("".join(fields)):  # one regex pass per row; find the column if needed
        for column, value in zip(HEADER, fields):
            bad = _CONTROL.search(value)
            if bad:
                raise _Bad(t("msg.customers.csvio.contains_a_control_character", column=column,
                             ord=f"{ord(bad.group()):04X}"))
    (account, name, phone_text, district, street, community, building, unit, room, utility,
     customer_class, meter_no, credit, arrears, tags) = fields
    if not account:
        raise _Bad(t("msg.customers.csvio.account_no_is_missing"))
    if any(c.isspace() for c in account):
        raise _Bad(t("msg.customers.csvio.account_no_contains_a"))
    if not name:
        raise _Bad(t("msg.customers.csvio.name_is_empty"))
    numbers: dict[str, str] = {}
    for raw in _split(phone_text):
        try:
            e164, kind = phones.normalise_with_kind(raw)
        except phones.PhoneError as exc:
            raise _Bad(t("msg.customers.csvio.phone_is_not_a", raw=raw,
                         reason=exc.reason)) from None
        numbers.setdefault(e164, kind)  # the same number written twice counts once
    if utility.lower() not in UTILITY:
        raise _Bad(t("msg.customers.csvio.utility_is_not_water", utility=utility))
    if credit.lower() not in CREDIT:
        raise _Bad(t("msg.customers.csvio.credit_list_must_be", credit=credit))
    arrears = arrears or "0"
    if not _MONEY.fullmatch(arrears):
        raise _Bad(t("msg.customers.csvio.arrears_yuan_is_not", arrears=arrears))
    values = (name, district, street, community, building, unit, room,
              UTILITY[utility.lower()], customer_class or DEFAULT_CLASS, meter_no,
              CREDIT[credit.lower()], int(Decimal(arrears) * 100), ";".join(_split(tags)))
    return values, list(numbers.items())


# --- writing ------------------------------------------------------------------------

def _sql(columns: tuple[str, ...]) -> tuple[str, str, str, dict]:
    """(column list, INSERT, UPDATE, defaults of the columns the file does not carry)."""
    extra = {k: v for k, v in EXTRA.items() if k not in columns}
    cols = ", ".join(columns)
    insert = (f"INSERT INTO customer (id, account_no, {cols}{''.join(', ' + k for k in extra)}"
              f", created_at, updated_at) VALUES "
              f"({', '.join('?' * (len(columns) + len(extra) + 4))})")
    update = (f"UPDATE customer SET {', '.join(f'{c} = ?' for c in columns)}, updated_at = ? "
              "WHERE id = ?")
    return cols, insert, update, extra


_INSERT_PHONE = ("INSERT INTO customer_phone (id, customer_id, e164, kind, position) "
                 "VALUES (?, ?, ?, ?, ?)")


def write_batch(conn: sqlite3.Connection, batch: list[tuple[str, tuple, list]],
                 now: str, columns: tuple[str, ...] = OWNED) -> tuple[int, int, int]:
    """Upsert one batch (values in ``columns`` order: OWNED and the file's optional
    columns); returns (inserted, updated, unchanged)."""
    cols, insert_sql, update_sql, extra = _sql(columns)
    marks = ", ".join("?" * len(batch))
    old = {row[1]: (row[0], tuple(row[2:])) for row in conn.execute(
        f"SELECT id, account_no, {cols} FROM customer WHERE account_no IN ({marks})",
        [account for account, _, _ in batch])}
    old_phones: dict[str, list[str]] = {}
    ids = [cid for cid, _ in old.values()]
    if ids:
        for cid, e164 in conn.execute(
                f"SELECT customer_id, e164 FROM customer_phone WHERE customer_id IN "
                f"({', '.join('?' * len(ids))}) ORDER BY customer_id, position", ids):
            old_phones.setdefault(cid, []).append(e164)
    inserts, updates, phone_rows, replaced = [], [], [], []
    unchanged = 0
    for account, values, numbers in batch:
        if account in old:
            cid, old_values = old[account]
            if old_values == values and old_phones.get(cid, []) == [e for e, _ in numbers]:
                unchanged += 1
                continue
            updates.append((*values, now, cid))
            replaced.append((cid,))
        else:
            cid = new_id()
            inserts.append((cid, account, *values, *extra.values(), now, now))
        phone_rows.extend((new_id(), cid, e164, kind, position)
                          for position, (e164, kind) in enumerate(numbers))
    updated_ids = [r[-1] for r in updates]
    stale = search_keys.current(conn, updated_ids)  # before the rows change
    conn.executemany(insert_sql, inserts)
    conn.executemany(update_sql, updates)
    conn.executemany("DELETE FROM customer_phone WHERE customer_id = ?", replaced)
    conn.executemany(_INSERT_PHONE, phone_rows)
    # caller lookup (phone suffix, pinyin, address) reads customer_key: keep it in step
    search_keys.refresh(conn, [r[0] for r in inserts] + updated_ids, stale)
    return len(inserts), len(updates), unchanged


def _connect(store: Store) -> sqlite3.Connection:
    try:
        conn = store.raw()
    except sqlite3.Error as exc:
        raise explain(exc, store.path) from exc
    conn.isolation_level = None  # we issue BEGIN / COMMIT ourselves
    return conn


def _rollback(conn: sqlite3.Connection | None) -> None:
    # Best effort: a broken connection must not hide the error that broke it.
    with contextlib.suppress(sqlite3.Error):
        if conn is not None and conn.in_transaction:
            conn.execute("ROLLBACK")


# --- import -------------------------------------------------------------------------


def _open_text(path: Path, codec: str) -> TextIO:
    try:
        return open(path, encoding=codec, newline="")  # newline="": csv handles \r\n itself
    except FileNotFoundError:
        raise ImportFileError(t("msg.customers.csvio.file_not_found", path=path)) from None
    except IsADirectoryError:
        raise ImportFileError(t("msg.customers.csvio.is_a_folder_not", path=path)) from None
    except OSError as exc:
        raise ImportFileError(t("msg.customers.csvio.cannot_read_it", path=path,
                                strerror=exc.strerror)) from None


@dataclass(frozen=True)
class CustomerRow:
    """One valid row of a customer CSV file: values in its reader's ``columns`` order
    (:data:`OWNED`, then the optional columns the file has) plus its phones."""

    line: int  # the physical line it starts on
    account: str
    values: tuple
    numbers: list[tuple[str, str]]  # (e164, kind)


# Told of each bad row: its error and its fields (HEADER order; as read when the column
# count is wrong; none for an unreadable record).
OnBad = Callable[[RowError, list[str]], None]


class CustomerReader:
    """Streams the valid rows of a customer CSV file under the row rules above; each bad
    row goes to ``report.errors`` instead. Used as a context manager: entering opens the
    file and checks the encoding and the header (:class:`ImportFileError`), iterating
    yields :class:`CustomerRow` (the desk's import and the centre's load share it)."""

    def __init__(self, path: Path | str, report: ImportReport,
                 encoding: str | None = None, on_bad: OnBad | None = None) -> None:
        self.path = Path(path)
        self.report = report
        self.on_bad = on_bad
        self.codec = _codec(encoding)
        self._file: TextIO | None = None
        self._records: Iterator[tuple[int, int, list[str] | str]] = iter(())
        self._index: list[int] = []
        self.columns: tuple[str, ...] = OWNED  # of CustomerRow.values: OWNED + optional

    def __enter__(self) -> CustomerReader:
        self._file = _open_text(self.path, self.codec)
        try:
            _refuse_utf8_as_gbk(self.path, self.codec)
            self._records = _records(csv.reader(self._file))
            try:
                first = next(self._records, None)
                self._index, optional = _check_header(self.path,
                                                      first[2] if first else None)
                self.columns = (*OWNED, *optional)
            except UnicodeDecodeError:
                raise _encoding_problem(self.path, self.codec) from None
        except BaseException:
            self._file.close()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._file is not None:
            self._file.close()

    @property
    def index(self) -> list[int]:
        """Each column's position in the file's records (HEADER, then the optional)."""
        return self._index

    def __iter__(self) -> Iterator[CustomerRow]:
        try:
            yield from self._rows()
        except UnicodeDecodeError:
            raise _encoding_problem(self.path, self.codec) from None

    def _bad(self, error: RowError, fields: list[str]) -> None:
        self.report.errors.append(error)
        if self.on_bad is not None:
            self.on_bad(error, fields)

    def _rows(self) -> Iterator[CustomerRow]:
        for item in self.records():
            got = check_row(self.columns, self._index, item)
            if isinstance(got, CustomerRow):
                yield got
            else:
                self._bad(*got)

    def records(self) -> Iterator[Record]:
        """The file's records in order, after the checks that need the whole file (the
        column count, a repeated account), before the row rules (:func:`check_row`, which
        may run in other processes: :mod:`agentdesk.sync.copyload`). Raises
        :class:`ImportFileError` when the file turns out not to be in its encoding."""
        try:
            yield from self._records_checked()
        except UnicodeDecodeError:
            raise _encoding_problem(self.path, self.codec) from None

    def bad(self, error: RowError, fields: list[str]) -> None:
        """A bad row found by :func:`check_row` outside this reader's own iteration."""
        self._bad(error, fields)

    def _records_checked(self) -> Iterator[Record]:
        index = self._index
        seen = FirstLines()  # account_no -> first line, to name it in the duplicate error
        for start, end, row in self._records:
            if isinstance(row, str):
                yield start, "", "", [], row
                continue
            if not "".join(row).strip():
                continue  # blank lines and spreadsheet filler rows (",,,,") carry nothing
            account = csvsafe.unescape(row[index[0]].strip()) if len(row) > index[0] else ""
            shown = account if len(account) <= MAX_ACCOUNT else account[:MAX_ACCOUNT] + "…"
            if len(row) != len(index):
                hint = ""
                if end > start:
                    hint = (f" (the record runs from line {start} to {end}: is a quote \" "
                            "left open?)")
                yield (start, shown, shown, row,
                       f"expected {len(index)} columns, found {len(row)}{hint}")
                continue
            # remembered even if this row is bad: a later copy is a repeat
            first = seen.first(account, start) if account and \
                len(account) <= MAX_ACCOUNT else start
            if first != start:
                yield (start, account, shown, [row[i] for i in index],
                       t("msg.customers.csvio.account_no_is_repeated", account=account,
                         seen=first))
                continue
            yield start, account, shown, row, None


# A record for the row rules: (first line, account, account as shown in an error, the
# fields, the error already found or None). With an error, the fields are the ones the
# bad-row report gets.
Record = tuple[int, str, str, list[str], "str | None"]


def check_row(columns: tuple[str, ...], index: list[int], record: Record
              ) -> CustomerRow | tuple[RowError, list[str]]:
    """The row rules for one record (no state: any process may run it): the row, or its
    error and the fields the bad-row report gets."""
    start, account, shown, row, error = record
    if error is not None:
        return RowError(start, shown, error), row
    try:
        fields = [csvsafe.unescape(row[i].strip()) for i in index]
        values, numbers = _validate(fields[:len(HEADER)])
        values += csv_columns.validate(columns[len(OWNED):], fields[len(HEADER):])
    except (_Bad, csv_columns.ColumnError) as exc:
        return RowError(start, shown, str(exc)), [row[i] for i in index]
    return CustomerRow(start, account, values, numbers)


def import_customers(store: Store, path: Path | str, *, encoding: str | None = None,
                     strict: bool = False, agent: str = "system",
                     on_bad: OnBad | None = None) -> ImportReport:
    """Upsert the customers in a CSV file; see the module docstring for the rules.
    ``on_bad`` gets every bad row with its fields (:mod:`.rejects` writes them out)."""
    path = Path(path)
    report = ImportReport(file=str(path))
    reader = CustomerReader(path, report, encoding, on_bad)
    if store.readonly:
        raise StoreError(t("msg.customers.csvio.opened_read_only_cannot_2", path=store.path))
    with reader:
        conn = _connect(store)
        try:
            conn.execute("BEGIN IMMEDIATE")  # take the write lock now: no stale snapshot
            _load(conn, reader, report, strict)
            if report.rejected:
                conn.execute("ROLLBACK")
                conn.execute("BEGIN IMMEDIATE")
            audit.record_raw(
                conn, agent, "import customers", "customer", action="import",
                count=report.inserted + report.updated + report.unchanged, detail={
                    "file": str(path.absolute()), "inserted": report.inserted,
                    "updated": report.updated, "unchanged": report.unchanged,
                    "errors": len(report.errors), "strict": strict,
                    "rejected": report.rejected})
            conn.execute("COMMIT")
        except BaseException as exc:
            _rollback(conn)
            if isinstance(exc, sqlite3.Error):
                raise explain(exc, store.path) from exc
            raise
        finally:
            conn.close()
    return report


def _load(conn: sqlite3.Connection, rows: Iterable[CustomerRow], report: ImportReport,
          strict: bool) -> None:
    now = utc_text(clock.now())
    batch: list[tuple[str, tuple, list]] = []
    columns = getattr(rows, "columns", OWNED)  # a CustomerReader knows its file's columns

    def flush() -> None:
        if batch and not (strict and report.errors):
            inserted, updated, unchanged = write_batch(conn, batch, now, columns)
            report.inserted += inserted
            report.updated += updated
            report.unchanged += unchanged
        batch.clear()

    for row in rows:
        batch.append((row.account, row.values, row.numbers))
        if len(batch) >= BATCH:
            flush()
    flush()
    if strict and report.errors:
        report.rejected = True
        report.inserted = report.updated = report.unchanged = 0


# --- export -------------------------------------------------------------------------


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""  # import refuses negatives, but never print a wrong amount
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def export_customers(store: Store, path: Path | str, *, agent: str = "system") -> int:
    """Write every customer, ordered by account_no; returns the row count."""
    path = Path(path)
    if store.readonly:  # the export is audited, and the audit row needs a write
        raise StoreError(t("msg.customers.csvio.opened_read_only_cannot", path=store.path))
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path.parent}: folder not found")
    from agentdesk.customers.csv_columns import OPTIONAL

    # HEADER[3:13] as is; the optional columns last (an import reads them back)
    cols = ("account_no", "name", *HEADER[3:13], "arrears_fen", "tags", *OPTIONAL)
    sql = (f"SELECT {', '.join('c.' + c for c in cols)}, p.e164 FROM customer c "
           "LEFT JOIN customer_phone p ON p.customer_id = c.id "
           "ORDER BY c.account_no, p.position")
    # Same folder as the target, so os.replace is an atomic rename. mkstemp makes it 0600,
    # which suits a file full of personal data.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    conn = None
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as f:
            conn = _connect(store)
            writer = csv.writer(f)
            writer.writerow((*HEADER, *OPTIONAL))
            # One SELECT is one read snapshot; the cursor streams, groupby holds one customer.
            for _, group in itertools.groupby(conn.execute(sql), key=lambda r: r[0]):
                rows = list(group)
                c = dict(zip(cols, rows[0]))
                numbers = ";".join(phones.display(r[-1]) for r in rows if r[-1])
                writer.writerow(csvsafe.row([c["account_no"], c["name"], numbers,
                                             *(c[k] for k in HEADER[3:13]),
                                             _yuan(c["arrears_fen"]), c["tags"],
                                             *(c[k] for k in OPTIONAL)]))
                count += 1
            f.flush()
            os.fsync(f.fileno())
        conn.execute("BEGIN IMMEDIATE")
        audit.record_raw(conn, agent, "export customers", "customer", action=audit.EXPORT,
                         count=count, detail={"file": str(path.absolute()), "rows": count})
        os.replace(tmp, path)  # audit row and file land together, or neither
        conn.execute("COMMIT")
    except BaseException as exc:
        _rollback(conn)
        if isinstance(exc, sqlite3.Error):
            raise explain(exc, store.path) from exc
        raise
    finally:
        if conn is not None:
            conn.close()
        if os.path.exists(tmp):
            os.unlink(tmp)
    return count
