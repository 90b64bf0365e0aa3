"""``agentdesk demo-data``, registered by :mod:`agentdesk.cli`. Standard library only at
load time."""

from __future__ import annotations

import argparse

from agentdesk.cli_support import (CliError, Common, Handler, Subparsers, load_config, open_desk,
                                   progress_printer)



def add_parsers(sub: Subparsers, common: Common) -> dict[str, Handler]:
    p = sub.add_parser("demo-data", help="generate deterministic demo data")
    common(p, True)
    p.add_argument("--customers", type=int, default=2000)
    p.add_argument("--tickets", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    return {"demo-data": cmd_demo_data}


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
