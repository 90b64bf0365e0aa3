"""A one-line box with a list under it that narrows as the agent types (issue 19): the
dispatch dialog's departments and the hand-over's colleagues. What matches is the
domain's business (a ``search`` function the screen hands over with :meth:`PickList.use`,
each scoring with :func:`agentdesk.tickets.taxonomy.match_score`, as the category and
complaint class pickers do); this widget only draws the options and takes the keys: up
and down move in the list, Enter picks the highlighted option (or, with none, hands the
text on as typed). Labels are data (rich Text, control characters shown visibly).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from agentdesk.core.controls import shown_text
from agentdesk.widgets.inputs import DataInput

Search = Callable[[str], list[tuple[str, Text, str]]]  # query -> (key, label, box text)


class PickList(Vertical):
    DEFAULT_CSS = """
    PickList { height: auto; }
    PickList OptionList { height: 8; }
    """

    class Picked(Message):
        """Enter in the box or on an option: ``key`` is the option's (None: nothing was
        highlighted; ``text`` is what was typed)."""

        def __init__(self, pick_list: PickList, key: str | None, text: str,
                     typed: str = "") -> None:
            super().__init__()
            self.pick_list, self.key, self.text = pick_list, key, text
            self.typed = typed  # what was in the box before the pick

        @property
        def control(self) -> PickList:
            return self.pick_list

    def __init__(self, box_id: str, placeholder: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.box_id, self.placeholder = box_id, placeholder
        self.search: Search | None = None
        self.key: str | None = None  # the option picked, while the box shows its text
        self._picked_text = ""
        self._texts: dict[str, str] = {}  # the options shown: key -> the box's text

    def compose(self) -> ComposeResult:
        yield DataInput(placeholder=self.placeholder, id=self.box_id)
        yield OptionList(id=f"{self.box_id}-options")

    @property
    def box(self) -> Input:
        return self.query_one(f"#{self.box_id}", Input)

    @property
    def options(self) -> OptionList:
        return self.query_one(f"#{self.box_id}-options", OptionList)

    def use(self, search: Search) -> None:
        """The domain's type-ahead (read in a worker: nothing here touches the database)."""
        self.search = search
        self._fill(self.box.value)

    @property
    def value(self) -> str:
        """The picked option's key while the box still shows it, else the text typed."""
        text = self.box.value.strip()
        return self.key if self.key is not None and text == self._picked_text else text

    def _fill(self, query: str) -> None:
        options = self.options
        options.clear_options()
        self._texts = {}
        if self.search is None:
            return
        for key, label, text in self.search(query):
            options.add_option(Option(shown_text(label), id=key))
            self._texts[key] = text
        # Something typed: its best match is highlighted, Enter takes it. Nothing typed:
        # nothing highlighted until an arrow key, so Enter says the box is empty.
        if options.option_count and query.strip():
            options.highlighted = 0

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self.key is not None and event.value == self._picked_text:
            return  # the box shows the option just picked
        self.key = None
        self._fill(event.value)

    def on_key(self, event: events.Key) -> None:
        if event.key in ("up", "down") and self.box.has_focus:
            options = self.options
            options.action_cursor_down() if event.key == "down" else options.action_cursor_up()
            event.stop()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.options
        if self.key is None and options.highlighted is not None:
            self.pick(str(options.get_option_at_index(options.highlighted).id))
        else:
            self.post_message(self.Picked(self, self.key, event.value.strip()))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.pick(str(event.option.id))

    def pick(self, key: str) -> None:
        """``key``'s option is chosen: the box shows it, and the dialog is told."""
        text, typed = self._texts.get(key, key), self.box.value.strip()
        self.key, self._picked_text = key, text
        self.box.value = text
        self.post_message(self.Picked(self, key, text, typed))
