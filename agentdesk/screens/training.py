"""The role-play desk (``agentdesk train``): the ordinary agent desk on a training database,
plus a caller pane on every screen, the trainer's keys and the scorecard.

* F6: the caller says their next line (the trainer's key; ``--auto`` plays them on a timer);
* F7: the trainee's say box: what they say to the caller. A line the caller keeps back
  until asked comes when the trainee asks for it; some words make the caller angry;
* F8: the trainer's card (persona, every line, hidden facts, escalations, rubric);
* F10: finish: the call is scored from the training database and the scorecard is shown
  and saved (JSON and Markdown).

Caller lines, names and notes are data: always ``rich.text.Text``, never markup.
"""

from __future__ import annotations

import threading

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from agentdesk import clock
from agentdesk.app import AgentDesk
from agentdesk.i18n import t
from agentdesk.screens.i18n_bindings import localize

WHO_STYLE = {"caller": "bold cyan", "trainee": "bold green", "escalation": "bold reverse red"}


def _hms(value) -> str:  # noqa: ANN001
    return clock.local(value).strftime("%H:%M:%S")


def transcript_text(run) -> Text:  # noqa: ANN001 - training.session.TrainingRun
    out = Text()
    for said in run.transcript:
        out.append(t(f"training.who.{said.who}"), style=WHO_STYLE[said.who])
        out.append(f"  {_hms(said.at)}\n", style="dim")
        out.append(said.text)
        out.append("\n\n")
    left = run.pending()
    out.append(t("training.pane.left", n=left) if left else t("training.pane.done"),
               style="dim italic")
    return out


