"""Command line: ``agentdesk`` starts the desk; sub-commands do the headless work.

Heavy modules (textual, sqlmodel) are imported only by the command that needs them, so
``agentdesk --help`` is instant and the desk's first paint is not kept waiting.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from agentdesk import __version__
from agentdesk.cli_support import (EXIT_USAGE, CliError, common, load_config, open_desk,
                                   progress_printer)

# Commands that live beside their feature. Each module must import only the standard library
# at load time and define ``add_parsers(sub, common) -> {command: handler}``.
PLUGINS: tuple[str, ...] = ("agentdesk.training.cli", "agentdesk.sync.cli", "agentdesk.monitor.cli")


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

    p = sub.add_parser("demo-data", help="generate deterministic demo data")
    common(p, suppress=True)
    p.add_argument("--customers", type=int, default=2000)
    p.add_argument("--tickets", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)

    p = sub.add_parser("import", help="import customers (CSV) or knowledge-base articles (DIR)")
    p.add_argument("what", choices=("customers", "kb"))
    p.add_argument("file", type=Path, help="customers: a CSV file; kb: a folder of .md files")
    p.add_argument("--encoding", help="customers: file encoding when not UTF-8 (e.g. gbk)")
    p.add_argument("--strict", action="store_true", help="import nothing if any row is bad")
    common(p, suppress=True)

    p = sub.add_parser("export", help="export customers to CSV")
    p.add_argument("what", choices=("customers",))
    p.add_argument("file", type=Path)
    common(p, suppress=True)

    p = sub.add_parser("lookup", help="find customers by phone, account, name, pinyin, address")
    p.add_argument("query")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--limit", type=int, default=20)
    common(p, suppress=True)

    p = sub.add_parser("call", help="screen pop: tell the running desk a call is ringing "
                                    "(starts a desk popped to the caller if none runs)")
    p.add_argument("number")
    common(p, suppress=True)

    p = sub.add_parser("ticket", help="create, show and list tickets")
    t_sub = p.add_subparsers(dest="ticket_command", metavar="TICKET_COMMAND", required=True)
    q = t_sub.add_parser("create", help="open a ticket (you are its first responder)")
    q.add_argument("--customer", metavar="ACCOUNT_NO", help="the caller's account number")
    q.add_argument("--category", required=True, help="category code, e.g. water.burst")
    q.add_argument("--text", required=True, help="the description")
    q.add_argument("--location", default="")
    q.add_argument("--party", default="", help="complaints: the complained-about party")
    q.add_argument("--channel", default="phone")
    q.add_argument("--json", action="store_true")
    common(q, suppress=True)
    q.add_argument("--agent", metavar="CODE", default=argparse.SUPPRESS)
    q = t_sub.add_parser("show", help="one ticket by number or id")
    q.add_argument("ticket")
    q.add_argument("--json", action="store_true")
    common(q, suppress=True)
    q = t_sub.add_parser("list", help="tickets, newest first")
    q.add_argument("--mine", action="store_true", help="only tickets I own")
    q.add_argument("--open", action="store_true", help="only open tickets")
    q.add_argument("--limit", type=int, default=50)
    q.add_argument("--json", action="store_true")
    common(q, suppress=True)
    q.add_argument("--agent", metavar="CODE", default=argparse.SUPPRESS)

    p = sub.add_parser("kb", help="knowledge base")
    kb_sub = p.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)
    q = kb_sub.add_parser("search", help="search the knowledge base")
    q.add_argument("query")
    q.add_argument("--json", action="store_true", help="print JSON (id, title, score, snippet)")
    q.add_argument("--limit", type=int, default=10)
    common(q, suppress=True)

    p = sub.add_parser("bench", help="run a benchmark and print a table")
    p.add_argument("name", choices=("startup", "kb", "lookup", "queue", "monitor", "sync"))
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--big-db", metavar="PATH",
                   help="startup: also measure on this (e.g. 1,000,000-customer) database")
    p.add_argument("--queries", type=int, default=1000, help="lookup: queries per kind")
    common(p, suppress=True)
    for name in PLUGINS:
        COMMANDS.update(importlib.import_module(name).add_parsers(sub, common))
    return parser


def cmd_demo_data(args: argparse.Namespace) -> int:
    from agentdesk.demo import generate as demo
    from agentdesk.core import i18n

    config = load_config(args)
    i18n.set_lang(config.lang)
    if args.customers < 0 or args.tickets < 0:
        raise CliError("--customers and --tickets must not be negative")
    update, stop = progress_printer()
    with open_desk(config) as desk:
        try:
            summary = demo.generate(desk, args.customers, args.tickets, args.seed,
                                    progress=update)
        finally:
            stop()
    print(i18n.t("cli.demo.done", customers=summary.customers, phones=summary.phones,
                 tickets=summary.tickets, seconds=summary.seconds))
    size = config.db_path().stat().st_size
    print(f"{config.db_path()}: {size / 1e6:.1f} MB")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from agentdesk.customers import csvio as customers_io

    config = load_config(args)
    with open_desk(config) as desk:
        if args.what == "kb":
            from agentdesk.kb import loader

            report = loader.import_dir(desk, args.file)
        else:
            try:
                report = customers_io.import_customers(
                    desk, args.file, encoding=args.encoding, strict=args.strict,
                    agent=config.agent_id)
            except customers_io.ImportFileError as exc:
                raise CliError(str(exc)) from None
    print(report.format())
    return 1 if report.errors else 0


def cmd_export(args: argparse.Namespace) -> int:
    from agentdesk.customers import csvio as customers_io

    config = load_config(args)
    with open_desk(config) as desk:
        count = customers_io.export_customers(desk, args.file, agent=config.agent_id)
    print(f"{count} customers -> {args.file}")
    return 0


def cmd_lookup(args: argparse.Namespace) -> int:
    import json

    from agentdesk.customers import lookup, phones

    config = load_config(args)
    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    with open_desk(config) as desk, desk.session() as session:
        try:
            found = lookup.search(session, args.query, limit=args.limit)
        except lookup.QueryError as exc:
            raise CliError(str(exc)) from None
    if args.json:
        print(json.dumps([m.as_json() for m in found], ensure_ascii=False, indent=1))
        return 0
    for m in found:
        shown = " ".join(phones.display(p) for p in m.phones)
        print(f"{m.account_no}  {m.name}  {shown}  {m.address}  [{m.match}]")
    if not found:
        print("no match", file=sys.stderr)
    return 0


def cmd_call(args: argparse.Namespace) -> int:
    from agentdesk.customers import phones, screenpop

    try:
        number = phones.normalise(args.number)
    except phones.PhoneError as exc:
        raise CliError(str(exc)) from None
    try:
        if screenpop.send_call(number):
            return 0
    except screenpop.PopError as exc:
        raise CliError(f"screen pop failed: {exc}") from None
    config = load_config(args)  # no desk is running: start one popped to this caller
    from agentdesk.apps.factory import create_app

    app = create_app(config, initial_call=number)
    app.run()
    return app.return_code or 0


def cmd_ticket(args: argparse.Namespace) -> int:
    import json

    from agentdesk.core import agents
    from agentdesk.tickets import service as tickets, sla, workflow

    config = load_config(args)
    try:
        with open_desk(config) as desk, desk.session() as session:
            if args.ticket_command == "create":
                agents.ensure(session, config.agent_id, config.agent_name)
                customer_id = None
                if args.customer:
                    customer_id = session.connection().exec_driver_sql(
                        "SELECT id FROM customer WHERE account_no = ?",
                        (args.customer,)).scalar()
                    if customer_id is None:
                        raise CliError(f"unknown customer account {args.customer!r}")
                ticket = tickets.create(session, tickets.Draft(
                    category=args.category, description=args.text, customer_id=customer_id,
                    location=args.location, complained_party=args.party,
                    channel=args.channel), config.agent_id, policy=sla.for_config(config, session))
                out = [tickets.as_json(session, ticket)]
            elif args.ticket_command == "show":
                out = [tickets.as_json(session, tickets.get(session, args.ticket))]
            else:
                out = [tickets.as_json(session, t) for t in tickets.listing(
                    session, owner=config.agent_id if args.mine else None,
                    open_only=args.open, limit=args.limit)]
    except (tickets.TicketError, workflow.WorkflowError) as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print(json.dumps(out if args.ticket_command == "list" else out[0],
                         ensure_ascii=False, indent=1))
        return 0
    for item in out:
        due = " ".join(f"{k}={v[11:16] if v else '-'}" for k, v in item["deadlines"].items())
        print(f"{item['number']}  {item['status']:<11} {item['priority']:<9} "
              f"{item['category']:<18} owner={item['owner']}  {due}")
    return 0


def cmd_kb(args: argparse.Namespace) -> int:
    import json

    from agentdesk.core import i18n
    from agentdesk.kb import loader, search

    config = load_config(args)
    i18n.set_lang(config.lang)  # query errors are catalog messages
    with open_desk(config) as desk:
        loader.ensure_shipped(desk)
        try:
            with desk.session() as session:
                hits = search.search(session, args.query, limit=args.limit)
        except search.KbQueryError as exc:
            raise CliError(str(exc)) from None
    if args.json:
        print(json.dumps([h.as_json() for h in hits], ensure_ascii=False, indent=1))
    else:
        for h in hits:
            print(f"{h.score:7.2f}  {h.id}  {h.title}\n         {h.snippet_plain}")
    return 0


def _bench(name: str):  # noqa: ANN202 - a module of the checkout's bench/ folder
    """The benchmarks live in the checkout's ``bench/`` folder, not in the installed
    package: put the checkout on the path (agentdesk runs from its checkout)."""
    import importlib

    checkout = Path(__file__).resolve().parents[1]
    if not (checkout / "bench" / "__init__.py").is_file():
        raise CliError(f"the benchmarks are not here: {checkout / 'bench'} (run agentdesk "
                       "bench from a checkout)")
    if str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    return importlib.import_module(f"bench.{name}")


def cmd_bench(args: argparse.Namespace) -> int:
    if args.name == "sync":
        return _bench("sync").main()
    if args.name == "monitor":
        return _bench("monitor").main(runs=args.runs)
    if args.name == "queue":
        return _bench("queue").main()
    if args.name == "lookup":
        return _bench("lookup").main(getattr(args, "db", None), queries=args.queries)
    if args.name == "kb":
        return _bench("kb").main(runs=args.runs)
    return _bench("startup").main(runs=args.runs, big_db=args.big_db)


def cmd_desk(args: argparse.Namespace) -> int:
    config = load_config(args)
    from agentdesk.apps.factory import create_app

    app = create_app(config, fill_demo=not args.no_demo)
    app.run()
    return app.return_code or 0


COMMANDS = {
    None: cmd_desk,
    "demo-data": cmd_demo_data,
    "import": cmd_import,
    "export": cmd_export,
    "lookup": cmd_lookup,
    "call": cmd_call,
    "ticket": cmd_ticket,
    "kb": cmd_kb,
    "bench": cmd_bench,
}


def main(argv: list[str] | None = None) -> int:
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
        print(f"agentdesk: {exc}", file=sys.stderr)
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
