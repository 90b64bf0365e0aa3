"""Deterministic demo data: customers, phones, agents, tickets, notices, incidents.

The same seed (and the same ``AGENTDESK_NOW``) gives the same database, byte for byte in
every row: all randomness comes from ``random.Random`` streams derived from the seed, and
ids are uuid7-shaped strings built from those streams (:func:`uuid7_text`), never from the
clock. Word lists and weights live in :mod:`db.demo_data`.

Schemes:

* Customer ids: uuid7 whose time is the customer's ``created_at``; customers are spread
  over a fixed span (2008-2025) in account order, so ids, account numbers and creation
  times all increase together and inserts append to the B-trees.
* Account numbers (户号): 10 digits, utility prefix (water ``31``, power ``41``) +
  2-digit district code + 6-digit serial per (utility, district), increasing with gaps.
* Tickets are timed relative to :func:`agentdesk.core.clock.now`; their ids carry their
  ``created_at``, their numbers are ``GD`` + local date + 5-digit daily serial.

Caller-lookup keys (``customer_key``) are filled here too (:func:`insert_lookup_keys`; a
test checks they equal :func:`agentdesk.core.search_keys.customer_keys`).

Speed: rows are plain tuples inserted with ``executemany`` on one raw sqlite3 connection,
in one transaction (a crash leaves the desk as it was, indexes included), with a rollback
journal instead of WAL for that transaction when no other connection is open. The
secondary indexes of the bulk tables are dropped inside the transaction and rebuilt at the
end: building an index by sorting is faster than keeping it up to date row by row, and
leaves it packed (smaller file).
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from bisect import bisect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from typing import Any, NamedTuple

from agentdesk.core import clock, search_keys
from agentdesk.tickets import taxonomy
from agentdesk.core.models import format_address, utc_text
from agentdesk.core.store import Store
from agentdesk.demo import words as D

UTC = timezone.utc
BATCH = 20_000  # customers per executemany; part of the output's definition (keep fixed)
CUSTOMER_SPAN = (datetime(2008, 1, 1, tzinfo=UTC), datetime(2025, 10, 1, tzinfo=UTC))
AGENT_EPOCH = datetime(2024, 3, 1, 1, 0, tzinfo=UTC)
BULK_TABLES = ("customer", "customer_phone", "customer_key")  # indexes rebuilt at the end
_UUID7 = "%08x-%04x-7%03x-%04x-%012x"

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoSummary:
    customers: int
    phones: int
    tickets: int
    events: int
    notices: int
    incidents: int
    agents: int
    seconds: float


def uuid7_text(ms: int, bits: int) -> str:
    """A valid uuid7 string from a unix time in ms (48 bits) and 74 random bits.

    Layout (RFC 9562): 48-bit time, version 7, 12 bits ``rand_a``, variant ``10``, 62 bits
    ``rand_b``; the low 12 bits of ``bits`` go to ``rand_a``, the next 62 to ``rand_b``.
    """
    return _UUID7 % (ms >> 16, ms & 0xFFFF, bits & 0xFFF, 0x8000 | (bits >> 12) & 0x3FFF,
                     (bits >> 26) & 0xFFFFFFFFFFFF)


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _weighted(mapping: dict[Any, float]) -> tuple[list[Any], list[float], int]:
    """(values, cumulative weights scaled to 1, last index): for bisect(cum, random())."""
    values = list(mapping)
    total = float(sum(mapping.values()))
    cum = [w / total for w in accumulate(mapping.values())]
    return values, cum, len(values) - 1


def _pick(table: tuple[list[Any], list[float], int], rnd: Callable[[], float]) -> Any:
    values, cum, hi = table
    return values[bisect(cum, rnd(), 0, hi)]


def _spread(mapping: dict[str, int]) -> list[str]:
    """Weights as repetition, so a pick is one index: list[int(random() * len)]."""
    return [key for key, weight in mapping.items() for _ in range(weight)]


# --- places ---------------------------------------------------------------------------

class Place(NamedTuple):
    district: str
    street: str
    community: str
    area: str
    dcode: str
    buildings: int
    units: int
    floors: int
    rooms: int  # rooms a floor


def _community_names() -> list[str]:
    combos = [p + m + s for p in D.COMMUNITY_PREFIXES for m in D.COMMUNITY_MIDDLES
              for s in D.COMMUNITY_SUFFIXES if p != m]
    return list(D.COMMUNITIES) + combos


def build_places(rng: random.Random) -> tuple[list[Place], list[float]]:
    """Every community of the city, and the share of customers living in each."""
    urban_names = _community_names()
    villages = [s + x for s in D.VILLAGE_STEMS for x in D.VILLAGE_SUFFIXES]
    places: list[Place] = []
    weights: list[float] = []
    for district, dcode, area, share, streets in D.DISTRICTS:
        used: set[str] = set()
        mine: list[Place] = []
        for street in streets:
            town = street.endswith(("镇", "乡"))
            shape = D.TOWN_SHAPE if town else D.URBAN_SHAPE
            pool = villages if town else urban_names
            for _ in range(rng.randint(*shape["per_street"])):
                name = rng.choice(pool)
                while name in used:  # unique within the district
                    name = rng.choice(pool)
                used.add(name)
                floors = rng.randint(*rng.choice(shape["floors"]))
                mine.append(Place(district, street, name, area, dcode,
                                  rng.randint(*shape["buildings"]), rng.randint(*shape["units"]),
                                  floors, rng.randint(*shape["rooms"])))
        capacity = [p.buildings * p.units * p.floors * p.rooms for p in mine]
        total = sum(capacity)
        places.extend(mine)
        weights.extend(share * c / total for c in capacity)
    return places, weights


# --- scenarios: outage notices and incidents, with customers pinned into their areas ----

@dataclass
class Scenario:
    spec: dict[str, Any]
    utility: str
    place: Place
    street_scope: bool
    pinned: list[int]


def plan_scenarios(rng: random.Random, places: list[Place], customers: int
                   ) -> tuple[list[Scenario], dict[int, tuple[Place | None, str, str]]]:
    """Pick the notice and incident areas and pin a few customers into each, so active
    notices always cover real customers however few are generated."""
    specs = [(n, n["utility"], n["area"], n["scope"] == "street") for n in D.NOTICES]
    past = D.PAST_INCIDENT
    specs.append((past, past["utility"], "urban", False))
    per = [6 if "incident" in s[0] or "calls" in s[0] else 4 for s in specs]
    names = list(D.TWO_READING_SURNAMES) if customers >= 100 else []
    chosen = rng.sample(range(customers), min(customers, sum(per) + len(names)))
    pins: dict[int, tuple[Place | None, str, str]] = {}
    scenarios = []
    at = 0
    for (spec, utility, area, street_scope), count in zip(specs, per):
        place = rng.choice([p for p in places if p.area == area])
        street_places = [p for p in places if p.district == place.district
                         and p.street == place.street]
        mine = chosen[at:at + count]
        at += len(mine)
        for idx in mine:
            home = rng.choice(street_places) if street_scope else place
            pins[idx] = (home, utility, "")
        scenarios.append(Scenario(spec, utility, place, street_scope, mine))
    for idx, surname in zip(chosen[at:], names):
        pins[idx] = (None, "", surname)
    return scenarios, pins


# --- customers -------------------------------------------------------------------------

_CUSTOMER_SQL = (
    "INSERT INTO customer (id, account_no, name, utility, customer_class, district, street, "
    "community, building, unit, room, area_class, meter_no, meter_type, credit_list, "
    "arrears_fen, arrears_periods, tags, key_level, status, created_at, updated_at) "
    "VALUES (" + ",".join("?" * 22) + ")"
)
_PHONE_SQL = ("INSERT INTO customer_phone (id, customer_id, e164, kind, position) "
              "VALUES (?,?,?,?,?)")


class CustomerInfo(NamedTuple):
    """What tickets need to know about a customer that was generated."""

    id: str
    name: str
    utility: str
    customer_class: str
    place: Place
    building: str
    unit: str
    room: str
    phone: str
    vulnerable: bool
    key_level: int


def _hex_stream(rng: random.Random, nbytes: int) -> str:
    """Random hex digits from the seeded stream (getrandbits output is stable across
    Python versions); sliced for the random parts of ids, cheaper than formatting ints."""
    return rng.getrandbits(nbytes * 8).to_bytes(nbytes, "little").hex()


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}  # uuid variant 10xx
_HMS = ["%02d:%02d:%02d." % (h, m, s) for h in range(24) for m in range(60) for s in range(60)]
_MICROS = ["%03d000" % ms for ms in range(1000)]


def insert_customers(conn: sqlite3.Connection, rng: random.Random, n: int,
                     places: list[Place], place_weights: list[float],
                     pins: dict[int, tuple[Place | None, str, str]], wanted: set[int],
                     progress: Progress | None) -> tuple[int, dict[int, CustomerInfo]]:
    """Insert ``n`` customers and their phones; return the phone count and the customers
    whose index is in ``wanted``.

    The hot loop: per-batch bulk picks (``choices(k=...)``), other weighted picks by
    ``bisect`` on cumulative weights, constants in locals, timestamps and ids assembled
    from precomputed pieces instead of formatted per row."""
    rnd = rng.random
    utilities = list(D.UTILITY_WEIGHTS)
    utility_cum = list(accumulate(D.UTILITY_WEIGHTS.values()))
    place_cum = list(accumulate(place_weights))
    surnames = list(D.SURNAMES)
    surname_cum = list(accumulate(D.SURNAMES.values()))
    given = [list(chars) for chars in D.GIVEN_MALE + D.GIVEN_FEMALE]
    classes = {(u, a): _weighted(w) for u, by_area in D.CUSTOMER_CLASSES.items()
               for a, w in by_area.items()}
    meters = {u: _weighted(w) for u, w in D.METER_TYPES.items()}
    credit_v, credit_c, credit_hi = _weighted(D.CREDIT_LISTS)
    periods_v, periods_c, periods_hi = _weighted(D.ARREARS_PERIODS)
    count_v, count_c, count_hi = _weighted(D.MOBILES_PER_CUSTOMER)
    tags_t = _weighted(D.VULNERABILITY_TAGS)
    key_t = _weighted(D.KEY_LEVELS)
    mobiles = ["+86" + p for p in _spread(D.MOBILE_PREFIXES)]
    n_mobiles = len(mobiles)
    landlines = ["+86" + D.AREA_CODE + d for d in _spread(D.LANDLINE_FIRST_DIGITS)]
    n_land = len(landlines)
    other = {"water": "power", "power": "water"}
    account_prefix = D.ACCOUNT_PREFIX
    meter_format = {"water": D.METER_PREFIX["water"] + "%02d%06d",
                    "power": D.METER_PREFIX["power"] + "%02d%07d"}
    meter_scale = {"water": 1e6, "power": 1e7}
    residential_class = D.RESIDENTIAL
    big_classes = D.BIG_CLASSES
    bills = D.BILL_FEN
    black_lo, black_hi = D.BLACK_PERIODS
    grey_lo, grey_hi = D.GREY_PERIODS
    second_share, two_char = D.SECOND_ACCOUNT_SHARE, D.TWO_CHAR_GIVEN
    vulnerable_share, closed_share = D.VULNERABLE_SHARE, D.CLOSED_SHARE
    key_res, key_biz, landline_share = (D.KEY_SHARE_RESIDENTIAL, D.KEY_SHARE_BUSINESS,
                                        D.LANDLINE_SHARE)
    name_prefix = {d: d for d in D.COUNTY_CITIES}
    city = D.CITY
    brands = D.BUSINESS_BRANDS
    n_brands = len(brands)
    trades = D.BUSINESS_TRADES
    max_floors = max(D.URBAN_SHAPE["floors"][-1][1], D.TOWN_SHAPE["floors"][-1][1])
    buildings = [f"{i}栋" for i in range(60)]
    units = [f"{i}单元" for i in range(10)]
    rooms = [[f"{f}{r:02d}室" for r in range(10)] for f in range(max_floors + 1)]
    hms, micros, variant = _HMS, _MICROS, _VARIANT
    position_digit = "1234"  # first hex digit of a phone id's rand_a: keeps a customer's
    # phones in position order (they share the customer's timestamp)

    t0 = _ms(CUSTOMER_SPAN[0])
    step = max(1, (_ms(CUSTOMER_SPAN[1]) - t0) // max(n, 1))
    days_seen: dict[int, tuple[str, int]] = {}  # day number -> ("YYYY-MM-DD ", 2-digit year)
    serials: dict[str, int] = {}
    info: dict[int, CustomerInfo] = {}
    phones_total = 0

    for start in range(0, n, BATCH):
        m = min(BATCH, n - start)
        batch_utility = rng.choices(utilities, cum_weights=utility_cum, k=m)
        batch_place = rng.choices(places, cum_weights=place_cum, k=m)
        batch_surname = rng.choices(surnames, cum_weights=surname_cum, k=m)
        male1, male2, female1, female2 = (rng.choices(chars, k=m) for chars in given)
        hexes = _hex_stream(rng, m * 4 * 10)  # up to 4 ids a row (customer + 3 phones)
        o = 0
        rows: list[tuple] = []
        phone_rows: list[tuple] = []
        numbers_of: list[list[tuple[str, str]]] = []  # per row, for second accounts
        for k in range(m):
            i = start + k
            utility = batch_utility[k]
            place = batch_place[k]
            pin = pins.get(i)
            copy_of = -1
            if pin is not None:
                if pin[0] is not None:
                    place, utility = pin[0], pin[1]
            elif k and rnd() < second_share:
                copy_of = int(rnd() * k)
                if rows[copy_of][4] != residential_class:
                    copy_of = -1
            if copy_of < 0:
                district, street, community, area, dcode, nb, nu, nf, nr = place
                building = buildings[int(rnd() * nb) + 1]
                unit = units[int(rnd() * nu) + 1]
                room = rooms[int(rnd() * nf) + 1][int(rnd() * nr) + 1]
                values, cum, hi = classes[utility, area]
                cls = values[bisect(cum, rnd(), 0, hi)]
                surname = batch_surname[k]
                if pin is not None and pin[2]:  # a pinned surname makes a household
                    cls, surname = residential_class, pin[2]
                if cls == residential_class:
                    x = rnd()  # sex, and one or two characters, from one draw
                    if x < 0.5:
                        name = surname + (male1[k] + male2[k] if x < two_char / 2 else male2[k])
                    else:
                        name = surname + (female1[k] + female2[k] if x < 0.5 + two_char / 2
                                          else female2[k])
                else:
                    options = trades[cls]
                    name = (name_prefix.get(district, city) + brands[int(rnd() * n_brands)]
                            + options[int(rnd() * len(options))])
            else:  # the same household's account with the other utility
                src = rows[copy_of]
                (name, utility, cls, district, street, community, building, unit, room,
                 area) = (src[2], other[src[3]], src[4], src[5], src[6], src[7], src[8],
                          src[9], src[10], src[11])
                dcode = src[1][2:4]

            ms = t0 + i * step + int(rnd() * step)  # strictly increasing with i
            secs, msr = divmod(ms, 1000)
            days, sod = divmod(secs, 86400)
            day = days_seen.get(days)
            if day is None:
                date = datetime.fromtimestamp(days * 86400, UTC)
                day = days_seen[days] = (date.strftime("%Y-%m-%d "), date.year % 100)
            created = day[0] + hms[sod] + micros[msr]
            head = "%08x-%04x-7" % (ms >> 16, ms & 0xFFFF)
            cid = (f"{head}{hexes[o:o + 3]}-{variant[hexes[o + 3]]}{hexes[o + 4:o + 7]}-"
                   f"{hexes[o + 7:o + 19]}")
            o += 19

            key = account_prefix[utility] + dcode
            x = rnd()
            serial = serials.get(key, 100) + (1 if x < 0.8 else 2 if x < 0.95 else 3)
            serials[key] = serial
            meter_no = meter_format[utility] % (day[1], int(rnd() * meter_scale[utility]))
            values, cum, hi = meters[utility]
            meter_type = values[bisect(cum, rnd(), 0, hi)]

            credit_list = credit_v[bisect(credit_c, rnd(), 0, credit_hi)]
            if credit_list == "black":
                periods = black_lo + int(rnd() * (black_hi - black_lo + 1))
            elif credit_list == "grey":
                periods = grey_lo + int(rnd() * (grey_hi - grey_lo + 1))
            else:
                periods = periods_v[bisect(periods_c, rnd(), 0, periods_hi)]
            residential = cls == residential_class
            if periods:
                lo, up = bills[utility]["res" if residential else
                                        "big" if cls in big_classes else "biz"]
                arrears = periods * (lo + int(rnd() * (up - lo)))
            else:
                arrears = 0
            tags = ""
            if residential:
                if rnd() < vulnerable_share:
                    tags = _pick(tags_t, rnd)
                key_level = _pick(key_t, rnd) if rnd() < key_res else 0
            else:
                key_level = _pick(key_t, rnd) if rnd() < key_biz else 0
            status = "closed" if rnd() < closed_share else "active"

            rows.append((cid, "%s%06d" % (key, serial), name, utility, cls, district, street,
                         community, building, unit, room, area, meter_no, meter_type,
                         credit_list, arrears, periods, tags, key_level, status, created,
                         created))

            if copy_of < 0:
                count = count_v[bisect(count_c, rnd(), 0, count_hi)]
                numbers = [("%s%08d" % (mobiles[int(rnd() * n_mobiles)], int(rnd() * 1e8)),
                            "mobile")]
                for _ in range(count - 1):
                    numbers.append(("%s%08d" % (mobiles[int(rnd() * n_mobiles)],
                                                int(rnd() * 1e8)), "mobile"))
                if count < 3 and rnd() < landline_share:  # 1-3 phones in all
                    numbers.append(("%s%07d" % (landlines[int(rnd() * n_land)],
                                                int(rnd() * 1e7)), "landline"))
            else:
                numbers = numbers_of[copy_of]  # same household, same phones
            numbers_of.append(numbers)
            for pos, (e164, kind) in enumerate(numbers):
                phone_rows.append((f"{head}{position_digit[pos]}{hexes[o:o + 2]}-"
                                   f"{variant[hexes[o + 2]]}{hexes[o + 3:o + 6]}-"
                                   f"{hexes[o + 6:o + 18]}", cid, e164, kind, pos))
                o += 18
            if i in wanted:
                info[i] = CustomerInfo(cid, name, utility, cls, Place(
                    district, street, community, area, dcode, 0, 0, 0, 0), building, unit,
                    room, numbers[0][0], bool(tags), key_level)
        conn.executemany(_CUSTOMER_SQL, rows)
        conn.executemany(_PHONE_SQL, phone_rows)
        phones_total += len(phone_rows)
        if progress:
            progress("customers", start + m, n)
    return phones_total, info


# --- lookup keys -----------------------------------------------------------------------

# customer_key rows as search_keys.customer_keys makes them, built by one INSERT ... SELECT
# in key order (appending to the B-tree is several times cheaper than random inserts, and
# no row passes through Python): address keys from the street, the community and the
# building on (every demo address has all parts), phone keys (national digits reversed, all
# demo phones are +86) and name keys joined from a table of the distinct names, whose
# pinyin search_keys.name_keys computes once per name. A test checks the result equals
# search_keys.customer_keys for every customer.
_KEYS_SQL = """
INSERT OR IGNORE INTO customer_key (key, customer_id)
SELECT key, cid FROM (
    SELECT 'a' || street || community || building || unit || room AS key, id AS cid
      FROM customer
    UNION ALL SELECT 'a' || community || building || unit || room, id FROM customer
    UNION ALL SELECT 'a' || building || unit || room, id FROM customer
    UNION ALL SELECT 'p' || demo_reversed(substr(e164, 4)), customer_id FROM customer_phone
    UNION ALL SELECT k.key, c.id FROM temp.demo_name_key k JOIN customer c ON c.name = k.name
) ORDER BY key, cid
"""


def insert_lookup_keys(conn: sqlite3.Connection, progress: Progress | None) -> None:
    """Fill customer_key for every customer (needs ix_customer_name for the name join)."""
    if progress:
        progress("keys", 0, 1)
    conn.execute("CREATE TEMP TABLE demo_name_key (key TEXT NOT NULL, name TEXT NOT NULL)")
    names = [row[0] for row in conn.execute("SELECT DISTINCT name FROM customer")]
    conn.executemany("INSERT INTO temp.demo_name_key (key, name) VALUES (?, ?)",
                     [(key, name) for name in names for key in search_keys.name_keys(name)])
    conn.create_function("demo_reversed", 1, lambda text: text[::-1], deterministic=True)
    conn.execute(_KEYS_SQL)
    conn.execute("DROP TABLE temp.demo_name_key")
    if progress:
        progress("keys", 1, 1)


# --- agents ----------------------------------------------------------------------------

def insert_agents(conn: sqlite3.Connection, rng: random.Random) -> dict[str, str]:
    """The demo agents (kept if their 工号 exist already); returns code -> id."""
    t0 = _ms(AGENT_EPOCH)
    rows = []
    for n, (code, name, role, team, on_shift) in enumerate(D.AGENTS):
        ms = t0 + n * 3_600_000
        created = utc_text(datetime.fromtimestamp(ms / 1000, UTC))
        rows.append((uuid7_text(ms, rng.getrandbits(74)), code, name, role, team,
                     int(on_shift), created))
    conn.executemany("INSERT OR IGNORE INTO agent (id, code, name, role, team, on_shift, "
                     "created_at) VALUES (?,?,?,?,?,?,?)", rows)
    codes = [a[0] for a in D.AGENTS]
    marks = ",".join("?" * len(codes))
    by_code = dict(conn.execute(f"SELECT code, id FROM agent WHERE code IN ({marks})", codes))
    return {code: by_code[code] for code in codes}


# --- tickets ---------------------------------------------------------------------------

# Status paths by business type: what a ticket goes through after 'accepted'.
PATHS = {
    "repair": ("dispatched", "on_site", "resolved", "called_back", "archived"),
    "service": ("dispatched", "resolved", "called_back", "archived"),
    "complaint": ("dispatched", "resolved", "called_back", "archived"),
    "report": ("dispatched", "resolved", "called_back", "archived"),
    "consult": ("resolved", "archived"),  # answered on the call
    "opinion": ("dispatched", "resolved", "archived"),
    "suggestion": ("dispatched", "resolved", "archived"),
    "praise": ("dispatched", "resolved", "archived"),
}
# Minutes each step takes (min, max) by priority; towns double the travel to site.
STEP_MINUTES = {
    "dispatched": {"urgent": (2, 12), "important": (5, 45), "general": (20, 480)},
    "on_site": {"urgent": (15, 70), "important": (30, 200), "general": (120, 2880)},
    "resolved": {"urgent": (30, 300), "important": (40, 600), "general": (60, 4320)},
    "called_back": {"urgent": (120, 1800), "important": (120, 1800), "general": (240, 2880)},
    "archived": {"urgent": (60, 4320), "important": (60, 4320), "general": (60, 4320)},
}
ANSWERED_ON_CALL = (1, 15)  # minutes: accepted -> resolved for consultations
EVENT_NOTES = {
    "dispatched": "派单至{department}", "on_site": "维修人员到场", "resolved": "{department}回单",
    "called_back": "回访完成", "archived": "归档",
}


def _due(priority: str, utility: str, area: str, on_site: bool
         ) -> tuple[timedelta, timedelta | None, timedelta]:
    """Plausible deadlines (first response, arrival, resolution); the SLA engine replaces
    these later. Arrival by area for urgent faults (DOMAIN.md: 45/90/120 min for power)."""
    m = timedelta(minutes=1)
    if priority == "urgent":
        arrival = {"urban": 30 if utility == "water" else 45, "rural": 90, "remote": 120}[area]
        if utility == "power":
            resolution = 180 if area == "urban" else 240
        else:
            resolution = 720 if area == "urban" else 1440
        return 15 * m, arrival * m if on_site else None, resolution * m
    if priority == "important":
        return 60 * m, 120 * m if on_site else None, 1440 * m
    return 1440 * m, None, 5 * 1440 * m


@dataclass
class TicketDraft:
    created: datetime
    category: taxonomy.Category
    customer: CustomerInfo | None
    incident_id: str | None = None


def _road(rng: random.Random) -> str:
    a, b = rng.sample(D.ROADS, 2)
    return f"{a}与{b}交叉口向{rng.choice(D.DIRECTIONS)}约{rng.randrange(20, 300, 10)}米"


def _mobile(rng: random.Random) -> str:
    return "+86%s%08d" % (rng.choice(_spread(D.MOBILE_PREFIXES)), rng.randrange(10**8))


def _created_time(rng: random.Random, now: datetime, hours: tuple) -> datetime:
    """A call time in the last 30 days, busier in the last 3, on the daily curve."""
    tz = clock.centre_tz()
    today = now.astimezone(tz).date()
    while True:
        x = rng.random()
        days = 0 if x < D.TODAY_SHARE else rng.randrange(1, 3) if x < D.RECENT_SHARE \
            else rng.randrange(30)
        hour = _pick(hours, rng.random)
        start = datetime(today.year, today.month, today.day, tzinfo=tz) - timedelta(days=days)
        at = start + timedelta(hours=hour, seconds=rng.random() * 3600)
        if now - timedelta(days=30) < at <= now:
            return at.astimezone(UTC)


class TicketWriter:
    """Turns drafts into ticket, event and contact rows."""

    def __init__(self, rng: random.Random, now: datetime, agents: dict[str, str]):
        self.rng = rng
        self.now = now
        self.agents = agents
        self.takers = [code for code, _n, role, _t, _s in D.AGENTS if role != "trainer"]
        self.channels = _weighted(D.CHANNELS)
        self.satisfaction = _weighted(D.SATISFACTION)
        self.tickets: list[tuple] = []
        self.events: list[tuple] = []
        self.contacts: list[tuple] = []

    def _id(self, at: datetime) -> str:
        return uuid7_text(_ms(at), self.rng.getrandbits(74))

    def add(self, draft: TicketDraft, number: str) -> None:
        rng, now = self.rng, self.now
        cat, cust = draft.category, draft.customer
        created = draft.created
        utility = cust.utility if cust else (cat.utility if cat.utility != "any" else
                                              rng.choice(("water", "power")))
        area = cust.place.area if cust else "urban"
        path = PATHS[cat.business_type]
        priority = cat.priority
        if cust and (cust.vulnerable or cust.key_level) and cat.code in (
                "power.fault", "water.no_water"):
            priority = "urgent"  # a 吸氧 household without power cannot wait

        # Walk the path until a step would end after now: that is the current status.
        steps: list[tuple[datetime, str, str]] = []
        stuck = rng.randrange(len(path)) if rng.random() < D.STUCK_SHARE else -1
        at, status = created, "accepted"
        for n, to in enumerate(path):
            lo, hi = ANSWERED_ON_CALL if (to == "resolved" and n == 0) else \
                STEP_MINUTES[to][priority]
            minutes = rng.uniform(lo, hi)
            if to == "on_site" and area != "urban":
                minutes *= 2
            if n == stuck:
                minutes *= rng.uniform(4, 15)
            nxt = at + timedelta(minutes=minutes)
            if nxt > now:
                break
            steps.append((nxt, status, to))
            at, status = nxt, to

        first = rng.choice(self.takers)
        owner = first
        handover_at = None
        if rng.random() < D.HANDOVER_SHARE:
            owner = rng.choice([c for c in self.takers if c != first])
            last = steps[-1][0] if steps else now
            handover_at = created + (last - created) * rng.uniform(0.05, 0.6)

        if area != "urban" and cat.business_type == "repair" and cust:
            department = D.TOWN_REPAIR_DEPARTMENTS[cust.place.district][utility]
        else:
            department = rng.choice(D.DEPARTMENTS[cat.code])
        if cust and cat.code not in D.ROAD_CATEGORIES:
            location = format_address(cust.place.district, cust.place.street,
                                      cust.place.community, cust.building, cust.unit, cust.room)
        elif cust or cat.business_type in ("repair", "report"):
            location = _road(rng)
        else:
            location = ""  # a caller we could not place, asking a question
        templates = D.DESCRIPTIONS[cat.code]
        if not cust:  # no home address to quote
            templates = [t for t in templates if "{building}" not in t and "{room}" not in t
                         ] or templates
        fields = {"community": cust.place.community if cust else "我们小区",
                  "building": cust.building if cust else "", "unit": cust.unit if cust else "",
                  "room": cust.room if cust else "", "road": location or "路边",
                  "days": rng.randint(2, 10), "yuan": rng.randrange(180, 1200, 10)}
        description = rng.choice(templates).format(**fields)

        first_resp, arrival, resolution = _due(priority, utility, area, "on_site" in path)
        reached = {to: t for t, _f, to in steps}
        resolved_at = reached.get("resolved")
        due_callback = (resolved_at + timedelta(hours=24)
                        if resolved_at and "called_back" in path else None)
        satisfaction = _pick(self.satisfaction, rng.random) if "called_back" in reached else ""

        contact_id = None
        if rng.random() < 0.75:
            started = created - timedelta(minutes=rng.uniform(0.5, 4))
            ended = created + timedelta(minutes=rng.uniform(0.5, 5))
            contact_id = self._id(started)
            self.contacts.append((
                contact_id, _pick(self.channels, rng.random),
                cust.phone if cust else _mobile(rng), cust.id if cust else None,
                self.agents[first], utc_text(started),
                utc_text(ended) if ended <= now else None, cat.zh))

        ticket_id = self._id(created)
        ev = self.events
        ev.append((self._id(created), ticket_id, utc_text(created), self.agents[first],
                   "created", "", "accepted", "", json.dumps({"priority": priority})))
        current = first
        last_at = created
        for t, frm, to in steps:
            if handover_at and t >= handover_at and current == first:
                ev.append(self._handover(ticket_id, handover_at, first, owner))
                current = owner
            agent = None if to in ("on_site", "archived") else self.agents[current]
            data = json.dumps({"department": department}, ensure_ascii=False) \
                if to == "dispatched" else "{}"
            ev.append((self._id(t), ticket_id, utc_text(t), agent, "status", frm, to,
                       EVENT_NOTES[to].format(department=department), data))
            last_at = t
        if handover_at and current == first:
            ev.append(self._handover(ticket_id, handover_at, first, owner))
            last_at = max(last_at, handover_at)

        text = utc_text

        def met(test) -> str | None:  # noqa: ANN001 - the met times, as workflow.apply has them
            return next((text(t) for t, frm, to in steps if test(frm, to)), None)

        self.tickets.append((
            ticket_id, number, cat.business_type, cat.code, priority, status, description,
            location, area, cust.id if cust else None, contact_id, draft.incident_id,
            self.agents[first], self.agents[owner], department, satisfaction,
            text(created), text(last_at), text(created + first_resp),
            text(created + arrival) if arrival else None, text(created + resolution),
            text(due_callback) if due_callback else None,
            text(resolved_at) if resolved_at else None,
            text(reached["archived"]) if "archived" in reached else None,
            met(lambda frm, to: frm == "accepted" and to != "accepted"),
            met(lambda frm, to: to in ("on_site", "resolved")),
            met(lambda frm, to: to == "called_back")))

    def _handover(self, ticket_id: str, at: datetime, first: str, owner: str) -> tuple:
        return (self._id(at), ticket_id, utc_text(at), self.agents[first], "handover", "", "",
                "交接班转交", json.dumps({"from": first, "to": owner}))


_TICKET_SQL = (
    "INSERT INTO ticket (id, number, business_type, category, priority, status, description, "
    "location, area_class, customer_id, contact_id, incident_id, first_responder_id, owner_id, "
    "department, satisfaction, created_at, updated_at, due_first_response, due_arrival, "
    "due_resolution, due_callback, resolved_at, closed_at, responded_at, arrived_at, "
    "called_back_at) VALUES (" + ",".join("?" * 27) + ")"
)
_EVENT_SQL = ("INSERT INTO ticket_event (id, ticket_id, at, agent_id, kind, from_status, "
              "to_status, note, data) VALUES (?,?,?,?,?,?,?,?,?)")
_CONTACT_SQL = ("INSERT INTO contact (id, channel, number, customer_id, agent_id, started_at, "
                "ended_at, note) VALUES (?,?,?,?,?,?,?,?)")


def _category_table(tax: taxonomy.Taxonomy, utility: str) -> tuple[list, list[float], int]:
    return _weighted({c: D.CATEGORY_WEIGHTS[c.code] for c in tax.for_utility(utility)
                      if D.CATEGORY_WEIGHTS.get(c.code)})


def insert_notices_and_tickets(conn: sqlite3.Connection, rng: random.Random, now: datetime,
                               scenarios: list[Scenario], picks: list[int | None],
                               info: dict[int, CustomerInfo], agents: dict[str, str],
                               tickets: int, progress: Progress | None
                               ) -> tuple[int, int, int, int]:
    """Notices, incidents and tickets (with events and contacts); returns the counts."""
    tax = taxonomy.load()
    drafts: list[TicketDraft] = []
    notices = incidents = 0
    hour = timedelta(hours=1)
    for sc in scenarios:
        spec, place = sc.spec, sc.place
        names = {"district": place.district, "street": place.street,
                 "community": place.community, "road": rng.choice(D.ROADS)}
        start = now + spec["start"] * hour
        end = start + spec["hours"] * hour
        incident = spec.get("incident") or (spec if "calls" in spec else None)
        if "kind" in spec:  # a notice
            published = start - 48 * hour if spec["kind"] == "planned" else \
                min(now, start + timedelta(minutes=10))
            conn.execute(
                "INSERT INTO notice (id, utility, kind, cause, title, district, street, "
                "community, starts_at, ends_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (uuid7_text(_ms(published), rng.getrandbits(74)), sc.utility, spec["kind"],
                 spec["cause"], spec["title"].format(**names), place.district, place.street,
                 "" if sc.street_scope else place.community, utc_text(start), utc_text(end),
                 utc_text(published)))
            notices += 1
        if incident is None:
            continue
        began = start - timedelta(minutes=15) if "kind" in spec else start
        closed = end if end <= now else None
        incident_id = uuid7_text(_ms(began), rng.getrandbits(74))
        conn.execute(
            "INSERT INTO incident (id, title, utility, category, district, street, community, "
            "status, started_at, closed_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (incident_id, incident["title"].format(**names), sc.utility, incident["category"],
             place.district, place.street, "" if sc.street_scope else place.community,
             "closed" if closed else "open", utc_text(began),
             utc_text(closed) if closed else None))
        incidents += 1
        window = min(now - began, 3 * hour)
        for n, idx in enumerate(sc.pinned):
            if len(drafts) >= tickets:
                break
            code = incident["calls"][n % len(incident["calls"])]
            at = began + window * (0.05 + 0.95 * rng.random())
            drafts.append(TicketDraft(at, tax.category(code), info[idx], incident_id))

    hours = _weighted(D.CALL_HOURS)
    by_utility = {u: _category_table(tax, u) for u in ("water", "power")}
    walk_in = _weighted({tax.category(c): w for c, w in (
        ("water.burst", 6), ("water.manhole", 3), ("water.hydrant", 2), ("power.fault", 2),
        ("power.theft", 1), ("any.consult", 3), ("any.complaint", 1))})
    for idx in picks[:max(0, tickets - len(drafts))]:
        cust = info[idx] if idx is not None else None
        table = by_utility[cust.utility] if cust else walk_in
        drafts.append(TicketDraft(_created_time(rng, now, hours), _pick(table, rng.random),
                                  cust))

    # Numbers follow creation order within each local day; ids carry the creation time.
    drafts.sort(key=lambda d: d.created)
    writer = TicketWriter(rng, now, agents)
    tz = clock.centre_tz()
    daily: dict[str, int] = {}
    for draft in drafts:
        day = draft.created.astimezone(tz).strftime("%Y%m%d")
        daily[day] = daily.get(day, 0) + 1
        writer.add(draft, f"GD{day}{daily[day]:05d}")
    conn.executemany(_CONTACT_SQL, writer.contacts)
    step = 5_000
    for start in range(0, len(writer.tickets), step):
        conn.executemany(_TICKET_SQL, writer.tickets[start:start + step])
        if progress:
            progress("tickets", min(start + step, len(writer.tickets)), len(writer.tickets))
    conn.executemany(_EVENT_SQL, writer.events)
    return len(writer.tickets), len(writer.events), notices, incidents


# --- the whole fill --------------------------------------------------------------------

def _secondary_indexes(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(name, CREATE INDEX sql) of the bulk tables' own indexes (not the automatic ones
    behind PRIMARY KEY / UNIQUE, which have no sql and cannot be dropped)."""
    marks = ",".join("?" * len(BULK_TABLES))
    return conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks}) ORDER BY name", BULK_TABLES).fetchall()


