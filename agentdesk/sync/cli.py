"""``agentdesk central init|load|seed|watch|agent`` and ``agentdesk sync``: registered
by agentdesk/cli.py (PLUGINS). Only the standard library is imported at load time."""

from __future__ import annotations

from typing import TYPE_CHECKING

import argparse
import sys
from pathlib import Path
from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from agentdesk.cli_support import Common, Handler, Subparsers
    from agentdesk.core.config import Config
    from agentdesk.core.store import Store
    from agentdesk.sync import engine
    from agentdesk.sync.central import Central, CentralError

# Exit statuses of `agentdesk sync` and `agentdesk central` (README: "Sync with the
# central store"); 2 stays the usage error of every command (a bad or missing URL too).
EXIT_UNREACHABLE = 3  # offline: the changes wait on the desk; the same command later works
EXIT_UNUSABLE = 4  # the centre answered but cannot be used as configured: retrying won't help
FLAGS = ("desk_may_create_customers",)  # `central set NAME on|off` (issue 19)


def exit_code(exc: CentralError) -> int:
    from agentdesk.cli_support import EXIT_USAGE
    from agentdesk.sync.central import CentralUnavailable

    if isinstance(exc, CentralUnavailable):
        return EXIT_UNREACHABLE
    return EXIT_USAGE if exc.kind == "url" else EXIT_UNUSABLE


def add_parsers(sub: Subparsers, common: Common) -> dict[str, Handler]:
    p = sub.add_parser("central", help=t("msg.sync.cli.the_central_store_create"))
    c_sub = p.add_subparsers(dest="central_command", metavar="CENTRAL_COMMAND", required=True)
    q = c_sub.add_parser("init", help=t("msg.sync.cli.create_or_migrate_the"))
    q.add_argument("--central", metavar="URL",
                   help=t("msg.sync.cli.postgresql_user_host_db"))
    common(q, True)
    q = c_sub.add_parser("load", help=t("msg.sync.cli.load_customers_csv_articles"))
    q.add_argument("what", choices=("customers", "kb", "sla", "calendar", "complaint-classes",
                                    "departments"))
    q.add_argument("file", type=Path)
    q.add_argument("--encoding", help=t("msg.sync.cli.customers_file_encoding_when"))
    q.add_argument("--errors", metavar="FILE", type=Path,
                   help=t("msg.sync.cli.customers_write_every_bad"))
    q.add_argument("--no-seed", action="store_true",
                   help=t("msg.sync.cli.customers_do_not_rebuild"))
    q.add_argument("--central", metavar="URL")
    common(q, True)
    q = c_sub.add_parser("seed", help=t("msg.sync.cli.rebuild_the_seed_new"))
    q.add_argument("--central", metavar="URL")
    common(q, True)
    q = c_sub.add_parser("watch", help=t("msg.sync.cli.the_centre_s_escalation"))
    q.add_argument("--central", metavar="URL")
    q.add_argument("--once", action="store_true",
                   help=t("msg.sync.cli.one_pass_then_exit"))
    q.add_argument("--every", type=float, default=30.0, metavar="SECONDS",
                   help=t("msg.sync.cli.seconds_between_passes_default"))
    q.add_argument("--lease", type=float, default=90.0, metavar="SECONDS",
                   help=t("msg.sync.cli.a_watch_silent_this"))
    common(q, True)
    q = c_sub.add_parser("set", help=t("msg.sync.cli.set_flag"))
    q.add_argument("name", choices=FLAGS)
    q.add_argument("value", choices=("on", "off"))
    q.add_argument("--central", metavar="URL")
    common(q, True)
    q = c_sub.add_parser("agent", help=t("msg.sync.cli.an_agent_s_role"))
    q.add_argument("code", help=t("msg.sync.cli.the_agent_s"))
    q.add_argument("--role", choices=("agent", "supervisor", "trainer"))
    q.add_argument("--pin", action="store_true", help=t("msg.sync.cli.pin"))
    q.add_argument("--name", default="", help=t("msg.sync.cli.the_name_for_an"))
    q.add_argument("--central", metavar="URL")
    common(q, True)

    p = sub.add_parser("sync", help=t("msg.sync.cli.push_this_desk_s"))
    p.add_argument("--once", action="store_true", help=t("msg.sync.cli.one_sync_then_exit"))
    p.add_argument("--json", action="store_true", help=t("msg.sync.cli.print_the_outcome_as"))
    p.add_argument("--no-seed", action="store_true", help=t("msg.sync.cli.a_new_desk_copies"))
    p.add_argument("--verify", action="store_true",
                   help=t("msg.sync.cli.after_one_sync_compare"))
    p.add_argument("--repair", action="store_true",
                   help=t("msg.sync.cli.with_verify_fetch_again"))
    p.add_argument("--central", metavar="URL")
    common(p, True)
    return {"central": cmd_central, "sync": cmd_sync}


