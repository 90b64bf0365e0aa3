"""A command whose reader goes away (``agentdesk ticket list | head -1``) ends quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import make_desk


def test_broken_pipe_is_quiet(tmp_path: Path) -> None:
    make_desk(tmp_path / "desk.db").dispose()
    env = {**os.environ, "AGENTDESK_DB": str(tmp_path / "desk.db")}
    # a reader that takes nothing: the writer meets a closed pipe at once
    lister = subprocess.Popen([sys.executable, "-m", "agentdesk", "ticket", "list"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    lister.stdout.close()
    err = lister.stderr.read().decode()
    assert lister.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err, err
