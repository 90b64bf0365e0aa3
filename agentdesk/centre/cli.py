"""``agentdesk notice publish|list|update|withdraw`` and ``agentdesk incident
open|list|link|close``, registered by :mod:`agentdesk.cli`. Standard library only at
load time."""

from __future__ import annotations

import argparse
from datetime import datetime

from agentdesk.core.i18n import t
from agentdesk.cli_support import (CliError, Common, Handler, Subparsers, load_config, open_desk,
                                   print_json)


def add_parsers(sub: Subparsers, common: Common) -> dict[str, Handler]:
    p = sub.add_parser("notice",
                       help=t("msg.centre.cli.outage_notices_publish_list"))
    n_sub = p.add_subparsers(dest="notice_command", metavar="NOTICE_COMMAND", required=True)
    q = n_sub.add_parser("publish",
                         help=t("msg.centre.cli.publish_a_notice_over"))
    q.add_argument("--utility", required=True, help=t("msg.centre.cli.water_or_power"))
    q.add_argument("--kind", required=True, help=t("msg.centre.cli.planned_fault_or_arrears"))
    q.add_argument("--area", required=True, action="append", metavar="AREA",
                   help=t("msg.centre.cli.district_street_community_building_2"))
    q.add_argument("--from", dest="starts", required=True, metavar="TIME",
                   help=t("msg.centre.cli.start_e_g_the"))
    q.add_argument("--to", dest="ends", required=True, metavar="TIME",
                   help=t("msg.centre.cli.planned_end"))
    q.add_argument("--cause", required=True, help=t("msg.centre.cli.why_as_callers_are"))
    q.add_argument("--restore-by", metavar="TIME", help=t("msg.centre.cli.expected_restoration"))
    q.add_argument("--title", default="", help=t("msg.centre.cli.default_made_from_the"))
    q.add_argument("--force", action="store_true",
                   help=t("msg.centre.cli.publish_even_when_the"))
    q.add_argument("--json", action="store_true")
    common(q, True)
    q.add_argument("--agent", metavar="CODE", default=argparse.SUPPRESS)
    q = n_sub.add_parser("list", help=t("msg.centre.cli.notices_newest_first"))
    q.add_argument("--active", action="store_true", help=t("msg.centre.cli.only_those_in_force"))
    q.add_argument("--history", action="store_true", help=t("msg.centre.cli.with_each_notice_s"))
    q.add_argument("--json", action="store_true")
    common(q, True)
    q = n_sub.add_parser("update",
                         help=t("msg.centre.cli.revise_a_notice_restoration"))
    q.add_argument("id", help=t("msg.centre.cli.the_notice_s_id"))
    q.add_argument("--restore-by", metavar="TIME")
    q.add_argument("--to", dest="ends", metavar="TIME", help=t("msg.centre.cli.a_new_end"))
    q.add_argument("--cause")
    q.add_argument("--area", action="append", metavar="AREA",
                   help=t("msg.centre.cli.the_areas_all_of"))
    q.add_argument("--note")
    q.add_argument("--json", action="store_true")
    common(q, True)
    q.add_argument("--agent", metavar="CODE", default=argparse.SUPPRESS)
    q = n_sub.add_parser("withdraw",
                         help=t("msg.centre.cli.withdraw_a_notice_gone"))
    q.add_argument("id")
    q.add_argument("--reason", required=True)
    q.add_argument("--json", action="store_true")
    common(q, True)
    q.add_argument("--agent", metavar="CODE", default=argparse.SUPPRESS)
    p = sub.add_parser("incident",
                       help=t("msg.centre.cli.incidents_open_list_link"))
    i_sub = p.add_subparsers(dest="incident_command", metavar="INCIDENT_COMMAND",
                             required=True)
    q = i_sub.add_parser("open", help=t("msg.centre.cli.open_an_incident_a"))
    q.add_argument("--title", required=True)
    q.add_argument("--category", required=True, help=t("msg.centre.cli.category_code_e_g"))
    q.add_argument("--area", action="append", metavar="AREA",
                   help=t("msg.centre.cli.district_street_community_building"))
    q.add_argument("--address", default="", help=t("msg.centre.cli.where_it_happened"))
    q.add_argument("--from-ticket", metavar="NUMBER", help=t("msg.centre.cli.open_it_from_this"))
    q.add_argument("--json", action="store_true")
    common(q, True)
    q.add_argument("--agent", metavar="CODE", default=argparse.SUPPRESS)
    q = i_sub.add_parser("list", help=t("msg.centre.cli.incidents_newest_first"))
    q.add_argument("--open", action="store_true", help=t("msg.centre.cli.only_open_ones"))
    q.add_argument("--json", action="store_true")
    common(q, True)
    q = i_sub.add_parser("link", help=t("msg.centre.cli.link_a_ticket_to"))
    q.add_argument("id", help=t("msg.centre.cli.the_incident_s_id"))
    q.add_argument("--ticket", required=True, metavar="NUMBER")
    common(q, True)
    q.add_argument("--agent", metavar="CODE", default=argparse.SUPPRESS)
    q = i_sub.add_parser("close", help=t("msg.centre.cli.close_an_incident_with"))
    q.add_argument("id")
    q.add_argument("--cause", required=True)
    q.add_argument("--call-back", action="store_true",
                   help=t("msg.centre.cli.tell_each_linked_ticket"))
    q.add_argument("--json", action="store_true")
    common(q, True)
    q.add_argument("--agent", metavar="CODE", default=argparse.SUPPRESS)
    return {"notice": cmd_notice, "incident": cmd_incident}


