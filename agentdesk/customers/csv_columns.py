"""The customer CSV's optional columns (no textual import): ``area_class``, ``key_level``,
``meter_type`` and ``arrears_periods``. A file that has one of them owns that column: its
value is set on insert and on update (an empty cell is the default: urban, 0, none, 0); a
file without it leaves the column alone on update (new rows get the default). Each cell is
checked like the rest of the row (:mod:`agentdesk.customers.csvio`): a bad one rejects its
line with the reason, the other lines are imported.

=================  ================================================  =========
column             values                                            empty
=================  ================================================  =========
area_class         urban / rural / remote, 城区 / 农村 / 偏远          urban
                   (also 城市, 乡村, 边远; rural covers suburban)
key_level          0, 1, 2, 3 (重要客户等级; 0: not a key customer)    0
meter_type         mechanical / smart / prepaid, 机械表 / 智能表 /     (none)
                   预付费表 (机械, 智能, 预付费)
arrears_periods    0 or more whole periods unpaid (at most 999)       0
=================  ================================================  =========
"""

from __future__ import annotations

from agentdesk.core.i18n import t

OPTIONAL = ("area_class", "key_level", "meter_type", "arrears_periods")

AREA_CLASS = {"urban": "urban", "城区": "urban", "城市": "urban",
              "rural": "rural", "农村": "rural", "乡村": "rural",
              "remote": "remote", "偏远": "remote", "边远": "remote"}
METER_TYPE = {"mechanical": "mechanical", "机械表": "mechanical", "机械": "mechanical",
              "smart": "smart", "智能表": "smart", "智能": "smart",
              "prepaid": "prepaid", "预付费表": "prepaid", "预付费": "prepaid"}
KEY_LEVELS = range(0, 4)
MAX_PERIODS = 999


class ColumnError(ValueError):
    """One optional cell that cannot be used: the reason, for the line's rejection."""


def present(names: list[str]) -> tuple[str, ...]:
    """The optional columns a header has, in :data:`OPTIONAL` order."""
    return tuple(c for c in OPTIONAL if c in names)


def validate(columns: tuple[str, ...], cells: list[str]) -> tuple:
    """The stored values of ``cells`` (stripped text, in ``columns`` order)."""
    return tuple(_one(column, cell) for column, cell in zip(columns, cells))


def _whole(cell: str) -> int | None:
    text = cell.strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _one(column: str, cell: str) -> object:
    if column == "area_class":
        value = AREA_CLASS.get(cell.lower() if cell else "urban")
        if value is None:
            raise ColumnError(t("csv.bad_area_class", value=cell))
        return value
    if column == "key_level":
        level = _whole(cell or "0")
        if level is None or level not in KEY_LEVELS:
            raise ColumnError(t("csv.bad_key_level", value=cell))
        return level
    if column == "meter_type":
        if not cell:
            return ""
        value = METER_TYPE.get(cell.lower())
        if value is None:
            raise ColumnError(t("csv.bad_meter_type", value=cell))
        return value
    periods = _whole(cell or "0")  # arrears_periods
    if periods is None or periods > MAX_PERIODS:
        raise ColumnError(t("csv.bad_arrears_periods", value=cell))
    return periods
