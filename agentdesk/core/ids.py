"""Record ids: uuid7 strings, made where the record is born (time-ordered, no collisions
between desks that create records offline)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import uuid_utils

if TYPE_CHECKING:
    import sqlite3


def new_id() -> str:
    return str(uuid_utils.uuid7())


# customer_key holds a customer id in every one of its ~10 rows a customer, so it stores
# the id as its 16 bytes (issue 21, item 2: 36 bytes of text were ~40 % of the table).
# Ids that are not canonical uuid text (hand-made in old files, tests) stay text: the
# column takes either, and both read back as the same string.
def packed(record_id: str) -> bytes | str:
    """An id as customer_key stores it: 16 bytes for lower-case uuid text, else the text."""
    if len(record_id) == 36 and record_id[8] == record_id[13] == record_id[18] \
            == record_id[23] == "-":
        digits = record_id.replace("-", "")
        if digits.islower() or digits.isdigit():  # upper case would not come back the same
            try:
                value = bytes.fromhex(digits)
            except ValueError:
                return record_id
            if len(value) == 16:  # fromhex skips spaces: "0117 3b62-..." is not an id
                return value
    return record_id


def unpacked(value: bytes | str) -> str:
    """The id text back from :func:`packed`."""
    if isinstance(value, bytes) and len(value) == 16:
        h = value.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return value if isinstance(value, str) else value.decode()


def register(conn: sqlite3.Connection) -> None:
    """``key_ref(id)`` and ``key_id(stored)`` in SQL on a desk connection."""
    conn.create_function("key_ref", 1, packed, deterministic=True)
    conn.create_function("key_id", 1, unpacked, deterministic=True)