def cmd_incident(args: argparse.Namespace) -> int:
    from agentdesk.centre import incidents
    from agentdesk.core import areas, clock
    from agentdesk.core.i18n import t, visible

    config = load_config(args, set_lang=True)
    now = clock.now()
    who = (config.agent_id, config.agent_name, config.role)
    command = args.incident_command
    out: object = None
    try:
        with open_desk(config) as desk, desk.session() as session:
            if command == "open":
                incident = incidents.open_incident(
                    session, who, now, title=args.title, category=args.category,
                    where=_areas(args.area) or (), address=args.address,
                    from_ticket=args.from_ticket)
                out = incidents.as_json(session, incident)
                line = t("incident.cli.opened", title=visible(incident.title),
                         id=incident.id)
            elif command == "link":
                incidents.link_ticket(session, args.id, args.ticket, config.agent_id)
                line = t("incident.cli.linked", ticket=visible(args.ticket))
            elif command == "close":
                callers = incidents.close(session, args.id, who, now, args.cause,
                                          call_back=args.call_back)
                out = {"callers": [c.__dict__ for c in callers]}
                from agentdesk.core import audit  # the callers are customer data

                audit.record(session, config.agent_id, "incident close", "customer",
                             [c.customer_id or c.number for c in callers])
                line = t("incident.cli.closed", n=len(callers))
                if args.call_back:
                    line += " " + t("incident.cli.call_backs",
                                    n=sum(1 for c in callers if c.ticket_id),
                                    calls=sum(1 for c in callers if not c.ticket_id))
            else:
                out = [incidents.as_json(session, i)
                       for i in incidents.listing(session, open_only=args.open)]
                line = None
            session.commit()
    except (incidents.IncidentError, areas.AreaError) as exc:
        raise CliError(str(exc)) from None
    if _said(args, out, line, "incident.cli.none"):
        return 0
    for item in out:  # type: ignore[union-attr]
        print(visible("  ".join([
            item["id"][:13], t("incident.status." + item["status"]),
            _short(item["started_at"] or ""), item["title"], "、".join(item["areas"]),
            item["address"], t("incident.cli.callers", n=item["callers"]),
            item["cause"]])).rstrip())
    return 0


def _time(text: str | None, flag: str) -> datetime | None:
    from agentdesk.centre import notices

    try:
        return notices.parse_time(text, flag)
    except notices.NoticeError as exc:
        raise CliError(str(exc)) from None


