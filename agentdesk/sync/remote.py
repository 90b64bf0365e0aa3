"""A partial desk asks the centre (no textual import; issue 21, item 4).

A desk with a ``sync_scope`` keeps only its own districts' customers. A lookup that finds
nobody here, or that names a district outside the scope, runs the same lookup rules
(:func:`agentdesk.customers.lookup.find`: the clues, the ``customer_key`` ranges, the
intersections) over the centre's own tables, through :class:`CentreSQL`, which runs the
desk's SQL on PostgreSQL or a SQLite centre. The customer the agent opens is copied here
with its phones and lookup keys (:func:`cache`), so the next lookup finds it locally.

Everything here runs in the screen's thread workers. A centre that does not answer
within :data:`TIMEOUT_S` is "unreachable"; after that the desk does not ask again for
:data:`QUIET_S` seconds (each lookup would otherwise wait on a dead link): the screen says
the customer may be outside this desk's districts.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import TYPE_CHECKING

from agentdesk.sync.central.connection import CentralError, CentralUnavailable

if TYPE_CHECKING:
    from agentdesk.core.store import Store
    from agentdesk.customers.lookup import Match
    from agentdesk.sync.central import Central

TIMEOUT_S = 3.0  # a lookup's read at the centre: the watchdog cuts the link after this
QUIET_S = 30.0  # after a failure, lookups do not ask the centre again for this long
FETCH_BATCH = 5000  # a widened scope's customers per fetch and desk transaction

_lock = threading.Lock()
_centres: dict[str, Central] = {}
_failed_at: dict[str, float] = {}


class CentreSQL:
    """The desk's lookup SQL (sqlite3 style: ``?`` and ``:name`` parameters, json_each,
    group_concat) run over the centre's connection. PostgreSQL gets its own spellings."""

    def __init__(self, raw: object, dialect: str) -> None:
        self.raw, self.pg = raw, dialect == "postgresql"

    def execute(self, sql: str, params: object = ()) -> object:
        cur = self.raw.cursor()  # type: ignore[attr-defined]
        if self.pg:
            sql = sql.replace("%", "%%")
            sql = re.sub(r"json_each\(:(\w+)\)", r"json_array_elements_text(CAST(:\1 AS json))",
                         sql)
            sql = sql.replace("group_concat(", "string_agg(")
            if isinstance(params, dict):
                sql = re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)
            else:
                sql = sql.replace("?", "%s")
        cur.execute(sql, params)
        return cur


def centre_for(url: str) -> Central:
    """One connection pool per centre URL for the process's lookups (made on first use)."""
    from agentdesk.sync import central

    with _lock:
        found = _centres.get(url)
        if found is None:
            found = _centres[url] = central.connect(url, pool_size=2)
        return found


def forget(url: str) -> None:
    """Close this process's lookup connections to a centre and forget its failures (the
    desk closes; tests)."""
    with _lock:
        found = _centres.pop(url, None)
        _failed_at.pop(url, None)
    if found is not None:
        found.dispose()


def reachable(url: str) -> bool:
    """False for :data:`QUIET_S` seconds after the centre failed a lookup."""
    return bool(url) and time.monotonic() - _failed_at.get(url, -QUIET_S * 2) >= QUIET_S


def _failed(url: str) -> None:
    _failed_at[url] = time.monotonic()


def search(centre: Central, query: str, limit: int = 20) -> list[Match]:
    """The centre's matches for ``query`` by the desk's lookup rules, with their phones,
    best first (rank, then account). Raises :class:`~agentdesk.customers.lookup.QueryError`
    for unusable input, :class:`CentralError` when the centre cannot answer."""
    from agentdesk.customers import lookup

    query = lookup.clean(query)
    limit = max(1, min(int(limit), lookup.MOST))
    with centre.reading(TIMEOUT_S) as conn:
        raw = conn.connection.dbapi_connection
        try:
            sql = CentreSQL(raw, centre.dialect)
            best = lookup.find(sql, query, lookup.pool_size(limit))
            ids = sorted(best, key=lambda cid: (best[cid][0], cid))[:limit]
            if not ids:
                return lookup.Matches()
            return _details(sql, best, ids, len(best) > limit)
        finally:
            raw.rollback()


_DETAILS = """
SELECT c.id, c.account_no, c.name, c.utility, c.district, c.street, c.community,
       c.building, c.unit, c.room FROM customer c
WHERE c.id IN (SELECT value FROM json_each(:ids))
"""
_PHONES = """
SELECT customer_id, e164 FROM customer_phone
WHERE customer_id IN (SELECT value FROM json_each(:ids)) ORDER BY customer_id, position
"""


def _details(sql: CentreSQL, best: dict[str, tuple[int, str]], ids: list[str], more: bool
             ) -> list[Match]:
    from agentdesk.core.models import format_address
    from agentdesk.customers import lookup

    among = {"ids": json.dumps(ids)}
    phones: dict[str, list[str]] = {}
    for cid, e164 in sql.execute(_PHONES, among).fetchall():  # type: ignore[attr-defined]
        phones.setdefault(cid, []).append(e164)
    out = lookup.Matches(sorted(
        (lookup.Match(r[0], r[1], r[2], tuple(phones.get(r[0], ())), format_address(*r[4:10]),
                      r[3], best[r[0]][1], best[r[0]][0])
         for r in sql.execute(_DETAILS, among).fetchall()),  # type: ignore[attr-defined]
        key=lambda m: (m.rank, m.account_no)))
    out.more = more
    return out


