"""Loading knowledge-base articles: Markdown files with a TOML header (no textual import).

An article file starts with a header between two ``+++`` lines::

    +++
    id = "water-low-pressure"
    title = "水压低、水流很小的处理"
    utility = "water"              # water / power / "" for both
    category = "water.pressure"
    tags = ["水压低"]
    synonyms = ["水龙头出水像小拇指那么细"]   # how callers say it
    owner = "供水调度中心"
    reviewed = 2026-11-20          # a TOML date
    review_days = 365
    +++

followed by the Markdown body (``## 答复口径``, ``## 处理步骤``, ``## 时限承诺``,
``## 何时转工单``). Importing is an upsert by id: importing the same folder twice changes
nothing the second time. A file whose header is malformed is reported (file, line,
problem) and skipped; the other files are still imported. So is a file over 256 KB (not
read past that) or one holding a control character (the body may have tabs and line
breaks; CRLF line ends are read as LF).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from agentdesk.core import guard
from agentdesk.core.i18n import t
from agentdesk.kb import index, tokens

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from agentdesk.core.store import Store

SHIPPED_DIR = Path(__file__).parent / "articles"
FENCE = "+++"
ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
UTILITIES = ("water", "power", "")
MAX_TITLE = 200  # a title, category, owner, tag or synonym
REQUIRED = ("id", "title")
# key: (type, default); lists are lists of strings
FIELDS: dict[str, tuple[type, object]] = {
    "id": (str, ""), "title": (str, ""), "utility": (str, ""), "category": (str, ""),
    "tags": (list, []), "synonyms": (list, []), "owner": (str, ""),
    "reviewed": (date, None), "review_days": (int, 365),
}
META_SHIPPED = "shipped_hash"
META_TOKENS = "token_version"


class ArticleError(ValueError):
    """One file's problem, with the line when there is one."""


@dataclass(frozen=True)
class ParsedArticle:
    id: str
    title: str
    utility: str
    category: str
    tags: str  # one per line, as stored
    synonyms: str
    owner: str
    reviewed_on: date | None
    review_days: int
    body: str


@dataclass
class KbImportReport:
    folder: str = ""
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, problem)

    @property
    def changed(self) -> int:
        return self.inserted + self.updated

    def format(self) -> str:
        head = (f"{self.folder or 'kb'}: {self.inserted} inserted, {self.updated} updated, "
                f"{self.unchanged} unchanged, {len(self.errors)} file(s) skipped.")
        return "\n".join([head, *(f"{name}: {problem}" for name, problem in self.errors)])


# --- parsing -------------------------------------------------------------------------


def split_header(text: str) -> tuple[str, str, int]:
    """(header, body, line number of the header's first line)."""
    lines = text.splitlines(keepends=True)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise ArticleError(t("msg.kb.loader.empty_file"))
    if lines[first].strip() != FENCE:
        raise ArticleError(t("msg.kb.loader.line_the_file_must", value=first + 1, FENCE=FENCE))
    end = next((i for i in range(first + 1, len(lines)) if lines[i].strip() == FENCE), None)
    if end is None:
        raise ArticleError(t("msg.kb.loader.line_header_opened_with", value=first + 1, FENCE=FENCE))
    return "".join(lines[first + 1:end]), "".join(lines[end + 1:]), first + 2


def _toml_error(exc: tomllib.TOMLDecodeError, offset: int) -> ArticleError:
    message = str(exc)
    found = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if found:
        line = int(found.group(1)) + offset - 1
        message = message[:found.start()].strip()
        return ArticleError(f"line {line}, column {found.group(2)}: bad TOML: {message}")
    return ArticleError(f"bad TOML header: {message}")


