"""Who is on the desk, and the screen lock (issue 19).

:class:`SignInScreen` asks for the 工号 (the agents table's rule, core/agents.find); an
unknown one is refused with the catalog's message and the text kept. :class:`LockScreen`
is pushed over whatever is on screen after the idle minutes (or on demand): it hides the
customer data and takes the agent's PIN (or, on a desk whose agent has no PIN, the 工号
again); the screens and forms underneath keep every character typed. Both are opaque
full screens, never a modal that lets the card show through. :class:`StatusDialog` picks
a status (1 示闲, 2 小休, 3 话后处理) or locks (L). The checking is the caller's
(:mod:`agentdesk.apps.presence`): these screens only draw and hand the text over.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static

from agentdesk.core.i18n import t
from agentdesk.widgets.inputs import DataInput

GATE_CSS = """
{name} {{ align: center middle; background: $background; }}
{name} > Vertical {{ width: 56; height: auto; border: round $primary; padding: 1 2;
                    background: $surface; }}
{name} #error {{ height: auto; }}
"""


class Gate(Screen[None]):
    """An opaque screen with one box: Enter hands its text to ``act``, which answers with
    :meth:`refuse` (the message shown, the text kept) or :meth:`done`."""

    title_key = ""
    box_key = ""
    secret = False

    def __init__(self, act: Callable[[str, Gate], None], value: str = "",
                 note: str = "") -> None:
        super().__init__()
        self.act, self.value, self.note = act, value, note
        self.refused = ""  # the last message shown (tests read it)

    def compose(self) -> ComposeResult:
        with Center(), Vertical():
            yield Static(Text(t(self.title_key), style="bold"), id="title")
            if self.note:
                yield Static(Text(self.note), id="note")
            yield DataInput(value=self.value, placeholder=t(self.box_key),
                            password=self.secret, id="box")
            yield Static("", id="error")
            yield Static(Text(t("signin.hint"), style="dim"), id="hint")

    def on_mount(self) -> None:
        self.query_one("#box", Input).focus()

    @on(Input.Submitted, "#box")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#error", Static).update("")
        self.act(event.value, self)

    def refuse(self, message: str) -> None:
        if not self.is_attached:
            return
        self.refused = message
        self.query_one("#error", Static).update(Text(message, style="bold red"))
        box = self.query_one("#box", Input)
        if self.secret:
            box.value = ""  # a wrong PIN is not kept on screen
        box.focus()

    def done(self) -> None:
        if self.is_attached:
            self.dismiss(None)


class SignInScreen(Gate):
    DEFAULT_CSS = GATE_CSS.format(name="SignInScreen")
    title_key = "signin.title"
    box_key = "signin.code"


class LockScreen(Gate):
    """Locked: the PIN (``secret``), or the 工号 on a desk whose agent has none."""

    DEFAULT_CSS = GATE_CSS.format(name="LockScreen")
    title_key = "lock.title"

    def __init__(self, act: Callable[[str, Gate], None], agent: str, pin: bool) -> None:
        self.secret = pin
        self.box_key = "lock.pin" if pin else "lock.code"
        super().__init__(act, note=t("lock.who", agent=agent))

    def use_pin(self, pin: bool) -> None:
        """The agent has no PIN (found after the lock went up): ask for the 工号."""
        self.secret = pin
        self.box_key = "lock.pin" if pin else "lock.code"
        self._show_box()

    def on_mount(self) -> None:
        super().on_mount()
        # use_pin may come between compose and mount: the box says what is asked then too
        self.call_after_refresh(self._show_box)

    def _show_box(self) -> None:
        for box in self.query("#box").results(Input):
            box.password, box.placeholder = self.secret, t(self.box_key)


class StatusDialog(ModalScreen[str | None]):
    """1 ready, 2 break, 3 after-call work, L lock; Esc: no change."""

    DEFAULT_CSS = """
    StatusDialog { align: center middle; }
    StatusDialog > Vertical { width: 40; height: auto; border: round $primary;
                              padding: 0 1; background: $surface; }
    """
    BINDINGS = [Binding("escape", "cancel", "ticket.dup.cancel")]
    KEYS = {"1": "ready", "2": "break", "3": "acw", "l": "lock"}

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(t("status.title"), style="bold"))
            for key, choice in self.KEYS.items():
                label = t("status.agent." + choice) if choice != "lock" else t("lock.key")
                mark = " ◀" if choice == self.current else ""
                yield Static(Text(f"{key.upper()}  {label}{mark}"))

    def on_key(self, event: events.Key) -> None:
        choice = self.KEYS.get((event.character or "").lower())
        if choice:
            event.stop()
            self.dismiss(choice)

    def action_cancel(self) -> None:
        self.dismiss(None)