def _url(args: argparse.Namespace, config: Config) -> str:
    return getattr(args, "central", None) or config.central_url


def cmd_central(args: argparse.Namespace) -> int:
    from agentdesk.cli_support import load_config
    from agentdesk.core.redact import redact
    from agentdesk.sync.central import CentralError

    url = _url(args, load_config(args, set_lang=True))  # the watch's lines: the catalog's
    try:
        return _central(args, url)
    except CentralError as exc:
        print(t("msg.sync.cli.agentdesk", redact=redact(exc, url)), file=sys.stderr)
        return exit_code(exc)


def _central(args: argparse.Namespace, url: str) -> int:
    from agentdesk.sync import central

    if getattr(args, "errors", None) and args.what != "customers":
        from agentdesk.cli_support import CliError

        raise CliError(t("import.errors_customers_only"))
    centre = central.connect(url)
    try:
        if args.central_command == "init":
            outcome = centre.init_schema()
            print(t("msg.sync.cli.central_schema", shown=centre.shown,
                    outcome=t("central.schema." + outcome.replace(" ", "_"))))
            return 0
        centre.check()
        if args.central_command == "seed":
            return _seed(centre)
        if args.central_command == "watch":
            return _watch(centre, args)
        if args.central_command == "agent":
            return _agent(centre, args)
        from agentdesk.sync import load

        if args.central_command == "set":  # issue 19: a yes/no the desks pull
            seq = load.flag(centre, args.name, args.value == "on")
            print(t("central.set.same" if seq is None else "central.set.done",
                    name=args.name, value=args.value, seq=seq or 0))
            return 0

        if args.what == "sla":  # a broken file: SlaError "FILE, line N: ...", nothing stored
            report = load.sla_policy(centre, args.file)
        elif args.what == "complaint-classes":  # issue 17: a broken file, nothing stored
            from agentdesk.cli_support import CliError
            from agentdesk.tickets.complaint_classes import ClassError

            try:
                report = load.complaint_classes(centre, args.file)
            except ClassError as exc:
                raise CliError(str(exc)) from None
        elif args.what == "departments":  # issue 19: line and field named, nothing stored
            from agentdesk.cli_support import CliError
            from agentdesk.tickets.departments import DepartmentError

            try:
                report = load.departments(centre, args.file)
            except DepartmentError as exc:
                raise CliError(str(exc)) from None
        elif args.what == "calendar":  # the same: SlaError "FILE, line N: ...", nothing stored
            report = load.calendar(centre, args.file)
        elif args.what == "kb":
            report = load.articles(centre, args.file)
        else:
            from agentdesk.customers import csvio as customers_io, rejects
            from agentdesk.cli_support import CliError

            try:
                with rejects.writing(args.errors, args.file) as on_bad:
                    report = load.customers(centre, args.file, encoding=args.encoding,
                                            on_bad=on_bad)
            except customers_io.ImportFileError as exc:
                raise CliError(str(exc)) from None
            report.errors_file = str(args.errors or "")
        print(report.format())
        if args.what == "customers" and not args.no_seed and report.inserted + report.updated:
            _seed(centre)
        return 1 if report.errors else 0
    finally:
        centre.dispose()


def _watch(centre: Central, args: argparse.Namespace) -> int:
    """Until stopped (SIGTERM, Ctrl+C): the lease is let go on the way out."""
    import signal
    import threading

    from agentdesk.cli_support import CliError
    from agentdesk.core import i18n
    from agentdesk.sync.central.watch import Watch

    if args.every <= 0 or args.lease <= 2 * args.every:
        raise CliError(i18n.t("watch.err.timing", every=args.every, lease=args.lease))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    watch = Watch(centre, every=args.every, lease_s=args.lease)
    return watch.serve(stop, once=args.once, say=lambda line: print(line, flush=True))


