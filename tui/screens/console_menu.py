"""What the host key opens in the console: the things a terminal cannot send, and the way out."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

CHOICES = [
    ("leave", "Back to the manager (the VM keeps running)"),
    ("cad", "Send Ctrl+Alt+Del"),
    ("break", "Send Ctrl+Break"),
    ("pausekey", "Send Pause"),
    ("prtsc", "Send Print Screen"),
    ("sysrq", "Send SysRq (Alt+PrtSc)"),
    ("sendkeys", "Send keys…"),
    ("pause", "Pause"),
    ("resume", "Resume"),
    ("reset", "Reset"),
    ("copy", "Copy the screen as text"),
    ("text", "Save a screenshot (text)"),
    ("svg", "Save a screenshot (SVG)"),
    ("com1", "Reconnect COM1's host port"),
    ("com2", "Reconnect COM2's host port"),
]


class ConsoleMenu(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss_none", "Back to the console")]

    def __init__(self, vm: str) -> None:
        super().__init__()
        self.vm = vm

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Console of {self.vm}", classes="question")
            yield OptionList(*(Option(text, id=key) for key, text in CHOICES), id="menu")

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
