"""The complaint class picker of the ticket form (issue 17): type-ahead like the category
box (pinyin initials fwtd, Chinese 态度, or a code), the caller's utility's items only;
up and down move in the list, Enter picks the highlighted item. Shown for complaints
only. The lists come from :mod:`agentdesk.tickets.complaint_classes` (read by the screen
in a worker and handed over with :meth:`ClassPicker.use`); names are data (rich Text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from agentdesk.core.controls import shown_text
from agentdesk.core.i18n import t
from agentdesk.widgets.inputs import DataInput

if TYPE_CHECKING:
    from agentdesk.core.store import Store
    from agentdesk.tickets.complaint_classes import Classes


def read_classes(store: Store) -> Classes:
    """The lists in force on the desk (the centre's over the shipped), their pinyin worked
    out: run it in a worker thread."""
    from agentdesk.tickets import complaint_classes

    with store.session() as session:
        classes = complaint_classes.for_session(session)
    complaint_classes.search(classes, "")
    return classes


class ClassPicker(Vertical):
    DEFAULT_CSS = """
    ClassPicker { height: auto; }
    ClassPicker #classes { height: 6; }
    """

    class Picked(Message):
        """An item was picked (the form moves on to the description)."""

        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code

    def __init__(self, lang: str = "zh", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.lang = lang
        self.code = ""  # the item picked ("": none yet)
        self.utility = ""
        self.lists: Classes | None = None
        self.display = False  # until a complaint category is chosen

    def compose(self) -> ComposeResult:
        yield DataInput(placeholder=t("ticket.class.placeholder"), id="class")
        yield OptionList(id="classes")

    def use(self, classes: Classes) -> None:
        """The lists in force (read in a worker: nothing here touches the database)."""
        self.lists = classes
        self._fill(self.query_one("#class", Input).value)

    def show_for(self, complaint: bool, utility: str) -> None:
        """Shown for a complaint, of ``utility``'s list ("" or "any": every list)."""
        self.display = complaint
        if utility != self.utility:
            self.utility = "" if utility == "any" else utility
            self.clear()
        self._fill(self.query_one("#class", Input).value)

    def clear(self) -> None:
        self.code = ""
        self.query_one("#class", Input).value = ""

    def _label(self, code: str) -> str:
        return self.lists.label(code, self.lang) if self.lists is not None else code

    def _fill(self, query: str) -> None:
        from agentdesk.tickets import complaint_classes

        options = self.query_one("#classes", OptionList)
        options.clear_options()
        if self.lists is None:
            return
        for item in complaint_classes.search(self.lists, query, self.utility):
            options.add_option(Option(shown_text(Text(f"{self._label(item.code)}  {item.code}")),
                                      id=item.code))
        if options.option_count:
            options.highlighted = 0

    @on(Input.Changed, "#class")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if not self.code or event.value != self._label(self.code):
            self.code = ""
            self._fill(event.value)

    def on_key(self, event: events.Key) -> None:
        if event.key in ("up", "down") and self.query_one("#class", Input).has_focus:
            options = self.query_one("#classes", OptionList)
            options.action_cursor_down() if event.key == "down" else options.action_cursor_up()
            event.stop()

    @on(Input.Submitted, "#class")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one("#classes", OptionList)
        if options.highlighted is not None:
            self.pick(str(options.get_option_at_index(options.highlighted).id))

    @on(OptionList.OptionSelected, "#classes")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.pick(str(event.option.id))

    def pick(self, code: str) -> None:
        self.code = code
        self.query_one("#class", Input).value = self._label(code)
        self.post_message(self.Picked(code))