def _agent(centre: Central, args: argparse.Namespace) -> int:
    from agentdesk.cli_support import CliError
    from agentdesk.core import agents, i18n
    from agentdesk.sync import load

    if not args.role and not args.pin:
        raise CliError(i18n.t("central.agent.what"))
    pin_hash = None
    if args.pin:
        try:  # hashed here: the PIN itself goes nowhere, not even to the centre
            pin_hash = agents.hash_pin(_read_pin())
        except agents.PinError:
            raise CliError(i18n.t("central.agent.pin_rule", low=agents.PIN_MIN,
                                  high=agents.PIN_MAX)) from None
    load.agent_role(centre, args.code, args.role, args.name, pin_hash)
    if args.role:
        print(i18n.t("central.agent.role", code=i18n.visible(args.code), role=args.role))
    if args.pin:
        print(i18n.t("central.agent.pin_set", code=i18n.visible(args.code)))
    return 0


def _read_pin() -> str:
    """The PIN from a prompt (twice, not echoed) at a terminal, else stdin's first line."""
    import getpass

    from agentdesk.cli_support import CliError
    from agentdesk.core import i18n

    if sys.stdin.isatty():
        pin = getpass.getpass(i18n.t("central.agent.pin_prompt"))
        if getpass.getpass(i18n.t("central.agent.pin_again")) != pin:
            raise CliError(i18n.t("central.agent.pin_differs"))
        return pin
    return sys.stdin.readline().strip()


def _seed(centre: Central) -> int:
    from agentdesk.cli_support import progress_printer
    from agentdesk.sync import seed

    update, stop = progress_printer()
    try:
        made = seed.build(centre, progress=update)
    finally:
        stop()
    print(t("msg.sync.cli.seed_for_new_desks", shown=centre.shown, made=f"{made['customers']:,}",
            made2=made['seq_hi'], value=f"{made['size'] / 1048576:.1f}", made3=made['chunks']))
    return 0


def _failed(exc: CentralError, args: argparse.Namespace, waiting: int, url: str) -> int:
    """The one line saying why this sync cannot happen; returns the exit status."""
    from agentdesk.cli_support import print_json
    from agentdesk.core.redact import redact
    from agentdesk.sync.central import CentralUnavailable

    if args.json:
        print_json({"ok": False, "error": redact(exc, url), "kind": exc.kind,
                    "waiting": waiting})
    else:
        later = " for the next sync" if isinstance(exc, CentralUnavailable) else ""
        print(t("msg.sync.cli.agentdesk_change_s_waiting", redact=redact(exc, url),
                waiting=waiting, later=later),
              file=sys.stderr)
    return exit_code(exc)


def cmd_sync(args: argparse.Namespace) -> int:
    from agentdesk.core import controls, i18n
    from agentdesk.cli_support import open_desk, print_json, progress_printer
    from agentdesk.sync import central, engine, schedule

    from agentdesk.cli_support import load_config

    config = load_config(args, set_lang=True)
    if args.repair and not args.verify:
        from agentdesk.cli_support import CliError

        raise CliError(i18n.t("sync.verify.repair_alone"))
    args.once = args.once or args.verify
    url = getattr(args, "central", None) or config.central_url
    centre = None
    update, stop = progress_printer() if not args.json else (None, lambda: None)
    try:
        if not config.db_path().exists():
            # A new desk: no desk file made for a centre it cannot use (as the mirror).
            try:
                centre = central.connect(url)
                centre.check()
            except central.CentralError as exc:
                if args.once or not isinstance(exc, central.CentralUnavailable):
                    return _failed(exc, args, 0, url)
        with open_desk(config) as desk:
            plan = schedule.Schedule(config.sync_interval)
            while True:
                try:
                    if centre is None:
                        centre = central.connect(url)
                    report = engine.sync_once(desk, centre, desk_name=config.desk,
                                              progress=update, seed=not args.no_seed,
                                              scope=config.sync_scope)
                except central.CentralError as exc:
                    # Offline heals itself: the loop retries. A centre that refuses this
                    # desk (login, database, schema) would refuse it for ever: stop.
                    if args.once or not isinstance(exc, central.CentralUnavailable):
                        return _failed(exc, args, engine.waiting(desk), url)
                    plan.failed()
                    from agentdesk.core.redact import redact

                    print(t("msg.sync.cli.agentdesk_retry_in_s", redact=redact(exc, url),
                            delay=f"{plan.delay():.0f}"),
                          file=sys.stderr)
                else:
                    plan.succeeded()
                    if args.verify:
                        return _verify(desk, centre, args, config.desk, report, url)
                    _audit_listing(desk, config.agent_id, report)
                    if args.json:
                        print_json({"ok": True, **report.as_json()})
                    else:
                        print(t("msg.sync.cli.pushed_repeated_pulled_cursor", pushed=report.pushed,
                                repeated=report.repeated, pulled=report.pulled,
                                cursor=report.cursor, waiting=report.waiting,
                                count=len(report.conflicts), seconds=f"{report.seconds:.2f}"))
                        if report.widened:
                            print(t("sync.scope_widened", districts="、".join(
                                controls.shown(d) for d in report.widened), n=report.refetched))
                        for q in report.quarantined:
                            print(i18n.t("sync.cli.set_aside", entity=q["entity"],
                                         row_id=controls.shown(q["row_id"]),
                                         reason=controls.shown(q["reason"])))
                        for c in report.conflicts:
                            print(t("msg.sync.cli.conflict_ticket_was_taken", c=c['ticket_number'],
                                    c2=c['winner_name'], c3=c['taken_at']))
                    if args.once:
                        return 0
                import time

                time.sleep(plan.delay())
    finally:
        stop()
        if centre is not None:
            centre.dispose()


