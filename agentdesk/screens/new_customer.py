"""Ctrl+K on the unknown-caller card (issue 19): the caller's details kept on the call
(Ctrl+D) made a customer record, when the centre allows it
(:mod:`agentdesk.customers.from_call`). The dialog shows what will be filed and asks the
utility (1 water, 2 power); a refusal is said in it. The new customer's card replaces the
unknown-caller card at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from agentdesk.core.controls import shown_text
from agentdesk.core.i18n import t
from agentdesk.screens.dialogs import FormDialog
from agentdesk.screens.i18n_bindings import localize

if TYPE_CHECKING:
    from textual.screen import Screen as LookupScreen  # no cycle

UTILITIES = ("water", "power")


class MakeCustomer(FormDialog):
    DEFAULT_CSS = """
    MakeCustomer { align: center middle; }
    MakeCustomer > Vertical { width: 64; height: auto; border: thick $accent;
                              background: $surface; padding: 1 2; }
    MakeCustomer OptionList { height: auto; }
    MakeCustomer #error { height: auto; }
    """
    BINDINGS = [*(Binding(str(n), f"pick({n - 1})", show=False)
                  for n in range(1, len(UTILITIES) + 1))]

    def __init__(self, details: tuple[str, str, str],
                 act: Callable[[str, FormDialog], None]) -> None:
        super().__init__(act)
        localize(self)
        self.details = details

    def compose(self) -> ComposeResult:
        name, address, number = self.details
        body = Text()
        body.append(t("newcust.title") + "\n", style="bold")
        for label, value in ((t("wrapup.field.name"), name),
                             (t("wrapup.field.address"), address),
                             (t("caller.callback"), number)):
            body.append(f"{label}: ", style="dim")
            body.append(value or "—")
            body.append("\n")
        body.append(t("newcust.utility"), style="bold")
        with Vertical():
            yield Static(shown_text(body), markup=False)
            yield OptionList(*(Option(Text(f"{n}  {t('dept.utility.' + u)}"), id=u)
                               for n, u in enumerate(UTILITIES, 1)))
            yield Static("", id="error", markup=False)

    def action_pick(self, index: int) -> None:
        self.submit(UTILITIES[index])

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.submit(str(event.option.id))


def make_customer(screen: LookupScreen) -> None:
    """Ctrl+K: check in a worker (the centre allows it; the call's details are kept),
    then ask the utility and create."""
    from textual.widgets import Static as Line

    app = screen.app
    contact_id = app.call.contact_id
    status = screen.query_one("#status", Line)
    if not screen.unknown_call or screen.unknown_call != app.call.serial or not contact_id:
        status.update(Text(t("newcust.not_unknown")))
        return
    store = app.store
    if store is None or store.readonly:
        status.update(Text(t("app.readonly")))
        return

    def check() -> None:
        from agentdesk.core.models import Contact
        from agentdesk.customers import from_call

        with store.session() as session:
            contact = session.get(Contact, contact_id)
            ok = from_call.allowed(session)
            details = (contact.caller_name, contact.caller_address,
                       contact.callback_number) if contact is not None else ("", "", "")
        if not ok:
            app.call_from_thread(_say, screen, t("newcust.err.not_allowed"))
        elif not details[0].strip() or not details[1].strip():
            app.call_from_thread(_say, screen, t("newcust.err.details"))
        else:
            app.call_from_thread(app.push_screen, MakeCustomer(details, lambda utility, dialog:
                                                               _create(screen, contact_id,
                                                                       utility, dialog)))

    app.run_worker(check, thread=True, group="new-customer")


def _say(screen: Any, message: str) -> None:
    from textual.widgets import Static as Line

    screen.query_one("#status", Line).update(Text(message, style="bold red"))
    screen.notify(message, severity="warning", markup=False)


def _create(screen: Any, contact_id: str, utility: str, dialog: FormDialog) -> None:
    app = screen.app

    def work() -> None:
        from agentdesk.customers import from_call

        try:
            with app.store.session() as session:
                customer = from_call.create_from_call(session, contact_id, utility)
                made = (customer.id, customer.account_no)
                session.commit()
        except from_call.CreateError as exc:
            app.call_from_thread(dialog.refuse, str(exc))
            return
        app.call_from_thread(_created, screen, dialog, *made)

    app.run_worker(work, thread=True, group="new-customer")


def _created(screen: Any, dialog: FormDialog, customer_id: str, account: str) -> None:
    from textual.widgets import Static as Line

    dialog.done()
    message = t("newcust.done", account=account)
    screen.query_one("#status", Line).update(Text(message))
    screen.notify(message, markup=False)
    screen.show_customer(customer_id)  # the new customer's card, at once
    screen.app.data_version += 1
