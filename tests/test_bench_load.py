"""``agentdesk bench load``, the small variant (issue 21: the ten-million run is the
benchmark's): a generated file through the row path, COPY and a re-load into a real
PostgreSQL centre, then a new desk's first sync from the seed the load made; and the
file exported from an existing desk database (``--db``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sync_helpers import require_pg

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[1]


def _bench(*args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "agentdesk", "--lang", "en", "bench", "load",
                           *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    return out


def test_load_paths_and_the_first_sync_from_the_seed() -> None:
    require_pg()
    out = _bench("--rows", "1500")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\s+1,500 (old|copy|reload) .*$",
                                                        out, re.M)}
    assert set(rows) == {"old", "copy", "reload"}, out
    ins, upd, same, logged = (int(v.replace(",", "")) for v in rows["copy"].split()[-4:])
    assert (ins, upd, same, logged) == (1500, 0, 0, 1500), out
    ins, upd, same, logged = (int(v.replace(",", "")) for v in rows["reload"].split()[-4:])
    assert (ins, upd, same, logged) == (0, 0, 1500, 1500), out  # nothing written again
    synced = re.search(r"first sync of a new desk \(sync --once, seed\): ([\d.]+) s wall.*"
                       r"seed download", out)
    assert synced, out  # the desk took the seed, not a row copy


def test_the_file_from_an_existing_desk_database(tmp_path: Path) -> None:
    require_pg()
    from agentdesk.core import store
    from agentdesk.demo import generate

    db = tmp_path / "source.db"
    desk = store.open_desk(db)
    try:
        generate.generate(desk, 800, 0, 3)
    finally:
        desk.dispose()
    out = _bench("--db", str(db))
    assert re.search(r"^\s+800 copy .* 800 +0 +0 +800$", out, re.M), out
    assert "first sync of a new desk" in out, out
