"""Settings: the data folder (shown; set XTBOX_HOME to move it), the host key, the theme and
the defaults for new VMs."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Select

from engine.errors import ConfigError
from engine.vmm import home
from engine.vmm.profile import check_memory
from tui.paths import shown


class SettingsScreen(Screen):
    BINDINGS = [Binding("ctrl+s", "save", "Save"), Binding("escape", "back", "Back")]

    def compose(self) -> ComposeResult:
        s = self.app.settings
        themes = sorted(self.app.available_themes)
        with VerticalScroll(id="form"):
            yield Label("Settings", classes="title")
            with Horizontal(classes="field"):
                yield Label("Data folder", classes="label")
                yield Label(f"{shown(home.data_home())}  (set XTBOX_HOME to use another)", id="home")
            with Horizontal(classes="field"):
                yield Label("Host key", classes="label")
                yield Input(s.host_key, id="host_key")
            yield Label("", id="host_key_error", classes="error")
            with Horizontal(classes="field"):
                yield Label("Theme", classes="label")
                yield Select([(t, t) for t in themes], value=s.theme if s.theme in themes
                             else "textual-dark", allow_blank=False, id="theme")
            with Horizontal(classes="field"):
                yield Label("New VMs: memory (KiB)", classes="label")
                yield Input(str(s.default_memory_kib), id="memory")
            yield Label("", id="memory_error", classes="error")
            with Horizontal(classes="field"):
                yield Label("New VMs: display", classes="label")
                yield Select([("CGA", "cga"), ("MDA", "mda")], value=s.default_display,
                             allow_blank=False, id="display")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
        yield Footer()

    def action_save(self) -> None:
        s = self.app.settings
        ok = True
        key = self.query_one("#host_key", Input).value.strip()
        if not key or " " in key:
            self.query_one("#host_key_error", Label).update(
                "expected a Textual key name such as ctrl+right_square_bracket or f12")
            ok = False
        try:
            memory = check_memory(int(self.query_one("#memory", Input).value))
        except (ValueError, ConfigError):
            self.query_one("#memory_error", Label).update(
                "expected KiB, a multiple of 16 from 64 to 640")
            ok = False
        if not ok:
            return
        s.host_key, s.default_memory_kib = key, memory
        s.theme = self.query_one("#theme", Select).value
        s.default_display = self.query_one("#display", Select).value
        s.save()
        self.app.theme = s.theme
        self.notify("Settings saved")
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    def pressed(self) -> None:
        self.action_save()

    def action_back(self) -> None:
        self.dismiss(None)
