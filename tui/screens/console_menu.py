"""What the host key opens in the console: the things a terminal cannot send, the diskettes,
and the way out."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from engine.errors import ConfigError
from tui.control import manager

CHOICES = [
    ("leave", "Back to the manager (the VM keeps running)"),
    ("poweroff", "Power off (disks flushed)"),
    ("cad", "Send Ctrl+Alt+Del"),
    ("break", "Send Ctrl+Break"),
    ("pausekey", "Send Pause"),
    ("prtsc", "Send Print Screen"),
    ("sysrq", "Send SysRq (Alt+PrtSc)"),
    ("sendkeys", "Send keys…"),
    ("pause", "Pause"),
    ("resume", "Resume"),
    ("reset", "Reset"),
    ("floppy-a", "Change floppy A:…"),
    ("floppy-b", "Change floppy B:…"),
    ("status", "Show or hide the status line"),
    ("copy", "Copy the screen as text"),
    ("text", "Save a screenshot (text)"),
    ("svg", "Save a screenshot (SVG)"),
    ("png", "Save a screenshot (PNG, the displayed frame)"),
    ("scale", "Graphics scale: fit, 1x, 2x, 4x"),
    ("com1", "Reconnect COM1's host port"),
    ("com2", "Reconnect COM2's host port"),
    ("mouse", "Release the mouse (the terminal's again)"),   # last: absent without a mouse
]


class ConsoleMenu(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss_none", "Back to the console")]

    def __init__(self, vm: str, media: dict[str, str | None] | None = None, *,
                 mouse: bool | None = None, ports: dict[str, str] | None = None) -> None:
        super().__init__()
        self.vm = vm
        self.media = media or {}          # drive letter -> image in it (None: empty)
        self.ports = ports or {}          # com1 -> where its host end is (a pty's path)
        self.mouse = mouse                # captured? None: the VM has no mouse

    def label(self, key: str, text: str) -> str:
        if key == "mouse" and self.mouse is False:
            return "Capture the mouse for the guest"
        if key.startswith("floppy-") and key[-1] in self.media:
            image = self.media[key[-1]]
            return f"{text.rstrip('…')} (now {Path(image).name if image else 'empty'})…"
        if key in self.ports:
            return f"{text} ({self.ports[key]})"
        return text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Console of {self.vm}", classes="question")
            only = getattr(self.app, "console_only", False)     # no manager to go back to
            yield OptionList(*(Option(self.label(key, text), id=key) for key, text in CHOICES
                               if not (only and key == "leave")
                               and not (key == "mouse" and self.mouse is None)), id="menu")

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


def change_floppy(screen: Screen, vm: str, letter: str, current: str | None) -> None:
    """The file picker for diskette drive ``letter`` (Eject empties it), then the change,
    through the VM's control socket in a worker thread; the outcome is a notification."""
    from tui.screens.file_picker import FilePickerScreen

    def picked(path: str | None) -> None:
        if path is None:
            return

        def change() -> None:
            try:
                out = manager.change_media(vm, letter, path or None)
            except ConfigError as exc:
                screen.app.call_from_thread(screen.notify, str(exc), severity="error")
                return
            what = (f"{Path(path).name} ({out.get('format')})" if path else "empty")
            screen.app.call_from_thread(screen.notify, f"{letter.upper()}: {what}", title=vm)

        screen.run_worker(change, thread=True, group="media")

    screen.app.push_screen(FilePickerScreen(f"Floppy {letter.upper()}: of {vm}", start=current,
                                            empty_label="Eject"), picked)
