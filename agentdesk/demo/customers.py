"""Demo customers with their phones (plain tuples, ``executemany``, ids and account
numbers increasing together), their lookup keys built by one ``INSERT ... SELECT`` in key
order, and the demo agents."""

from __future__ import annotations

import random
import sqlite3
from bisect import bisect
from datetime import datetime
from itertools import accumulate
from typing import NamedTuple

from agentdesk.core import search_keys
from agentdesk.core.models import utc_text
from agentdesk.demo import words as D
from agentdesk.demo.places import (AGENT_EPOCH, BATCH, CUSTOMER_SPAN, HMS_TEXT, MICROS_TEXT,
                                   UTC, UUID_VARIANT, Place, Progress, epoch_ms, hex_stream,
                                   pick, spread, uuid7_text, weighted)

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
    classes = {(u, a): weighted(w) for u, by_area in D.CUSTOMER_CLASSES.items()
               for a, w in by_area.items()}
    meters = {u: weighted(w) for u, w in D.METER_TYPES.items()}
    credit_v, credit_c, credit_hi = weighted(D.CREDIT_LISTS)
    periods_v, periods_c, periods_hi = weighted(D.ARREARS_PERIODS)
    count_v, count_c, count_hi = weighted(D.MOBILES_PER_CUSTOMER)
    tags_t = weighted(D.VULNERABILITY_TAGS)
    key_t = weighted(D.KEY_LEVELS)
    mobiles = ["+86" + p for p in spread(D.MOBILE_PREFIXES)]
    n_mobiles = len(mobiles)
    landlines = ["+86" + D.AREA_CODE + d for d in spread(D.LANDLINE_FIRST_DIGITS)]
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
    hms, micros, variant = HMS_TEXT, MICROS_TEXT, UUID_VARIANT
    position_digit = "1234"  # first hex digit of a phone id's rand_a: keeps a customer's
    # phones in position order (they share the customer's timestamp)

    t0 = epoch_ms(CUSTOMER_SPAN[0])
    step = max(1, (epoch_ms(CUSTOMER_SPAN[1]) - t0) // max(n, 1))
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
        hexes = hex_stream(rng, m * 4 * 10)  # up to 4 ids a row (customer + 3 phones)
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
                    tags = pick(tags_t, rnd)
                key_level = pick(key_t, rnd) if rnd() < key_res else 0
            else:
                key_level = pick(key_t, rnd) if rnd() < key_biz else 0
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
# building on (every demo address has all parts, none with punctuation), account and
# meter keys, phone keys (national digits reversed, all
# demo phones are +86) and name keys joined from a table of the distinct names, whose
# pinyin search_keys.name_keys computes once per name. A test checks the result equals
# search_keys.customer_keys for every customer.
_KEYS_SQL = """
INSERT OR IGNORE INTO customer_key (key, customer_id)
SELECT key, key_ref(cid) AS ref FROM (
    SELECT 'a' || street || community || building || unit || room AS key, id AS cid
      FROM customer
    UNION ALL SELECT 'a' || community || building || unit || room, id FROM customer
    UNION ALL SELECT 'a' || building || unit || room, id FROM customer
    UNION ALL SELECT 'p' || demo_reversed(substr(e164, 4)), customer_id FROM customer_phone
    UNION ALL SELECT 'r' || demo_id_key(account_no), id FROM customer
    UNION ALL SELECT 'm' || demo_id_key(meter_no), id FROM customer WHERE meter_no <> ''
    UNION ALL SELECT k.key, c.id FROM temp.demo_name_key k JOIN customer c ON c.name = k.name
) ORDER BY key, ref
"""


def insert_lookup_keys(conn: sqlite3.Connection, progress: Progress | None) -> None:
    """Fill customer_key for every customer (needs ix_customer_name for the name join)."""
    if progress:
        progress("keys", 0, 1)
    conn.execute("CREATE TEMP TABLE demo_name_key (key TEXT NOT NULL, name TEXT NOT NULL)")
    # Streamed, never a list: at 200,000 customers the distinct names' keys are ~1.5
    # million tuples (some 200 MB as a list); the read cursor and the insert meet in
    # different tables of one connection.
    names = conn.cursor().execute("SELECT DISTINCT name FROM customer")
    conn.executemany("INSERT INTO temp.demo_name_key (key, name) VALUES (?, ?)",
                     ((key, name) for (name,) in names for key in search_keys.name_keys(name)))
    conn.create_function("demo_reversed", 1, lambda text: text[::-1], deterministic=True)
    conn.create_function("demo_id_key", 1, lambda text: search_keys.plain_id(text)[::-1],
                         deterministic=True)
    conn.execute(_KEYS_SQL)
    conn.execute("DROP TABLE temp.demo_name_key")
    if progress:
        progress("keys", 1, 1)


# --- agents ----------------------------------------------------------------------------

def insert_agents(conn: sqlite3.Connection, rng: random.Random) -> dict[str, str]:
    """The demo agents (kept if their 工号 exist already); returns code -> id."""
    t0 = epoch_ms(AGENT_EPOCH)
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


