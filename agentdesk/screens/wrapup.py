"""The call's wrap-up (小结) in two keys: F8, then the code's digit. A code that needs more
(a transfer: where to, the receiving reference and why; "other": a note) moves to its
boxes instead and Enter saves. Digits are read only while the code list has focus, so
typing in a box is never taken for a code (issue 19, item 3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from agentdesk.core.i18n import t
from agentdesk.screens.dialogs import FormDialog
from agentdesk.widgets.inputs import DataInput

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

NEEDS_TEXT = ("transferred", "other")


class WrapUpDialog(FormDialog):
    DEFAULT_CSS = """
    WrapUpDialog { align: center middle; }
    WrapUpDialog > Vertical { width: 64; height: auto; border: round $primary;
                              padding: 0 1; background: $surface; }
    WrapUpDialog #codes { height: auto; max-height: 10; }
    WrapUpDialog #error { height: auto; }
    """

    def __init__(self, act: Callable[[Any, FormDialog], None], caller: str) -> None:
        super().__init__(act)
        self.caller = caller
        self.code = ""

    def compose(self) -> ComposeResult:
        from agentdesk.customers import wrapup

        with Vertical():
            yield Static(Text(t("wrapup.title", caller=self.caller)), id="title")
            yield OptionList(*(Option(Text(f"{i} {wrapup.label(code)}"), id=code)
                               for i, code in enumerate(wrapup.CODES, 1)), id="codes")
            yield DataInput(placeholder=t("wrapup.field.note"), id="note")
            yield DataInput(placeholder=t("wrapup.to.placeholder"), id="to")
            yield DataInput(placeholder=t("wrapup.field.ref"), id="ref")
            yield Static("", id="error")
            yield Static(Text(t("wrapup.hint"), style="dim"), id="hint")

    def on_mount(self) -> None:
        self.query_one("#codes", OptionList).focus()

    def on_key(self, event: events.Key) -> None:
        from agentdesk.customers import wrapup

        codes = self.query_one("#codes", OptionList)
        if self.focused is codes and event.character and event.character.isdigit():
            n = int(event.character)
            if 1 <= n <= len(wrapup.CODES):
                event.stop()
                codes.highlighted = n - 1
                self._choose(wrapup.CODES[n - 1])

    @on(OptionList.OptionSelected, "#codes")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(str(event.option.id))

    def _choose(self, code: str) -> None:
        self.code = code
        if code in NEEDS_TEXT:  # more to say: the boxes, then Enter
            self.query_one("#to" if code == "transferred" else "#note", Input).focus()
            return
        self._send()

    @on(Input.Submitted)
    def _submitted(self, _event: Input.Submitted) -> None:
        if self.code:
            self._send()

    def _send(self) -> None:
        from agentdesk.customers import wrapup

        self.submit(wrapup.Outcome(self.code, self.query_one("#note", Input).value,
                                   self.query_one("#to", Input).value,
                                   self.query_one("#ref", Input).value))


def open_for(app: Any) -> None:
    """F8 on the desk: wrap up the call on the line (the last one, after it ended)."""
    from agentdesk.customers.phones import display

    call = app.call
    if not call.contact_id or app.store is None or app.store.readonly:
        app.notify(t("wrapup.no_call"), timeout=4)
        return
    caller = call.caller.name if call.caller is not None else (
        display(call.number) if call.number else t("wrapup.withheld"))
    contact_id = call.contact_id

    def act(outcome: Any, dialog: FormDialog) -> None:
        app.run_worker(lambda: _save(app, contact_id, outcome, dialog), thread=True,
                       group="wrap-up")

    app.push_screen(WrapUpDialog(act, caller))


def _save(app: Any, contact_id: str, outcome: Any, dialog: FormDialog) -> None:
    """In a worker: the service checks and records; the dialog says why it refused."""
    from agentdesk.core.controls import shown
    from agentdesk.customers import wrapup

    try:
        with app.store.session() as session:
            wrapup.wrap_up(session, contact_id, outcome)
            session.commit()
    except wrapup.WrapUpError as exc:
        app.call_from_thread(dialog.refuse, shown(exc))
        return
    app.call_from_thread(dialog.done)
    app.call_from_thread(app.notify, t("wrapup.saved", code=wrapup.label(outcome.code)),
                         timeout=4, markup=False)
    presence = getattr(app, "presence", None)  # issue 19: after-call work ends here
    if presence is not None:
        app.call_from_thread(presence.wrapped_up)
    app.call_from_thread(setattr, app, "data_version", app.data_version + 1)


class CallerDetails(FormDialog):
    """What an unknown caller tells the agent: name, address, a call-back number."""

    DEFAULT_CSS = """
    CallerDetails { align: center middle; }
    CallerDetails > Vertical { width: 64; height: auto; border: round $primary;
                               padding: 0 1; background: $surface; }
    CallerDetails #error { height: auto; }
    """

    def __init__(self, act: Callable[[Any, FormDialog], None], number: str) -> None:
        super().__init__(act)
        self.number = number

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(t("caller.title", number=self.number), style="bold"))
            yield DataInput(placeholder=t("wrapup.field.name"), id="name")
            yield DataInput(placeholder=t("wrapup.field.address"), id="address")
            yield DataInput(value=self.number, placeholder=t("caller.callback"), id="callback")
            yield Static("", id="error")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, _event: Input.Submitted) -> None:
        self.submit(tuple(self.query_one(f"#{k}", Input).value
                          for k in ("name", "address", "callback")))


def open_caller_details(app: Any, number: str) -> None:
    """Ctrl+D on the unknown-caller card: keep what the caller told us on the call."""
    from agentdesk.core.controls import shown
    from agentdesk.customers import wrapup
    from agentdesk.customers.phones import display

    contact_id = app.call.contact_id
    if not contact_id or app.store is None or app.store.readonly:
        app.notify(t("wrapup.no_call"), timeout=4)
        return

    def save(values: Any, dialog: FormDialog) -> None:
        try:
            with app.store.session() as session:
                wrapup.caller_details(session, contact_id, *values)
                session.commit()
        except wrapup.WrapUpError as exc:
            app.call_from_thread(dialog.refuse, shown(exc))
            return
        app.call_from_thread(dialog.done)
        app.call_from_thread(app.notify, t("caller.saved"), timeout=4, markup=False)

    app.push_screen(CallerDetails(
        lambda values, dialog: app.run_worker(lambda: save(values, dialog), thread=True,
                                              group="caller-details"),
        display(number) if number else ""))