def _journal(conn: sqlite3.Connection, mode: str) -> str:
    try:
        return conn.execute(f"PRAGMA journal_mode = {mode}").fetchone()[0]
    except sqlite3.OperationalError:  # "database is locked": another connection is open
        return ""


def _count(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def generate(store: Store, customers: int, tickets: int, seed: int,
             progress: Progress | None = None) -> DemoSummary:
    """Fill an empty desk database with demo data; same seed, same data."""
    if customers < 0 or tickets < 0:
        raise ValueError("customers and tickets must not be negative")
    began = time.perf_counter()
    root = random.Random(seed)
    # Independent streams, so that e.g. the ticket count does not change the customers.
    rng_places, rng_scen, rng_cust, rng_agents, rng_tickets = (
        random.Random(root.getrandbits(64)) for _ in range(5))
    now = clock.now()

    places, weights = build_places(rng_places)
    scenarios, pins = plan_scenarios(rng_scen, places, customers)
    incident_calls = sum(len(s.pinned) for s in scenarios
                         if "incident" in s.spec or "calls" in s.spec)
    picks: list[int | None] = [
        None if not customers or rng_tickets.random() < D.NO_CUSTOMER_SHARE
        else rng_tickets.randrange(customers)
        for _ in range(max(0, tickets - incident_calls))]
    wanted = {i for i in picks if i is not None}
    wanted.update(i for s in scenarios for i in s.pinned)

    store.engine.dispose()  # idle pooled connections would block the journal switch below
    conn = store.raw()
    conn.isolation_level = None  # explicit BEGIN/COMMIT, DDL included
    try:
        # The data is consistent by construction: skip per-row foreign-key lookups, and
        # let the OS flush (a crash before COMMIT loses the whole fill, nothing else).
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -262144")  # 256 MiB
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA threads = 2")  # lets big sorts (keys, indexes) use both cores
        # WAL would write every page twice (log, then checkpoint); a rollback journal holds
        # only the few pages that existed, and still undoes the fill after a crash. Not
        # possible while another connection is open: then WAL it is.
        wal = _journal(conn, "delete") != "delete"
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT EXISTS(SELECT 1 FROM customer) OR "
                            "EXISTS(SELECT 1 FROM ticket)").fetchone()[0]:
                raise ValueError(f"{store.path}: demo data needs an empty desk (customers "
                                 "or tickets present)")
            indexes = _secondary_indexes(conn)
            for name, _sql in indexes:
                conn.execute(f'DROP INDEX "{name}"')
            agents = insert_agents(conn, rng_agents)
            phones, info = insert_customers(conn, rng_cust, customers, places, weights, pins,
                                            wanted, progress)
            for n, (_name, sql) in enumerate(indexes):
                if progress:
                    progress("indexes", n, len(indexes))
                conn.execute(sql)
            if progress:
                progress("indexes", len(indexes), len(indexes))
            insert_lookup_keys(conn, progress)
            n_tickets, n_events, n_notices, n_incidents = insert_notices_and_tickets(
                conn, rng_tickets, now, scenarios, picks, info, agents, tickets, progress)
            n_agents = _count(conn, "agent")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")  # the dropped indexes come back with everything else
            raise
        if wal:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        _journal(conn, "wal")
        conn.close()
    return DemoSummary(customers, phones, n_tickets, n_events, n_notices, n_incidents,
                       n_agents, round(time.perf_counter() - began, 2))


def is_empty(store: Store) -> bool:
    """True when the desk has no customers (a new desk, or one never filled)."""
    conn = store.raw()
    try:
        return not conn.execute("SELECT EXISTS(SELECT 1 FROM customer)").fetchone()[0]
    finally:
        conn.close()


def fill_if_empty(store: Store, customers: int = 2000, tickets: int = 300, seed: int = 1,
                  progress: Progress | None = None) -> DemoSummary | None:
    """Demo data for a desk without customers; None when it already has some."""
    if not is_empty(store):
        return None
    return generate(store, customers, tickets, seed, progress)
