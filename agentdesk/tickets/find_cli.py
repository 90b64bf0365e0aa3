"""``agentdesk ticket search QUERY`` and ``agentdesk ticket show ID --history`` (issue 17:
find), called by :mod:`agentdesk.tickets.cli`. Every line from the catalog, ticket text
printed as data (control characters visible)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentdesk.cli_support import CliError, load_config, open_desk, print_json

if TYPE_CHECKING:
    import argparse


def _hit_json(hit: object) -> dict[str, object]:
    from dataclasses import asdict

    from agentdesk.core import clock

    out = asdict(hit)  # type: ignore[call-overload]
    out["created_at"] = clock.local(out["created_at"]).isoformat() if out["created_at"] else None
    return out


def run(args: argparse.Namespace) -> int:
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
