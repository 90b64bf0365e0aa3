"""``agentdesk train``: role-play on the real screens, on a throw-away database.

Standard library only at load time (``agentdesk --help`` stays instant)::

    agentdesk train --list
    agentdesk train SCENARIO [--trainee NAME] [--auto]
    agentdesk train --history [--trainee NAME]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import argparse
import sys
from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from agentdesk.cli_support import Common, Handler, Subparsers
    from agentdesk.core.config import Config



def add_parsers(sub: Subparsers, common: Common) -> dict[str, Handler]:
    p = sub.add_parser(
        "train", help=t("msg.training.cli.trainer_role_play_a"),
        description=t("msg.training.cli.play_a_scenario_a"))
    p.add_argument("scenario", nargs="?", help=t("msg.training.cli.scenario_id_or_path"))
    p.add_argument("--list", action="store_true",
                   help=t("msg.training.cli.list_the_shipped_scenarios"))
    p.add_argument("--history", action="store_true",
                   help=t("msg.training.cli.saved_sessions_each_trainee"))
    p.add_argument("--trainee", metavar="NAME", help=t("msg.training.cli.who_is_training_default"))
    p.add_argument("--auto", action="store_true",
                   help=t("msg.training.cli.self_study_the_caller"))
    p.add_argument("--agent", metavar="CODE", default=argparse.SUPPRESS,
                   help=t("msg.training.cli.the_trainee_s_staff"))
    p.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS,
                   help=t("msg.training.cli.interface_language_default_config"))
    return {"train": cmd_train}


def _config(args: argparse.Namespace) -> Config:
    from agentdesk.cli_support import load_config

    return load_config(args, set_lang=True)


def _list() -> int:
    from agentdesk.core.i18n import t
    from agentdesk.training import scenario as sc

    articles = sc.shipped_articles()
    bad = 0
    for path in sc.shipped():
        try:
            item = sc.load(path, articles)
        except sc.ScenarioError as exc:
            print(exc, file=sys.stderr)
            bad += 1
            continue
        print(t("msg.training.cli.l", id=f"{item.id:<28}", level=item.level,
                t_=f"{t('utility.' + item.utility):<4}", title=item.title))
    return 1 if bad else 0


def cmd_train(args: argparse.Namespace) -> int:
    from agentdesk.cli_support import CliError
    from agentdesk.core import guard

    config = _config(args)
    if args.trainee is not None:  # a name goes on the scorecard, the history and the file
        try:
            guard.check("--trainee", args.trainee, guard.MAX_NAME)
        except guard.FieldError as exc:
            raise CliError(str(exc)) from None
    if args.list:
        return _list()
    if args.history:
        from agentdesk.training import history

        print(history.report(history.sessions(trainee=args.trainee)))
        return 0
    if not args.scenario:
        raise CliError(t("msg.training.cli.train_name_a_scenario"))
    from agentdesk.core import clock
    from agentdesk.training import scenario as sc
    from agentdesk.training.session import TrainingRun, purge_stale, training_config

    try:
        scenario = sc.load(sc.find(args.scenario))  # a broken file stops here
    except sc.ScenarioError as exc:
        raise CliError(str(exc)) from None
    purge_stale()
    run = TrainingRun(scenario, args.trainee or config.agent_name, config.agent_id,
                      auto=args.auto)
    try:
        run.prepare()
        from agentdesk.apps.factory import create_app

        app = create_app(training_config(config, run), db_path=run.db_path, fill_demo=False,
                         screen_pop=False, training=run)
        app.run()
    finally:
        run.cleanup()
        clock.unfreeze()
    card = run.scorecard
    if card is None:
        print(t("training.cli.unfinished"))
        return app.return_code or 0
    verdict = t("training.score.passed" if card.passed else "training.score.failed")
    print(t("training.score.total", score=card.score, pass_mark=card.pass_mark), verdict)
    for check in card.missed:
        print(f"  ✘ {check.label}")
    if run.saved:
        print(t("training.cli.saved", json=run.saved[0], md=run.saved[1]))
    return app.return_code or 0
