"""The role-play desk's own widgets and screens (the app is :mod:`agentdesk.apps.training`):
the caller pane on every screen, the trainer's card and the scorecard.

* F6: the caller says their next line (the trainer's key; ``--auto`` plays them on a timer);
* F7: the trainee's say box: what they say to the caller. A line the caller keeps back
  until asked comes when the trainee asks for it; some words make the caller angry;
* F8: the trainer's card (persona, every line, hidden facts, escalations, rubric);
* F10: finish: the call is scored from the training database and the scorecard is shown
  and saved (JSON and Markdown).

Caller lines, names and notes are data: always ``rich.text.Text``, never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from agentdesk.core import clock
from agentdesk.core.controls import shown, shown_text
from agentdesk.core.i18n import t
from agentdesk.screens.i18n_bindings import localize
from agentdesk.widgets.inputs import DataInput

if TYPE_CHECKING:
    from agentdesk.training.rubric import Scorecard
    from agentdesk.training.session import TrainingRun

WHO_STYLE = {"caller": "bold cyan", "trainee": "bold green", "escalation": "bold reverse red"}


def _hms(value: datetime) -> str:
    return clock.local(value).strftime("%H:%M:%S")


def transcript_text(run: TrainingRun) -> Text:
    out = Text()
    for said in run.transcript:
        out.append(t(f"training.who.{said.who}"), style=WHO_STYLE[said.who])
        out.append(f"  {_hms(said.at)}\n", style="dim")
        out.append(shown(said.text, lines=True))
        out.append("\n\n")
    left = run.pending()
    out.append(t("training.pane.left", n=left) if left else t("training.pane.done"),
               style="dim italic")
    return shown_text(out)


class CallerPane(Vertical):
    """The simulated caller: who rings, what they have said, and the trainee's say box."""

    SCOPED_CSS = False  # its width follows the screen's size class (-narrow / -wide)

    DEFAULT_CSS = """
    CallerPane { dock: right; width: 46; margin: 1 0 0 0;
                 border-left: thick $accent; background: $surface; padding: 0 1; }
    CallerPane #tr-head { height: auto; }
    CallerPane #tr-scroll { height: 1fr; }
    CallerPane #tr-say { margin: 0; }
    .-narrow CallerPane { width: 34; }
    .-wide CallerPane { width: 60; }
    """

    def __init__(self, run: TrainingRun, hear: Callable[[str], None]) -> None:
        super().__init__(id="caller-pane")
        self.play = run
        # The training desk hears a line at once (not through a message queue): a line
        # said just before F10 must be in the transcript the scorecard reads.
        self.hear = hear

    def compose(self) -> ComposeResult:
        yield Static(self._head(), id="tr-head")
        with VerticalScroll(id="tr-scroll"):
            yield Static(transcript_text(self.play), id="tr-lines")
        yield DataInput(placeholder=t("training.pane.say"), id="tr-say")

    def _head(self) -> Text:
        from agentdesk.customers.phones import display

        run = self.play
        head = Text(shown(run.scenario.title), style="bold")
        head.append("\n" + t("training.pane.title", level=run.scenario.level), style="dim")
        if run.auto:
            head.append(" · " + t("training.pane.auto"), style="dim")
        number = run.scenario.caller_number
        head.append("\n☎ ")
        head.append(t("training.pane.ringing", number=display(number)) if number
                    else t("training.pane.withheld"))
        return shown_text(head)

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
            self.hear(value)


class TrainerCard(ModalScreen[None]):
    """Everything the trainer plays from: persona, lines, hidden facts, escalations, rubric."""

    DEFAULT_CSS = """
    TrainerCard { align: center middle; }
    TrainerCard > VerticalScroll { width: 100; max-height: 90%; border: thick $accent;
                                   background: $surface; padding: 1 2; }
    """
    BINDINGS = [Binding("escape,f8", "close", "training.key.close")]

    def __init__(self, run: TrainingRun) -> None:
        super().__init__()
        localize(self)
        self.play = run

    def compose(self) -> ComposeResult:
        from agentdesk.tickets import taxonomy
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
                body.append(shown(value, lines=True))
                body.append("\n")
        with VerticalScroll():
            yield Static(shown_text(body))

    def action_close(self) -> None:
        self.dismiss(None)


def scorecard_text(card: Scorecard, saved: Iterable[Path] | None = None) -> Text:
    out = Text(t("training.score.title", title=card.title), style="bold")
    out.append("\n")
    out.append(shown(card.trainee))
    out.append(f"（{shown(card.agent_code)}）  ", style="dim")
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
        out.append(shown(check.label), style="" if check.met else "bold")
        out.append(f"  {t('training.score.met' if check.met else 'training.score.missed')}",
                   style=style)
        for evidence in check.evidence or ():
            out.append("\n      ")
            out.append(_hms(evidence.at) if evidence.at else "  —   ", style="dim")
            out.append(" ")
            out.append(shown(evidence.action))
        if not check.evidence:
            out.append("\n      " + t("training.score.no_evidence"), style="dim")
    if card.hidden:
        out.append(f"\n\n{t('training.card.hidden')}\n", style="bold underline")
        for fact in card.hidden:
            out.append("• ")
            out.append(shown(fact, lines=True))
            out.append("\n")
    for path in saved or ():
        out.append("\n" + t("training.score.saved", path=str(path)), style="dim")
    out.append("\n\n" + t("training.score.keys"), style="dim")
    return shown_text(out)


class ScorecardScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ScorecardScreen { align: center middle; }
    ScorecardScreen > VerticalScroll { width: 110; max-height: 95%; border: thick $success;
                                       background: $surface; padding: 1 2; }
    """
    BINDINGS = [Binding("enter,escape", "close", "training.key.close")]

    def __init__(self, card: Scorecard, saved: Iterable[Path] | None = None) -> None:
        super().__init__()
        localize(self)
        self.card = card
        self.saved = saved

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(scorecard_text(self.card, self.saved), id="scorecard")

    def action_close(self) -> None:
        self.dismiss(None)
