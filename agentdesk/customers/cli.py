"""``agentdesk import|export|lookup|call``: the customer file, caller lookup and the screen
pop, registered by :mod:`agentdesk.cli`. Standard library only at load time."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from agentdesk.cli_support import (CliError, Common, Handler, Subparsers, limit_option,
                                   load_config, open_desk)

if TYPE_CHECKING:
    from agentdesk.core.store import Store
    from agentdesk.customers.csvio import ImportReport



def add_parsers(sub: Subparsers, common: Common) -> dict[str, Handler]:
    p = sub.add_parser("import", help="import customers (CSV) or knowledge-base articles (DIR)")
    p.add_argument("what", choices=("customers", "kb"))
    p.add_argument("file", type=Path, help="customers: a CSV file; kb: a folder of .md files")
    p.add_argument("--encoding", help="customers: file encoding when not UTF-8 (e.g. gbk)")
    p.add_argument("--strict", action="store_true", help="import nothing if any row is bad")
    p.add_argument("--errors", metavar="FILE", type=Path,
                   help="customers: write every bad row (line, reason, fields) to this CSV")
    common(p, True)

    p = sub.add_parser("export", help="export customers to CSV")
    p.add_argument("what", choices=("customers",))
    p.add_argument("file", type=Path)
    common(p, True)

    p = sub.add_parser("lookup", help="find customers by phone, account, name, pinyin, address")
    p.add_argument("query")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    limit_option(p, 20, most=200)  # lookup.search shows 200 at most
    common(p, True)

    p = sub.add_parser("call", help="screen pop: tell the running desk a call is ringing "
                                    "(starts a desk popped to the caller if none runs)")
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
    import json

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
        print(json.dumps([m.as_json() for m in found], ensure_ascii=False, indent=1))
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
        raise CliError(f"screen pop failed: {exc}") from None
    config = load_config(args)  # no desk is running: start one popped to this caller
    from agentdesk.apps.factory import create_app

    app = create_app(config, initial_call=number)
    app.run()
    return app.return_code or 0
