"""The ticket detail's keys for a ticket's life after the first call (issue 17): reopen
on the caller's word (g), the department's reply and expected time (e), raise the priority
one step (i). The work is :mod:`agentdesk.tickets.lifecycle`, run in the detail screen's
worker; the dialogs are the detail's own :class:`Ask` (refusals shown where typed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from sqlmodel import Session

    from agentdesk.screens.dialogs import FormDialog
    from agentdesk.screens.ticket_detail import TicketDetail


def offered(step: str, ticket: dict[str, Any]) -> bool:
    from agentdesk.tickets import clocks, lifecycle

    if step == "reopen":
        return ticket["status"] in lifecycle.REOPENABLE
    if step == "raise":
        return ticket["status"] in clocks.UNRESOLVED and ticket["priority"] != "urgent"
    return ticket["status"] in clocks.UNRESOLVED  # reply


def _one_up(priority: str) -> str:
    from agentdesk.tickets.sla_policy import raise_priority

    return raise_priority(priority)


def ask(screen: TicketDetail, step: str, ticket: dict[str, Any]) -> None:
    from agentdesk.screens.ticket_detail import Ask

    number, app = ticket["number"], screen.app
    if step == "reopen":
        app.push_screen(Ask(t("detail.ask.reopen", number=number), t("detail.ask.reason"),
                            lambda value, dialog: screen._run(step, value, dialog=dialog)))
    elif step == "raise":
        to = _one_up(ticket["priority"])
        app.push_screen(Ask(t("detail.ask.raise", number=number, to=t("priority." + to)),
                            t("detail.ask.reason"),
                            lambda value, dialog: screen._run(step, value, to,
                                                              dialog=dialog)))
    else:
        def text_given(text: str, dialog: FormDialog) -> None:
            if not text:
                dialog.refuse(t("life.err.reply_empty"))
                return
            dialog.done()
            app.push_screen(Ask(t("detail.ask.expect"), t("detail.ask.optional"),
                                lambda when, second: screen._run(step, text, when,
                                                                 dialog=second)))

        app.push_screen(Ask(t("detail.ask.reply", number=number),
                            t("detail.ask.reply.hint"), text_given))


def run(app: Any, session: Session, step: str, ref: str, value: str, extra: str) -> None:
    """In the detail's worker: the service call for ``step`` (TicketError on refusal)."""
    from agentdesk.tickets import lifecycle

    me = app.agent_code
    if step == "reopen":
        config = getattr(getattr(app, "options", None), "config", None)
        lifecycle.reopen(session, ref, me, value, days=getattr(config, "reopen_days", None))
    elif step == "raise":
        lifecycle.raise_priority(session, ref, me, extra, value)
    elif step == "reply":
        expected = lifecycle.parse_expected(extra) if extra.strip() else None
        lifecycle.reply(session, ref, me, value, expected)
