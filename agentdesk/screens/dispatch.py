"""The 派单 dialog (issue 19): the department or crew is picked from the centre's list
(:mod:`agentdesk.tickets.departments`, read in a worker) by type-ahead, the best fits for
the ticket first (the caller's town's own crew, those listed for its category, its
utility's). The list is authoritative: a department not on it is 其他 (other) with a note
saying which (a name typed that matches nothing leaves only 其他 to pick, and Enter
takes the typed name into its note). ``act`` gets (department, note); a refusal is shown
here, the text kept (see FormDialog)."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from agentdesk.core.i18n import t
from agentdesk.screens.dialogs import FormDialog
from agentdesk.screens.i18n_bindings import localize
from agentdesk.widgets.inputs import DataInput
from agentdesk.widgets.pick_list import PickList

OTHER_KEY = "\x00other"  # the 其他 option's key: no department can be named so


class DispatchDialog(FormDialog):
    DEFAULT_CSS = """
    DispatchDialog { align: center middle; }
    DispatchDialog > Vertical { width: 70; height: auto; border: thick $accent;
                                background: $surface; padding: 1 2; }
    DispatchDialog #other { display: none; }
    """

    def __init__(self, number: str, ticket_id: str,
                 act: Callable[[tuple[str, str], FormDialog], None]) -> None:
        super().__init__(act)
        localize(self)
        self.number, self.ticket_id = number, ticket_id
        self.loaded = False  # the list is in (tests wait for it)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(t("detail.ask.department", number=self.number), style="bold"))
            yield PickList("department", t("dept.pick.hint"), id="departments")
            yield DataInput(placeholder=t("dept.other.hint"), id="other")
            yield Static("", id="error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#department", Input).focus()
        self._read()

    @work(thread=True, exclusive=True, group="dispatch-list")
    def _read(self) -> None:
        from agentdesk.tickets import departments

        with self.app.store.session() as session:
            found = departments.for_session(session)
            where = departments.context(session, self.ticket_id)
        departments.warm(found)
        self.app.call_from_thread(self._use, found, where)

    def _use(self, found: tuple, where: object) -> None:
        from agentdesk.tickets import departments

        def search(query: str) -> list[tuple[str, Text, str]]:
            rows = []
            for dep in departments.search(found, query, where):  # type: ignore[arg-type]
                label = Text(dep.name)
                what = dep.district or t(f"dept.utility.{dep.utility}")
                label.append(f"  {what}", style="dim")
                if dep.categories and getattr(where, "category", "") in dep.categories:
                    label.append(f"  {t('dept.fits')}", style="green")
                rows.append((dep.name, label, dep.name))
            other = Text(t("dept.other"), style="italic")
            return [*rows, (OTHER_KEY, other, departments.OTHER)]

        self.query_one(PickList).use(search)
        self.loaded = True

    @on(PickList.Picked)
    def _picked(self, event: PickList.Picked) -> None:
        event.stop()
        other = self.query_one("#other", Input)
        if event.key == OTHER_KEY:  # what was typed (not on the list) starts the note
            from agentdesk.tickets.departments import OTHER

            if not other.value.strip() and event.typed and event.typed != OTHER:
                other.value = event.typed
            other.display = True
            other.focus()
            return
        other.display = False
        self.submit((event.key or event.text, ""))

    @on(Input.Submitted, "#other")
    def _other(self, event: Input.Submitted) -> None:
        event.stop()
        from agentdesk.tickets.departments import OTHER

        self.submit((OTHER, event.value.strip()))

    def refuse(self, message: str) -> None:
        super().refuse(message)
        if self.is_attached:
            other = self.query_one("#other", Input)
            (other if other.display else self.query_one("#department", Input)).focus()
