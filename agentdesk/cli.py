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
        description="Terminal workstation for utility hotline agents. With no command, "
                    "starts the agent desk.")
    parser.add_argument("--version", action="version", version=f"agentdesk {__version__}")
    common(parser, suppress=False)
    parser.add_argument("--agent", metavar="CODE", help="agent code (工号) for this session")
    parser.add_argument("--no-demo", action="store_true",
                        help="do not fill an empty database with demo data")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    for name in PLUGINS[:4]:  # the order of `agentdesk --help`
        COMMANDS.update(importlib.import_module(name).add_parsers(sub, common))
    p = sub.add_parser("bench", help="run a benchmark and print a table")
    p.add_argument("name", choices=("startup", "kb", "lookup", "queue", "monitor", "sync",
                                    "outreach", "watch", "day", "find"))
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--big-db", metavar="PATH",
                   help="startup: also measure on this (e.g. 1,000,000-customer) database; "
                        "outreach: copy this 1,000,000-customer desk instead of making one")
    p.add_argument("--queries", type=int, default=1000, help="lookup: queries per kind")
    day = p.add_argument_group("day", "bench day: a centre's whole day, simulated")
    day.add_argument("--desks", type=int, default=20)
    day.add_argument("--hours", type=float, default=8.0)
    day.add_argument("--speed", type=float, default=120.0, help="simulated seconds per second")
    day.add_argument("--calls-per-hour", type=float, default=600.0)
    day.add_argument("--seed", type=int, default=1)
    day.add_argument("--central", metavar="URL",
                     help="a PostgreSQL centre to use (default: a fresh database, dropped)")
    day.add_argument("--faults", choices=("on", "off"), default="on")
    day.add_argument("--report", metavar="DIR", help="write day.md and SVG charts here")
    day.add_argument("--customers", type=int, help="customers in the generated file")
    common(p, suppress=True)
    for name in PLUGINS[4:]:
        COMMANDS.update(importlib.import_module(name).add_parsers(sub, common))
    return parser


def _bench(name: str) -> ModuleType:
    """The benchmarks live in the checkout's ``bench/`` folder, not in the installed
    package: put the checkout on the path (agentdesk runs from its checkout)."""
    checkout = Path(__file__).resolve().parents[1]
    if not (checkout / "bench" / "__init__.py").is_file():
        raise CliError(f"the benchmarks are not here: {checkout / 'bench'} (run agentdesk "
                       "bench from a checkout)")
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
            raise CliError("bench find: --big-db PATH (a desk made with agentdesk demo-data "
                           "--customers 20000 --tickets 100000)")
        return _bench("find_tickets").main(args.big_db, args.runs)
    if args.name == "day":
        if not 1 <= args.desks <= 200 or not 0 < args.hours <= 24 or args.speed <= 0 \
                or args.calls_per_hour < 0:
            raise CliError("bench day: --desks 1-200, --hours up to 24, --speed and "
                           "--calls-per-hour positive")
        return _bench("day").main(
            desks=args.desks, hours=args.hours, speed=args.speed,
            calls_per_hour=args.calls_per_hour, seed=args.seed, central=args.central,
            faults=args.faults == "on", report=args.report, customers=args.customers)
    if args.name == "watch":
        return _bench("watch").main(runs=args.runs)
    if args.name == "monitor":
        return _bench("monitor").main(runs=args.runs)
    if args.name == "queue":
        return _bench("queue").main()
    if args.name == "outreach":
        return _bench("outreach").main(big_db=args.big_db, runs=args.runs)
    if args.name == "lookup":
        return _bench("lookup").main(getattr(args, "db", None), queries=args.queries)
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

        print(f"agentdesk: {redact(exc, os.environ.get('AGENTDESK_CENTRAL_URL', ''))}",
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