def _check(header: dict) -> dict:
    unknown = sorted(set(header) - set(FIELDS))
    if unknown:
        raise ArticleError(t("msg.kb.loader.unknown_header_key_s", unknown=', '.join(unknown),
                             FIELDS=', '.join(FIELDS)))
    for key in REQUIRED:
        if not isinstance(header.get(key), str) or not header[key].strip():
            raise ArticleError(t("msg.kb.loader.header_needs_a_non", key_=key))
    values: dict = {}
    for key, (kind, default) in FIELDS.items():
        value = header.get(key, default)
        if value is None:
            values[key] = None
            continue
        ok = isinstance(value, kind) and not (kind is date and hasattr(value, "hour"))
        if kind is int and isinstance(value, bool):
            ok = False
        if kind is list:
            ok = ok and all(isinstance(v, str) for v in value)
        if not ok:
            want = t({str: "kb.loader.want_string", list: "kb.loader.want_list",
                      int: "kb.loader.want_int", date: "kb.loader.want_date"}[kind])
            raise ArticleError(t("msg.kb.loader.must_be_got", key_=key, want=want, value=value))
        values[key] = value.strip() if isinstance(value, str) else value
    if not ID_RE.match(values["id"]):
        raise ArticleError(t("msg.kb.loader.id_use_lower_case", values=values['id']))
    if values["utility"] not in UTILITIES:
        raise ArticleError(t("msg.kb.loader.utility_must_be_water", values=values['utility']))
    if values["review_days"] <= 0:
        raise ArticleError(t("msg.kb.loader.review_days_must_be"))
    return values


def _guard(header: dict, body: str, body_line: int) -> None:
    """The one rule at the boundary: no control characters (the body may have tabs and
    line breaks), bounded sizes; a bad body character is reported by line and column."""
    try:
        for key in ("title", "category", "owner"):
            guard.check(key, header[key], MAX_TITLE)
        for key in ("tags", "synonyms"):
            for value in header[key]:
                guard.check(key, value, MAX_TITLE)
    except guard.FieldError as exc:
        raise ArticleError(str(exc)) from None
    for number, line in enumerate(body.split("\n"), start=body_line):
        try:
            guard.check("body", line, guard.MAX_KB_FILE, lines=True)
        except guard.FieldError as exc:
            raise ArticleError(t("guard.line", line=number, problem=str(exc))) from None


