"""What the app shells' thread workers hand back to the UI thread: typed messages posted
with ``post_message`` (safe from any thread) and handled by the app's ``on_...`` methods,
instead of callbacks that assume which screen is showing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from agentdesk.core.store import Store
    from agentdesk.customers.contacts import Ringing
    from agentdesk.customers.lookup import Match
    from agentdesk.demo.generate import DemoSummary
    from agentdesk.sync.desk_runner import SyncOutcome
    from agentdesk.tickets.escalation import Alert
    from agentdesk.tickets.service import QueueRow


class StoreReady(Message):
    """The store is open (migrated, and filled with demo data when ``filled`` says so)."""

    def __init__(self, store: Store, filled: DemoSummary | None = None,
                 agent_name: str = "", agent: Any = None, status: Any = None) -> None:
        super().__init__()
        self.store = store
        self.filled = filled
        self.agent_name = agent_name  # as the agents table has it (one name everywhere)
        self.agent = agent  # core.agents.Found signed in at start; None: ask (apps/presence)
        self.status = status  # their core.agent_status.Current


class StoreFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class CallRinging(Message):
    """Call ``serial`` is on record: its contact (None when the number was junk, then
    ``error`` says why) and the customer the number names, when it names exactly one."""

    def __init__(self, serial: int, ringing: Ringing | None,
                 callers: tuple[Match, ...] = (), error: str = "") -> None:
        super().__init__()
        self.serial = serial
        self.ringing = ringing
        self.callers = callers  # every customer with the number (the pop lists them)
        self.caller = callers[0] if len(callers) == 1 else None
        self.error = error


class MyQueueLoaded(Message):
    def __init__(self, rows: list[QueueRow]) -> None:
        super().__init__()
        self.rows = rows


class SyncFinished(Message):
    """The scheduled sync ran (the outcome says what it did, or why it could not)."""

    def __init__(self, outcome: SyncOutcome) -> None:
        super().__init__()
        self.outcome = outcome


class AlertsRaised(Message):
    """The escalation scan fired warnings or escalations on my tickets."""

    def __init__(self, alerts: list[Alert]) -> None:
        super().__init__()
        self.alerts = alerts
