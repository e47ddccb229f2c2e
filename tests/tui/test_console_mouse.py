"""The terminal's mouse as the guest's: Pilot mouse events in the console, down to what our
mouse_lab guest reads in a real VM process; the release/capture menu item; the bell."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.tui.conftest import wait_for
from tui.app import XtboxApp
from tui.control import manager
from tui.mouse import COUNTS_ACROSS, COUNTS_DOWN, MouseMapper, MouseQueue
from tui.widgets.console_view import ConsoleView

GUESTS = Path(__file__).resolve().parents[1] / "guests"
SIZE = (80, 24)


def test_a_sweep_across_the_view_is_a_sweep_across_the_guest_screen():
    m = MouseMapper()
    assert m.move(0, 0, 80, 25) == (0, 0)               # the first position is the origin
    dx, dy = m.move(79, 24, 80, 25)
    assert (dx, dy) == (round(79 * COUNTS_ACROSS / 80), round(24 * COUNTS_DOWN / 25))
    total = [0, 0]                                       # cell by cell: no rounding drift
    m.reset()
    m.move(0, 0, 53, 17)
    for x in range(1, 53):
        step = m.move(x, x * 16 // 52, 53, 17)
        total[0] += step[0]
        total[1] += step[1]
    assert total == [round(52 * COUNTS_ACROSS / 53), round(16 * COUNTS_DOWN / 17)]
    assert m.move(500, -3, 53, 17) == (0, -total[1])    # outside the view: clamped to it


def test_the_queue_merges_motion_but_keeps_every_click():
    q = MouseQueue()
    assert q.add(3, 4) is True and q.add(5, -1) is False          # one command, summed
    assert q.add(0, 0, 1) is True and q.add(0, 0, 0) is True      # press, release: kept
    assert q.add(2, 2) is False                                   # joins the release
    assert [q.take(), q.take(), q.take(), q.take()] == [
        {"dx": 8, "dy": 3, "buttons": 0}, {"dx": 0, "dy": 0, "buttons": 1},
        {"dx": 2, "dy": 2, "buttons": 0}, None]


def _mouse_vm(home, name: str = "mo", **settings) -> None:
    image = home.parent / "mouse_lab.img"
    shutil.copy(GUESTS / "mouse_lab.img", image)
    manager.create_vm(name, fda=str(image), mouse="com1:logitech", **settings)
    manager.start_vm(name)


def _reports(name: str) -> int:
    return manager.status(name)["mouse"]["reports"]


async def test_console_mouse_drives_the_guest_mouse(home):
    _mouse_vm(home)
    app = XtboxApp(console="mo")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConsoleScreen")
        console = app.screen
        view = console.query_one(ConsoleView)

        def shows(text: str) -> bool:
            return any(text in line for line in view.text_lines())

        async def at(col: int, row: int) -> tuple[int, int]:
            """A pilot offset (the widget's outer region) for a cell of the guest view."""
            region = view.content_region
            return (region.x - view.region.x + col, region.y - view.region.y + row)

        await wait_for(pilot, lambda: shows("mouse: M3"))
        await wait_for(pilot, lambda: console.mouse_port == "com1")
        width, height = view.content_region.width, view.content_region.height
        await pilot.hover(ConsoleView, offset=await at(0, 0))
        await pilot.hover(ConsoleView, offset=await at(40, 12))
        x, y = round(40 * 640 / width), round(12 * 400 / height)
        await wait_for(pilot, lambda: shows(f"X=+{x:05d} Y=+{y:05d} B=..."))
        await pilot.mouse_down(ConsoleView, offset=await at(40, 12))
        await wait_for(pilot, lambda: shows("B=L.."))
        await pilot.mouse_up(ConsoleView, offset=await at(40, 12))
        await wait_for(pilot, lambda: view.text_lines()[-1].strip() == ""
                       and shows(f"X=+{x:05d} Y=+{y:05d} B=...") and _reports("mo") >= 3)
        await pilot.click(ConsoleView, offset=await at(40, 12), button=3)     # right
        await wait_for(pilot, lambda: shows("B=.R."))
        await pilot.click(ConsoleView, offset=await at(40, 12), button=2)     # middle
        await wait_for(pilot, lambda: shows("B=..M"))
        await pilot.hover(ConsoleView, offset=await at(0, 0))                 # back home
        await wait_for(pilot, lambda: shows("X=+00000 Y=+00000 B=..."))

        # Released from the console menu: the pointer no longer reaches the guest.
        console.menu_choice("mouse")
        assert not console.mouse_captured
        await pilot.pause(0.3)
        before = _reports("mo")
        await pilot.hover(ConsoleView, offset=await at(20, 5))
        await pilot.click(ConsoleView, offset=await at(20, 5))
        await pilot.pause(0.5)
        assert _reports("mo") == before
        console.menu_choice("mouse")            # captured: where it is now is the origin
        await pilot.hover(ConsoleView, offset=await at(21, 5))
        await pilot.hover(ConsoleView, offset=await at(31, 5))
        await wait_for(pilot, lambda: _reports("mo") > before)
        x = round(31 * 640 / width) - round(21 * 640 / width)
        await wait_for(pilot, lambda: shows(f"X=+{x:05d} Y=+00000 B=..."))
        status = str(console.query_one("#status").render())
        assert "COM1 mouse" in status
    manager.stop_vm("mo")


async def test_the_console_menu_offers_release_only_with_a_mouse(home):
    from tui.screens.console_menu import ConsoleMenu
    app = XtboxApp(console=None)
    async with app.run_test(size=SIZE) as pilot:
        for mouse, label in ((True, "Release the mouse"), (False, "Capture the mouse"),
                             (None, None)):
            menu = ConsoleMenu("x", mouse=mouse)
            app.push_screen(menu)
            await pilot.pause()
            options = menu.query_one("#menu")
            texts = [str(options.get_option_at_index(i).prompt)
                     for i in range(options.option_count)]
            assert any(label in t for t in texts) if label else not any(
                "mouse" in t for t in texts)
            app.pop_screen()


async def test_bell_speaker_rings_the_terminal_bell_from_the_console(home):
    image = home.parent / "speaker_lab.img"
    shutil.copy(GUESTS / "speaker_lab.img", image)
    manager.create_vm("sp", fda=str(image), speaker="bell")
    manager.start_vm("sp")
    app = XtboxApp(console="sp")
    rung: list[int] = []
    app.bell = lambda: rung.append(1)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConsoleScreen")
        await wait_for(pilot, lambda: "spk bell" in str(app.screen.query_one("#status")
                                                            .render()))
        # Any key is a 50 ms beep once the lab's opening sounds are over (beeps closer than
        # a quarter second to the last are one ring): keys until one rings.
        for _ in range(60):
            await pilot.press("x")
            await pilot.pause(0.5)
            if rung:
                break
        assert rung
        assert app.screen.bells == len(rung)
        app.screen.query_one(ConsoleView)       # still the console: rings only there
    manager.stop_vm("sp")


def test_status_line_fits_80_columns_with_every_port():
    from tui.screens.console import status_line
    st = {"state": "running", "mips": 1.25, "disk_reads": 1234, "disk_writes": 56,
          "idle": {"share": 0.97},
          "serial": [{"port": "com1", "spec": "none"},
                     {"port": "com2", "spec": "pty", "connected": True}],
          "speaker": {"spec": "wav:/tmp/x.wav", "available": True},
          "printers": [{"port": "lpt1", "spec": "file:out.prn", "connected": True},
                       {"port": "lpt2", "spec": "none"}]}
    wide = status_line("dos", st, "com1", True, "ctrl+]", 200)
    assert wide == (" dos: running  1.25 MIPS  idle 97%  disk r/w 1234/56  COM1 mouse  "
                    "COM2 on  spk wav  LPT1 on   [ctrl+]: menu]")
    del st["serial"][1]["spec"]                         # COM2 not connected: not shown
    narrow = status_line("dos", st, "com1", False, "ctrl+]", 80)
    assert narrow == " dos: running  1.25 MIPS  COM1 mouse released  spk wav  LPT1 on   " \
        "[ctrl+]: menu]"
    st["serial"][1]["spec"] = "pty"
    crowded = status_line("dos", st, "com1", False, "ctrl+]", 80)
    assert len(crowded) == 80 and crowded.endswith("…   [ctrl+]: menu]")
    assert "COM1 mouse released" in crowded


async def test_in_a_graphics_mode_a_sweep_across_the_picture_crosses_the_screen():
    """Mode 4 in half blocks: the picture (not the view's margins) maps to the guest's
    640 x 400 counts; buttons as in text modes. The console double records the commands."""
    from textual.app import App

    from engine.chips.cga import CGA
    from engine.vmm.screen_feed import ScreenFeed
    from tests.tui.conftest import Console
    from tui.screens.console import ScreenUpdate
    from tui.widgets.graphics_view import GraphicsView

    sent = []

    class MouseConsole(Console):
        def send(self, command: str, **arguments) -> None:
            if command == "mouse":
                sent.append(self.mouse_queue.take())

    class MouseHost(App):
        CSS_PATH = str(Path(__file__).resolve().parents[2] / "tui" / "app.tcss")

        def on_mount(self) -> None:
            self.push_screen(MouseConsole())

    mem = bytearray(0x100000)
    cga = CGA()
    cga.write(0x3D8, 0x0A)                       # 320 x 200, 4 colours
    app = MouseHost()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MouseConsole))
        console = app.screen
        console.mouse_port = "com1"
        console.post_message(ScreenUpdate(ScreenFeed().update(cga.screen(mem))))
        await wait_for(pilot, lambda: console.query_one(GraphicsView).display)
        await pilot.pause()
        view = console.query_one(GraphicsView)
        across, _down = view.target()
        region = view.content_region
        assert across <= region.width
        offset = (region.x - view.region.x, region.y - view.region.y)
        await pilot.hover(GraphicsView, offset=offset)
        await pilot.hover(GraphicsView, offset=(offset[0] + across - 1,
                                                offset[1] + region.height - 1))
        await pilot.click(GraphicsView, offset=(offset[0] + across - 1,
                                                offset[1] + region.height - 1), button=3)
        await pilot.pause()
    moves = [s for s in sent if s["dx"] or s["dy"]]
    assert sum(s["dx"] for s in moves) == round((across - 1) * 640 / across)
    assert sum(s["dy"] for s in moves) == round((region.height - 1) * 400 / region.height)
    assert [s["buttons"] for s in sent if not (s["dx"] or s["dy"])] == [2, 0]    # right
