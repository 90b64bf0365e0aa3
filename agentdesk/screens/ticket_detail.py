"""One ticket, opened from the queue: its deadlines and history, and a key for each
workflow step (派单 → 到场 → 回单 → 回访 → 归档, notes, pause, hand-over, and 签收 of a
督办 waiting for the owner's answer; on a supervisor's desk, 督办 with a reason).

Only the steps the workflow allows from the ticket's status are offered (the footer hides
the others; :func:`agentdesk.tickets.view.allowed_steps` says which). The ticket is read by
the ticket view service in a worker; every step runs in a worker through the ticket
service, which appends the event; the app's ``data_version`` then moves so the queue
re-sorts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from agentdesk.tickets.view import TicketView

from agentdesk.core.controls import shown, shown_text
from agentdesk.core.i18n import satisfaction_label, t
from agentdesk.screens.dialogs import Ask, Confirm, FormDialog
from agentdesk.screens.i18n_bindings import localize


class Satisfaction(ModalScreen[str | None]):
    """回访: the caller's verdict, by digit or arrow keys."""

    DEFAULT_CSS = """
    Satisfaction { align: center middle; }
    Satisfaction > Vertical { width: 50; height: auto; border: thick $accent;
                              background: $surface; padding: 1 2; }
    Satisfaction OptionList { height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "ticket.dup.cancel"),
                *(Binding(str(n), f"pick({n - 1})", show=False) for n in range(1, 6))]

    @staticmethod
    def answers() -> tuple[str, ...]:
        """The four verdicts, then 5 联系不上 (a try: issue 19)."""
        from agentdesk.tickets import workflow

        return (*workflow.SATISFACTION, workflow.UNREACHABLE)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(t("detail.callback.title"), style="bold"))
            yield OptionList(*(Option(Text(f"{n}  {t('satisfaction.' + label)}"), id=label)
                               for n, label in enumerate(self.answers(), 1)))

    def action_pick(self, index: int) -> None:
        self.dismiss(self.answers()[index])

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Reason(ModalScreen[str | None]):
    """督办: why the supervisor presses the owner, by digit or arrow keys."""

    DEFAULT_CSS = """
    Reason { align: center middle; }
    Reason > Vertical { width: 50; height: auto; border: thick $accent;
                        background: $surface; padding: 1 2; }
    Reason OptionList { height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "ticket.dup.cancel"),
                *(Binding(str(n), f"pick({n - 1})", show=False) for n in range(1, 5))]

    def compose(self) -> ComposeResult:
        from agentdesk.tickets.duban import REASONS

        with Vertical():
            yield Static(Text(t("detail.duban.title"), style="bold"))
            yield OptionList(*(Option(Text(f"{n}  {t('duban.reason.' + code)}"), id=code)
                               for n, code in enumerate(REASONS, 1)))

    def action_pick(self, index: int) -> None:
        from agentdesk.tickets.duban import REASONS

        self.dismiss(REASONS[index])

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def status_line(session: object, ticket_id: str) -> Text:
    """Where the ticket is, who has it, the department's answer, when due (issue 17)."""
    from agentdesk.tickets import search, service

    return Text(shown(search.status_line(session, service.get(session, ticket_id))))


def _when(value: str | None) -> str:
    return value[5:16].replace("T", " ") if value else "—"


def render_head(found: TicketView, lang: str) -> Text:
    """The ticket's head: number, status, caller, category, priority, owner, channel,
    class, deadlines and description (the detail's and the monitor's read-only view)."""
    from agentdesk.tickets import taxonomy

    data = found.ticket
    cat = taxonomy.load().categories.get(data["category"])
    head = Text()
    head.append(data["number"], "bold")
    head.append(f"  {t('status.' + data['status'])}", "bold")
    if data["paused"]:
        head.append(f"  ‖ {t('queue.paused')}", "dim")
    if found.unanswered:
        head.append(f"  {t('detail.duban_waiting', n=found.unanswered)}", "bold red")
    head.append("\n")
    head.append(f"{t('queue.col.caller')}: ", "dim")
    head.append(shown(data["caller"] or "—"))
    head.append(f"   {t('queue.col.category')}: ", "dim")
    head.append(cat.label(lang) if cat else data["category"])
    head.append(f"   {t('queue.col.priority')}: ", "dim")
    head.append(t("priority." + data["priority"]))
    head.append(f"   {t('queue.col.owner')}: ", "dim")
    head.append(shown(data.get("owner_label") or data["owner"] or "—"))
    head.append(f"   {t('ticket.channel.label')}: ", "dim")  # issue 17: channel, class
    head.append(t(f"channel.{data['channel']}"))
    if data.get("class_label"):
        head.append(f"   {t('ticket.class.label')}: ", "dim")
        head.append(shown(data["class_label"].get(lang, "")))
    head.append("\n")
    for name, due in data["deadlines"].items():
        if due:
            head.append(f"{t('sla.' + name)} ", "dim")
            head.append(f"{_when(due)}   ")
    head.append(str(data.get("calendar_warning") or ""), "bold yellow")
    head.append("\n")
    head.append(shown(data["description"] or "", lines=True))
    return shown_text(head)


