"""What every part of the demo data shares: uuid7-shaped ids and random parts from the
seeded streams, weighted picks, the places (districts, streets, communities, buildings)
and the outage scenarios whose notices and incidents pin customers into their areas."""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import accumulate
from typing import Any, NamedTuple

from agentdesk.demo import words as D

UTC = timezone.utc
BATCH = 20_000  # customers per executemany; part of the output's definition (keep fixed)
CUSTOMER_SPAN = (datetime(2008, 1, 1, tzinfo=UTC), datetime(2025, 10, 1, tzinfo=UTC))
AGENT_EPOCH = datetime(2024, 3, 1, 1, 0, tzinfo=UTC)
BULK_TABLES = ("customer", "customer_phone", "customer_key")  # indexes rebuilt at the end
_UUID7 = "%08x-%04x-7%03x-%04x-%012x"

Progress = Callable[[str, int, int], None]




def uuid7_text(ms: int, bits: int) -> str:
    """A valid uuid7 string from a unix time in ms (48 bits) and 74 random bits.

    Layout (RFC 9562): 48-bit time, version 7, 12 bits ``rand_a``, variant ``10``, 62 bits
    ``rand_b``; the low 12 bits of ``bits`` go to ``rand_a``, the next 62 to ``rand_b``.
    """
    return _UUID7 % (ms >> 16, ms & 0xFFFF, bits & 0xFFF, 0x8000 | (bits >> 12) & 0x3FFF,
                     (bits >> 26) & 0xFFFFFFFFFFFF)


def epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def weighted(mapping: dict[Any, float]) -> tuple[list[Any], list[float], int]:
    """(values, cumulative weights scaled to 1, last index): for bisect(cum, random())."""
    values = list(mapping)
    total = float(sum(mapping.values()))
    cum = [w / total for w in accumulate(mapping.values())]
    return values, cum, len(values) - 1


def pick(table: tuple[list[Any], list[float], int], rnd: Callable[[], float]) -> Any:
    values, cum, hi = table
    return values[bisect(cum, rnd(), 0, hi)]


def spread(mapping: dict[str, int]) -> list[str]:
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



def hex_stream(rng: random.Random, nbytes: int) -> str:
    """Random hex digits from the seeded stream (getrandbits output is stable across
    Python versions); sliced for the random parts of ids, cheaper than formatting ints."""
    return rng.getrandbits(nbytes * 8).to_bytes(nbytes, "little").hex()


UUID_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}  # uuid variant 10xx
HMS_TEXT = ["%02d:%02d:%02d." % (h, m, s) for h in range(24) for m in range(60) for s in range(60)]
MICROS_TEXT = ["%03d000" % ms for ms in range(1000)]

