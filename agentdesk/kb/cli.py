"""``agentdesk kb search``, registered by :mod:`agentdesk.cli`. Standard library only at
load time."""

from __future__ import annotations

import argparse

from agentdesk.core.i18n import t
from agentdesk.cli_support import (CliError, Common, Handler, Subparsers, limit_option,
                                   load_config, open_desk, print_json)



def add_parsers(sub: Subparsers, common: Common) -> dict[str, Handler]:
    p = sub.add_parser("kb", help=t("msg.kb.cli.knowledge_base"))
    kb_sub = p.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)
    q = kb_sub.add_parser("search", help=t("msg.kb.cli.search_the_knowledge_base"))
    q.add_argument("query")
    q.add_argument("--json", action="store_true", help=t("msg.kb.cli.print_json_id_title"))
    limit_option(q, 10, most=100)  # kb.search shows 100 at most
    common(q, True)

    return {"kb": cmd_kb}


def cmd_kb(args: argparse.Namespace) -> int:
    from agentdesk.core import i18n
    from agentdesk.kb import loader, search
    from agentdesk.tickets import sla, sla_text

    config = load_config(args)
    i18n.set_lang(config.lang)  # query errors are catalog messages
    with open_desk(config) as desk:
        loader.ensure_shipped(desk)
        try:
            with desk.session() as session:  # snippets say the policy's time limits
                policy = sla.for_config(config, session)
                hits = search.search(session, args.query, limit=args.limit,
                                     fill=lambda body: sla_text.fill(body, policy))
        except search.KbQueryError as exc:
            raise CliError(str(exc)) from None
    if args.json:
        print_json([h.as_json() for h in hits], indent=1)
    else:
        for h in hits:
            print(f"{h.score:7.2f}  {h.id}  {h.title}\n         {h.snippet_plain}")
    return 0
