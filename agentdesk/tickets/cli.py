"""``agentdesk ticket create|show|list|search|duban|ack``, (issue 17)
``chase|reopen|reply|raise`` and (issue 19) ``dispatch|departments``, registered by
:mod:`agentdesk.cli`. Standard library only at load time."""

from __future__ import annotations

import argparse
import sys

from agentdesk.core.i18n import t
from agentdesk.cli_support import (CliError, Common, Handler, Subparsers, limit_option,
                                   load_config, open_desk, print_json)



def _cells(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal cells (a Chinese character takes two)."""
    from rich.cells import cell_len

    return text + " " * max(0, width - cell_len(text))


def add_parsers(sub: Subparsers, common: Common) -> dict[str, Handler]:
    p = sub.add_parser("ticket", help=t("msg.tickets.cli.create_show_and_list"))
    t_sub = p.add_subparsers(dest="ticket_command", metavar="TICKET_COMMAND", required=True)
    q = t_sub.add_parser("create", help=t("msg.tickets.cli.open_a_ticket_you"))
    q.add_argument("--customer", metavar="ACCOUNT_NO",
                   help=t("msg.tickets.cli.the_caller_s_account"))
    q.add_argument("--category", required=True, help=t("msg.tickets.cli.category_code_e_g"))
    q.add_argument("--text", required=True, help=t("msg.tickets.cli.the_description"))
    q.add_argument("--location", default="")
    q.add_argument("--party", default="", help=t("msg.tickets.cli.complaints_the_complained_about"))
    q.add_argument("--channel", default="",
                   help=t("msg.tickets.cli.phone_app_wechat_counter"))
    q.add_argument("--complaint-class", default="", metavar="CODE",
                   help=t("msg.tickets.cli.complaints_the_class_item"))
    q.add_argument("--json", action="store_true")
    common(q, True)
    q.add_argument("--agent", metavar="CODE", default=argparse.SUPPRESS)
    q = t_sub.add_parser("classes",
                         help=t("msg.tickets.cli.the_complaint_classes_a"))
    q.add_argument("--utility", choices=("power", "water"), default=None)
    q.add_argument("--json", action="store_true")
    common(q, True)
    q = t_sub.add_parser("show", help=t("msg.tickets.cli.one_ticket_by_number"))
    q.add_argument("ticket")
    q.add_argument("--history", action="store_true",
                   help=t("msg.tickets.cli.every_event_of_the"))
    q.add_argument("--json", action="store_true")
    common(q, True)
    q = t_sub.add_parser("search",
                         help=t("msg.tickets.cli.find_tickets_by_number"))
    q.add_argument("query")
    limit_option(q, 50, 1000)
    q.add_argument("--json", action="store_true")
    common(q, True)
    q = t_sub.add_parser("list", help=t("msg.tickets.cli.tickets_newest_first"))
    q.add_argument("--mine", action="store_true", help=t("msg.tickets.cli.only_tickets_i_own"))
    q.add_argument("--open", action="store_true", help=t("msg.tickets.cli.only_open_tickets"))
    limit_option(q, 50)
    q.add_argument("--json", action="store_true")
    common(q, True)
    q.add_argument("--agent", metavar="CODE", default=argparse.SUPPRESS)
    q = t_sub.add_parser("duban",
                         help=t("msg.tickets.cli.a_supervisor_presses_an"))
    q.add_argument("ticket")
    q.add_argument("--reason", required=True, choices=("safety", "media", "group", "chase"),
                   help=t("msg.tickets.cli.safety_hazard_media_attention"))
    q.add_argument("--note", default="")
    q.add_argument("--json", action="store_true")
    common(q, True)
    q.add_argument("--agent", metavar="CODE", default=argparse.SUPPRESS)
    q = t_sub.add_parser("ack",
                         help=t("msg.tickets.cli.the_owner_acknowledges_the"))
    q.add_argument("ticket")
    q.add_argument("--note", required=True)
    q.add_argument("--json", action="store_true")
    common(q, True)
    q.add_argument("--agent", metavar="CODE", default=argparse.SUPPRESS)
    _add_life_parsers(t_sub, common)  # issue 17: chase, reopen, reply, raise
    return {"ticket": cmd_ticket}


def _duban(args: argparse.Namespace) -> int:
    """``ticket duban`` and ``ticket ack``: the 督办 service, its messages from the catalog."""
    import json

    from agentdesk.core import agents, i18n
    from agentdesk.tickets import duban, service as tickets

    config = load_config(args, set_lang=True)
    try:
        with open_desk(config) as desk, desk.session() as session:
            if args.ticket_command == "duban":
                # a supervisor's desk: the agent row says so too (pushed, then checked
                # against the centre's own table)
                agents.ensure(session, config.agent_id, config.agent_name, role=config.role)
                ticket = duban.raise_duban(session, args.ticket, config.agent_id, config.role,
                                           args.reason, args.note)
                said = i18n.t("ticket.cli.duban", number=ticket.number,
                              reason=i18n.t("duban.reason." + args.reason))
            else:
                ticket = duban.acknowledge(session, args.ticket, config.agent_id, args.note)
                said = i18n.t("ticket.cli.ack", number=ticket.number)
            out = tickets.as_json(session, ticket)
    except (tickets.TicketError, duban.DubanError) as exc:
        raise CliError(str(exc)) from None
    print(json.dumps(out, ensure_ascii=False, indent=1) if args.json else said)
    return 0


def _asked(args: argparse.Namespace) -> dict[str, object]:
    """What the agent asked for, for the audit row."""
    if args.ticket_command == "show":
        return {"ticket": args.ticket, "json": args.json}
    return {"mine": args.mine, "open": args.open, "limit": args.limit, "json": args.json}


def _classes(args: argparse.Namespace) -> int:
    """``ticket classes``: the lists in force on this desk (the centre's over the shipped)."""
    from agentdesk.core import i18n
    from agentdesk.tickets import complaint_classes

    config = load_config(args, set_lang=True)
    with open_desk(config) as desk, desk.session() as session:
        classes = complaint_classes.for_session(session)
    items = classes.for_utility(args.utility or "")
    if args.json:
        print_json([{"code": c.code, "utility": c.utility, "zh": c.zh, "en": c.en,
                     "class": classes.label(c.first, "zh"),
                     "class_en": classes.label(c.first, "en")} for c in items], indent=1)
        return 0
    for c in items:
        print(f"{c.code:<24} {c.utility:<6} {classes.label(c.code, i18n.lang())}")
    return 0


def _departments(args: argparse.Namespace) -> int:
    """``ticket departments``: the dispatch list in force on this desk."""
    from agentdesk.core import i18n
    from agentdesk.tickets import departments

    config = load_config(args, set_lang=True)
    with open_desk(config) as desk, desk.session() as session:
        found = departments.for_session(session)
    if args.json:
        print_json([{"name": d.name, "utility": d.utility, "categories": list(d.categories),
                     "district": d.district} for d in found], indent=1)
        return 0
    for d in found:
        print(i18n.visible(f"{d.name}  {d.utility}  {d.district}  {' '.join(d.categories)}"))
    return 0


# --- issue 17: find (ticket search, ticket show --history) ---


def _hit_json(hit: object) -> dict[str, object]:
    from dataclasses import asdict

    from agentdesk.core import clock

    out = asdict(hit)  # type: ignore[call-overload]
    out["created_at"] = clock.local(out["created_at"]).isoformat() if out["created_at"] else None
    return out


def _find(args: argparse.Namespace) -> int:
    from agentdesk.core import audit, clock, i18n
    from agentdesk.tickets import search, service

    config = load_config(args, set_lang=True)
    try:
        with open_desk(config) as desk, desk.session() as session:
            if args.ticket_command == "search":
                found = search.search(session, args.query, args.limit)
                out: dict[str, object] = {
                    "query": found.query, "more": found.more,
                    "tickets": [_hit_json(h) for h in found.hits]}
                audit.record(session, config.agent_id, "ticket search", "ticket",
                             [h.number for h in found.hits],
                             detail={"query": found.query, "limit": args.limit,
                                     "json": args.json})
            else:
                matches = service.find(session, args.ticket)
                if not matches:
                    raise CliError(i18n.t("find.no_ticket", ref=args.ticket))
                ticket = matches[0]
                out = service.as_json(session, ticket)
                out["status_line"] = search.status_line(session, ticket)
                out["history"] = search.history(session, ticket)
                audit.record(session, config.agent_id, "ticket show", "ticket",
                             [ticket.number], entity_id=ticket.id,
                             detail={"ticket": args.ticket, "history": True,
                                     "json": args.json})
    except search.SearchError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(out, indent=1)
        return 0
    shown = i18n.visible
    if args.ticket_command == "search":
        for hit in found.hits:
            when = clock.local(hit.created_at).strftime("%Y-%m-%d %H:%M") if hit.created_at \
                else "-"
            text = " ".join(hit.description.split())
            print(f"{hit.number}  {when}  {i18n.t('status.' + hit.status)}  "
                  f"{shown(hit.caller or '-')}  {shown(hit.owner_code or '-')}  "
                  f"{shown(text[:60])}")
        print(found.summary())
        return 0
    print(shown(str(out["status_line"])))
    for event in out["history"]:  # type: ignore[union-attr]
        who = i18n.agent_label(str(event["agent_name"]), str(event["agent_code"])) or "-"
        change = (f"{i18n.t('status.' + event['from_status'])} → "
                  f"{i18n.t('status.' + event['to_status'])}"
                  if event["from_status"] and event["to_status"] else
                  (i18n.t("status." + event["to_status"]) if event["to_status"] else ""))
        parts = [str(event["at"])[:16].replace("T", " "), shown(who),
                 str(event["kind_label"]), change, shown(str(event["note"])),
                 shown(str(event["summary"]))]
        print("  ".join(p for p in parts if p))
    return 0


def cmd_ticket(args: argparse.Namespace) -> int:
    if args.ticket_command in ("duban", "ack"):
        return _duban(args)
    if args.ticket_command in LIFE_COMMANDS:
        return _life(args)
    if args.ticket_command == "classes":
        return _classes(args)
    if args.ticket_command == "departments":
        return _departments(args)
    if args.ticket_command == "search" or (args.ticket_command == "show" and args.history):
        return _find(args)  # issue 17: find

    from agentdesk.core import agents, audit, i18n
    from agentdesk.customers import lookup
    from agentdesk.tickets import sla
    from agentdesk.tickets import service as tickets, workflow

    config = load_config(args, set_lang=True)
    more = False
    try:
        with open_desk(config) as desk, desk.session() as session:
            if args.ticket_command == "create":
                agents.ensure(session, config.agent_id, config.agent_name)
                customer_id = None
                if args.customer:
                    customer_id = lookup.id_by_account(session, args.customer)
                    if customer_id is None:
                        raise CliError(t("msg.tickets.cli.unknown_customer_account",
                                         customer=args.customer))
                policy = sla.for_config(config, session)
                ticket = tickets.create(session, tickets.Draft(
                    category=args.category, description=args.text, customer_id=customer_id,
                    location=args.location, complained_party=args.party,
                    channel=args.channel, complaint_class=args.complaint_class),
                    config.agent_id, policy=policy)
                out = [tickets.as_json(session, ticket)]
                from agentdesk.tickets import coverage  # a deadline the calendar cannot count

                out[0]["warnings"] = coverage.warnings(coverage.ticket_gaps(policy, ticket))
            elif args.ticket_command == "show":
                found = tickets.find(session, args.ticket)
                if not found:
                    raise tickets.TicketError(t("msg.tickets.cli.no_ticket", ticket=args.ticket))
                out = [tickets.as_json(session, t) for t in found]
                from agentdesk.tickets import search  # issue 17: the sentence read aloud

                out[0]["status_line"] = search.status_line(session, found[0])
                if len(out) > 1:  # also: tickets renumbered from this number
                    out[0]["also"] = [o["number"] for o in out[1:]]
            else:  # one more than asked: "more match" is said, never cut silently
                rows = tickets.listing(session, owner=config.agent_id if args.mine else None,
                                       open_only=args.open, limit=args.limit + 1)
                more = len(rows) > args.limit
                out = [tickets.as_json(session, t) for t in rows[:args.limit]]
            if args.ticket_command != "create":  # shown: audited before it is printed
                audit.record(session, config.agent_id, f"ticket {args.ticket_command}",
                             "ticket", [str(o["number"]) for o in out],
                             entity_id=str(out[0]["id"]) if len(out) == 1 else "",
                             detail=_asked(args))
    except (tickets.TicketError, workflow.WorkflowError) as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(out if args.ticket_command == "list" else out[0], indent=1)
        return 0
    for item in out:
        print(plain_line(item) + ("  " + i18n.t("ticket.cli.renumbered", old=args.ticket)
              if args.ticket_command == "show" and args.ticket not in (item["number"],
                                                                       item.get("id"))
              else ""))
        if item.get("status_line"):
            print(i18n.visible(str(item["status_line"])))
        for warning in item.get("warnings", ()):
            print(warning, file=sys.stderr)
    if args.ticket_command == "list" and more:  # said after the list, not into --json
        print(i18n.t("ticket.cli.more", n=args.limit), file=sys.stderr)
    return 0


def _pad(text: str, width: int) -> str:
    from rich.cells import cell_len  # Chinese labels take two cells each

    return text + " " * max(0, width - cell_len(text))


def plain_line(item: dict) -> str:
    """One ticket on a line, in the chosen language: its number, status, priority and
    category by name, the owner, and each deadline with its date (issue 19: times without
    dates were read as today's)."""
    from agentdesk.core import i18n
    from agentdesk.tickets import taxonomy

    cat = taxonomy.load().categories.get(str(item["category"]))
    due = "  ".join(f"{i18n.t('sla.' + name)} {value[5:16].replace('T', ' ') if value else '-'}"
                    for name, value in item["deadlines"].items())
    return (f"{item['number']}  {_pad(i18n.t('status.' + str(item['status'])), 8)} "
            f"{_pad(i18n.t('priority.' + str(item['priority'])), 9)} "
            f"{_pad(cat.label(i18n.lang()) if cat else str(item['category']), 12)} "
            f"{i18n.visible(str(item.get('owner_label') or item['owner']))}  {due}")


# --- issue 17: a ticket's life after the first call ----------------------------------

LIFE_COMMANDS = ("chase", "reopen", "reply", "raise", "dispatch")  # issue 17 (19: dispatch)


def _add_life_parsers(t_sub: Subparsers, common: Common) -> None:
    """``ticket chase|reopen|reply|raise``: the work is agentdesk.tickets.lifecycle."""
    def tail(q: argparse.ArgumentParser) -> None:
        q.add_argument("--json", action="store_true")
        common(q, True)
        q.add_argument("--agent", metavar="CODE", default=argparse.SUPPRESS)

    q = t_sub.add_parser("chase",
                         help=t("msg.tickets.cli.the_caller_rang_again"))
    q.add_argument("ticket")
    q.add_argument("--note", default="", help=t("msg.tickets.cli.what_the_caller_said_2"))
    tail(q)
    q = t_sub.add_parser("reopen",
                         help=t("msg.tickets.cli.reopen_a_closed_ticket"))
    q.add_argument("ticket")
    q.add_argument("--reason", required=True, help=t("msg.tickets.cli.what_the_caller_said"))
    q.add_argument("--new", action="store_true",
                   help=t("msg.tickets.cli.make_a_new_ticket"))
    tail(q)
    q = t_sub.add_parser("reply",
                         help=t("msg.tickets.cli.the_department_s_reply"))
    q.add_argument("ticket")
    q.add_argument("--text", required=True, help=t("msg.tickets.cli.the_department_s_answer"))
    q.add_argument("--expect", metavar="'YYYY-MM-DD HH:MM'", default="",
                   help=t("msg.tickets.cli.expected_fix_time_the"))
    tail(q)
    q = t_sub.add_parser("raise", help=t("msg.tickets.cli.raise_a_ticket_s"))
    q.add_argument("ticket")
    q.add_argument("--to", required=True, help=t("msg.tickets.cli.urgent_or_important"))
    q.add_argument("--reason", required=True)
    tail(q)
    # issue 19: 派单 to a department on the centre's list (the desk's pick list)
    q = t_sub.add_parser("dispatch", help=t("msg.tickets.cli.dispatch"))
    q.add_argument("ticket")
    q.add_argument("--to", required=True, metavar="DEPARTMENT",
                   help=t("msg.tickets.cli.dispatch_to"))
    q.add_argument("--note", default="", help=t("msg.tickets.cli.dispatch_note"))
    tail(q)
    q = t_sub.add_parser("departments", help=t("msg.tickets.cli.departments"))
    q.add_argument("--json", action="store_true")
    common(q, True)


def _life(args: argparse.Namespace) -> int:
    from agentdesk.core import agents, clock, i18n
    from agentdesk.tickets import lifecycle, service as tickets, sla

    def when(value: object) -> str:
        return clock.local(value).strftime(lifecycle.EXPECT_FORMAT) if value else \
            i18n.t("life.cli.no_time")

    config = load_config(args, set_lang=True)
    try:
        with open_desk(config) as desk, desk.session() as session:
            agents.ensure(session, config.agent_id, config.agent_name)
            policy = sla.for_config(config, session)
            command, ref, me = args.ticket_command, args.ticket, config.agent_id
            said = []
            if command == "chase":
                before = tickets.get(session, ref).priority
                ticket = lifecycle.chase(session, ref, me, args.note, policy=policy)
                said.append(i18n.t("life.cli.chase", number=ticket.number,
                                   n=ticket.chase_count))
                if ticket.priority != before:
                    said.append(i18n.t("life.cli.raised", number=ticket.number,
                                       priority=i18n.t("priority." + ticket.priority)))
            elif command == "reopen" and args.new:
                old = tickets.get(session, ref)
                ticket = lifecycle.follow_up(session, ref, me, args.reason, policy=policy)
                said.append(i18n.t("life.cli.follow", number=ticket.number, old=old.number))
            elif command == "reopen":
                ticket = lifecycle.reopen(session, ref, me, args.reason,
                                          days=config.reopen_days, policy=policy)
                said.append(i18n.t("life.cli.reopen", number=ticket.number,
                                   n=ticket.reopen_count, due=when(ticket.due_resolution)))
            elif command == "dispatch":  # issue 19: checked against the list in force
                from agentdesk.tickets import departments

                ticket = departments.dispatch(session, ref, me, args.to, args.note)
                said.append(i18n.t("dept.cli.dispatched", number=ticket.number,
                                   department=ticket.department))
            elif command == "reply":
                expected = lifecycle.parse_expected(args.expect) if args.expect else None
                ticket = lifecycle.reply(session, ref, me, args.text, expected)
                said.append(i18n.t("life.cli.reply", number=ticket.number,
                                   due=when(ticket.reply_due)))
            else:
                ticket = lifecycle.raise_priority(session, ref, me, args.to, args.reason,
                                                  policy=policy)
                said.append(i18n.t("life.cli.raised", number=ticket.number,
                                   priority=i18n.t("priority." + ticket.priority)))
            out = tickets.as_json(session, ticket)
            out.update(chase_count=ticket.chase_count, reopen_count=ticket.reopen_count,
                       reply=ticket.reply, reply_due=clock.local(ticket.reply_due).isoformat()
                       if ticket.reply_due else None, follows_id=ticket.follows_id)
    except tickets.TicketError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(out, indent=1)
    else:
        print("\n".join(said))
    return 0
