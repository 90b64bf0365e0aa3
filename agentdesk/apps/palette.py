"""The command palette in the catalog's language (issue 19, item 10).

Textual's palette speaks English of its own: the footer's ``palette`` key, the
``Search for commands…`` placeholder, ``No matches found``, and the system commands
(Theme, Quit, Keys, ...). Each is routed through the catalog here, by the hooks Textual
offers: the app's own ``command_palette`` binding (Textual then adds none), the
``placeholder`` argument of :class:`CommandPalette`, and ``App.get_system_commands``.
``No matches found`` has no hook: :class:`CatalogPalette` replaces the one method that
writes it (a test opens the palette, so a Textual upgrade that moves it is caught).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.align import Align
from rich.text import Text
from textual.app import SystemCommand
from textual.binding import Binding
from textual.command import CommandList, CommandPalette
from textual.widgets.option_list import Option

from agentdesk.core.i18n import t
from agentdesk.screens.i18n_bindings import localize

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

# The app's own palette binding: its description is a catalog key (localize() puts the
# language in), so the footer says 命令 / Commands, not Textual's "palette".
PALETTE_BINDING = Binding("ctrl+p", "command_palette", "palette.key", show=False,
                          priority=True, tooltip="palette.tooltip")


class CatalogPalette(CommandPalette):
    """Textual's palette with the catalog's placeholder and "no matches" line, and its
    keys named in the catalog (the Keys panel lists them)."""

    BINDINGS = [  # Textual's own, with catalog keys for descriptions (localize)
        Binding("ctrl+end, shift+end", "command_list('last')", "palette.bind.last",
                show=False),
        Binding("ctrl+home, shift+home", "command_list('first')", "palette.bind.first",
                show=False),
        Binding("down", "cursor_down", "palette.bind.down", show=False),
        Binding("escape", "escape", "palette.bind.escape"),
        Binding("pagedown", "command_list('page_down')", "palette.bind.page_down",
                show=False),
        Binding("pageup", "command_list('page_up')", "palette.bind.page_up", show=False),
        Binding("up", "command_list('cursor_up')", "palette.bind.up", show=False),
    ]

    def __init__(self, providers: list | None = None, placeholder: str | None = None,
                 id: str | None = None) -> None:
        super().__init__(providers, placeholder=placeholder or t("palette.placeholder"), id=id)
        localize(self)

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual's own (textual/command.py) with the catalog's words.
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(Option(
                    Align.center(Text(t("palette.no_matches"), style="not bold")),
                    disabled=True, id=self._NO_MATCHES))
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)


def open_palette(app: App) -> None:
    """``action_command_palette``: the catalog's palette."""
    if app.use_command_palette and not CommandPalette.is_open(app):
        app.push_screen(CatalogPalette(id="--command-palette"))


def search_themes(app: App) -> None:
    from textual.theme import ThemeProvider

    app.push_screen(CatalogPalette(providers=[ThemeProvider],
                                   placeholder=t("palette.themes")))


def system_commands(app: App, screen: Screen) -> Iterable[SystemCommand]:
    """Textual's system commands (App.get_system_commands), titles and help from the
    catalog."""
    yield SystemCommand(t("palette.theme"), t("palette.theme.help"), app.action_change_theme)
    yield SystemCommand(t("palette.quit"), t("palette.quit.help"), app.action_quit)
    if screen.query("HelpPanel"):
        yield SystemCommand(t("palette.keys"), t("palette.keys.hide"),
                            app.action_hide_help_panel)
    else:
        yield SystemCommand(t("palette.keys"), t("palette.keys.show"),
                            app.action_show_help_panel)
    if screen.maximized is not None:
        yield SystemCommand(t("palette.minimize"), t("palette.minimize.help"),
                            screen.action_minimize)
    elif screen.focused is not None and screen.focused.allow_maximize:
        yield SystemCommand(t("palette.maximize"), t("palette.maximize.help"),
                            screen.action_maximize)
    yield SystemCommand(t("palette.screenshot"), t("palette.screenshot.help"),
                        lambda: app.set_timer(0.1, app.deliver_screenshot))
