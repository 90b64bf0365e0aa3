"""What every command shares: the error the user can fix, the common options, the
desk's configuration and database for one command, the progress printer, and the output
every command prints through (control characters in data shown visibly). Public so each
package's ``cli`` module registers its commands without reaching into private names.

Standard library only at load time (``agentdesk --help`` stays instant).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from agentdesk.core.config import Config
    from agentdesk.core.store import Store

EXIT_USAGE = 2
Progress = Callable[[str, int, int], None]
# What a package's ``cli.add_parsers(sub, common)`` takes and returns.
Subparsers = argparse._SubParsersAction
Common = Callable[[argparse.ArgumentParser, bool], None]
Handler = Callable[[argparse.Namespace], int]


class CliError(Exception):
    """A problem the user can fix; printed without a traceback, exit status 2."""


class Limit:
    """The argparse type of every ``--limit``: a whole number from 1 to ``most``. Anything
    else is a usage error (exit 2) with a catalog message, never a traceback from deep
    inside (``--limit 99999999999999999999`` overflowed SQLite)."""

    def __init__(self, most: int) -> None:
        self.most = most

    def __call__(self, text: str) -> int:
        from agentdesk.core.i18n import t, visible

        try:
            number = int(text)
        except ValueError:
            number = 0
        if not 1 <= number <= self.most:
            shown = text if len(text) <= 24 else text[:24] + "…"
            raise argparse.ArgumentTypeError(t("cli.limit", most=f"{self.most:,}",
                                               value=visible(shown)))
        return number


LIMIT_MOST = 10_000  # rows one command prints at most, where the service has no cap of its own


def limit_option(parser: argparse.ArgumentParser, default: int, most: int = LIMIT_MOST
                 ) -> None:
    parser.add_argument("--limit", type=Limit(most), default=default, metavar="N",
                        help=t("msg.cli_support.at_most_n_rows", most=f"{most:,}", default=default))


# argparse's own words ("usage:", "options", "the following arguments are required", ...).
# argparse (3.11) fetches each through its module-global ``_`` (gettext.gettext, bound at
# import) at the moment it writes; it offers no hook of its own. The gettext way proper
# would need compiled .mo files bound to the process-wide default domain plus a LANGUAGE
# variable for every child process; pointing argparse's ``_`` at the catalog is one
# assignment, looked up in the language of the moment (English: argparse's words as they
# are). A word argparse adds later simply stays English.
ARGPARSE_WORDS = {
    "usage: ": "argparse.usage",
    "positional arguments": "argparse.positionals",
    "options": "argparse.options",
    "show this help message and exit": "argparse.help",
    "argument %(argument_name)s: %(message)s": "argparse.argument",
    "unrecognized arguments: %s": "argparse.unrecognized",
    "the following arguments are required: %s": "argparse.required",
    "one of the arguments %s is required": "argparse.one_of",
    "expected one argument": "argparse.one",
    "expected at most one argument": "argparse.at_most_one",
    "expected at least one argument": "argparse.at_least_one",
    "ambiguous option: %(option)s could match %(matches)s": "argparse.ambiguous",
    "invalid %(type)s value: %(value)r": "argparse.invalid_value",
    "invalid choice: %(value)r (choose from %(choices)s)": "argparse.invalid_choice",
    "%(prog)s: error: %(message)s\n": "argparse.error",
    "not allowed with argument %s": "argparse.not_allowed",
    "ignored explicit argument %r": "argparse.ignored",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "argparse.unknown_parser",
    "can't open '%(filename)s': %(error)s": "argparse.cannot_open",
}


def argparse_word(message: str) -> str:
    key = ARGPARSE_WORDS.get(message)
    return t(key) if key else message


def early_lang(argv: list[str] | None) -> None:
    """The language of the messages argparse prints itself (a bad ``--limit``), before the
    command has read its configuration: ``--lang`` when given, else the configured one."""
    from agentdesk.core import i18n

    argparse._ = argparse_word  # see ARGPARSE_WORDS
    args = sys.argv[1:] if argv is None else argv
    lang = None
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            lang = args[i + 1]
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
    if lang is None:
        from agentdesk.core import config

        try:
            lang = config.load().lang
        except config.ConfigError:
            return  # the command itself says what is wrong with the file
    if lang in i18n.LANGS:
        i18n.set_lang(lang)


class ShownStream:
    """stdout or stderr for a command's plain output: whatever is printed (data, error
    messages, argparse's echo of an argument) reaches the terminal with its control
    characters shown visibly, tab and newline kept. It says it is no terminal, so a Rich
    console printing through it writes plain text, not escape codes of its own; a live
    display (the progress bar) is given :attr:`raw`."""

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        from agentdesk.core.controls import shown

        self.raw.write(shown(text, lines=True))
        return len(text)

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> object:  # flush, fileno, encoding, ...
        return getattr(self.raw, name)


def raw_stream(stream: TextIO | ShownStream) -> TextIO:
    return stream.raw if isinstance(stream, ShownStream) else stream


@contextmanager
def shown_output() -> Iterator[None]:
    """Every print of a command goes through :class:`ShownStream`; restored afterwards."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = ShownStream(saved[0]), ShownStream(saved[1])  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


