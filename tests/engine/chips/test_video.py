"""6845 CRTC registers, CGA/MDA ports and status timing, TextScreen snapshots, CP437."""

import json

import pytest

from engine.bus import PortBus
from engine.chips.cga import CGA
from engine.chips.cp437 import CP437, decode
from engine.chips.crtc6845 import CRTC6845
from engine.chips.mda import MDA
from engine.video import TextScreen


class Clock:
    def __init__(self):
        self.t = 0

    def __call__(self):
        return self.t


def crtc_write(dev, base, reg, value):
    dev.write(base, reg)
    dev.write(base + 1, value)


def put_text(mem, addr, text, attr=0x07):
    for i, ch in enumerate(text.encode("cp437")):
        mem[addr + 2 * i] = ch
        mem[addr + 2 * i + 1] = attr


def test_crtc_cursor_and_start_registers_read_back():
    c = CRTC6845()
    c.write_index(14)
    c.write_data(0xFF)  # only 6 bits exist
    c.write_index(15)
    c.write_data(0x34)
    assert c.cursor_address == 0x3F34
    c.write_index(14)
    assert c.read_data() == 0x3F
    c.write_index(12)
    c.write_data(0x01)
    c.write_index(13)
    c.write_data(0x40)
    assert c.start_address == 0x140 and c.read_data() == 0x40
    c.write_index(0)
    c.write_data(0x71)
    assert c.regs[0] == 0x71 and c.read_data() == 0  # write-only register
    c.write_index(16)
    c.write_data(0x55)
    assert c.read_data() == 0  # light pen latch is read-only


@pytest.mark.parametrize("r10, enabled", [(0x06, True), (0x20, False), (0x26, False),
                                         (0x46, True), (0x66, True)])
def test_cursor_off_bit_pattern(r10, enabled):
    c = CRTC6845()
    c.write_index(10)
    c.write_data(r10)
    assert c.cursor_enabled is enabled and c.cursor_start == r10 & 0x1F


def test_cga_ports_through_bus_and_mirrors():
    bus = PortBus()
    cga = CGA()
    bus.attach(cga)
    bus.port_write(0x3D0, 15)  # mirror of 3D4
    bus.port_write(0x3D3, 0x21)  # mirror of 3D5
    assert cga.crtc.regs[15] == 0x21
    bus.port_write(0x3D4, 0x0E, 1)
    bus.port_write(0x3D4, 0x070E, 2)  # word OUT: index 0Eh then data 07h
    assert cga.crtc.regs[14] == 0x07
    bus.port_write(0x3D8, 0x09)
    bus.port_write(0x3D9, 0x30)
    assert (cga.mode, cga.color) == (0x09, 0x30)
    assert bus.port_read(0x3D8) == 0xFF


def test_cga_status_retrace_bits_toggle_with_time():
    clk = Clock()
    cga = CGA(clock=clk)
    samples = []
    for t in range(0, 2 * 19912, 7):
        clk.t = t
        samples.append(cga.status())
    bit0 = [s & 1 for s in samples]
    bit3 = [s & 8 for s in samples]
    assert 0 in bit0 and 1 in bit0
    assert 0 in bit3 and 8 in bit3
    # Vertical retrace implies display enable inactive.
    assert all(s & 1 for s in samples if s & 8)
    # Horizontal toggles far more often than vertical.
    h_changes = sum(1 for a, b in zip(bit0, bit0[1:], strict=False) if a != b)
    v_changes = sum(1 for a, b in zip(bit3, bit3[1:], strict=False) if a != b)
    assert v_changes == 4 and h_changes > 100 * v_changes


