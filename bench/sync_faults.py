"""The sync figures under a bad network, for ``agentdesk bench sync`` (PostgreSQL only:
the faults are in the TCP link, made by :mod:`bench.netproxy` in front of the server).

* one desk's link goes silent mid-push (30 KB through, then nothing): the other desks'
  push latency while it hangs, p50 / p99, against the same desks' latency with nobody
  stalled (the baseline, same run), and how long the stalled desk takes to give up;
* 2,000 waiting changes through a link that resets every 30 KB: time to deliver them
  all, against the same changes through the same proxy with no resets (the baseline)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench.netproxy import Proxy
from bench.stats import summary

if TYPE_CHECKING:
    from agentdesk.core.store import Store

UPSTREAM = ("127.0.0.1", 5432)


def _desk(path: Path, code: str) -> Store:
    from agentdesk.core import agents
    from agentdesk.sync import outbox

    desk = outbox.open_syncing_desk(path)
    with desk.session() as s:
        agents.ensure(s, code, f"坐席{code}")
    return desk


def _tickets(desk: Store, n: int, agent: str) -> None:
    from agentdesk.tickets import service as tickets

    with desk.session() as s:
        for i in range(n):
            tickets.create(s, tickets.Draft(category="water.burst", description=f"压测 {i}",
                                            location="花园路"), agent)


def _round(others: list, links: list) -> list[float]:
    from agentdesk.sync import engine

    took = []
    for n, (desk, link) in enumerate(zip(others, links)):
        _tickets(desk, 1, f"B{n:03d}")
        started = time.perf_counter()
        engine.sync_once(desk, link)
        took.append(time.perf_counter() - started)
    return took


def stalled(url: str, folder: Path, others_n: int = 4) -> dict:
    """Other desks' push latency while one desk's link is silent mid-push."""
    from agentdesk.sync import central, engine

    centre = central.connect(url)
    stuck = _desk(folder / "stuck.db", "A001")
    others = [_desk(folder / f"other{n}.db", f"B{n:03d}") for n in range(others_n)]
    for desk in (stuck, *others):
        engine.sync_once(desk, centre)
    links = [central.connect(url, pool_size=1) for _ in others]
    baseline = [t for _ in range(10) for t in _round(others, links)]
    _tickets(stuck, 200, "A001")
    stuck.dispose()
    with Proxy(UPSTREAM) as proxy:
        proxy.stall_after(30_000)
        env = {**os.environ, "AGENTDESK_CONFIG": str(folder / "none.toml")}
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "agentdesk", "sync", "--once", "--json", "--no-seed",
             "--db", str(folder / "stuck.db"), "--central", proxy.url(url)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(1.0)  # its push under way, stuck mid-batch
        during = []
        while child.poll() is None:
            during.extend(_round(others, links))
        gave_up = time.perf_counter() - started
        child.communicate()
    for desk, link in zip(others, links):
        desk.dispose(), link.dispose()
    centre.dispose()
    return {"during": summary(during), "baseline": summary(baseline),
            "syncs": len(during), "gave_up_s": gave_up, "exit": child.returncode}


def resetting(url: str, folder: Path, tickets: int = 1000) -> dict:
    """Time to deliver ``2 * tickets`` changes through a link reset every 30 KB, and
    through the same proxy with no resets."""
    from agentdesk.sync import central, engine

    out = {}
    for label, reset in (("baseline", None), ("reset", 30_000)):
        centre = central.connect(url)
        desk = _desk(folder / f"send-{label}.db", "A001")
        engine.sync_once(desk, centre)
        _tickets(desk, tickets, "A001")
        changes = engine.waiting(desk)
        with Proxy(UPSTREAM) as proxy:
            proxy.reset_every(reset)
            link = central.connect(proxy.url(url), pool_size=1)
            started, runs, retries = time.perf_counter(), 0, 0
            while True:
                runs += 1
                try:
                    report = engine.sync_once(desk, link)
                except central.CentralUnavailable:
                    continue
                retries += report.retries
                if report.waiting == 0:
                    break
            seconds = time.perf_counter() - started
            link.dispose()
            out[label] = {"changes": changes, "seconds": seconds, "resets": proxy.resets,
                          "runs": runs, "retries": retries}
        desk.dispose(), centre.dispose()
    return out
