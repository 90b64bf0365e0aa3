"""Command line: ``agentdesk`` starts the desk; sub-commands do the headless work.

Heavy modules (textual, sqlmodel) are imported only by the command that needs them, so
``agentdesk --help`` is instant and the desk's first paint is not kept waiting.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from types import ModuleType

from agentdesk.core.i18n import t
from agentdesk import __version__
from agentdesk.cli_support import (EXIT_USAGE, CliError, common, early_lang, load_config,
                                   raw_output, shown_output)

# Each package registers its own commands: its ``cli`` module imports only the standard
# library (and agentdesk.cli_support) at load time and defines
# ``add_parsers(sub, common) -> {command: handler}``.
PLUGINS: tuple[str, ...] = (
    "agentdesk.demo.cli", "agentdesk.customers.cli", "agentdesk.tickets.cli",
    "agentdesk.kb.cli", "agentdesk.training.cli", "agentdesk.sync.cli",
    "agentdesk.centre.cli", "agentdesk.monitor.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agentdesk",
        description=t("msg.cli.terminal_workstation_for_utility"))
    parser.add_argument("--version", action="version", version=f"agentdesk {__version__}",
                        help=t("argparse.version"))
    common(parser, suppress=False)
    parser.add_argument("--agent", metavar="CODE", help=t("msg.cli.agent_code_for_this"))
    parser.add_argument("--no-demo", action="store_true",
                        help=t("msg.cli.do_not_fill_an"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    for name in PLUGINS[:4]:  # the order of `agentdesk --help`
        COMMANDS.update(importlib.import_module(name).add_parsers(sub, common))
    p = sub.add_parser("bench", help=t("msg.cli.run_a_benchmark_and"))
    p.add_argument("name", choices=("startup", "kb", "lookup", "queue", "monitor", "sync",
                                    "outreach", "watch", "day", "find", "demo", "load", "pull",
                                    "partial"))
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--big-db", metavar="PATH",
                   help=t("msg.cli.startup_also_measure_on"))
    p.add_argument("--queries", type=int, default=1000, help=t("msg.cli.lookup_queries_per_kind"))
    p.add_argument("--sizes", type=lambda v: [int(x) for x in v.split(",")],
                   help=t("msg.cli.bench_sizes"))
    p.add_argument("--rows", type=lambda v: [int(x) for x in v.split(",")],
                   help=t("msg.cli.bench_rows"))
    day = p.add_argument_group("day", description=t("msg.cli.bench_day"))
    day.add_argument("--desks", type=int, default=20)
    day.add_argument("--hours", type=float, default=8.0)
    day.add_argument("--speed", type=float, default=120.0,
                     help=t("msg.cli.simulated_seconds_per_second"))
    day.add_argument("--calls-per-hour", type=float, default=600.0)
    day.add_argument("--seed", type=int, default=1)
    day.add_argument("--central", metavar="URL",
                     help=t("msg.cli.a_postgresql_centre_to"))
    day.add_argument("--faults", choices=("on", "off"), default="on")
    day.add_argument("--report", metavar="DIR", help=t("msg.cli.write_day_md_and"))
    day.add_argument("--customers", type=int, help=t("msg.cli.customers_in_the_generated"))
    common(p, suppress=True)
    for name in PLUGINS[4:]:
        COMMANDS.update(importlib.import_module(name).add_parsers(sub, common))
    return parser


def _bench(name: str) -> ModuleType:
    """The benchmarks live in the checkout's ``bench/`` folder, not in the installed
    package: put the checkout on the path (agentdesk runs from its checkout)."""
    checkout = Path(__file__).resolve().parents[1]
    if not (checkout / "bench" / "__init__.py").is_file():
        raise CliError(t("msg.cli.the_benchmarks_are_not", value=checkout / 'bench'))
    if str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    return importlib.import_module(f"bench.{name}")


def cmd_bench(args: argparse.Namespace) -> int:
    with raw_output():  # Rich tables of the benchmark's own figures, in colour
        return _bench_run(args)


def _bench_run(args: argparse.Namespace) -> int:
    if args.name == "sync":
        return _bench("sync").main()
    if args.name == "find":
        if not args.big_db:
            raise CliError(t("msg.cli.bench_find_big_db"))
        return _bench("find_tickets").main(args.big_db, args.runs)
    if args.name == "day":
        if not 1 <= args.desks <= 200 or not 0 < args.hours <= 24 or args.speed <= 0 \
                or args.calls_per_hour < 0:
            raise CliError(t("msg.cli.bench_day_desks_hours"))
        return _bench("day").main(
            desks=args.desks, hours=args.hours, speed=args.speed,
            calls_per_hour=args.calls_per_hour, seed=args.seed, central=args.central,
            faults=args.faults == "on", report=args.report, customers=args.customers)
    if args.name == "watch":
        return _bench("watch").main(runs=args.runs)
    if args.name == "demo":  # issue 21: demo-data's peak memory at each size
        return _bench("demo").main(args.sizes or [200_000, 1_000_000])
    if args.name == "load":  # issue 21 item 1: the centre's customer load, old path vs COPY
        return _bench("load").main(args.rows or [200_000, 1_000_000],
                                   db=getattr(args, "db", None))
    if args.name == "pull":  # issue 21: a desk pulls a centre's bulk edit of customers
        return _bench("pull").main(args.rows or [200_000])
    if args.name == "monitor":
        return _bench("monitor").main(runs=args.runs)
    if args.name == "queue":
        return _bench("queue").main()
    if args.name == "outreach":
        return _bench("outreach").main(big_db=args.big_db, runs=args.runs)
    if args.name == "lookup":
        return _bench("lookup").main(getattr(args, "db", None), queries=args.queries)
    if args.name == "partial":  # a partial desk's lookup through the centre (issue 21)
        return _bench("partial").main(getattr(args, "db", None), queries=args.queries,
                                      admin=args.central)
    if args.name == "kb":
        return _bench("kb").main(runs=args.runs)
    return _bench("startup").main(runs=args.runs, big_db=args.big_db)


def cmd_desk(args: argparse.Namespace) -> int:
    config = load_config(args)
    from agentdesk.core import private

    try:  # before the screen is taken: a notice about the data folder stays readable
        private.folder(config.db_path().parent)
    except OSError:
        pass  # the desk says why it cannot open its database
    from agentdesk.apps.factory import create_app

    # without --agent: the config's agent only when the agents table knows it (issue 19)
    app = create_app(config, fill_demo=not args.no_demo, sign_in=not args.agent)
    app.run()
    return app.return_code or 0


COMMANDS = {
    None: cmd_desk,
    "bench": cmd_bench,
}


def main(argv: list[str] | None = None) -> int:
    # Everything a command prints, argparse's messages included, shows control characters
    # visibly: an argument or a row of data never sends an escape sequence to the terminal.
    with shown_output():
        return _run(argv)


def _run(argv: list[str] | None) -> int:
    early_lang(argv)
    args = build_parser().parse_args(argv)
    from agentdesk.core.config import ConfigError
    from agentdesk.core.i18n import UnknownLanguage

    known: tuple[type[BaseException], ...] = (CliError, ConfigError, UnknownLanguage)
    try:
        try:
            return COMMANDS[args.command](args)
        except Exception as exc:
            from agentdesk.core.clock import ClockError
            from agentdesk.core.store import StoreError

            from agentdesk.tickets.sla import SlaError

            if isinstance(exc, (*known, StoreError, ClockError, SlaError)):
                raise CliError(str(exc)) from None
            raise
    except CliError as exc:
        import os

        from agentdesk.core.redact import redact

        print(t("msg.cli.agentdesk",
                redact=redact(exc, os.environ.get('AGENTDESK_CENTRAL_URL', ''))),
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `agentdesk ticket list | head`: the reader left; say nothing more (Python docs'
        # recipe: point stdout at devnull so the interpreter's final flush is quiet too).
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
