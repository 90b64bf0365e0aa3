"""Record ids: uuid7 strings, made where the record is born (time-ordered, no collisions
between desks that create records offline)."""

from __future__ import annotations

import uuid_utils


def new_id() -> str:
    return str(uuid_utils.uuid7())