def _said(args: argparse.Namespace, out: object, line: str | None, none_key: str) -> bool:
    """The JSON, the one line a change prints, or "none" for an empty list: True when
    that was all (a list goes on to print its rows)."""
    from agentdesk.core.i18n import t

    if getattr(args, "json", False) and out is not None:
        print_json(out, indent=1)
        return True
    if line is not None:
        print(line)
        return True
    if not out:
        print(t(none_key))
        return True
    return False


def _short(iso: str) -> str:
    """2026-12-05T06:00+08:00 -> 12-05 06:00 (the centre's time zone, as listed)."""
    return iso[5:16].replace("T", " ")


def _areas(texts: list[str] | None) -> tuple | None:
    from agentdesk.core import areas

    if texts is None:
        return None
    try:
        return tuple(areas.parse(a) for a in texts)
    except areas.AreaError as exc:
        raise CliError(str(exc)) from None


def cmd_notice(args: argparse.Namespace) -> int:
    import json

    from agentdesk.centre import notices, outreach
    from agentdesk.core import areas, clock
    from agentdesk.core.i18n import t, visible

    config = load_config(args, set_lang=True)
    now = clock.now()
    who = (config.agent_id, config.agent_name, config.role)
    rules = outreach.Rules.from_config(config)
    command = args.notice_command
    try:
        with open_desk(config) as desk, desk.session() as session:
            if command == "publish":
                draft = notices.Draft(
                    utility=args.utility, kind=args.kind, areas=_areas(args.area) or (),
                    starts_at=_time(args.starts, "--from"), ends_at=_time(args.ends, "--to"),
                    cause=args.cause, restore_by=_time(args.restore_by, "--restore-by"),
                    title=args.title)
                done = notices.publish(session, draft, *who, now, force=args.force,
                                       rules=rules)
                out = notices.as_json(done.notice) | {"customers": done.customers,
                                                      "per_area": done.per_area,
                                                      "outreach": done.outreach}
                line = t("notice.cli.published", title=visible(done.notice.title),
                         id=done.notice.id, customers=done.customers) + "\n" + t(
                             "notice.cli.outreach", n=done.outreach)
            elif command == "update":
                notice = notices.update(
                    session, args.id, *who, now, restore_by=_time(args.restore_by,
                                                                  "--restore-by"),
                    ends_at=_time(args.ends, "--to"), note=args.note, cause=args.cause,
                    where=_areas(args.area), rules=rules)
                out = notices.as_json(notice)
                line = t("notice.cli.updated", title=visible(notice.title),
                         revision=notice.revision)
            elif command == "withdraw":
                notice = notices.withdraw(session, args.id, *who, now, args.reason)
                out = notices.as_json(notice)
                line = t("notice.cli.withdrawn", title=visible(notice.title))
            else:
                found = notices.listing(session, now, active_only=args.active)
                out = [notices.as_json(n) | ({"history": [
                    {"at": clock.local(e.at).isoformat(timespec="minutes"), "kind": e.kind,
                     "revision": e.revision, "agent": e.agent_id, "data": json.loads(e.data)}
                    for e in notices.history(session, n.id)]} if args.history else {})
                    for n in found]
                line = None
            session.commit()
    except (notices.NoticeError, areas.AreaError) as exc:
        raise CliError(str(exc)) from None
    if _said(args, out, line, "notice.cli.none"):
        return 0
    for item in out:
        print(visible("  ".join([
            item["id"][:13], t("card.notice." + item["kind"]), t("utility." + item["utility"]),
            t("notice.status." + item["status"]), f"{_short(item['from'])}–{_short(item['to'])}",
            item["title"], "、".join(item["areas"]),
            t("card.notice.restore_by", when=_short(item["restore_by"]))
            if item["restore_by"] else ""])).rstrip())
        for event in item.get("history", []):
            print(visible(f"    r{event['revision']} {_short(event['at'])} "
                          f"{t('notice.event.' + event['kind'])} "
                          f"{json.dumps(event['data'], ensure_ascii=False)}"))
    return 0
