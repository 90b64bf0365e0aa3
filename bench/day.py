"""``agentdesk bench day``: a centre's whole day, simulated end to end, and the proof that
nothing was lost.

The world (:mod:`bench.day_world`): a fresh PostgreSQL centre (created and dropped, or
``--central``) loaded with a generated customer file and the shipped articles; ``central
watch`` as its own process; a supervisor desk and agent desks as separate processes
(:mod:`bench.day_desk`), all on one fast clock (``AGENTDESK_SPEED``). With faults on: a
desk killed -9 inside its sync (twice: push, then pull) and restarted, a desk offline for
an hour of the day, a link that stalls (:mod:`bench.netproxy`), the watch killed -9 and
restarted, an agent going off shift with open tickets and two desks racing to claim one, a
desk joining in the afternoon from a standalone past. At the end every desk syncs once
more and the invariants (:mod:`bench.day_checks`) are checked; the command exits 1 naming
each that failed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench import day_checks, day_report
from bench.day_world import Centre, DayShape, build_centre, make_plans

ROOT = Path(__file__).resolve().parents[1]


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


class Day:
    def __init__(self, shape: DayShape, central: str | None, report: Path | None,
                 customers: int | None) -> None:
        self.shape, self.report = shape, report
        self.customers = customers or max(2000, shape.desks * 150)
        self.centre_db = Centre(central) if central else Centre.fresh()
        self.folder = Path(tempfile.mkdtemp(prefix="agentdesk-day-"))
        self.procs: dict[int, subprocess.Popen] = {}
        self.watch: subprocess.Popen | None = None
        self.proxy = None
        self.kills: list[dict] = []  # the kills -9 inside a sync: desk, point, when
        self.lag: dict[str, tuple] = {}  # desk name -> sync lag (p50, p99, n), wall s
        self.spread: dict[str, tuple] = {}  # the same, to this desk from the others
        self.armed_at = self.wall0 = self.play_s = 0.0
        self.cpu0 = self.cpu1 = (0.0, None)  # CPU seconds: desks and watch, PostgreSQL
        self.cpu: dict[str, Any] = {}
        self.faults_seen: list[str] = []  # every fault as it happened, for the report
        self.say = print

    def fault(self, line: str) -> None:
        self.faults_seen.append(line)
        self.say(f"fault: {line}")

    def env(self, start: datetime, wall0: float) -> dict[str, str]:
        return {**os.environ, "CI": "", "PYTHONPATH": str(ROOT),
                "AGENTDESK_NOW": start.isoformat(), "AGENTDESK_SPEED": str(self.shape.speed),
                "AGENTDESK_SPEED_FROM": repr(wall0),
                "AGENTDESK_CONFIG": str(self.folder / "none.toml")}

    def desk(self, i: int, env: dict[str, str], plans: Any) -> None:
        code = plans.desks[i]["code"]
        self.procs[i] = _spawn(["-m", "bench.day_desk", str(self.folder / f"plan-{code}.json")],
                               env, self.folder / f"desk{i}.log")

    def start_watch(self, env: dict[str, str]) -> None:
        self.watch = _spawn(["-m", "agentdesk", "central", "watch", "--central",
                             self.centre_db.url, "--every", "1", "--lease", "4"],
                            env, self.folder / "watch.log")

    def run(self) -> int:
        from agentdesk.core import clock
        from agentdesk.sync import central, load

        began = time.perf_counter()
        shape = self.shape
        self.say(f"world: {self.customers:,} customers, centre {self.centre_db.url}")
        _csv, customers = build_centre(self.centre_db.url, self.folder, self.customers,
                                       shape.seed)
        centre = central.connect(self.centre_db.url)
        load.agent_role(centre, "S000", "supervisor", "值班长0")
        day = clock.local(clock.now()).replace(hour=shape.start_hour, minute=0, second=0,
                                               microsecond=0)
        end = day + timedelta(hours=shape.hours)
        proxy_url = None
        if shape.faults:
            from bench.netproxy import Proxy

            self.proxy = Proxy(("127.0.0.1", 5432)).__enter__()
            proxy_url = self.proxy.url(self.centre_db.url)
        plans = make_plans(shape, customers, self.folder, self.centre_db.url, proxy_url,
                           day.isoformat(), end.isoformat())
        wall0 = self.wall0 = time.time() + 3.0  # the day starts when every process is up
        env = self.env(day, wall0)
        os.environ.update({k: env[k] for k in ("AGENTDESK_NOW", "AGENTDESK_SPEED",
                                                "AGENTDESK_SPEED_FROM")})
        self.cpu0 = day_report.cpu_mark(centre)
        self.start_watch(env)
        for i in range(len(plans.desks)):
            self.desk(i, env, plans)
        self.say(f"day: {len(plans.desks)} desks, {shape.hours} h at x{shape.speed:g} "
                 f"(~{shape.seconds / shape.speed:.0f} s), "
                 f"faults {'on' if shape.faults else 'off'}")
        try:
            self.play(plans, env, day, end)
        finally:
            self.play_s = time.time() - wall0
            if self.watch is not None:
                self.watch.terminate()
                self.watch.wait(timeout=30)
            if self.proxy is not None:
                self.proxy.close()
        time.sleep(1.0)  # the desks' backends at the centre end with them
        self.cpu1 = day_report.cpu_mark(centre)
        return self.finish(plans, centre, day, end, began)

    def play(self, plans: Any, env: dict[str, str], day: datetime, end: datetime) -> None:
        from agentdesk.core import clock

        faults, done = plans.faults, set()
        deadline = time.monotonic() + self.shape.seconds / self.shape.speed + 240
        while any(p.poll() is None for p in self.procs.values()):
            if time.monotonic() > deadline:
                for p in self.procs.values():
                    p.kill()
                raise RuntimeError("the desks did not finish their day in time")
            at = (clock.now() - day).total_seconds()
            for name in ("kill", "kill_pull"):  # a kill -9 inside a sync, then a restart
                # (the pull's kill is armed by the push's, for the restarted desk's sync)
                if name in faults and (name in done or "at_s" in faults[name]
                                       and at >= faults[name]["at_s"]):
                    self.kill_in_sync(name, faults[name], done, env, plans)
            if "watch_kill" in faults and at >= faults["watch_kill"]["at_s"] \
                    and "watch" not in done and self.watch is not None:
                self.watch.send_signal(signal.SIGKILL)
                self.watch.wait()
                self.fault(f"watch killed -9 at {clock.local():%H:%M}; restarted")
                self.start_watch(env)
                done.add("watch")
            if "stall" in faults and self.proxy is not None and "stall" not in done \
                    and at >= faults["stall"]["at_s"]:
                self.fault(f"desk{faults['stall']['desk']}'s link stalls for "
                         f"{faults['stall']['wall_s']:.0f} s at {clock.local():%H:%M}")
                self.proxy.stall_after(2000)
                done.add("stall")
                self.stall_until = time.monotonic() + faults["stall"]["wall_s"]
            if "stall" in done and "unstall" not in done and \
                    time.monotonic() >= self.stall_until:
                self.proxy.stall_after(None)
                done.add("unstall")
            time.sleep(0.2)
        for i, p in self.procs.items():
            if p.returncode:
                self.say(f"desk{i} exited {p.returncode} (see {self.folder}/desk{i}.log)")

    def kill_in_sync(self, name: str, fault: dict, done: set, env: dict[str, str],
                     plans: Any) -> None:
        """Arm the desk's sync hook (bench.day_desk.Desk.hook) to kill -9 its own process
        at a named point of its next sync; restart it once it is dead. A desk that does
        not reach the point within a minute (wall) is killed where it is, and said so."""
        from agentdesk.core import clock

        i, code = fault["desk"], plans.desks[fault["desk"]]["code"]
        marker, hit = self.folder / f"kill-{code}.json", self.folder / f"killed-{code}.json"
        proc = self.procs[i]
        if name not in done:
            self.arm(name, fault, done, plans)
            return
        if name + ":restarted" in done:
            return
        if proc.poll() is None and time.monotonic() - self.armed_at > 60:
            marker.unlink(missing_ok=True)
            proc.send_signal(signal.SIGKILL)
        if proc.poll() is None:
            return
        proc.wait()
        where = json.loads(hit.read_text(encoding="utf-8")) if hit.exists() else None
        self.kills.append({"desk": code, "point": where["point"] if where else "",
                           "at": where["at"][11:16] if where else f"{clock.local():%H:%M}",
                           "outbox": where["outbox"] if where else None})
        self.say(f"fault: desk{i} killed -9 " + (  # reported from self.kills
            f"inside its sync at {where['point']} ({where['at'][11:16]}, "
            f"{where['outbox']} changes in its outbox); restarted" if where
            else f"at {clock.local():%H:%M}, not in a sync (it reached none); restarted"))
        follow = fault.get("then")  # armed before the restart: its first sync is next
        if follow in plans.faults:
            self.arm(follow, plans.faults[follow], done, plans)
        self.desk(i, env, plans)
        done.add(name + ":restarted")

    def arm(self, name: str, fault: dict, done: set, plans: Any) -> None:
        code = plans.desks[fault["desk"]]["code"]
        (self.folder / f"killed-{code}.json").unlink(missing_ok=True)
        (self.folder / f"kill-{code}.json").write_text(json.dumps({"point": fault["point"]}),
                                                       encoding="utf-8")
        done.add(name)
        self.armed_at = time.monotonic()

    def finish(self, plans: Any, centre: Any, day: datetime, end: datetime,
               began: float) -> int:
        from agentdesk.sync import engine, outbox

        os.environ.pop("AGENTDESK_SPEED", None)  # the end of the day: time stands still
        os.environ["AGENTDESK_NOW"] = end.isoformat()
        stores = [outbox.open_syncing_desk(Path(p["db"])) for p in plans.desks]
        for store in stores:  # what a desk pushed in its last instant
            engine.sync_once(store, centre)
        # The watch runs on after the day in a real centre: one more pass sees what the
        # last syncs brought (a stalled desk's tickets), then every desk pulls it all.
        env = {**os.environ, "CI": "", "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-m", "agentdesk", "central", "watch", "--central",
                        self.centre_db.url, "--once"], cwd=ROOT, env=env, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        for _ in range(2):
            for store in stores:
                engine.sync_once(store, centre)
        logs = [json.loads(Path(p["out"]).read_text(encoding="utf-8")) for p in plans.desks]
        notice = next((log["notice"] for log in logs if log.get("notice")), "")
        margin = timedelta(seconds=4 * self.shape.speed)
        killed = plans.desks[plans.faults["kill"]["desk"]]["code"] if plans.faults else ""
        checks = [day_checks.exactly_once(centre, logs, killed),
                  day_checks.desks_equal_centre(stores, centre),
                  day_checks.owners(centre),
                  day_checks.escalations(centre, end, margin),
                  day_checks.acknowledged(centre, logs, [
                      p["code"] for p in plans.desks if "off_shift_h" in p]),
                  day_checks.outreach(centre, notice),
                  day_checks.outboxes(stores),
                  day_checks.monitor_recount(stores[0], end)]
        wall = time.perf_counter() - began
        for name, ok, detail in checks:
            self.say(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
        self.lag = day_report.lag(centre, day, self.wall0, self.shape.speed)
        if self.lag:
            p50s = sorted(v[0] for v in self.lag.values())
            p99s = sorted(v[1] for v in self.lag.values())
            self.say(f"sync lag (event made → at the centre, wall s): p50 {p50s[0]:.1f}–"
                     f"{p50s[-1]:.1f}, p99 {p99s[0]:.1f}–{p99s[-1]:.1f} over "
                     f"{len(self.lag)} desks")
        faulted = {plans.desks[f["desk"]]["name"] for f in plans.faults.values()
                   if "desk" in f and f is not plans.faults.get("off_shift")}
        faulted |= {p["name"] for p in plans.desks if p.get("standalone")}
        self.spread = day_report.spread(centre, logs, day, self.wall0, self.shape.speed,
                                        faulted)
        if self.spread:
            p50s = sorted(v[0] for v in self.spread.values())
            p99s = sorted(v[1] for v in self.spread.values())
            ok99 = sorted(v[3] for v in self.spread.values() if v[3] == v[3]) or [0.0]
            self.say(f"sync lag to the other desks (made → pulled there, wall s): p50 "
                     f"{p50s[0]:.1f}–{p50s[-1]:.1f}, p99 {p99s[0]:.1f}–{p99s[-1]:.1f} over "
                     f"{len(self.spread)} desks; p99 of events from desks without a fault "
                     f"{ok99[0]:.1f}–{ok99[-1]:.1f}")
        self.cpu = day_report.cpu_use(centre, self.cpu0, self.cpu1, self.wall0,
                                      self.play_s)
        self.say(self.cpu["line"])
        errors = [e for log in logs for e in log.get("errors", [])]
        self.say(f"calls {sum(log.get('calls', 0) for log in logs)}, tickets created "
                 f"{sum(len(log.get('created', [])) for log in logs)}, errors on desks "
                 f"{len(errors)} {errors[:3]}; wall {wall:.0f} s")
        if self.report is not None:
            surge = (self.wall0 + plans.outage_at_s / self.shape.speed,
                     self.wall0 + min(self.shape.seconds, plans.outage_at_s + 3600)
                     / self.shape.speed)
            figs = day_report.figures(centre, day, max(1, round(self.shape.hours)), surge)
            path = day_report.write(self.report, {
                "desks": self.shape.desks, "hours": self.shape.hours,
                "speed": self.shape.speed, "faults": self.shape.faults,
                "seed": self.shape.seed, "start_hour": self.shape.start_hour,
                "wall_s": wall, "kills": self.kills, "lag": self.lag,
                "spread": self.spread, "cpu": self.cpu,
                "faults_seen": self.faults_seen, "planned": _planned(plans)}, figs, checks,
                logs)
            self.say(f"report: {path}")
        for store in stores:
            store.dispose()
        centre.dispose()
        passed = all(ok for _n, ok, _d in checks)
        if passed or not self.centre_db.name:
            self.centre_db.drop()
        if passed:  # 50 desks leave 1.4 GB of desk files and logs: kept only to look at
            shutil.rmtree(self.folder, ignore_errors=True)
        else:
            self.say(f"kept for a look: the centre {self.centre_db.url}, the desks and logs "
                     f"in {self.folder}")
        return 0 if passed else 1


def _planned(plans: Any) -> list[str]:
    """The faults the desks play themselves (from their plans), for the report."""
    out = []
    for p in plans.desks:
        if "offline_h" in p:
            out.append(f"{p['name']} offline from hour {p['offline_h'][0]:.1f} to "
                       f"{p['offline_h'][1]:.1f} of the day")
        if "off_shift_h" in p:
            out.append(f"{p['name']} goes off shift with open tickets at hour "
                       f"{p['off_shift_h']:.1f}")
        if "claim" in p:
            out.append(f"{p['name']} races the others to claim an off-shift agent's ticket")
        if p.get("standalone"):
            out.append(f"{p['name']} works alone on its own customer file, then joins at "
                       f"hour {p.get('join_at_h', 0):.1f}")
    return out


def main(desks: int = 20, hours: float = 8.0, speed: float = 120.0,
         calls_per_hour: float = 600.0, seed: int = 1, central: str | None = None,
         faults: bool = True, report: str | None = None, customers: int | None = None
         ) -> int:
    shape = DayShape(desks=desks, hours=hours, speed=speed, calls_per_hour=calls_per_hour,
                     seed=seed, faults=faults)
    return Day(shape, central, Path(report) if report else None, customers).run()
