"""The ticket detail's keys for a ticket's life after the first call (issue 17): reopen
on the caller's word (g), the department's reply and expected time (e), raise the priority
one step (i); and the caller's card's 催办 key (Ctrl+G on the lookup screen). The work is
:mod:`agentdesk.tickets.lifecycle`, in thread workers; the dialogs are the detail's own
:class:`Ask` (a refusal is shown where it was typed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from sqlmodel import Session

    from textual.screen import Screen as LookupScreen, Screen as TicketDetail  # no cycle

    from agentdesk.screens.dialogs import FormDialog


def offered(step: str, ticket: dict[str, Any]) -> bool:
    from agentdesk.tickets import clocks, lifecycle

    if step == "reopen":
        return ticket["status"] in lifecycle.REOPENABLE
    if step == "raise":
        return ticket["status"] in clocks.UNRESOLVED and ticket["priority"] != "urgent"
    return ticket["status"] in clocks.UNRESOLVED  # reply


def history_extra(kind: str, data: dict[str, Any]) -> str:
    """What a ``reply`` or ``priority`` event adds to its history line."""
    from agentdesk.core import clock
    from agentdesk.tickets.lifecycle import EXPECT_FORMAT

    if kind == "priority" and data.get("priority"):
        return " → " + t("priority." + str(data["priority"]))
    due = data.get("reply_due")
    if kind == "reply" and due is not None:
        return " " + t("life.detail.expected", when=clock.local(due).strftime(EXPECT_FORMAT))
    return ""


def _one_up(priority: str) -> str:
    from agentdesk.tickets.sla_policy import raise_priority

    return raise_priority(priority)


def ask(screen: TicketDetail, step: str, ticket: dict[str, Any]) -> None:
    from agentdesk.screens.dialogs import Ask

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
            app.push_screen(Ask(t("detail.ask.expect"), t("detail.ask.expect.hint"),
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


def chase_from_card(screen: LookupScreen) -> None:
    """Ctrl+G on a caller's card: a chase-up on their newest open ticket, with their
    words (optional) and the call on record."""
    from textual.widgets import Static

    from agentdesk.screens.dialogs import Ask

    card, app = screen.card, screen.app
    if card is None or not card.open_tickets:
        screen.query_one("#status", Static).update(t("lookup.chase.none"))
        return
    customer_id, contact_id = card.customer_id, screen.desk.call.contact_id
    app.push_screen(Ask(t("lookup.chase.ask"), t("detail.ask.optional"),
                        lambda words, dialog: _chase(screen, customer_id, contact_id, words,
                                                     dialog)))


def _chase(screen: LookupScreen, customer_id: str, contact_id: str | None, words: str,
           dialog: FormDialog) -> None:
    app = screen.app

    def work() -> None:
        from agentdesk.tickets import lifecycle, service

        store = screen.store
        try:
            if store is None or store.readonly:
                raise service.TicketError(t("app.readonly"))
            with store.session() as session:
                number = lifecycle.newest_open(session, customer_id)
                if number is None:
                    raise service.TicketError(t("lookup.chase.none"))
                ticket = lifecycle.chase(session, number, app.agent_code, words,
                                         contact_id=contact_id)
                said = t("life.cli.chase", number=ticket.number, n=ticket.chase_count)
        except service.TicketError as exc:
            app.call_from_thread(dialog.refuse, str(exc))
            return
        app.call_from_thread(_chased, screen, dialog, said)

    app.run_worker(work, thread=True, group="chase")


def _chased(screen: LookupScreen, dialog: FormDialog, said: str) -> None:
    from rich.text import Text
    from textual.widgets import Static

    dialog.done()
    screen.query_one("#status", Static).update(Text(said))
    screen.app.data_version += 1  # the queue and the card show the new count
