"""`xtbox run --display tui` is the manager's console alone (tui/cli/run.py): the same screen,
no manager behind it, Ctrl+C typed into the guest, and Power off in the host-key menu ends the
VM and the app."""

from __future__ import annotations

from tests.tui.conftest import wait_for
from tui.app import XtboxApp
from tui.control import manager
from tui.screens.console import ConsoleScreen
from tui.widgets.console_view import ConsoleView


async def test_console_only_app_powers_off_from_the_menu(home):
    from tui.screens.console_menu import CHOICES
    manager.create_vm("run", demo=True)
    manager.start_vm("run")
    app = XtboxApp(console="run", console_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        assert [type(s).__name__ for s in app.screen_stack][1:] == ["ConsoleScreen"]
        view = app.screen.query_one(ConsoleView)
        await wait_for(pilot, lambda: any("xtbox>" in ln for ln in view.text_lines()))
        sent = []
        original = app.screen.send
        app.screen.send = lambda command, **kw: (sent.append((command, kw)),
                                                 original(command, **kw))
        await pilot.press("ctrl+c")                          # to the guest, not to the app
        assert sent and sent[0] == ("keys", {"scancodes": [0x1D, 0x2E, 0xAE, 0x9D]})
        assert app.is_running
        await pilot.press("ctrl+right_square_bracket")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConsoleMenu")
        ids = [app.screen.query_one("#menu").get_option_at_index(i).id
               for i in range(app.screen.query_one("#menu").option_count)]
        assert "leave" not in ids and ids[0] == "poweroff"   # no manager to go back to
        assert set(ids) == {key for key, _ in CHOICES} - {"leave", "mouse"}   # no mouse here
        await pilot.press("enter")
        await wait_for(pilot, lambda: manager.vm_info("run").state == "poweroff", timeout=30)
        await wait_for(pilot, lambda: not app.is_running, timeout=15)


async def test_the_console_says_where_a_pty_is(home):
    """A VM of `xtbox run --display tui` lives in a throwaway data folder, so the console is
    where its user learns the pty's path: said once when the console opens, and on the menu's
    reconnect entry."""
    import os
    manager.create_vm("run", demo=True, serial=["pty"])
    manager.start_vm("run")
    app = XtboxApp(console="run", console_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        await wait_for(pilot, lambda: any(n.title == "Serial ports"
                                          for n in app._notifications))
        note = next(n for n in app._notifications if n.title == "Serial ports")
        path = note.message.removeprefix("COM1: pty ")
        assert path.startswith("/dev/pts/") and os.path.exists(path), note.message
        await pilot.press("ctrl+right_square_bracket")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConsoleMenu")
        menu = app.screen.query_one("#menu")
        labels = [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
        assert f"Reconnect COM1's host port (pty {path})" in labels
    manager.stop_vm("run")