@contextmanager
def raw_output() -> Iterator[None]:
    """The real streams back for a command that draws with Rich (the benchmarks' tables
    of their own figures)."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = raw_stream(saved[0]), raw_stream(saved[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def print_json(value: object, indent: int | None = None) -> None:
    """JSON on stdout with every control character escaped: the data exact, the terminal
    safe."""
    from agentdesk.core.controls import json_text

    print(json_text(value, indent))


def common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--db", metavar="PATH", default=default,
                        help=t("msg.cli_support.desk_database_file_default"))
    parser.add_argument("--lang", choices=("zh", "en"), default=default,
                        help=t("msg.cli_support.interface_language_default_config"))


def load_config(args: argparse.Namespace, set_lang: bool = False) -> Config:
    from dataclasses import replace

    from agentdesk.core import clock, config as config_mod

    from agentdesk.core import guard

    config = config_mod.load()
    try:
        if getattr(args, "db", None):
            config = replace(config, db=guard.check("--db", args.db, guard.MAX_PATH))
        if getattr(args, "lang", None):
            config = replace(config, lang=args.lang)
        if getattr(args, "agent", None):
            config = replace(config, agent_id=guard.agent_code("--agent", args.agent))
    except guard.FieldError as exc:
        raise CliError(str(exc)) from None
    clock.set_timezone(config.timezone)
    from agentdesk.customers import clues

    clues.MIN_ID_SUFFIX = config.lookup_min_suffix
    if set_lang:  # the command's own messages come from the catalog in this language
        from agentdesk.core import i18n

        i18n.set_lang(config.lang)
    return config


@contextmanager
def open_desk(config: Config) -> Iterator[Store]:
    """The desk database for one command (its changes captured for sync), always closed
    again."""
    from agentdesk.sync import outbox

    desk = outbox.open_syncing_desk(config.db_path())
    try:
        yield desk
    finally:
        desk.dispose()


def progress_printer() -> tuple[Progress, Callable[[], None]]:
    """Rich progress bar on a terminal, plain lines otherwise (CI, pipes)."""
    if raw_stream(sys.stderr).isatty():
        from rich.console import Console
        from rich.progress import Progress

        progress = Progress(console=Console(file=raw_stream(sys.stdout)), transient=False)
        tasks: dict[str, object] = {}

        def update(stage: str, done: int, total: int) -> None:
            if not progress.live.is_started:
                progress.start()
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done)  # type: ignore[arg-type]

        return update, progress.stop
    last: dict[str, int] = {}

    def plain(stage: str, done: int, total: int) -> None:
        step = max(1, total // 10)
        if done == total or done // step != last.get(stage, -1):
            last[stage] = done // step
            print(f"{stage}: {done}/{total}", file=sys.stderr, flush=True)

    return plain, lambda: None