class CallerPane(Vertical):
    """The simulated caller: who rings, what they have said, and the trainee's say box."""

    DEFAULT_CSS = """
    CallerPane { dock: right; width: 46; margin: 1 0 0 0;
                 border-left: thick $accent; background: $surface; padding: 0 1; }
    CallerPane #tr-head { height: auto; }
    CallerPane #tr-scroll { height: 1fr; }
    CallerPane #tr-say { margin: 0; }
    """

    def __init__(self, run) -> None:  # noqa: ANN001
        super().__init__(id="caller-pane")
        self.play = run

    def compose(self) -> ComposeResult:
        yield Static(self._head(), id="tr-head")
        with VerticalScroll(id="tr-scroll"):
            yield Static(transcript_text(self.play), id="tr-lines")
        yield Input(placeholder=t("training.pane.say"), id="tr-say")

    def _head(self) -> Text:
        from agentdesk.phones import display

        run = self.play
        head = Text(run.scenario.title, style="bold")
        head.append("\n" + t("training.pane.title", level=run.scenario.level), style="dim")
        if run.auto:
            head.append(" · " + t("training.pane.auto"), style="dim")
        number = run.scenario.caller_number
        head.append("\n☎ ")
        head.append(t("training.pane.ringing", number=display(number)) if number
                    else t("training.pane.withheld"))
        return head

    def on_mount(self) -> None:
        self.fit(self.app.size.height)
        self.update_lines()  # what was said while the pane was being mounted

    def fit(self, screen_height: int) -> None:
        """Between the header and the footer (a docked widget's height ignores both)."""
        self.styles.height = max(6, screen_height - 2)

    def update_lines(self) -> None:
        self.query_one("#tr-lines", Static).update(transcript_text(self.play))
        self.query_one("#tr-scroll", VerticalScroll).scroll_end(animate=False)

    @on(Input.Submitted, "#tr-say")
    def _said(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if value:
            event.input.value = ""
            self.app.say(value)


class TrainerCard(ModalScreen[None]):
    """Everything the trainer plays from: persona, lines, hidden facts, escalations, rubric."""

    DEFAULT_CSS = """
    TrainerCard { align: center middle; }
    TrainerCard > VerticalScroll { width: 100; max-height: 90%; border: thick $accent;
                                   background: $surface; padding: 1 2; }
    """
    BINDINGS = [Binding("escape,f8", "close", "training.key.close")]

    def __init__(self, run) -> None:  # noqa: ANN001
        super().__init__()
        localize(self)
        self.play = run

    def compose(self) -> ComposeResult:
        from agentdesk import taxonomy
        from agentdesk.training import rubric

        sc = self.play.scenario
        tax = taxonomy.load()  # cached: the desk loaded it when the card first showed
        body = Text(t("training.card.title", title=sc.title), style="bold")
        body.append("\n" + t("training.card.start",
                             time=clock.local(sc.start).strftime("%Y-%m-%d %H:%M")), "dim")
        for key, values in (("brief", [sc.brief] if sc.brief else []),
                            ("persona", [sc.persona] if sc.persona else []),
                            ("lines", [("? " if ln.ask else "") + ln.text
                                       + (f"  〔{' / '.join(ln.ask)}〕" if ln.ask else "")
                                       for ln in sc.lines]),
                            ("hidden", list(sc.hidden)),
                            ("escalations", [e.text + (f"  〔{' / '.join(e.said)}〕"
                                                       if e.said else "")
                                             + (f"  〔{e.after_minutes:g} min〕"
                                                if e.after_minutes is not None else "")
                                             for e in sc.escalations]),
                            ("rubric", [f"{c.weight:>3}  {c.label or rubric.label(c, sc, tax)}"
                                        for c in sc.checks])):
            if not values:
                continue
            body.append(f"\n\n{t('training.card.' + key)}\n", style="bold underline")
            for value in values:
                body.append("• ")
                body.append(value)
                body.append("\n")
        with VerticalScroll():
            yield Static(body)

    def action_close(self) -> None:
        self.dismiss(None)


def scorecard_text(card, saved=None) -> Text:  # noqa: ANN001 - rubric.Scorecard, paths
    out = Text(t("training.score.title", title=card.title), style="bold")
    out.append("\n")
    out.append(card.trainee)
    out.append(f"（{card.agent_code}）  ", style="dim")
    out.append(t("training.score.time", minutes=card.seconds // 60,
                 seconds=card.seconds % 60), style="dim")
    out.append("\n\n")
    out.append(t("training.score.total", score=card.score, pass_mark=card.pass_mark),
               style="bold")
    out.append("  ")
    out.append(t("training.score.passed" if card.passed else "training.score.failed"),
               style="bold reverse green" if card.passed else "bold reverse red")
    if card.missed:
        out.append("  " + t("training.score.missed_list", n=len(card.missed)), style="red")
    out.append("\n")
    for check in card.checks:
        mark, style = ("✔", "green") if check.met else ("✘", "bold red")
        out.append(f"\n{mark} ", style=style)
        out.append(f"[{check.weight:>2}] ", style="dim")
        out.append(check.label, style="" if check.met else "bold")
        out.append(f"  {t('training.score.met' if check.met else 'training.score.missed')}",
                   style=style)
        for evidence in check.evidence or ():
            out.append("\n      ")
            out.append(_hms(evidence.at) if evidence.at else "  —   ", style="dim")
            out.append(" ")
            out.append(evidence.action)
        if not check.evidence:
            out.append("\n      " + t("training.score.no_evidence"), style="dim")
    if card.hidden:
        out.append(f"\n\n{t('training.card.hidden')}\n", style="bold underline")
        for fact in card.hidden:
            out.append("• ")
            out.append(fact)
            out.append("\n")
    for path in saved or ():
        out.append("\n" + t("training.score.saved", path=str(path)), style="dim")
    out.append("\n\n" + t("training.score.keys"), style="dim")
    return out


class ScorecardScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ScorecardScreen { align: center middle; }
    ScorecardScreen > VerticalScroll { width: 110; max-height: 95%; border: thick $success;
                                       background: $surface; padding: 1 2; }
    """
    BINDINGS = [Binding("enter,escape", "close", "training.key.close")]

    def __init__(self, card, saved=None) -> None:  # noqa: ANN001
        super().__init__()
        localize(self)
        self.card = card
        self.saved = saved

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(scorecard_text(self.card, self.saved), id="scorecard")

    def action_close(self) -> None:
        self.dismiss(None)


class TrainingDesk(AgentDesk):
    """The agent desk playing a scenario: built by ``create_app(..., training=run)``."""

    # Priority: the ticket's TextArea would take F6 and F7 (select line / select all).
    BINDINGS = [
        Binding("f6", "next_line", "training.key.next", priority=True),
        Binding("f7", "focus_say", "training.key.say", priority=True),
        Binding("f8", "trainer_card", "training.key.card", priority=True),
        Binding("f10", "finish", "training.key.finish", priority=True),
    ]

    def __init__(self, options) -> None:  # noqa: ANN001 - app.DeskOptions
        super().__init__(options)
        self.play = options.training
        self.desk_title = t("training.desk_title", title=self.play.scenario.title)
        self.sync_state = t("training.no_sync")
        self.call_started = False
        self.finishing = False
        self.scorecard = None
        self._panes_made: list[CallerPane] = []
        self._writing = 0  # records of what was said still being written
        self._written = threading.Condition()

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(1, self._tick)

    def on_resize(self, event) -> None:  # noqa: ANN001 - events.Resize
        for pane in self._panes_made:
            if pane.is_mounted:
                pane.fit(event.size.height)

    def switch_mode(self, mode: str):  # noqa: ANN201 - textual AwaitComplete
        done = super().switch_mode(mode)
        self.call_after_refresh(self._ensure_pane)
        return done

    def _ensure_pane(self) -> None:
        from agentdesk.screens.base import DeskScreen

        screen = self.screen
        if isinstance(screen, DeskScreen) and not screen.query(CallerPane):
            pane = CallerPane(self.play)
            self._panes_made.append(pane)
            screen.mount(pane)

    def _redraw(self) -> None:
        for pane in self._panes_made:
            if pane.is_mounted:
                pane.update_lines()

    # --- the call ------------------------------------------------------------------------

    def _store_ready(self, store, filled) -> None:  # noqa: ANN001
        super()._store_ready(store, filled)
        if self.call_started:
            return
        self.call_started = True
        number = self.play.scenario.caller_number
        if number:
            self.pop_call(number)  # the real screen pop: contact recorded, card shown
        else:
            self._record_withheld()
        self.play.next_line()  # the caller's opening line
        self._redraw()
        if self.play.auto:
            self.set_interval(self.play.scenario.auto_seconds, self._auto_line)

    @work(thread=True, group="contact")
    def _record_withheld(self) -> None:
        from agentdesk.models import Agent, Contact
        from sqlmodel import select

        with self.store.session() as session:
            agent = session.exec(select(Agent).where(Agent.code == self.agent_code)).first()
            contact = Contact(channel="phone", number="", agent_id=agent.id if agent else None,
                              started_at=clock.now())
            session.add(contact)
            session.flush()
            contact_id = contact.id
        self.call_from_thread(setattr, self, "current_contact_id", contact_id)

    def _auto_line(self) -> None:
        """--auto: the next line on a timer; quiet when the caller waits to be asked."""
        if not self.finishing and self.play.next_line() is not None:
            self._redraw()

    def action_next_line(self) -> None:
        if self.finishing:
            return
        if self.play.next_line() is None:
            self.notify(t("training.pane.nothing"), markup=False)
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

    def _store_said(self, said: list) -> None:
        with self._written:
            self._writing += 1
        self._keep(said, self.current_contact_id)

    @work(thread=True, group="training-say")
    def _keep(self, said: list, contact_id: str | None) -> None:
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
        except Exception as exc:  # a scoring bug must not lose the trainee's session
            self.call_from_thread(self._score_failed, str(exc))
            return
        self.call_from_thread(self._show_scorecard, card)

    def _score_failed(self, message: str) -> None:
        self.finishing = False
        self.notify(t("training.score.error", error=message), severity="error",
                    markup=False, timeout=20)

    def _show_scorecard(self, card) -> None:  # noqa: ANN001
        self.scorecard = card
        self.push_screen(ScorecardScreen(card, self.play.saved),
                         lambda _: self.exit(self.scorecard))
