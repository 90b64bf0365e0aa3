"""``agentdesk import|export|lookup|call``: the customer file, caller lookup and the screen
pop, registered by :mod:`agentdesk.cli`. Standard library only at load time."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from agentdesk.core.i18n import t
from agentdesk.cli_support import (CliError, Common, Handler, Subparsers, limit_option,
                                   load_config, open_desk, print_json)

if TYPE_CHECKING:
    from agentdesk.core.store import Store
    from agentdesk.customers.csvio import ImportReport



def add_parsers(sub: Subparsers, common: Common) -> dict[str, Handler]:
    p = sub.add_parser("import",
                       help=t("msg.customers.cli.import_customers_csv_or"))
    p.add_argument("what", choices=("customers", "kb"))
    p.add_argument("file", type=Path, help=t("msg.customers.cli.customers_a_csv_file"))
    p.add_argument("--encoding", help=t("msg.customers.cli.customers_file_encoding_when"))
    p.add_argument("--strict", action="store_true",
                   help=t("msg.customers.cli.import_nothing_if_any"))
    p.add_argument("--errors", metavar="FILE", type=Path,
                   help=t("msg.customers.cli.customers_write_every_bad"))
    common(p, True)

    p = sub.add_parser("export",
                       help=t("msg.customers.cli.export_customers_to_csv"))
    p.add_argument("what", choices=("customers",))
    p.add_argument("file", type=Path)
    common(p, True)

    p = sub.add_parser("lookup",
                       help=t("msg.customers.cli.find_customers_by_phone"))
    p.add_argument("query")
    p.add_argument("--json", action="store_true", help=t("msg.customers.cli.print_a_json_list"))
    limit_option(p, 20, most=200)  # lookup.search shows 200 at most
    common(p, True)

    p = sub.add_parser("call", help=t("msg.customers.cli.screen_pop_tell_the"))
    p.add_argument("number")
    common(p, True)
    return {"import": cmd_import, "export": cmd_export, "lookup": cmd_lookup,
            "call": cmd_call}


def cmd_import(args: argparse.Namespace) -> int:
    from agentdesk.core.i18n import t

    config = load_config(args, set_lang=True)
    if args.what == "kb" and args.errors:
        raise CliError(t("import.errors_customers_only"))
    with open_desk(config) as desk:
        if args.what == "kb":
            from agentdesk.kb import loader

            report = loader.import_dir(desk, args.file)
        else:
            report = _import_customers(desk, args, config.agent_id)
    print(report.format())
    return 1 if report.errors else 0


def _import_customers(desk: Store, args: argparse.Namespace, agent: str) -> ImportReport:
    from agentdesk.customers import csvio as customers_io, rejects

    try:
        with rejects.writing(args.errors, args.file) as on_bad:
            report = customers_io.import_customers(
                desk, args.file, encoding=args.encoding, strict=args.strict, agent=agent,
                on_bad=on_bad)
    except customers_io.ImportFileError as exc:
        raise CliError(str(exc)) from None
    report.errors_file = str(args.errors or "")
    return report


def cmd_export(args: argparse.Namespace) -> int:
    from agentdesk.customers import csvio as customers_io

    from agentdesk.core.i18n import t

    config = load_config(args, set_lang=True)
    with open_desk(config) as desk:
        count = customers_io.export_customers(desk, args.file, agent=config.agent_id)
    print(t("export.written", count=f"{count:,}", file=args.file))
    return 0


def cmd_lookup(args: argparse.Namespace) -> int:
    from agentdesk.customers import lookup, phones

    from agentdesk.core import audit
    from agentdesk.core.i18n import t

    config = load_config(args, set_lang=True)
    with open_desk(config) as desk, desk.session() as session:
        try:
            found = lookup.search(session, args.query, limit=args.limit)
        except lookup.QueryError as exc:
            raise CliError(str(exc)) from None
        # committed with the session, before anything is printed
        audit.record(session, config.agent_id, "lookup", "customer",
                     [m.customer_id for m in found],
                     detail={"query": args.query, "limit": args.limit, "json": args.json})
    if args.json:
        print_json([m.as_json() for m in found], indent=1)
        return 0
    for m in found:
        shown = " ".join(phones.display(p) for p in m.phones)
        print(f"{m.account_no}  {m.name}  {shown}  {m.address}  [{m.match}]")
    if not found:
        print(t("lookup.none"), file=sys.stderr)
    return 0


def cmd_call(args: argparse.Namespace) -> int:
    from agentdesk.customers import phones, screenpop

    try:
        # The desk records the call with its extension: "+8657188886666;ext=123".
        number = phones.with_extension(*phones.normalise_with_extension(args.number))
    except phones.PhoneError as exc:
        raise CliError(str(exc)) from None
    try:
        if screenpop.send_call(number):
            return 0
    except screenpop.PopError as exc:
        raise CliError(t("msg.customers.cli.screen_pop_failed", exc=exc)) from None
    config = load_config(args)  # no desk is running: start one popped to this caller
    from agentdesk.apps.factory import create_app

    app = create_app(config, initial_call=number)
    app.run()
    return app.return_code or 0
