"""What every screen looks like, at a fixed size (pytest-textual-snapshot; update with
--snapshot-update after a deliberate change).

Each test has a data folder of its own (runs side by side never collide); the screens show it
as ``~/xtbox-snapshot-home`` because the home folder is the test's own folder and the TUI
shows paths under the home folder with ``~`` (tui/paths.py)."""

from __future__ import annotations

import pytest

from tests.tui.conftest import kill_vms, wait_for
from tui.app import XtboxApp
from tui.control import manager

SIZE = (100, 32)


@pytest.fixture
def fixed_home(monkeypatch, tmp_path):
    home = tmp_path / "xtbox-snapshot-home"
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XTBOX_HOME", str(home))
    yield home
    kill_vms(home)


def steady(run_before):
    """The screen as run_before leaves it, with text cursors not blinking (the blink phase
    at the moment of the screenshot would otherwise decide whether the cursor shows)."""
    async def run(pilot) -> None:
        from textual.widgets import Input
        await run_before(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause(0.1)
    return run


def demo_running(monkeypatch) -> None:
    """The demo VM running, the console's live status figures fixed for the picture."""
    import tui.screens.console as console
    monkeypatch.setattr(console.manager, "status", lambda name: {
        "state": "running", "mips": 1.5, "disk_reads": 10, "disk_writes": 0, "serial": []})
    manager.create_vm("demo", demo=True)
    manager.start_vm("demo")


async def demo_console(pilot):
    """The demo VM's console, opened and composed, once the shell's prompt is on it."""
    from tui.widgets.console_view import ConsoleView
    pilot.app.open_console("demo")
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "ConsoleScreen"
                   and len(pilot.app.screen.query(ConsoleView)) > 0)
    view = pilot.app.screen.query_one(ConsoleView)
    await wait_for(pilot, lambda: any("xtbox>" in ln for ln in view.text_lines()))
    return view


def vms_listed(n: int):
    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: len(getattr(pilot.app.screen, "vms", [])) == n)
        await pilot.pause(0.2)
    return run_before


def make_vms() -> None:
    manager.create_vm("demo", demo=True, notes="The built-in demo disk")
    manager.create_vm("mono", demo=True, memory_kib=256, display="mda", serial=["pty"])


def test_file_picker(fixed_home, snap_compare):
    images = fixed_home / "images"
    (images / "old").mkdir(parents=True)
    for name in ("dos622.img", "work.qcow2", "readme.txt"):
        (images / name).write_bytes(b"")

    async def run_before(pilot) -> None:
        from tui.screens.file_picker import ImageTree
        await pilot.pause(0.2)
        await pilot.press("n")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "VMFormScreen")
        pilot.app.screen.query_one("#name").value = "pick"
        await pilot.press("ctrl+n")                     # the wizard's Disks page
        await wait_for(pilot, lambda: pilot.app.screen.step == 1)
        pilot.app.screen.query_one("#fda").value = str(images / "dos622.img")
        await pilot.click("#browse_fda")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "FilePickerScreen")
        tree = pilot.app.screen.query_one(ImageTree)
        await wait_for(pilot, lambda: len(tree.root.children) == 3)
        await pilot.pause(0.2)
    assert snap_compare(XtboxApp(), terminal_size=SIZE, run_before=steady(run_before))


def test_manager_first_start(fixed_home, snap_compare):
    assert snap_compare(XtboxApp(), terminal_size=SIZE, run_before=steady(vms_listed(0)))


def test_manager_with_vms(fixed_home, snap_compare):
    make_vms()
    assert snap_compare(XtboxApp(), terminal_size=SIZE, run_before=steady(vms_listed(2)))


def test_new_vm_form_with_errors(fixed_home, snap_compare):
    async def run_before(pilot) -> None:
        await pilot.pause(0.2)
        await pilot.press("n")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "VMFormScreen")
        pilot.app.screen.query_one("#memory").value = "1000"
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
    assert snap_compare(XtboxApp(), terminal_size=SIZE, run_before=steady(run_before))


def test_edit_form(fixed_home, snap_compare):
    make_vms()

    async def run_before(pilot) -> None:
        await vms_listed(2)(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "VMFormScreen")
        await pilot.pause(0.2)
    assert snap_compare(XtboxApp(), terminal_size=SIZE, run_before=steady(run_before))


