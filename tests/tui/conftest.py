"""TUI tests: a private data folder per test, and no VM process left behind."""

from __future__ import annotations

import json
import os
import signal

import pytest


def kill_vms(home) -> None:
    for pidfile in home.glob("vms/*/vm.pid"):
        try:
            os.kill(json.loads(pidfile.read_text())["pid"], signal.SIGKILL)
        except (OSError, ValueError, KeyError):
            pass


@pytest.fixture
def home(tmp_path, monkeypatch):
    h = tmp_path / "home"
    monkeypatch.setenv("XTBOX_HOME", str(h))
    yield h
    kill_vms(h)


async def wait_for(pilot, predicate, timeout: float = 30.0) -> None:
    """Wait for a condition the app reaches by itself (a VM booting in its own process): a
    generous deadline, since a loaded 2-core machine can stall a VM process for seconds."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await pilot.pause(0.05)
    if predicate():
        return
    raise AssertionError("condition not reached in time")


# ---- the console screen without a VM behind it -------------------------------------------
def _console_double():
    from textual.app import App

    from tui.screens.console import ConsoleScreen

    class Console(ConsoleScreen):
        """The real console screen, no VM behind it: what it would send is recorded."""

        is_console = True

        def __init__(self) -> None:
            super().__init__("test")
            self.sent: list[int] = []

        def subscribe(self) -> None: ...
        def poll_status(self) -> None: ...
        def sender(self) -> None: ...

        def send(self, command: str, **arguments) -> None:
            if command == "keys":
                self.sent += arguments["scancodes"]

    class Host(App):
        CSS_PATH = "../../tui/app.tcss"

        def on_mount(self) -> None:
            self.push_screen(Console())

    return Console, Host


Console, Host = _console_double()
