"""The desk's header: who is working, on which database, sync state, and the clock.

It reads its state from the app (one source for every screen's header) and redraws
once a second for the clock. Agent names and paths are data: built as rich Text.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from agentdesk.core import clock
from agentdesk.core.i18n import t


class DeskHeader(Widget):
    DEFAULT_CSS = """
    DeskHeader {
        dock: top;
        height: 1;
        background: $primary-background;
        color: $foreground;
    }
    """

    def on_mount(self) -> None:
        self.set_interval(1, self.refresh)

    def render(self) -> Text:
        app = self.app
        now = clock.local().strftime("%Y-%m-%d %H:%M:%S")
        title = getattr(app, "desk_title", t("app.title"))
        left = Text.assemble((f" {title} ", "bold reverse"), " ",
                             (f"{t('app.agent')} ", "dim"), getattr(app, "agent_label", ""),
                             "  ", (f"{t('app.db')} ", "dim"), getattr(app, "db_name", ""),
                             "  ", (f"{t('app.sync')} ", "dim"),
                             getattr(app, "sync_state", ""))
        rows = getattr(app, "my_queue", None)
        if rows is not None and getattr(app, "store", None) is not None:
            left.append("  ")
            left.append_text(self._counts(rows))
        status = getattr(app, "status", "")
        if status:
            left.append("  ")
            left.append(status, "italic")
        right = Text(f"{now} ")
        width = self.size.width
        left.truncate(max(0, width - right.cell_len - 1), overflow="ellipsis")
        gap = max(1, width - left.cell_len - right.cell_len)
        return left + Text(" " * gap) + right

    @staticmethod
    def _counts(rows: list) -> Text:
        """我的 N · 15 分钟内 N · 超时 N: recomputed every second from the loaded rows."""
        from agentdesk.tickets import queue

        c = queue.counts(rows, clock.now())
        return Text.assemble(
            (t("header.mine", n=c.open), ""), " · ",
            (t("header.soon", n=c.soon), "bold dark_orange" if c.soon else ""), " · ",
            (t("header.breached", n=c.breached), "bold reverse red" if c.breached else ""))