def _screen_after(keys: tuple[str, ...], screen: str, n: int = 2):
    async def run_before(pilot) -> None:
        await vms_listed(n)(pilot)
        await pilot.press(*keys)
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == screen)
        await pilot.pause(0.5)
    return steady(run_before)


def test_delete_confirmation(fixed_home, snap_compare):
    make_vms()
    assert snap_compare(XtboxApp(), terminal_size=SIZE,
                        run_before=_screen_after(("delete",), "ConfirmScreen"))


def test_clone_prompt(fixed_home, snap_compare):
    make_vms()
    assert snap_compare(XtboxApp(), terminal_size=SIZE,
                        run_before=_screen_after(("c",), "PromptScreen"))


def test_snapshots_screen(fixed_home, snap_compare):
    make_vms()
    assert snap_compare(XtboxApp(), terminal_size=SIZE,
                        run_before=_screen_after(("S",), "SnapshotsScreen"))


def test_disks_screen(fixed_home, snap_compare):
    make_vms()

    async def run_before(pilot) -> None:
        await _screen_after(("d",), "DisksScreen")(pilot)
        await wait_for(pilot, lambda: pilot.app.screen.disks)
        await pilot.pause(0.2)
    assert snap_compare(XtboxApp(), terminal_size=SIZE, run_before=steady(run_before))


def test_settings_screen(fixed_home, snap_compare):
    assert snap_compare(XtboxApp(), terminal_size=SIZE,
                        run_before=_screen_after(("comma",), "SettingsScreen", n=0))


def test_console_and_menu(fixed_home, snap_compare, monkeypatch):
    """The console on the demo VM at its prompt; the status line's live figures are fixed."""
    demo_running(monkeypatch)

    async def run_before(pilot) -> None:
        view = await demo_console(pilot)
        await pilot.press(*"help", "enter")
        await wait_for(pilot, lambda: any("load" in ln for ln in view.text_lines()))
        await pilot.pause(0.3)
        await pilot.press("ctrl+right_square_bracket")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "ConsoleMenu")
        await pilot.pause(0.2)
    assert snap_compare(XtboxApp(), terminal_size=SIZE, run_before=steady(run_before))


def test_console_at_80x24_with_the_prompt_on_the_last_row(fixed_home, snap_compare,
                                                        monkeypatch):
    """80x24, the usual terminal: no frame, no status line, every column; the guest's output
    has reached its last row and the view follows the cursor (row 1 hidden above). The
    hardware cursor is held in its on phase."""
    from tui.widgets.console_view import ConsoleView
    monkeypatch.setattr(ConsoleView, "_blink_cursor", lambda self: None)
    demo_running(monkeypatch)

    async def run_before(pilot) -> None:
        view = await demo_console(pilot)
        for _ in range(3):
            await pilot.press(*"help", "enter")
        await pilot.press(*"echo done", "enter")          # the last answer: all typed is done

        def done() -> bool:
            lines = [ln.rstrip() for ln in view.text_lines()]
            return lines[-2:] == ["done", "xtbox>"] and view.top == 1
        await wait_for(pilot, done)
        view.cursor_on = True
        view.refresh()
        await pilot.pause(0.3)
    assert snap_compare(XtboxApp(), terminal_size=(80, 24), run_before=steady(run_before))


def test_edit_form_peripherals(fixed_home, snap_compare):
    """The editor's ports section: COM ports, mouse, speaker, LPT1/LPT2 and an error line."""
    manager.create_vm("dos", demo=True, mouse="com1", speaker="wav:beeps.wav",
                      lpt1="file:out.prn")

    async def run_before(pilot) -> None:
        await vms_listed(1)(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "VMFormScreen")
        form = pilot.app.screen
        form.query_one("#com1_kind").value = "pty"          # the mouse's port: refused
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        form.query_one("#lpt2_kind").focus()
        form.query_one("#lpt2_error").scroll_visible(animate=False)
        await pilot.pause(0.3)
    assert snap_compare(XtboxApp(), terminal_size=SIZE, run_before=steady(run_before))
