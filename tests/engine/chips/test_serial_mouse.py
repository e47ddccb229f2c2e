"""The Microsoft serial mouse behind a 16550: detection by the modem lines, reports, pace."""

import pytest

from engine.chips.base import PIT_HZ
from engine.chips.ns16550 import UART16550
from engine.chips.serial_mouse import LEFT, MIDDLE, RIGHT, SerialMouse, parse_buttons

BASE = 0x3F8


class Rig:
    def __init__(self, buttons=3):
        self.t = 0
        self.mouse = SerialMouse(clock=lambda: self.t, buttons=buttons)
        self.uart = UART16550(BASE, backend=self.mouse, clock=lambda: self.t)
        u = self.uart
        u.write(BASE + 3, 0x80)                 # 1200 baud, 7N1, as the drivers set it
        u.write(BASE, 96)
        u.write(BASE + 1, 0)
        u.write(BASE + 3, 0x02)

    def run(self, seconds):
        end = self.t + int(seconds * PIT_HZ)
        while self.t < end:
            self.t = min(end, self.t + PIT_HZ // 1000)
            self.uart.tick(self.t)

    def received(self, seconds=0.2):
        out = bytearray()
        end = self.t + int(seconds * PIT_HZ)
        while self.t < end:
            self.run(0.001)
            while self.uart.read(BASE + 5) & 1:
                out.append(self.uart.read(BASE))
        return bytes(out)

    def power(self, mcr):
        self.uart.write(BASE + 4, mcr)


def decode(packet):
    b0, b1, b2 = packet[:3]
    assert b0 & 0x40 and not b1 & 0x40 and not b2 & 0x40
    dx = ((b0 & 0x03) << 6) | b1
    dy = ((b0 & 0x0C) << 4) | b2
    return (dx - 256 if dx > 127 else dx, dy - 256 if dy > 127 else dy,
            bool(b0 & 0x20), bool(b0 & 0x10))


@pytest.mark.parametrize("buttons, ident", [(2, b"M"), (3, b"M3")])
def test_raising_dtr_and_rts_announces_the_mouse(buttons, ident):
    rig = Rig(buttons)
    rig.power(0x00)
    assert rig.received(0.1) == b""
    rig.power(0x01)                           # DTR alone: still unpowered
    assert rig.received(0.1) == b""
    rig.power(0x0B)                           # DTR, RTS, OUT2
    assert rig.received() == ident
    rig.power(0x09)                           # RTS dropped...
    rig.power(0x0B)                           # ...and raised: a reset, announced again
    assert rig.received() == ident
    assert rig.mouse.resets == 2


def test_motion_and_buttons_arrive_as_three_byte_reports():
    rig = Rig(2)
    rig.power(0x03)
    rig.received()
    rig.mouse.move(10, -5, LEFT)
    assert decode(rig.received()) == (10, -5, True, False)
    rig.mouse.move(-100, 100, RIGHT)
    assert decode(rig.received()) == (-100, 100, False, True)


def test_large_moves_are_split_and_summed_never_lost():
    rig = Rig(2)
    rig.power(0x03)
    rig.received()
    for _ in range(50):                      # faster than the line can report
        rig.mouse.move(20, 7)
    data = rig.received(1.0)
    reports = [decode(data[i:i + 3]) for i in range(0, len(data), 3)]
    assert sum(r[0] for r in reports) == 1000 and sum(r[1] for r in reports) == 350
    assert all(abs(r[0]) <= 127 for r in reports)
    assert len(reports) <= 9                 # summed while the line was busy


def test_reports_go_at_the_line_pace():
    rig = Rig(2)
    rig.power(0x03)
    rig.received()
    rig.mouse.move(1, 0)
    rig.run(0.001)
    assert rig.mouse.next_event(rig.t) is None or rig.mouse.reports == 1
    rig.mouse.move(1, 0)
    due = rig.mouse.next_event(rig.t)
    assert due is not None and due - rig.t > 0.02 * PIT_HZ   # 3 chars at 1200 baud: 22.5 ms


def test_a_click_shorter_than_a_report_is_still_seen():
    rig = Rig(2)
    rig.power(0x03)
    rig.received()
    rig.mouse.move(0, 0, LEFT)
    rig.mouse.move(0, 0, 0)
    data = rig.received(0.2)
    assert [decode(data[i:i + 3])[2] for i in range(0, len(data), 3)] == [True, False]


def test_logitech_middle_button_adds_a_fourth_byte():
    rig = Rig(3)
    rig.power(0x03)
    rig.received()
    rig.mouse.move(0, 0, MIDDLE)
    assert rig.received() == bytes([0x40, 0, 0, 0x20])
    rig.mouse.move(0, 0, 0)
    assert rig.received() == bytes([0x40, 0, 0, 0x00])


def test_unpowered_mouse_ignores_motion():
    rig = Rig(2)
    rig.mouse.move(5, 5, LEFT)
    rig.power(0x03)
    assert rig.received() == b"M"


def test_button_names():
    assert parse_buttons("left,right") == LEFT | RIGHT
    assert parse_buttons(["middle"]) == MIDDLE
    assert parse_buttons(None) == 0
    with pytest.raises(ValueError, match="expected left, right or middle"):
        parse_buttons("wheel")