def render_history(found: TicketView) -> Text:
    """Every event of the ticket, one line each, in time order."""
    from agentdesk.tickets import workflow

    lines = Text()
    for line in found.history:
        extra = workflow.decode(line.data) if line.data else {}
        lines.append(f"{line.when}  ", "dim")
        lines.append(f"{t('event.' + line.kind)}")
        # a call-back's result is its satisfaction (not 回访 → 回访)
        if line.to_status and line.kind not in ("created", "callback"):
            lines.append(f" → {t('status.' + line.to_status)}")
        if line.target:  # who received it
            lines.append(f" → {line.target}")
        if line.agent:
            lines.append(f"  {line.agent}", "dim")
        if line.kind == "duban" and extra.get("reason"):
            lines.append(f" {t('duban.reason.' + str(extra['reason']))}")
        if line.kind in ("reply", "priority"):  # issue 17: expected time, new priority
            from agentdesk.screens.ticket_life import history_extra

            lines.append(history_extra(line.kind, extra))
        note = (line.note or extra.get("department")
                or satisfaction_label(str(extra.get("satisfaction") or "")))
        if note:
            lines.append("  ")
            lines.append(shown(note, lines=True))
        lines.append("\n")
    return shown_text(lines)


class TicketDetail(ModalScreen[bool]):
    """Dismisses with True when a step was taken (the caller reloads)."""

    DEFAULT_CSS = """
    TicketDetail { align: center middle; }
    TicketDetail > Vertical { width: 96%; height: 90%; border: thick $accent;
                              background: $surface; }
    TicketDetail #head { height: auto; padding: 0 1; }
    TicketDetail #status-line { height: auto; padding: 0 1; text-style: bold; }
    TicketDetail #history { height: 1fr; padding: 0 1; border-top: solid $primary; }
    TicketDetail #message { height: auto; padding: 0 1; }
    """
    BINDINGS = [
        Binding("d", "step('dispatch')", "detail.key.dispatch"),
        Binding("o", "step('on_site')", "detail.key.on_site"),
        Binding("r", "step('resolve')", "detail.key.resolve"),
        Binding("b", "step('call_back')", "detail.key.call_back"),
        Binding("a", "step('archive')", "detail.key.archive"),
        Binding("p", "step('pause')", "detail.key.pause"),
        Binding("h", "step('hand_over')", "detail.key.hand_over"),
        Binding("n", "step('note')", "detail.key.note"),
        Binding("k", "step('ack')", "detail.key.ack"),
        Binding("u", "step('duban')", "detail.key.duban"),
        Binding("g", "step('reopen')", "detail.key.reopen"),  # issue 17: a ticket's life
        Binding("e", "step('reply')", "detail.key.reply"),
        Binding("i", "step('raise')", "detail.key.raise"),
        Binding("escape", "close", "detail.key.close"),
    ]

    def __init__(self, ticket_id: str) -> None:
        super().__init__()
        localize(self)
        self.ticket_id = ticket_id
        self.ticket: dict | None = None
        self.steps: frozenset[str] = frozenset()
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="status-line", markup=False)  # issue 17: read aloud
            yield Static(Text(t("app.opening")), id="head")
            yield Static("", id="message", markup=False)
            with VerticalScroll(id="history"):
                yield Static("", id="events", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    # --- loading -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="detail")
    def _load(self) -> None:
        from agentdesk.tickets import view

        store = self.app.store
        with store.session() as session:
            found = view.view(session, self.ticket_id)
            line = status_line(session, self.ticket_id)
        self.app.call_from_thread(self._show, found)
        self.app.call_from_thread(self.query_one("#status-line", Static).update, line)

    def _show(self, found: TicketView) -> None:
        self.ticket, self.steps = found.ticket, found.steps
        self.query_one("#head", Static).update(render_head(found, self.app.lang))
        self.query_one("#events", Static).update(render_history(found))
        self.refresh_bindings()

    # --- the steps ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action != "step":
            return True
        if self.ticket is None:
            return False
        if parameters[0] == "duban":  # a supervisor's desk, an open ticket
            from agentdesk.tickets import clocks

            return self._role() == "supervisor" and self.ticket["status"] in clocks.OPEN
        if parameters[0] in ("reopen", "reply", "raise"):
            from agentdesk.screens.ticket_life import offered

            return offered(str(parameters[0]), self.ticket)
        return str(parameters[0]) in self.steps  # a paused ticket's pause key resumes

    def _role(self) -> str:
        options = getattr(self.app, "options", None)
        return getattr(getattr(options, "config", None), "role", "agent")

    def action_step(self, step: str) -> None:
        if self.ticket is None:
            return
        if self.app.store is None or self.app.store.readonly:
            self._message(t("app.readonly"), error=True)
            return
        number = self.ticket["number"]
        if step == "dispatch":  # issue 19: picked from the centre's list
            from agentdesk.screens.dispatch import DispatchDialog

            self.app.push_screen(DispatchDialog(number, self.ticket_id, lambda answer, dialog:
                                                self._run(step, *answer, dialog=dialog)))
        elif step == "resolve":
            self._ask(step, t("detail.ask.result", number=number), t("detail.ask.optional"))
        elif step == "note":
            self._ask(step, t("detail.ask.note", number=number), t("detail.ask.note.hint"))
        elif step == "ack":
            self._ask(step, t("detail.ask.ack", number=number), t("detail.ask.ack.hint"))
        elif step == "duban":
            def reason_given(reason: str | None) -> None:
                if reason:
                    self.app.push_screen(
                        Ask(t("detail.ask.duban", number=number,
                              reason=t("duban.reason." + reason)), t("detail.ask.optional"),
                            lambda note, dialog: self._run(step, note, reason, dialog=dialog)))

            self.app.push_screen(Reason(), reason_given)
        elif step in ("reopen", "reply", "raise"):
            from agentdesk.screens.ticket_life import ask

            ask(self, step, self.ticket)
        elif step == "pause" and not self.ticket["paused"]:
            self._ask(step, t("detail.ask.pause", number=number), t("detail.ask.reason"))
        elif step == "pause":
            self._run("resume", "")
        elif step == "call_back":
            self.app.push_screen(Satisfaction(),
                                 lambda answer: answer and self._run(step, answer))
        elif step == "archive":  # closes the ticket for good: said, then Y (issue 19)
            self.app.push_screen(Confirm(t("detail.ask.archive", number=number)),
                                 lambda yes: yes and self._run(step, ""))
        elif step == "hand_over":
            from agentdesk.screens.ticket import HandOver

            self.app.push_screen(HandOver(number, lambda answer, dialog: self._run(
                step, *answer, dialog=dialog)))
        else:
            self._run(step, "")

    def _ask(self, step: str, title: str, hint: str) -> None:
        self.app.push_screen(Ask(title, hint,
                                 lambda value, dialog: self._run(step, value, dialog=dialog)))

    @work(thread=True, exclusive=True, group="detail-step")
    def _run(self, step: str, value: str, reason: str = "",
             dialog: FormDialog | None = None) -> None:
        from agentdesk.tickets import duban, service as tickets, workflow
        from agentdesk.tickets.view import STEP_STATUS

        me, ref = self.app.agent_code, self.ticket_id
        warning = done = ""
        try:
            with self.app.store.session() as session:
                if step == "dispatch":  # reason: the note of 其他 (issue 19)
                    from agentdesk.tickets import departments

                    departments.dispatch(session, ref, me, value, reason)
                elif step in ("on_site", "resolve", "archive"):
                    tickets.advance(session, ref, me, STEP_STATUS[step], note=value)
                elif step == "call_back":
                    ticket = tickets.call_back(session, ref, me, value,
                                               tries=self._setting("callback_tries"))
                    if ticket.status == "resolved":  # 联系不上, tries left: say which
                        done = t("detail.done.callback_try", number=ticket.number,
                                 n=tickets.callback_tries(session, ticket),
                                 of=self._setting("callback_tries") or workflow.CALLBACK_TRIES)
                elif step == "pause":
                    tickets.pause(session, ref, me, value)
                elif step == "resume":
                    tickets.resume(session, ref, me)
                elif step == "hand_over":
                    tickets.hand_over(session, ref, me, value, reason)
                    from agentdesk.tickets.lifecycle import off_shift_warning

                    warning = off_shift_warning(session, value)
                elif step == "note":
                    tickets.add_note(session, ref, me, value)
                elif step == "ack":
                    duban.acknowledge(session, ref, me, value)
                elif step == "duban":
                    duban.raise_duban(session, ref, me, self._role(), reason, value)
                else:  # issue 17: reopen, reply, raise
                    from agentdesk.screens.ticket_life import run

                    run(self.app, session, step, ref, value, reason)
        except (tickets.TicketError, workflow.WorkflowError, duban.DubanError) as exc:
            if dialog is not None:  # said where it was typed; the text stays
                self.app.call_from_thread(dialog.refuse, str(exc))
            else:
                self.app.call_from_thread(self._message, str(exc), True)
            return
        self.app.call_from_thread(self._done, step, dialog, done)
        if warning:  # done, but the new owner will not see it until back on shift
            self.app.call_from_thread(self.notify, warning, severity="warning", timeout=10,
                                      markup=False)

    def _setting(self, name: str) -> int | None:
        config = getattr(getattr(self.app, "options", None), "config", None)
        return getattr(config, name, None)

    def _done(self, step: str, dialog: FormDialog | None = None, said: str = "") -> None:
        if dialog is not None:
            dialog.done()
        self.changed = True
        self._message(said or t("detail.done." + step, number=self.ticket["number"]))
        self.app.data_version += 1  # the queue re-sorts, the card shows the new status
        self._load()

    def _message(self, message: str, error: bool = False) -> None:
        style = "bold red" if error else "bold green"
        self.query_one("#message", Static).update(Text(shown(message), style=style))
        if error:
            self.notify(message, severity="error", markup=False)

    def action_close(self) -> None:
        self.dismiss(self.changed)