def parse(text: str) -> ParsedArticle:
    text = text.replace("\r\n", "\n")  # a file saved on Windows; a lone CR is refused
    header_text, body, offset = split_header(text)
    try:
        header = tomllib.loads(header_text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(exc, offset) from None
    v = _check(header)
    _guard(v, body, offset + header_text.count("\n") + 1)
    return ParsedArticle(
        id=v["id"], title=v["title"], utility=v["utility"], category=v["category"],
        tags="\n".join(s.strip() for s in v["tags"] if s.strip()),
        synonyms="\n".join(s.strip() for s in v["synonyms"] if s.strip()),
        owner=v["owner"], reviewed_on=v["reviewed"], review_days=v["review_days"],
        body=body.strip() + "\n")


def read_file(path: Path) -> ParsedArticle:
    """One article; a file over :data:`agentdesk.core.guard.MAX_KB_FILE` bytes is refused
    without reading more than that."""
    try:
        with open(path, "rb") as f:
            data = f.read(guard.MAX_KB_FILE + 1)
            if len(data) > guard.MAX_KB_FILE:
                size = os.fstat(f.fileno()).st_size
                raise ArticleError(t("guard.kb_too_big", size=f"{size:,}",
                                     limit=f"{guard.MAX_KB_FILE:,}"))
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(t("msg.kb.loader.not_utf_byte", start=exc.start)) from None
    except OSError as exc:
        raise ArticleError(t("msg.kb.loader.cannot_read", strerror=exc.strerror)) from None
    return parse(text)


# --- importing -----------------------------------------------------------------------


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.md") if p.is_file())


def upsert(conn: Connection, articles: list[ParsedArticle], report: KbImportReport,
           reindex: bool = True) -> list[str]:
    """Insert or update these articles by id inside the caller's transaction (``conn`` is
    a SQLAlchemy connection); count them in ``report``; return the ids written."""
    from agentdesk.core import clock
    from agentdesk.core.models import utc_text

    names = list(ParsedArticle.__dataclass_fields__)
    ids = [a.id for a in articles]
    existing: dict[str, tuple] = {}
    for start in range(0, len(ids), index.BATCH):
        chunk = tuple(ids[start:start + index.BATCH])
        sql = (f"SELECT {', '.join(names)} FROM kb_article "
               f"WHERE id IN ({','.join('?' * len(chunk))})")
        existing.update((row[0], tuple(row)) for row in conn.exec_driver_sql(sql, chunk))
    now = utc_text(clock.now())
    changed: list[str] = []
    for article in articles:
        values = tuple(_stored(getattr(article, n)) for n in names)
        old = existing.get(article.id)
        if old is not None and tuple(_stored(v) for v in old) == values:
            report.unchanged += 1
            continue
        conn.exec_driver_sql(
            f"INSERT INTO kb_article ({', '.join(names)}, updated_at) "
            f"VALUES ({', '.join('?' * (len(names) + 1))}) ON CONFLICT(id) DO UPDATE SET "
            + ", ".join(f"{n} = excluded.{n}" for n in [*names[1:], "updated_at"]),
            (*values, now))
        if old is None:
            report.inserted += 1
        else:
            report.updated += 1
        changed.append(article.id)
    if reindex:
        index.reindex(conn, changed)
    return changed


def _stored(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def read_folder(folder: Path, report: KbImportReport) -> list[ParsedArticle]:
    """Every good ``*.md`` article under ``folder``; a bad file or a repeated id goes to
    ``report.errors`` with its name (the desk's import and the centre's load share this)."""
    articles: list[ParsedArticle] = []
    if not folder.is_dir():
        report.errors.append((str(folder), "not a folder of .md articles"))
        return articles
    seen: dict[str, str] = {}
    for file in _files(folder):
        name = str(file.relative_to(folder))
        try:
            article = read_file(file)
        except ArticleError as exc:
            report.errors.append((name, str(exc)))
            continue
        if article.id in seen:
            report.errors.append((name, f"id {article.id!r} already used by {seen[article.id]}"))
            continue
        seen[article.id] = name
        articles.append(article)
    return articles


def import_dir(store: Store, path: Path | str, reindex: bool = True) -> KbImportReport:
    """Upsert every ``*.md`` article under ``path`` by id, in one transaction."""
    folder = Path(path).expanduser()
    report = KbImportReport(folder=str(folder))
    articles = read_folder(folder, report)
    if not folder.is_dir():
        return report
    with store.session() as session:
        upsert(session.connection(), articles, report, reindex)
    return report


def shipped_hash(folder: Path = SHIPPED_DIR) -> str:
    """A hash of the shipped files' names and contents (a flat folder: scandir is cheap)."""
    digest = hashlib.sha256()
    if folder.is_dir():
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name.endswith(".md") and entry.is_file():
                with open(entry.path, "rb") as f:
                    digest.update(entry.name.encode() + b"\0" + f.read() + b"\0")
    return digest.hexdigest()


def _meta(conn: Connection, key: str) -> str | None:
    return conn.exec_driver_sql("SELECT value FROM kb_meta WHERE key = ?", (key,)).scalar()


def _set_meta(conn: Connection, key: str, value: str) -> None:
    conn.exec_driver_sql("INSERT INTO kb_meta (key, value) VALUES (?, ?) ON CONFLICT(key) "
                         "DO UPDATE SET value = excluded.value", (key, value))


def ensure_shipped(store: Store, folder: Path = SHIPPED_DIR) -> int | None:
    """Import the shipped articles when they changed since the last start (or never were),
    and rebuild the index when the token version changed. Returns the number of articles
    imported or re-indexed, or None when there was nothing to do (the usual case: one hash
    of the shipped files and one query, a few milliseconds)."""
    if store.readonly:
        return None
    digest = shipped_hash(folder)
    with store.session() as session:
        conn = session.connection()
        stale_tokens = _meta(conn, META_TOKENS) != tokens.VERSION
        if not stale_tokens and _meta(conn, META_SHIPPED) == digest:
            return None
    written = 0
    if folder.is_dir() and any(folder.glob("*.md")):
        written = import_dir(store, folder, reindex=not stale_tokens).changed
    with store.session() as session:
        conn = session.connection()
        if stale_tokens:
            written = index.rebuild(conn)
            _set_meta(conn, META_TOKENS, tokens.VERSION)
        _set_meta(conn, META_SHIPPED, digest)
    return written
