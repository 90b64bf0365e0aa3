"""The supervisor's notice forms (publish, revise, withdraw) and the yes/no question they
ask, opened from :mod:`agentdesk.screens.notices`.

A form reads its fields on the UI thread (times and areas are parsed there: no database),
then writes in a thread worker through :mod:`agentdesk.centre.notices`; the service's
message (a window that ends before it starts, a 10,000-character cause, ...) shows in the
form, which stays open, and nothing is written. An area holding no customer of the
utility asks first; yes publishes with ``force``. Ctrl+S submits, Esc closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Select, Static, TextArea

from agentdesk.core import clock
from agentdesk.core.controls import shown
from agentdesk.core.i18n import t
from agentdesk.screens.dialogs import Confirm
from agentdesk.screens.i18n_bindings import localize
from agentdesk.widgets.inputs import DataArea, DataInput

if TYPE_CHECKING:
    from sqlmodel import Session

    from agentdesk.centre.outreach import Rules
    from agentdesk.core.models import Notice
    from agentdesk.core.store import Store

TIME_FORMAT = "%Y-%m-%d %H:%M"  # how a form shows a time (the centre's time zone)


@dataclass(frozen=True)
class Who:
    """The supervisor at this desk, as the notice service takes it."""

    code: str
    name: str
    role: str
    rules: Rules | None = None  # whom a notice's outreach list calls (the desk's config)


@dataclass(frozen=True)
class Written:
    """What a form wrote: the message to show and the notice it was about."""

    message: str
    notice_id: str


def shown_time(value: datetime | None) -> str:
    return clock.local(value).strftime(TIME_FORMAT) if value else ""


class NoticeForm(ModalScreen["Written | None"]):
    """What the three forms share: the frame, the error line, Ctrl+S and Esc, and the
    write in a worker. Dismissed with what it wrote, None on Esc."""

    DEFAULT_CSS = """
    NoticeForm { align: center middle; }
    NoticeForm > VerticalScroll { width: 90; height: auto; max-height: 95%;
                                  border: thick $accent; background: $surface; padding: 0 1; }
    NoticeForm #error { color: $error; text-style: bold; height: auto; margin-bottom: 1;
                        display: none; }
    NoticeForm .label { color: $text-muted; }
    NoticeForm #areas { height: 5; }
    NoticeForm .pair { height: auto; }
    NoticeForm .pair > Select { width: 1fr; }
    NoticeForm .row { height: 1; margin-bottom: 1; }
    NoticeForm .row > .label { width: 14; }
    NoticeForm .row > Input { width: 1fr; height: 1; border: none; padding: 0 1;
                              background: $boost; }
    NoticeForm .row > Input:focus { background: $primary 30%; }
    """
    BINDINGS = [Binding("ctrl+s", "submit", "notices.form.submit", priority=True),
                Binding("escape", "cancel", "ticket.dup.cancel")]

    KEYS = "notices.form.keys"  # the hint under the fields

    def __init__(self, store: Store, who: Who, heading: str) -> None:
        super().__init__()
        localize(self)
        self.store, self.who, self.heading = store, who, heading
        self.busy = False

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text(self.heading, style="bold"))
            # on top, seen without scrolling; hidden while there is nothing to say
            yield Static("", id="error", markup=False)
            yield from self.fields()
            yield Static(Text(t(self.KEYS), style="dim"))

    def fields(self) -> ComposeResult:
        raise NotImplementedError

    @staticmethod
    def label(key: str) -> Static:
        return Static(t(key), classes="label", markup=False)

    def row(self, key: str, box: Input) -> Horizontal:
        """A label and its one-line box side by side."""
        return Horizontal(self.label(key), box, classes="row")

    def text(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def error(self, message: str) -> None:
        self.busy = False
        self.say(Text(shown(message)))

    def say(self, text: Text) -> None:
        line = self.query_one("#error", Static)
        line.update(text)
        line.display = bool(text.plain)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        from agentdesk.centre.notices import NoticeError
        from agentdesk.core.areas import AreaError

        if self.busy:
            return
        try:
            values = self.read()
        except (NoticeError, AreaError) as exc:
            self.error(str(exc))
            return
        self.busy = True
        self.say(Text(t("notices.form.saving"), style="dim"))
        self.write(values, False)

    def read(self) -> dict[str, Any]:
        """The fields as the service takes them (raises NoticeError / AreaError)."""
        raise NotImplementedError

    def apply(self, session: Session, values: dict[str, Any], now: datetime,
              force: bool) -> Written:
        """The service call."""
        raise NotImplementedError

    @work(thread=True, exclusive=True, group="notice-write")
    def write(self, values: dict[str, Any], force: bool) -> None:
        from agentdesk.centre.notices import NobodyInside, NoticeError
        from agentdesk.core.areas import AreaError

        try:
            with self.store.session() as session:  # rolls back on any error
                written = self.apply(session, values, clock.now(), force)
        except NobodyInside as exc:
            self.app.call_from_thread(self.ask_force, values, exc.per_area)
            return
        except (NoticeError, AreaError) as exc:
            self.app.call_from_thread(self.error, str(exc))
            return
        self.app.call_from_thread(self.dismiss, written)

    def ask_force(self, values: dict[str, Any], per_area: dict[str, int]) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.write(values, True)
            else:
                self.error(t("notices.form.not_published"))

        self.app.push_screen(Confirm(t("notices.confirm.nobody",
                                       areas="、".join(per_area))), answered)


class PublishForm(NoticeForm):
    """Utility, kind, areas (one per line), from, to, restore-by, cause, title."""

    def __init__(self, store: Store, who: Who) -> None:
        super().__init__(store, who, t("notices.form.publish"))

    def fields(self) -> ComposeResult:
        from agentdesk.centre.notices import KINDS, UTILITIES

        with Horizontal(classes="pair"):
            yield Select([(t(f"utility.{u}"), u) for u in UTILITIES], value=UTILITIES[0],
                         allow_blank=False, id="utility")
            yield Select([(t(f"card.notice.{k}"), k) for k in KINDS], value=KINDS[0],
                         allow_blank=False, id="kind")
        yield self.label("notices.form.areas")
        yield DataArea(id="areas")
        now = clock.local().replace(second=0, microsecond=0)
        yield self.row("notices.form.from", DataInput(shown_time(now), id="from"))
        yield self.row("notices.form.to", DataInput(shown_time(now + timedelta(hours=4)),
                                                id="to"))
        yield self.row("notices.form.restore", DataInput(id="restore",
                                                     placeholder=t("notices.form.optional")))
        yield self.row("notices.form.cause", DataInput(id="cause",
                                                   placeholder=t("notices.form.cause_hint")))
        yield self.row("notices.form.title", DataInput(id="title",
                                                   placeholder=t("notices.form.title_hint")))

    def on_mount(self) -> None:
        self.query_one("#areas", TextArea).focus()

    def read(self) -> dict[str, Any]:
        from agentdesk.centre import notices
        from agentdesk.core import areas

        where = []
        for n, line in enumerate(self.query_one("#areas", TextArea).text.splitlines(), 1):
            if line.strip():
                try:
                    where.append(areas.parse(line))
                except areas.AreaError as exc:
                    raise areas.AreaError(t("notices.err.area_line", line=n,
                                            error=str(exc))) from None
        window = []
        for selector, name in (("#from", "notice.field.starts_at"),
                               ("#to", "notice.field.ends_at")):
            value = notices.parse_time(self.text(selector), t(name))
            if value is None:
                raise notices.NoticeError(t("notice.err.empty", field=t(name)))
            window.append(value)
        return {"draft": notices.Draft(
            utility=str(self.query_one("#utility", Select).value),
            kind=str(self.query_one("#kind", Select).value), areas=tuple(where),
            starts_at=window[0], ends_at=window[1],
            restore_by=notices.parse_time(self.text("#restore"),
                                          t("notice.field.restore_by")),
            cause=self.text("#cause"), title=self.text("#title"))}

    def apply(self, session: Session, values: dict[str, Any], now: datetime,
              force: bool) -> Written:
        from agentdesk.centre import notices

        done = notices.publish(session, values["draft"], self.who.code, self.who.name,
                               self.who.role, now, force=force, rules=self.who.rules)
        return Written(t("notice.cli.published", title=done.notice.title,
                         id=done.notice.id[:13], customers=done.customers) + " "
                       + t("notice.cli.outreach", n=done.outreach), done.notice.id)


class ReviseForm(NoticeForm):
    """Expected restoration, end and note; only what changed is written (a revision)."""

    def __init__(self, store: Store, who: Who, notice: Notice) -> None:
        super().__init__(store, who, t("notices.form.update", title=notice.title))
        self.notice = notice

    def fields(self) -> ComposeResult:
        yield self.row("notices.form.restore", DataInput(shown_time(self.notice.restore_by),
                                                     id="restore"))
        yield self.row("notices.form.to", DataInput(shown_time(self.notice.ends_at), id="to"))
        yield self.row("notices.form.note", DataInput(self.notice.note, id="note",
                                                  placeholder=t("notices.form.optional")))

    def on_mount(self) -> None:
        self.query_one("#restore", Input).focus()

    def read(self) -> dict[str, Any]:
        from agentdesk.centre import notices

        return {"restore_by": notices.parse_time(self.text("#restore"),
                                                 t("notice.field.restore_by")),
                "ends_at": notices.parse_time(self.text("#to"), t("notice.field.ends_at")),
                "note": self.text("#note").strip()}

    def apply(self, session: Session, values: dict[str, Any], now: datetime,
              force: bool) -> Written:
        from agentdesk.centre import notices

        notice = notices.update(session, self.notice.id, self.who.code, self.who.name,
                                self.who.role, now, rules=self.who.rules, **values)
        return Written(t("notice.cli.updated", title=notice.title, revision=notice.revision),
                       notice.id)


class WithdrawForm(NoticeForm):
    """The reason, then a yes/no: a withdrawn notice leaves every card at once."""

    KEYS = "notices.form.keys_plain"

    def __init__(self, store: Store, who: Who, notice: Notice) -> None:
        super().__init__(store, who, t("notices.form.withdraw", title=notice.title))
        self.notice = notice

    def fields(self) -> ComposeResult:
        yield self.row("notices.form.reason", DataInput(id="reason"))

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _enter(self) -> None:
        self.action_submit()

    def read(self) -> dict[str, Any]:
        from agentdesk.centre.notices import NoticeError

        reason = self.text("#reason").strip()
        if not reason:
            raise NoticeError(t("notice.err.empty", field=t("notice.field.reason")))
        return {"reason": reason}

    def action_submit(self) -> None:
        from agentdesk.centre.notices import NoticeError

        if self.busy:
            return
        try:
            values = self.read()
        except NoticeError as exc:
            self.error(str(exc))
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.busy = True
                self.write(values, False)

        self.app.push_screen(Confirm(t("notices.confirm.withdraw", title=self.notice.title)),
                             answered)

    def apply(self, session: Session, values: dict[str, Any], now: datetime,
              force: bool) -> Written:
        from agentdesk.centre import notices

        notice = notices.withdraw(session, self.notice.id, self.who.code, self.who.name,
                                  self.who.role, now, values["reason"])
        return Written(t("notice.cli.withdrawn", title=notice.title), notice.id)