def _audit_listing(desk: Store, agent: str, report: engine.SyncReport) -> None:
    """The conflicts and set-aside changes a sync is about to print (or put in its JSON)
    are audited first, as every listing of the desk's records is."""
    if not (report.conflicts or report.quarantined):
        return
    from agentdesk.core import audit

    with desk.session() as session:
        audit.record(session, agent, "sync", "ticket",
                     [str(c["ticket_number"]) for c in report.conflicts],
                     count=len(report.conflicts) + len(report.quarantined),
                     detail={"set_aside": [f"{q['entity']} {q['row_id']}"
                                           for q in report.quarantined]})


def _verify(desk: object, centre: Central, args: argparse.Namespace, name: str,
            synced: engine.SyncReport, url: str) -> int:
    """After a sync: compare (and with --repair mend, sync, compare again); exit 0 only
    when the desk equals the centre."""
    from agentdesk.cli_support import print_json
    from agentdesk.core import controls, i18n
    from agentdesk.sync import engine, repair, verify
    from agentdesk.sync.central import CentralError

    try:
        verdict = verify.verify(desk, centre)  # type: ignore[arg-type]
        if args.repair and not verdict.equal:
            done = repair.repair(desk, centre, verdict.differences)  # type: ignore[arg-type]
            engine.sync_once(desk, centre, desk_name=name)  # type: ignore[arg-type]
            first = verdict
            verdict = verify.verify(desk, centre)  # type: ignore[arg-type]
            verdict.repaired = {**done, "found": len(first.differences)}
    except CentralError as exc:
        return _failed(exc, args, engine.waiting(desk), url)  # type: ignore[arg-type]
    if args.json:
        print_json({"ok": True, **verdict.as_json(), "sync": synced.as_json()})
        return 0 if verdict.equal else 1
    print(i18n.t("sync.verify.synced", pushed=synced.pushed, pulled=synced.pulled,
                 cursor=synced.cursor))
    for check in verdict.tables:
        if not (check.desk or check.centre):
            continue
        print(i18n.t("sync.verify.table", entity=check.entity, desk=f"{check.desk:,}",
                     centre=f"{check.centre:,}", differing=check.differing,
                     ranges=check.ranges))
        if check.in_flight:
            print(i18n.t("sync.verify.in_flight", count=check.in_flight))
        if check.local:
            print(i18n.t("sync.verify.local", count=check.local))
        if check.outside:
            print(i18n.t("sync.verify.outside", count=check.outside))
    for d in verdict.differences[:50]:
        print(i18n.t(f"sync.verify.{d.where}", entity=d.entity, row_id=controls.shown(d.row_id)))
    shown = min(50, len(verdict.differences))
    if len(verdict.differences) > shown:
        print(i18n.t("sync.verify.more", count=len(verdict.differences) - shown))
    if verdict.repaired is not None:
        print(i18n.t("sync.verify.repaired", **verdict.repaired))
    rows = sum(c.desk for c in verdict.tables)
    if verdict.equal:
        print(i18n.t("sync.verify.equal", rows=f"{rows:,}", seconds=f"{verdict.seconds:.1f}"))
        return 0
    print(i18n.t("sync.verify.differ", count=len(verdict.differences),
                 seconds=f"{verdict.seconds:.1f}"), file=sys.stderr)
    return 1
