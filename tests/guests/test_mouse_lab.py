"""mouse_lab (our guest) detects the serial mouse as DOS drivers do and reads its reports."""

import pytest

from engine.chips.serial_mouse import LEFT, MIDDLE, RIGHT
from tests.guests.harness import GuestRun


@pytest.mark.parametrize("port", ["com1:logitech"])
def test_guest_detects_a_logitech_mouse_and_reads_motion_and_buttons(tmp_path, port):
    with GuestRun(tmp_path, "mouse_lab", mouse=port) as g:
        at = g.wait_for("mouse: M3\n")
        m = g.machine
        m.mouse_event(10, -5, LEFT)
        at = g.wait_for("X=+00010 Y=-00005 B=L..\n", start=at)
        m.mouse_event(300, 200, RIGHT)        # more than one report can carry: split
        at = g.wait_for("X=+00310 Y=+00195 B=.R.\n", start=at)
        m.mouse_event(0, 0, MIDDLE)
        at = g.wait_for("B=..M\n", start=at)
        m.mouse_event(-310, -195, 0)
        at = g.wait_for("X=+00000 Y=+00000 B=...\n", start=at)
        m.mouse_event(0, 0, LEFT | RIGHT)
        assert g.wait_end() == 1, g.text
        assert m.mouse.resets == 1


def test_the_default_mouse_is_microsofts_two_button_one(tmp_path):
    """``mouse = "com1"`` answers "M" alone, so drivers (CuteMouse, MOUSE.COM) install it as a
    Microsoft mouse; a middle button sends nothing (Microsoft's protocol has none)."""
    with GuestRun(tmp_path, "mouse_lab", mouse="com1") as g:
        at = g.wait_for("mouse: M\n")
        m = g.machine
        m.mouse_event(7, 3, LEFT)
        at = g.wait_for("X=+00007 Y=+00003 B=L..\n", start=at)
        m.mouse_event(0, 0, MIDDLE)
        at = g.wait_for("X=+00007 Y=+00003 B=...\n", start=at)
        m.mouse_event(0, 0, LEFT | RIGHT)
        assert g.wait_end() == 1, g.text
        assert "B=..M" not in g.text


def test_guest_finds_no_mouse_on_a_port_without_one(tmp_path):
    with GuestRun(tmp_path, "mouse_lab") as g:
        assert g.wait_end() == 7, g.text           # exit 3: (3 << 1) | 1
        assert "no mouse" in g.text


def test_a_report_reaches_the_guest_without_waiting_for_a_timer_tick(tmp_path):
    """A report takes ~16 ms to reach the guest (three bytes on the 1200-baud line), so most
    arrive between two timer ticks (55 ms apart). When the host's move also requested a stop
    from its own thread, a halted guest slept on with IRQ 4 pending until the next tick: then
    every report saw the tick count (0040:006Ch) move."""
    import time
    with GuestRun(tmp_path, "mouse_lab", mouse="com1:logitech") as g:
        at = g.wait_for("mouse: M3\n")
        m = g.machine
        ticks = []
        for i in range(8):
            time.sleep(0.013 * i % 0.05)               # spread over the tick's phase
            before = m.cpu.mem[0x46C]
            m.mouse_event(1, 0, LEFT if i % 2 == 0 else 0)
            at = g.wait_for("\n", start=at)
            ticks.append((m.cpu.mem[0x46C] - before) & 0xFF)
        assert 0 in ticks, ticks
