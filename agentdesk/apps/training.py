"""The role-play desk (``agentdesk train``): the ordinary agent desk on a training database,
plus a caller pane on every screen, the trainer's keys and the scorecard.

* F6: the caller says their next line (the trainer's key; ``--auto`` plays them on a timer);
* F7: the trainee's say box: what they say to the caller. A line the caller keeps back
  until asked comes when the trainee asks for it; some words make the caller angry;
* F8: the trainer's card (persona, every line, hidden facts, escalations, rubric);
* F10: finish: the call is scored from the training database and the scorecard is shown
  and saved (JSON and Markdown).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual import events, work
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input

from agentdesk.apps.desk import AgentDesk, DeskOptions
from agentdesk.apps.messages import CallRinging
from agentdesk.core.i18n import t
from agentdesk.screens.training import CallerPane, ScorecardScreen, TrainerCard

if TYPE_CHECKING:
    from textual.await_complete import AwaitComplete

    from agentdesk.core.store import Store
    from agentdesk.demo.generate import DemoSummary
    from agentdesk.training.rubric import Scorecard
    from agentdesk.training.session import Said, TrainingRun


class TrainingDesk(AgentDesk):
    """The agent desk playing a scenario: built by ``create_app(..., training=run)``."""

    # Priority: the ticket's TextArea would take F6 and F7 (select line / select all).
    BINDINGS = [
        Binding("f6", "next_line", "training.key.next", priority=True),
        Binding("f7", "focus_say", "training.key.say", priority=True),
        Binding("f8", "trainer_card", "training.key.card", priority=True),
        Binding("f10", "finish", "training.key.finish", priority=True),
    ]

    def __init__(self, options: DeskOptions) -> None:
        super().__init__(options)
        assert options.training is not None  # create_app builds this desk only for a run
        self.play: TrainingRun = options.training
        self.desk_title = t("training.desk_title", title=self.play.scenario.title)
        self.sync_state = t("training.no_sync")
        self.call_started = False
        self.finishing = False
        self.scorecard: Scorecard | None = None
        self._panes_made: list[CallerPane] = []
        self._writing = 0  # records of what was said still being written
        self._written = threading.Condition()

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(1, self._tick)

    def on_resize(self, event: events.Resize) -> None:
        for pane in self._panes_made:
            if pane.is_mounted:
                pane.fit(event.size.height)

    def switch_mode(self, mode: str) -> AwaitComplete:
        done = super().switch_mode(mode)
        self.call_after_refresh(self._ensure_pane)
        return done

    def _ensure_pane(self) -> None:
        from agentdesk.screens.base import DeskScreen

        screen = self.screen
        if isinstance(screen, DeskScreen) and not screen.query(CallerPane):
            pane = CallerPane(self.play, self.say)
            self._panes_made.append(pane)
            screen.mount(pane)

    def _redraw(self) -> None:
        for pane in self._panes_made:
            if pane.is_mounted:
                pane.update_lines()

    # --- the call ------------------------------------------------------------------------

    def store_opened(self, store: Store, filled: DemoSummary | None) -> None:
        super().store_opened(store, filled)
        if self.call_started:
            return
        self.call_started = True
        number = self.play.scenario.caller_number
        if number:
            self.pop_call(number)  # the real screen pop: contact recorded, card shown
        else:
            self._record_withheld(self.begin_call(""), self.agent_code)
        self.play.next_line()  # the caller's opening line
        self._redraw()
        if self.play.auto:
            self.set_interval(self.play.scenario.auto_seconds, self._auto_line)

    @work(thread=True, group="contact")
    def _record_withheld(self, serial: int, agent_code: str) -> None:
        """The scenario's caller withholds their number: the contact has no number."""
        from agentdesk.customers import contacts

        store = self.store
        if store is None:
            return
        with store.session() as session:
            contact_id = contacts.record_withheld(session, agent_code)
        self.post_message(CallRinging(serial, contacts.Ringing(contact_id, "", ())))

    def _auto_line(self) -> None:
        """--auto: the next line on a timer; quiet when the caller waits to be asked."""
        if not self.finishing and self.play.next_line() is not None:
            self._redraw()

    def action_next_line(self) -> None:
        if self.finishing:
            return
        if self.play.next_line() is None:  # say why: lines held back, or none left
            held = self.play.pending()
            self.notify(t("training.pane.nothing", n=held) if held
                        else t("training.pane.all_said"), markup=False)
        self._redraw()

    def action_focus_say(self) -> None:
        self._ensure_pane()
        panes = self.screen.query(CallerPane)
        if panes:
            panes.first().query_one("#tr-say", Input).focus()

    def say(self, text: str) -> None:
        """The trainee said ``text`` to the caller (the say box)."""
        if self.finishing:
            return
        before = len(self.play.transcript)
        self.play.hear(text)
        self._store_said(self.play.transcript[before:])
        self._redraw()

    def _tick(self) -> None:
        if self.finishing or self.store is None:
            return
        self.play.sync_clock()
        fired = self.play.tick()
        if fired:
            self._store_said(fired)
            self._redraw()

    def _store_said(self, said: list[Said]) -> None:
        with self._written:
            self._writing += 1
        self._keep(said, self.call.contact_id)

    @work(thread=True, group="training-say")
    def _keep(self, said: list[Said], contact_id: str | None) -> None:
        """What the trainee said, and the caller's escalations, into the training database."""
        try:
            with self.store.session() as session:
                for item in said:
                    if item.who in ("trainee", "escalation"):
                        self.play.record(session, item, contact_id)
        finally:
            with self._written:
                self._writing -= 1
                self._written.notify_all()

    def action_trainer_card(self) -> None:
        if not isinstance(self.screen, ModalScreen):
            self.push_screen(TrainerCard(self.play))

    # --- the end ---------------------------------------------------------------------------

    def action_finish(self) -> None:
        if self.finishing or self.store is None:
            return
        self.finishing = True
        self.notify(t("training.pane.scoring"), markup=False)
        self._score()

    @work(thread=True, exclusive=True, group="training-score")
    def _score(self) -> None:
        from agentdesk.training import history

        with self._written:  # every line said before F10 is in the database first
            self._written.wait_for(lambda: self._writing == 0, timeout=10)
        try:
            card = self.play.finish(self.store)
            self.play.saved = history.save(card)
        except Exception as exc:  # noqa: BLE001 - a scoring bug must not lose the session
            self.call_from_thread(self._score_failed, str(exc))
            return
        self.call_from_thread(self._show_scorecard, card)

    def _score_failed(self, message: str) -> None:
        self.finishing = False
        self.notify(t("training.score.error", error=message), severity="error",
                    markup=False, timeout=20)

    def _show_scorecard(self, card: Scorecard) -> None:
        self.scorecard = card
        self.push_screen(ScorecardScreen(card, self.play.saved),
                         lambda _: self.exit(self.scorecard))
