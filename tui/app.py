"""The xtbox app: the manager, and the screens it opens.

The app talks to VMs only through tui.control (the manager API and the control sockets);
nothing here imports the engine's CPU, chips or machine.
"""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from tui.commands import XtboxCommands
from tui.settings import Settings


class XtboxApp(App):
    TITLE = "xtbox"
    SUB_TITLE = "VirtualBox for the terminal"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {XtboxCommands}
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False)]

    def __init__(self, *, console: str | None = None, console_only: bool = False,
                 graphics: str | None = None) -> None:
        """``console_only``: just that VM's console, and the app ends with it (`xtbox run
        --display tui`). ``graphics``: auto|halfblocks|kitty, over the settings' choice; auto
        asks the terminal now, before Textual owns it (tui/pixels.py)."""
        super().__init__()
        self.console_only = console_only
        from tui import alt_prefix, hangup, kitty
        kitty.install()          # a stray key-release report must never upset the parser
        hangup.install()         # a closed terminal ends the app (its VM powered off)
        # Now, before the driver builds its parser (which takes its key table when built):
        # installed later, when a console is first shown, ESC f stayed ctrl+right.
        alt_prefix.install()
        self.settings = Settings.load()
        self.initial_console = console
        import os

        from tui import pixels
        setting = pixels.parse_renderer(graphics or self.settings.graphics_renderer)
        reply = pixels.query_terminal() if setting == "auto" else None
        self.graphics_renderer = pixels.choose(setting, os.environ, reply)
        if setting == "auto" and self.console.color_system != "truecolor":
            self.graphics_renderer = "halfblocks"   # the image id is a 24-bit colour

    def on_mount(self) -> None:
        from tui.screens.manager import ManagerScreen
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        for warning in self.settings.warnings:
            self.notify(warning, severity="warning")
        if self.console_only and self.initial_console:
            self.open_console(self.initial_console)
            return
        self.push_screen(ManagerScreen())
        if self.initial_console:
            self.open_console(self.initial_console)

    def open_console(self, name: str) -> None:
        from tui.screens.console import ConsoleScreen
        self.push_screen(ConsoleScreen(name))


def run_app(console: str | None = None) -> int:
    XtboxApp(console=console).run()
    return 0
