"""``agentdesk monitor`` (the read-only wallboard, in the terminal or a browser) and
``agentdesk report`` (the monthly review's tables as CSV). Standard library only at load
time: the heavy modules are imported by the command that runs."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from agentdesk.core.i18n import t
from agentdesk.cli_support import limit_option, print_json

if TYPE_CHECKING:
    from agentdesk.cli_support import Common, Handler, Subparsers
    from datetime import date

    from agentdesk.core.config import Config
    from agentdesk.sync.mirror import Follower

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_parsers(sub: Subparsers, common: Common) -> dict[str, Handler]:
    p = sub.add_parser("monitor",
                       help=t("msg.monitor.cli.supervisor_wallboard_read_only"))
    common(p, True)
    p.add_argument("--interval", type=float, default=10.0, metavar="SECONDS",
                   help=t("msg.monitor.cli.seconds_between_refreshes_default"))
    p.add_argument("--web", action="store_true",
                   help=t("msg.monitor.cli.serve_the_wallboard_to"))
    p.add_argument("--host", default="127.0.0.1",
                   help=t("msg.monitor.cli.web_address_to_listen"))
    p.add_argument("--port", type=int, default=8090, help=t("msg.monitor.cli.web_port_default"))
    p.add_argument("--public-url", metavar="URL",
                   help=t("msg.monitor.cli.web_the_address_browsers"))
    p.add_argument("--central", metavar="URL",
                   help=t("msg.monitor.cli.show_the_whole_centre"))

    p = sub.add_parser("report",
                       help=t("msg.monitor.cli.monthly_review_tables_mix"))
    common(p, True)
    p.add_argument("--from", dest="date_from", metavar="DATE",
                   help=t("msg.monitor.cli.first_day_yyyy_mm"))
    p.add_argument("--to", dest="date_to", metavar="DATE",
                   help=t("msg.monitor.cli.last_day_included_default"))
    p.add_argument("--csv", metavar="DIR", required=True, type=Path,
                   help=t("msg.monitor.cli.folder_to_write_the"))

    p = sub.add_parser("audit", help=t("msg.monitor.cli.who_saw_customer_data"))
    common(p, True)
    p.add_argument("--since", metavar="DATE",
                   help=t("msg.monitor.cli.from_this_local_day"))
    p.add_argument("--agent", dest="of_agent", metavar="CODE",
                   help=t("msg.monitor.cli.only_this_agent_s"))
    p.add_argument("--json", action="store_true", help=t("msg.monitor.cli.print_a_json_list"))
    limit_option(p, 200)
    return {"monitor": cmd_monitor, "report": cmd_report, "audit": cmd_audit}


def _error(message: str) -> Exception:
    from agentdesk.cli_support import CliError

    return CliError(message)


def cmd_monitor(args: argparse.Namespace) -> int:
    from agentdesk.cli_support import load_config

    config = load_config(args)
    if args.interval <= 0:
        raise _error("--interval must be positive")
    follower = None
    if args.central:
        path, follower = _follow(args, config)
    else:
        path = config.db_path()
        if not path.is_file():
            raise _error(f"{path}: database file not found (the monitor never creates one)")
    try:
        if args.web:
            return serve_web(config.lang, path, args.host, args.port, args.interval,
                             args.public_url)
        from agentdesk.apps.monitor import create_monitor_app

        app = create_monitor_app(config, path, interval=args.interval, follower=follower)
        app.run()
        return app.return_code or 0
    finally:
        if follower is not None:
            follower.stop()


def _follow(args: argparse.Namespace, config: Config) -> tuple[Path, Follower]:
    """The centre's mirror: brought up to date now (a progress bar for a new one), then
    followed by a thread while the wallboard runs. The wallboard reads only the mirror."""
    from agentdesk.core import clock
    from agentdesk.cli_support import progress_printer
    from agentdesk.core.redact import redact
    from agentdesk.core.store import StoreError
    from agentdesk.sync import mirror

    path = Path(args.db).expanduser() if args.db else \
        config.db_path().with_name("centre-mirror.db")
    had = path.is_file()
    update, stop = progress_printer()
    last_ok, last_error = None, ""
    try:
        mirror.first_pull(path, args.central, update)
        last_ok = clock.now()
    except StoreError as exc:
        if not had:
            raise _error(f"{redact(exc, args.central)} (no mirror yet: nothing to show)"
                         ) from None
        last_error = redact(exc, args.central)
        print(t("msg.monitor.cli.agentdesk_showing_the_mirror",
                last_error=last_error), file=sys.stderr)
    finally:
        stop()
    return path, mirror.Follower(path, args.central, args.interval, last_ok,
                                 last_error).start()


def web_command(lang: str, db_path: Path, interval: float) -> str:
    """The command textual-serve runs for each browser: the same read-only monitor."""
    import shlex

    return " ".join(shlex.quote(part) for part in (
        sys.executable, "-m", "agentdesk", "--lang", lang, "--db", str(db_path.resolve()),
        "monitor", "--interval", str(interval)))


def serve_web(lang: str, db_path: Path, host: str, port: int, interval: float,
              public_url: str | None = None) -> int:
    from agentdesk.core import i18n

    i18n.set_lang(lang)
    if not 0 < port < 65536:
        raise _error("--port must be between 1 and 65535")
    if host not in LOOPBACK:
        print(i18n.t("monitor.web.exposed", host=host), file=sys.stderr, flush=True)
        if public_url is None and host in ("0.0.0.0", "::", ""):
            import socket  # the page tells browsers where the websocket is: not 0.0.0.0

            public_url = f"http://{socket.gethostname()}:{port}"
    import tempfile

    from textual_serve.server import Server

    with tempfile.TemporaryDirectory(prefix="agentdesk-web-") as folder:
        server = Server(web_command(lang, db_path, interval), host=host, port=port,
                        title=i18n.t("monitor.title"), public_url=public_url,
                        templates_path=offline_templates(Path(folder)))
        print(i18n.t("monitor.web.serving", url=server.public_url), file=sys.stderr,
              flush=True)
        server.serve()
    return 0


# textual-serve's page takes its font from a public font CDN: a wall screen in a centre
# without internet access would wait for it, then draw in a fallback font. The same font
# ships in textual-serve's own static files; the page is pointed at those instead.
FONT_LINK = re.compile(r'<link[^>]*href="https://fonts\.googleapis\.com/[^"]*"[^>]*/?>',
                       re.S)
LOCAL_FONT = """<style>
      @font-face { font-family: "Roboto Mono"; font-style: normal;
        src: url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf"); }
      @font-face { font-family: "Roboto Mono"; font-style: italic;
        src: url("{{ config.static.url }}fonts/RobotoMono-Italic-VariableFont_wght.ttf"); }
    </style>"""


def offline_templates(folder: Path) -> Path:
    """A copy of textual-serve's page template in ``folder`` that loads nothing from
    outside the server (the CDN font link replaced by the bundled font)."""
    import textual_serve

    source = Path(textual_serve.__file__).parent / "templates" / "app_index.html"
    page = source.read_text(encoding="utf-8")
    page = FONT_LINK.sub(lambda _m: LOCAL_FONT, page)
    (folder / "app_index.html").write_text(page, encoding="utf-8")
    return folder


def _audit(config: Config, command: str, entity: str, shown: list[str], action: str,
           detail: dict[str, object]) -> None:
    """The audit row of a supervisor's command, committed before its data leaves: the
    desk file opened for this one write (the figures themselves are read read-only)."""
    from agentdesk.core import audit, store

    desk = store.open_desk(config.db_path())
    try:
        with desk.session() as session:
            audit.record(session, config.agent_id, command, entity, shown, action=action,
                         detail=detail)
    finally:
        desk.dispose()


def _dates(args: argparse.Namespace) -> tuple[date, date]:
    from datetime import date, timedelta

    from dateutil.relativedelta import relativedelta

    from agentdesk.core import clock

    def parse(text: str, flag: str) -> date:
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            raise _error(f"{flag}: not a date (write 2026-10-01): {text!r}") from None

    first = parse(args.date_from, "--from") if args.date_from else None
    last = parse(args.date_to, "--to") if args.date_to else None
    if first is None and last is None:
        this_month = clock.local().date().replace(day=1)
        last = this_month - timedelta(days=1)
        first = last.replace(day=1)
    elif first is None:  # a month back: 12-31 -> 12-01, 03-15 -> 02-16
        first = last - relativedelta(months=1) + timedelta(days=1)
    elif last is None:  # a month on: 12-01 -> 12-31 (not the 30th), 01-15 -> 02-14
        last = first + relativedelta(months=1) - timedelta(days=1)
    if last < first:
        raise _error(f"--to ({last}) is before --from ({first})")
    return first, last


def cmd_report(args: argparse.Namespace) -> int:
    from agentdesk.core import i18n, store
    from agentdesk.monitor import report
    from agentdesk.cli_support import load_config

    config = load_config(args)
    i18n.set_lang(config.lang)
    first, last = _dates(args)
    desk = store.open_readonly(config.db_path())  # the figures are read where nothing writes
    try:
        with desk.session() as session:
            made = report.tables(session, first, last, config.satisfaction_target)
    finally:
        desk.dispose()
    _audit(config, "report", "caller", report.callers(made), action="export",
           detail={"from": str(first), "to": str(last), "dir": str(args.csv.absolute()),
                   "files": list(made)})
    try:
        written = report.write_tables(made, args.csv)
    except OSError as exc:
        raise _error(f"{args.csv}: cannot write: {exc}") from None
    for path in written:
        print(path)
    print(i18n.t("report.written", n=len(written), dir=args.csv, since=first, until=last),
          file=sys.stderr)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """The audit log, for a supervisor (the desk's configured ``role``, as the notice
    commands check it: a guard against the wrong desk, not against its own user, who can
    read the database file anyway)."""
    from agentdesk.cli_support import load_config, open_desk
    from agentdesk.core import audit
    from agentdesk.core.i18n import t
    from agentdesk.monitor import audit_view

    config = load_config(args, set_lang=True)
    if config.role != "supervisor":
        raise _error(t("audit.role", role=config.role))
    try:
        since = audit_view.since(args.since) if args.since else None
    except audit_view.SinceError as exc:
        raise _error(str(exc)) from None
    with open_desk(config) as desk, desk.session() as session:
        found = audit.entries(session, since=since, agent=args.of_agent, limit=args.limit)
        accounts = audit.accounts(session, audit_view.customers(found))
        # reading the log is itself a read of who saw whom: recorded before it is printed
        audit.record(session, config.agent_id, "audit", "audit_log", count=len(found),
                     detail={"since": args.since, "agent": args.of_agent,
                             "limit": args.limit, "json": args.json})
    if args.json:
        print_json([e.as_json() for e in found], indent=1)
        return 0
    for line in audit_view.lines(found, accounts):
        print(line)
    return 0
