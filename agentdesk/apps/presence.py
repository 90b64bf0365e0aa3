"""Who is on the desk, their status and the screen lock (issue 19), for the desk app.

* **Sign-in.** ``agentdesk --agent CODE`` (and every app the factory builds for tests,
  the trainer and the benchmarks) signs that agent in directly, made in the agents table
  on first use as before. ``agentdesk`` without ``--agent`` signs the config's agent in
  directly when the agents table knows the code (core/agents.find: any case), or when the
  table is empty (a new standalone desk); otherwise the sign-in screen asks, the config's
  code typed in already. Sign-out (palette) records ``off`` and asks again.
* **Status.** 示闲 ready / 小休 break / 话后处理 after-call work, in the header with the
  time in it; Ctrl+B then 1, 2, 3 (L locks), or the palette. Each change is an
  ``agent_status`` row (core/agent_status.py) that syncs to the centre. A wrap-up (F8)
  puts an agent in after-call work back to ready. A start records ``ready`` when the
  agent's last status is none or ``off``; otherwise the status goes on (a desk restarted
  during a break is still on break). Quitting records ``off``.
* **Lock.** After ``lock_after_min`` minutes with no key and no mouse (0: never) the lock
  screen is pushed over whatever is on screen: the forms underneath keep their text.
  Idle time is the machine's monotonic time, not the desk clock (tests and role-play move
  that one by hours). The agent's PIN unlocks (its hash comes with the agent's row from
  the centre); five wrong ones make the lock wait a minute; without a PIN the lock takes
  the agent's 工号. While a gate (sign-in or lock) is up, only Ctrl+Q and the gate's box
  work: no F-key, no palette; a call that rings then is recorded and its card shown
  after the unlock.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand

from agentdesk.core import agent_status, clock
from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from agentdesk.core.agents import Found
    from agentdesk.screens.signin import Gate

IDLE_CHECK_S = 1.0  # how often idleness is looked at (a subtraction)
WRONG_TRIES = 5  # wrong PINs in a row before the lock waits
WAIT_S = 60.0  # ... this long


class Presence:
    # the desk app, typed as any App: apps.desk imports this module (no import circle)
    def __init__(self, app: App, enabled: bool) -> None:
        self.app = app
        self.enabled = enabled  # False on the trainer's desk: no sign-in, no lock
        self.status: agent_status.Current | None = None
        self.agent_id = ""
        self.signed_in = False
        self.gate: Gate | None = None  # the sign-in or lock screen on top
        self.last_input = time.monotonic()
        self.idle_limit_s = app.options.config.lock_after_min * 60.0
        self.pending_mode: str | None = None  # a call rang while a gate was up
        self.held: list[tuple[str, dict]] = []  # toasts held back while a gate is up
        self.wrong = 0
        self.wait_until = 0.0

    @property
    def blocking(self) -> bool:
        return self.gate is not None

    def commands(self) -> Iterable[SystemCommand]:
        """The palette's status, lock and sign-out entries (signed in only)."""
        if not (self.enabled and self.signed_in):
            return
        app = self.app
        for status in ("ready", "break", "acw"):
            yield SystemCommand(f"{t('status.agent.' + status)} (status {status})",
                                t("status.cmd.help"),
                                lambda status=status: self.set_status(status))
        yield SystemCommand(f"{t('lock.key')} (lock)", t("lock.cmd.help"), app.action_lock)
        yield SystemCommand(f"{t('signin.out')} (sign out)", t("signin.out.help"),
                            app.action_sign_out)

    def sign_off_at_exit(self) -> None:
        """Quitting signs out (no worker runs any more: here, on the way out)."""
        if self.app.store is None or not self.signed_in:
            return
        import sqlalchemy as sa

        try:
            self.record("off", wait=True)
        except sa.exc.SQLAlchemyError:
            pass  # a desk that cannot write now says so at its next start

    def start(self) -> None:
        if self.enabled:
            self.app.set_interval(IDLE_CHECK_S, self.check_idle)

    def touch(self) -> None:
        """A key or the mouse: the agent is there."""
        self.last_input = time.monotonic()

    def check_idle(self) -> None:
        if self.idle_limit_s > 0 and time.monotonic() - self.last_input >= self.idle_limit_s:
            self.lock()

    # --- the header ----------------------------------------------------------------------

    def header_text(self) -> str:
        if not self.signed_in:
            return t("status.signed_out") if self.enabled and self.app.store else ""
        if self.status is None or self.status.status == agent_status.OFF:
            return ""
        return t("status.header", status=t("status.agent." + self.status.status),
                 time=agent_status.elapsed(self.status.since, clock.now()))

    # --- sign-in ---------------------------------------------------------------------------

    def signed_in_as(self, found: Found, status: agent_status.Current | None) -> None:
        """On the UI thread: this agent is on the desk (their status as recorded)."""
        from agentdesk.core import i18n

        app = self.app
        changed = app.agent_code != found.code
        app.agent_code, app.agent_name = found.code, found.name
        app.agent_label = i18n.agent_label(found.name, found.code)
        self.agent_id, self.signed_in, self.status = found.id, True, status
        self.wrong = 0
        if changed and app.store is not None:
            app.data_version += 1  # my queue is another agent's now
        app.refresh_header()

    def ask(self, prefill: str = "") -> None:
        """The sign-in screen (at start when no agent is known; after sign-out)."""
        from agentdesk.screens.signin import SignInScreen

        if self.enabled and self.gate is None:
            self._push(SignInScreen(self._try_sign_in, prefill))

    def _push(self, gate: Gate) -> None:
        self.gate = gate
        self.app.push_screen(gate, callback=self._gate_closed)

    def _gate_closed(self, _result: object) -> None:
        self.gate = None
        self.touch()
        held, self.held = self.held, []
        for message, options in held:  # what was said while the gate was up
            self.app.notify(message, **options)
        if self.pending_mode:
            mode, self.pending_mode = self.pending_mode, None
            self.app.switch_mode(mode)

    def _try_sign_in(self, code: str, gate: Gate) -> None:
        self.app.run_worker(lambda: self._sign_in(code, gate), thread=True, group="sign-in")

    def _sign_in(self, code: str, gate: Gate) -> None:
        """In a worker: the agents table's rule; a new sign-in starts ready."""
        from agentdesk.core import agents

        store = self.app.store
        if store is None:
            self.app.call_from_thread(gate.refuse, t("app.opening"))
            return
        with store.session() as session:
            found = agents.find(session, code)
            if found is None:
                self.app.call_from_thread(gate.refuse, t("signin.unknown", code=code.strip()))
                return
            status = agent_status.change(session, found.id, found.code, agent_status.READY,
                                         self.app.options.config.desk)
            session.commit()
        self.app.call_from_thread(self.signed_in_as, found, status)
        self.app.call_from_thread(gate.done)

    def sign_out(self) -> None:
        """Palette: record ``off``, forget the call, and ask who is next."""
        if not self.enabled or not self.signed_in or self.gate is not None:
            return
        self.record(agent_status.OFF)
        self.signed_in, self.status = False, None
        app = self.app
        app.call = type(app.call)(serial=app.call.serial + 1)  # the call is not theirs
        self.ask()

    # --- status ----------------------------------------------------------------------------

    def choose(self) -> None:
        """Ctrl+B: the status dialog (1 ready, 2 break, 3 after-call work, L lock)."""
        from agentdesk.screens.signin import StatusDialog

        if not self.signed_in:
            return
        current = self.status.status if self.status else ""
        self.app.push_screen(StatusDialog(current), callback=self._chosen)

    def _chosen(self, choice: str | None) -> None:
        if choice == "lock":
            self.lock()
        elif choice:
            self.set_status(choice)

    def set_status(self, status: str) -> None:
        if self.signed_in:
            self.record(status)

    def wrapped_up(self) -> None:
        """After F8: after-call work is over, the agent is ready again."""
        if self.status is not None and self.status.status == agent_status.ACW:
            self.record(agent_status.READY)

    def record(self, status: str, wait: bool = False) -> None:
        """The change recorded in a worker (the header shows it at once); ``wait``: here
        (quitting, when no worker will run any more)."""
        store, app = self.app.store, self.app
        if store is None or not self.agent_id:
            return
        agent_id, code, desk = self.agent_id, app.agent_code, app.options.config.desk
        self.status = agent_status.Current(status, clock.now())
        at = self.status.since
        if not wait:
            app.refresh_header()

        def write() -> None:
            with store.session() as session:
                agent_status.change(session, agent_id, code, status, desk, at)
                session.commit()

        if wait:
            write()
        else:
            app.run_worker(write, thread=True, group="agent-status")

    # --- the lock --------------------------------------------------------------------------

    def lock(self) -> None:
        from agentdesk.screens.signin import LockScreen

        if not self.enabled or not self.signed_in or self.gate is not None:
            return
        self.app.run_worker(self._lock_with_pin, thread=True, group="lock")
        # pushed now, not after the read: the data is hidden at once
        self._push(LockScreen(self._try_unlock, self.app.agent_label, pin=True))

    def _lock_with_pin(self) -> None:
        """In a worker: an agent without a PIN is asked for the 工号 instead."""
        from agentdesk.core import agents

        store = self.app.store
        if store is None:
            return
        with store.session() as session:
            found = agents.find(session, self.app.agent_code)
        if found is None or not found.pin_hash:
            self.app.call_from_thread(self._without_pin)

    def _without_pin(self) -> None:
        from agentdesk.screens.signin import LockScreen

        if isinstance(self.gate, LockScreen):
            self.gate.use_pin(False)

    def _try_unlock(self, text: str, gate: Gate) -> None:
        left = self.wait_until - time.monotonic()
        if left > 0:
            gate.refuse(t("lock.wait", seconds=int(left) + 1))
            return
        self.app.run_worker(lambda: self._unlock(text, gate), thread=True, group="unlock")

    def _unlock(self, text: str, gate: Gate) -> None:
        """In a worker: scrypt takes tens of milliseconds, never on the UI thread."""
        from agentdesk.core import agents

        store, ok = self.app.store, False
        if store is not None:
            with store.session() as session:
                found = agents.find(session, self.app.agent_code)
                if found is not None and gate.secret:
                    ok = agents.pin_matches(found.pin_hash, text)
                elif found is not None:  # no PIN: the agent's own 工号 (any case)
                    typed = agents.find(session, text)
                    ok = typed is not None and typed.id == found.id
        self.app.call_from_thread(self._unlocked if ok else self._wrong, gate)

    def _unlocked(self, gate: Gate) -> None:
        self.wrong, self.wait_until = 0, 0.0
        gate.done()

    def _wrong(self, gate: Gate) -> None:
        self.wrong += 1
        if self.wrong >= WRONG_TRIES:
            self.wrong, self.wait_until = 0, time.monotonic() + WAIT_S
            gate.refuse(t("lock.wait", seconds=int(WAIT_S)))
        else:
            gate.refuse(t("lock.wrong_pin" if gate.secret else "lock.wrong_code",
                          left=WRONG_TRIES - self.wrong))
