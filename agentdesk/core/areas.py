"""The area an outage notice covers, said as the address is: ``district[/street[/community
[/building]]]`` (no textual import). A shorter path covers everything under it: ``岳麓区``
is the whole district, ``岳麓区/桃子湖街道`` the whole street.

One notice holds several areas, stored in its ``areas`` column as JSON (a list of
``[district, street, community, building]``), so they travel with the notice row.
:func:`sql_covers` is the one SQL test of "this notice covers that address" (the card,
the duplicate offer, the worklist); :func:`covers` is the same test in Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from agentdesk.core.i18n import t, visible

MAX_AREAS = 50
MAX_PART = 64


class AreaError(ValueError):
    """An area that cannot be used: the message says which and why."""


@dataclass(frozen=True)
class Area:
    district: str
    street: str = ""
    community: str = ""
    building: str = ""

    def parts(self) -> list[str]:
        return [self.district, self.street, self.community, self.building]

    def __str__(self) -> str:
        return "/".join(p for p in self.parts() if p)


def parse(text: str) -> Area:
    """``岳麓区/桃子湖街道/桃子湖小区/3栋`` -> Area; an empty part in the middle is refused
    (``岳麓区//桃子湖小区`` cannot say which street)."""
    parts = [p.strip() for p in str(text).strip().strip("/").split("/")]
    if not parts or not parts[0]:
        raise AreaError(t("area.err.empty", text=visible(text)))
    if len(parts) > 4:
        raise AreaError(t("area.err.parts", text=visible(text), n=len(parts)))
    if "" in parts:
        raise AreaError(t("area.err.gap", text=visible(text)))
    if any(len(p) > MAX_PART for p in parts):
        raise AreaError(t("area.err.long", text=visible(text[:80]), most=MAX_PART))
    return Area(*parts)


def dumps(areas: list[Area] | tuple[Area, ...]) -> str:
    if not areas:
        raise AreaError(t("area.err.none"))
    if len(areas) > MAX_AREAS:
        raise AreaError(t("area.err.many", n=len(areas), most=MAX_AREAS))
    return json.dumps([a.parts() for a in dict.fromkeys(areas)], ensure_ascii=False)


def loads(text: str | None) -> tuple[Area, ...]:
    try:
        rows = json.loads(text or "[]")
    except ValueError:
        return ()
    out = []
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, list) and row and all(isinstance(p, str) for p in row[:4]):
            out.append(Area(*(list(row[:4]) + [""] * (4 - len(row[:4])))))
    return tuple(out)


def covers(area: Area, district: str, street: str, community: str, building: str) -> bool:
    return all(not want or want == have for want, have in
               zip(area.parts(), (district, street, community, building)))


def sql_covers(column: str, address: tuple[str, str, str, str] = (
        ":district", ":street", ":community", ":building")) -> str:
    """SQL (SQLite) true when the areas JSON in ``column`` covers the address: bound
    parameters by default, or four column expressions (``u.district``, ...)."""
    district, street, community, building = address
    return (f"EXISTS (SELECT 1 FROM json_each({column}) a "
            f"WHERE json_extract(a.value, '$[0]') = {district} "
            f"AND json_extract(a.value, '$[1]') IN ('', {street}) "
            f"AND json_extract(a.value, '$[2]') IN ('', {community}) "
            f"AND json_extract(a.value, '$[3]') IN ('', {building}))")


def label(text: str | None, most: int = 2) -> str:
    """A notice's areas for one line: the first ``most``, then "+N"."""
    found = loads(text)
    shown = "、".join("".join(a.parts()) for a in found[:most])  # as an address is written
    return shown + (f" +{len(found) - most}" if len(found) > most else "")
