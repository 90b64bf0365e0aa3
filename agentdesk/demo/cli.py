"""``agentdesk demo-data`` and ``agentdesk db stats`` (the desk file's bytes by table and
index), registered by :mod:`agentdesk.cli`. Standard library only at load time."""

from __future__ import annotations

import argparse

from agentdesk.core.i18n import t
from agentdesk.cli_support import (CliError, Common, Handler, Subparsers, load_config, open_desk,
                                   progress_printer)



def add_parsers(sub: Subparsers, common: Common) -> dict[str, Handler]:
    p = sub.add_parser("demo-data",
                       help=t("msg.demo.cli.generate_deterministic_demo_data"))
    common(p, True)
    p.add_argument("--customers", type=int, default=2000)
    p.add_argument("--tickets", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("db", help=t("msg.demo.cli.the_desk_database_file"))
    common(p, True)
    p.add_argument("what", choices=("stats",))
    p.add_argument("--json", action="store_true")
    return {"demo-data": cmd_demo_data, "db": cmd_db}


def cmd_db(args: argparse.Namespace) -> int:
    from agentdesk.cli_support import print_json
    from agentdesk.core import dbstats
    from agentdesk.core.i18n import t

    config = load_config(args, set_lang=True)
    try:
        found = dbstats.stats(config.db_path())
    except FileNotFoundError:
        raise CliError(t("db.stats.missing", path=config.db_path())) from None
    except Exception as exc:  # noqa: BLE001 - sqlite3's own words: not a database, locked
        raise CliError(t("db.stats.unreadable", path=config.db_path(), error=exc)) from None
    if args.json:
        print_json(found.as_json(), indent=1)
        return 0

    def per(n: int) -> str:
        value = found.per_customer(n)
        return "-" if value is None else f"{value:,.0f}"

    print(t("db.stats.head", path=found.path, mb=f"{found.file_bytes / 1e6:,.1f}",
            customers=f"{found.customers:,}", per=per(found.file_bytes),
            free=f"{found.free_pages * found.page_size / 1e6:,.1f}"))
    print(f"{t('db.stats.col.name'):<40} {t('db.stats.col.kind'):<6} {'MB':>9} "
          f"{t('db.stats.col.share'):>6} {t('db.stats.col.per'):>10} {t('db.stats.col.rows'):>12}")
    for part in found.parts:
        share = part.bytes / found.file_bytes * 100 if found.file_bytes else 0.0
        rows = "" if part.rows is None else f"{part.rows:,}"
        print(f"{part.name[:40]:<40} {t('db.stats.kind.' + part.kind):<6} "
              f"{part.bytes / 1e6:>9,.1f} {share:>5.1f}% {per(part.bytes):>10} {rows:>12}")
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    from agentdesk.demo import generate as demo
    from agentdesk.core import i18n

    config = load_config(args)
    i18n.set_lang(config.lang)
    if args.customers < 0 or args.tickets < 0:
        raise CliError(t("msg.demo.cli.customers_and_tickets_must"))
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
    print(t("msg.demo.cli.mb", db_path=config.db_path(), value=f"{size / 1000000.0:.1f}"))
    return 0