def test_cga_vertical_retrace_rate_is_about_60hz():
    clk = Clock()
    cga = CGA(clock=clk)
    starts = []
    prev = 0
    for t in range(0, 1_193_182 // 2, 19):
        clk.t = t
        cur = cga.status() & 8
        if cur and not prev:
            starts.append(t)
        prev = cur
    assert len(starts) in (29, 30, 31)


def test_retrace_polling_loop_terminates_as_time_advances():
    clk = Clock()
    cga = CGA(clock=clk)
    for _ in range(3):
        spins = 0
        while cga.status() & 8:  # wait for the end of retrace
            clk.t += 3
            spins += 1
        while not cga.status() & 8:  # then for the start of the next one
            clk.t += 3
            spins += 1
        assert spins < 20000


def test_cga_text_screen_80x25_with_cursor():
    mem = bytearray(1 << 20)
    cga = CGA()
    cga.write(0x3D8, 0x29)
    put_text(mem, 0xB8000, "Hello, world")
    put_text(mem, 0xB8000 + 160 * 24, "last row", 0x1F)
    crtc_write(cga, 0x3D4, 14, 0)
    crtc_write(cga, 0x3D4, 15, 80 * 3 + 5)
    s = cga.text_screen(mem)
    assert (s.cols, s.rows, s.mda, s.graphics) == (80, 25, False, False)
    lines = s.text_lines()
    assert lines[0] == "Hello, world" and lines[24] == "last row" and lines[1] == ""
    assert (s.cursor_row, s.cursor_col, s.cursor_visible) == (3, 5, True)
    assert s.cells[24][0] == (ord("l"), 0x1F)
    assert s.blink_enabled and s.video_enabled


def test_cga_40_columns_and_start_address_page():
    mem = bytearray(1 << 20)
    cga = CGA()
    cga.write(0x3D8, 0x28)  # 40x25
    put_text(mem, 0xB8000 + 0x800, "page one")
    crtc_write(cga, 0x3D4, 12, 0x04)
    crtc_write(cga, 0x3D4, 13, 0x00)  # start = 0x400 words = page 1 of 40x25
    crtc_write(cga, 0x3D4, 14, 0x04)
    crtc_write(cga, 0x3D4, 15, 41)
    s = cga.text_screen(mem)
    assert s.cols == 40 and s.text_lines()[0] == "page one"
    assert (s.cursor_row, s.cursor_col) == (1, 1)


def test_cga_display_wraps_at_16k():
    mem = bytearray(1 << 20)
    cga = CGA()
    start = 0x2000 - 40  # last 40 words of the 16 KiB, then wrap to the beginning
    crtc_write(cga, 0x3D4, 12, start >> 8)
    crtc_write(cga, 0x3D4, 13, start & 0xFF)
    put_text(mem, 0xB8000 + 2 * start, "A" * 40)
    put_text(mem, 0xB8000, "B" * 40)
    assert cga.text_screen(mem).text_lines()[0] == "A" * 40 + "B" * 40


def test_cursor_hidden_by_r10_and_outside_screen_and_in_graphics():
    mem = bytearray(1 << 20)
    cga = CGA()
    crtc_write(cga, 0x3D4, 10, 0x20)
    assert not cga.text_screen(mem).cursor_visible
    crtc_write(cga, 0x3D4, 10, 0x06)
    crtc_write(cga, 0x3D4, 11, 0x07)
    s = cga.text_screen(mem)
    assert s.cursor_visible and (s.cursor_start, s.cursor_end) == (6, 7)
    crtc_write(cga, 0x3D4, 14, 0x10)  # far beyond 2000 cells
    assert not cga.text_screen(mem).cursor_visible
    crtc_write(cga, 0x3D4, 14, 0)
    cga.write(0x3D8, 0x0A)
    s = cga.text_screen(mem)
    assert s.graphics and not s.cursor_visible


def test_crtc_programmed_geometry_wins():
    mem = bytearray(1 << 20)
    cga = CGA()
    crtc_write(cga, 0x3D4, 1, 80)
    crtc_write(cga, 0x3D4, 6, 30)
    assert cga.text_screen(mem).rows == 30


def test_mda_text_screen_and_status():
    mem = bytearray(1 << 20)
    clk = Clock()
    mda = MDA(clock=clk)
    put_text(mem, 0xB0000, "mono")
    crtc_write(mda, 0x3B4, 15, 4)
    crtc_write(mda, 0x3B4, 10, 0x0B)
    crtc_write(mda, 0x3B4, 11, 0x0C)
    s = mda.text_screen(mem)
    assert s.mda and s.text_lines()[0] == "mono" and s.cursor_col == 4
    assert (s.cursor_start, s.cursor_end) == (11, 12)
    seen0, seen7 = set(), set()
    for t in range(200):
        clk.t = t
        st = mda.read(0x3BA)
        seen0.add(st & 1)
        seen7.add(st & 0x80)
    assert seen0 == {0, 1} and len(seen7) == 1  # not a Hercules: bit 7 never moves
    mda.write(0x3B8, 0x21)
    assert not mda.text_screen(mem).video_enabled


def test_mda_and_cga_coexist_on_one_bus():
    bus = PortBus()
    bus.attach(CGA())
    bus.attach(MDA())
    assert bus.owner(0x3B5) == "mda" and bus.owner(0x3D5) == "cga"


def test_changed_rows_detects_only_modified_rows():
    mem = bytearray(1 << 20)
    cga = CGA()
    first = cga.text_screen(mem)
    assert first.changed_rows(None) == list(range(25))
    put_text(mem, 0xB8000 + 160 * 7 + 20, "x")
    mem[0xB8000 + 160 * 12 + 1] = 0x4F  # attribute-only change counts too
    second = cga.text_screen(mem)
    assert second.changed_rows(first) == [7, 12]
    assert second.changed_rows(second) == []
    crtc_write(cga, 0x3D4, 15, 1)
    third = cga.text_screen(mem)
    assert third.changed_rows(second) == [] and third.cursor_changed(second)
    cga.write(0x3D8, 0x28)
    assert cga.text_screen(mem).changed_rows(third) == list(range(25))


def test_cp437_table_is_complete_and_matches_codec_for_high_half():
    assert len(CP437) == 256 and len(set(CP437)) >= 254
    assert CP437[1] == "\u263a" and CP437[3] == "\u2665" and CP437[0x7F] == "\u2302"
    assert CP437[0xC9] == "\u2554" and CP437[0xCD] == "\u2550" and CP437[0xDB] == "\u2588"
    high = bytes(range(0x80, 0xFF)).decode("cp437")
    assert "".join(CP437[0x80:0xFF]) == high
    assert decode(b"\x01\xc9\xcd\xbbA") == "\u263a\u2554\u2550\u2557A"


def test_text_screen_direct_construction():
    vram = bytearray(4000)
    vram[0:4] = b"\x10\x07\x11\x07"
    s = TextScreen.from_memory(vram, cols=80, rows=25, cursor=81)
    assert s.text_lines()[0] == "\u25ba\u25c4"
    assert (s.cursor_row, s.cursor_col) == (1, 1)
    assert s.row_text(0).startswith("\u25ba\u25c4 ")


def test_state_round_trips():
    clk = Clock()
    cga = CGA(clock=clk)
    for reg, val in ((10, 0x20), (12, 1), (14, 2), (15, 3)):
        crtc_write(cga, 0x3D4, reg, val)
    cga.write(0x3D8, 0x09)
    cga.write(0x3D9, 0x12)
    other = CGA(clock=clk)
    other.set_state(json.loads(json.dumps(cga.get_state())))
    assert other.get_state() == cga.get_state()
    mem = bytearray(1 << 20)
    a, b = cga.text_screen(mem), other.text_screen(mem)
    assert (a.cursor_row, a.cursor_col, a.cursor_visible) == (b.cursor_row, b.cursor_col,
                                                                 b.cursor_visible)
    mda = MDA()
    crtc_write(mda, 0x3B4, 14, 5)
    mda.write(0x3B8, 0x08)
    other_m = MDA()
    other_m.set_state(json.loads(json.dumps(mda.get_state())))
    assert other_m.get_state() == mda.get_state()


def test_status_polling_terminates_even_without_a_clock():
    for card, port in ((CGA(), 0x3DA), (MDA(), 0x3BA)):
        for bit in (1, 8) if port == 0x3DA else (1,):
            reads = 0
            while not card.read(port) & bit:
                reads += 1
                assert reads < 100_000
            while card.read(port) & bit:
                reads += 1
                assert reads < 100_000