def fetch(centre: Central, customer_ids: list[str]) -> tuple[list[tuple], list[tuple]]:
    """These customers' rows and phones as the centre has them, in the desk's column
    order and storage form (as a pull brings them)."""
    ids = json.dumps(list(customer_ids))
    within = ("x.id IN (SELECT value FROM json_array_elements_text(CAST(@ids AS json)))"
              if centre.dialect == "postgresql" else
              "x.id IN (SELECT value FROM json_each(@ids))")
    with centre.reading(TIMEOUT_S) as conn:
        raw = conn.connection.dbapi_connection
        try:
            rows = centre.fetch(raw, f"SELECT {centre.desk_columns('customer')} FROM "
                                     f"customer x WHERE {within}", ids=ids)
            phones = centre.fetch(raw, f"SELECT {centre.desk_columns('customer_phone')} FROM "
                                       f"customer_phone x WHERE "
                                       f"{within.replace('x.id', 'x.customer_id')} "
                                       "ORDER BY x.customer_id, x.position", ids=ids)
        finally:
            raw.rollback()
    return [tuple(r) for r in rows], [tuple(p) for p in phones]


def put(store: Store, rows: list[tuple], phones: list[tuple]) -> int:
    """The centre's customers written here as a pull writes them (phones, lookup keys;
    never into the outbox). Returns how many."""
    from agentdesk.sync import pull
    from agentdesk.sync.bookkeeping import writing

    if not rows:
        return 0
    with writing(store, foreign_keys=False) as conn:
        pull.put_customers(conn, rows, phones)
    return len(rows)


def cache(store: Store, centre: Central, customer_id: str) -> bool:
    """Copy the customer an agent opened from the centre to this desk (with phones and
    keys): the next lookup finds it here. False when the centre has no such customer."""
    rows, phones = fetch(centre, [customer_id])
    return put(store, rows, phones) > 0


def ask(url: str, query: str, limit: int = 20) -> tuple[list[Match], str]:
    """A lookup at the centre for the screen's worker: (matches, state), state "centre"
    (it answered), "offline" (unreachable, or quiet after a recent failure) or "error"
    (it answered with an error: not initialised, another schema). Never raises for the
    centre; :class:`~agentdesk.customers.lookup.QueryError` for unusable input."""
    if not reachable(url):
        return [], "offline"
    try:
        return search(centre_for(url), query, limit), "centre"
    except CentralUnavailable:
        _failed(url)
        return [], "offline"
    except CentralError:
        _failed(url)
        return [], "error"


def open_from_centre(store: Store, url: str, customer_id: str) -> bool:
    """The screen's worker, before it reads a card of a centre match: the customer cached
    here. False when the centre cannot give it (the card then says so)."""
    if not reachable(url):
        return False
    try:
        return cache(store, centre_for(url), customer_id)
    except CentralError:
        _failed(url)
        return False


def wanted(scope: tuple[str, ...], query: str, found_here: int) -> bool:
    """Whether a partial desk's lookup goes to the centre: nobody found here, or the query
    names a district outside the scope."""
    if not scope:
        return False
    if not found_here:
        return True
    from agentdesk.customers import lookup

    return any(d not in scope for d in lookup.districts_named(query))


# --- a scope that changed ------------------------------------------------------------------


def fetch_districts(centre: Central, districts: list[str] | None, keep: list[str],
                    after: str, limit: int) -> tuple[list[tuple], list[tuple]]:
    """The next ``limit`` customers by id after ``after`` in these districts (None: every
    district but those in ``keep``, for a scope widened to the whole file), with phones."""
    values = json.dumps(districts if districts is not None else keep, ensure_ascii=False)
    inside = ("(SELECT value FROM json_array_elements_text(CAST(@d AS json)))"
              if centre.dialect == "postgresql" else "(SELECT value FROM json_each(@d))")
    which = f"x.district {'IN' if districts is not None else 'NOT IN'} {inside}"
    with centre.reading() as conn:
        raw = conn.connection.dbapi_connection
        try:
            rows = centre.fetch(raw, f"SELECT {centre.desk_columns('customer')} FROM customer x "
                                     f"WHERE {which} AND x.id > @after ORDER BY x.id "
                                     "LIMIT @n", d=values, after=after, n=limit)
            ids = json.dumps([r[0] for r in rows])
            phones = centre.fetch(raw, f"SELECT {centre.desk_columns('customer_phone')} FROM "
                                       f"customer_phone x WHERE x.customer_id IN "
                                       f"{inside.replace('@d', '@ids')} "
                                       "ORDER BY x.customer_id, x.position", ids=ids)
        finally:
            raw.rollback()
    return [tuple(r) for r in rows], [tuple(p) for p in phones]


def widened(old: list[str] | None, new: tuple[str, ...]) -> list[str] | None:
    """The districts a scope change adds: [] none, None every district outside ``old``
    (the scope became the whole file). ``old`` None: the desk had no scope (it held
    every customer already)."""
    if old is None or not old:
        return []
    if not new:
        return None
    return [d for d in new if d not in old]


def refetch(store: Store, centre: Central, added: list[str] | None, old: list[str],
            batch: int = FETCH_BATCH) -> int:
    """A widened scope: the new districts' customers (phones, keys) copied here, in id
    order. Returns how many."""
    after, done = "", 0
    while True:
        rows, phones = fetch_districts(centre, added, old, after, batch)
        done += put(store, rows, phones)
        if len(rows) < batch:
            return done
        after = rows[-1][0]
