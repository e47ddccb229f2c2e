"""The CGA's graphics side: mode control and colour select in every combination, the two
banks, the CRTC start address, and the status register's frame timing."""

import itertools
from pathlib import Path

import pytest

from engine.bios import layout, rom_image
from engine.chips.cga import CGA, LINE_CLOCKS
from engine.chips.font8x8 import FONT8X8, glyph
from engine.vmm.screen_feed import ScreenFeed, decode_lines

# IBM Technical Reference: 320-dot colours 1-3 by palette, burst off (mode 5) and intensity.
IBM_320 = {0: (2, 4, 6), 1: (3, 5, 7)}
IBM_BURST_OFF = (3, 4, 7)


class Clock:
    def __init__(self):
        self.t = 0

    def __call__(self):
        return self.t


def program(cga, mode, colour):
    cga.write(0x3D8, mode)
    cga.write(0x3D9, colour)


@pytest.mark.parametrize("mode", range(0x40))
def test_mode_register_decides_text_or_graphics_and_the_dot_width(mode):
    cga = CGA()
    mem = bytearray(0x100000)
    program(cga, mode, 0)
    screen = cga.screen(mem)
    if not mode & 0x02:
        assert not screen.graphics and screen.video_enabled == bool(mode & 0x08)
        assert screen.blink_enabled == bool(mode & 0x20)
    else:
        assert screen.graphics
        assert (screen.width, screen.bpp) == ((640, 1) if mode & 0x10 else (320, 2))
        assert screen.height == 200 and screen.video_enabled == bool(mode & 0x08)


@pytest.mark.parametrize("mode,colour", itertools.product((0x0A, 0x0E, 0x1A, 0x1E),
                                                          range(0x40)))
def test_colour_select_gives_the_ibm_palettes(mode, colour):
    cga = CGA()
    program(cga, mode, colour)
    if mode & 0x10:
        expected = (0, colour & 0x0F)
    else:
        base = IBM_BURST_OFF if mode & 0x04 else IBM_320[colour >> 5 & 1]
        expected = (colour & 0x0F, *(c + (8 if colour & 0x10 else 0) for c in base))
    assert cga.palette() == expected
    assert cga.screen(bytearray(0x100000)).palette == expected


def test_lines_come_from_both_banks_and_follow_the_start_address():
    cga = CGA()
    mem = bytearray(0x100000)
    for line in range(200):
        base = 0xB8000 + (line & 1) * 0x2000 + (line >> 1) * 80
        mem[base:base + 80] = bytes([line]) * 80
    program(cga, 0x0A, 0x30)
    screen = cga.screen(mem)
    assert [s[0] for s in screen.lines] == list(range(200))
    assert screen.pixels()[0] == bytes(320)
    assert screen.pixels()[27][:4] == bytes([0, 11, 13, 15])    # 1Bh: dots 0 1 2 3
    cga.write(0x3D4, 12)
    cga.write(0x3D5, 0)
    cga.write(0x3D4, 13)
    cga.write(0x3D5, 40)                                         # one CRTC row: two lines
    scrolled = cga.screen(mem)
    assert [s[0] for s in scrolled.lines[:198]] == list(range(2, 200))
    # The last row wraps within each 8 KiB bank to its start (the bank's 192 spare bytes
    # first: zeros here).
    assert scrolled.lines[198][:32] == bytes(32)


def test_a_line_that_crosses_the_bank_end_wraps_to_the_bank_start():
    cga = CGA()
    mem = bytearray(0x100000)
    mem[0xB8000:0xB8010] = b"\x55" * 16
    mem[0xB9FF0:0xBA000] = b"\xAA" * 16
    program(cga, 0x0A, 0x00)
    cga.write(0x3D4, 12)
    cga.write(0x3D5, 0x0F)
    cga.write(0x3D4, 13)
    cga.write(0x3D5, 0xF8)                                       # word 0FF8h: byte 1FF0h
    line = cga.screen(mem).lines[0]
    assert line[:16] == b"\xAA" * 16 and line[16:32] == b"\x55" * 16


def test_status_register_follows_a_60_hz_frame_on_the_clock():
    clock = Clock()
    cga = CGA(clock=clock)
    frame = LINE_CLOCKS * 262
    seen = []
    for t in range(2 * frame):
        clock.t = t
        seen.append(cga.read(0x3DA))
    retrace = [t for t, v in enumerate(seen) if v & 0x08]
    assert retrace[0] == 224 * LINE_CLOCKS and len(retrace) == 2 * 16 * LINE_CLOCKS
    assert retrace[16 * LINE_CLOCKS] == frame + 224 * LINE_CLOCKS
    assert all(v & 0x01 for v in seen if v & 0x08)       # no display during retrace
    active = sum(1 for v in seen if not v & 0x01)
    assert active == 2 * 200 * 53                        # 640 of 912 dots, 200 lines
    assert 1_193_182 / frame == pytest.approx(59.92, abs=0.01)
    # display enable begins once a line: 200 a frame (the first line of the first frame
    # is active from t = 0, so one fewer rising edge is seen)
    rises = sum(1 for a, b in zip(seen, seen[1:], strict=False) if a & 1 and not b & 1)
    assert rises == 2 * 200 - 1


def test_feed_sends_changed_lines_packed_and_palette_changes_alone():
    cga = CGA()
    mem = bytearray(0x100000)
    program(cga, 0x0A, 0x30)
    feed = ScreenFeed()
    first = feed.update(cga.screen(mem))
    assert first["graphics"] and first["runs"] == [[0, 200]]
    assert decode_lines(first) == {y: bytes(80) for y in range(200)}
    assert feed.update(cga.screen(mem)) is None
    mem[0xBA000 + 80 * 3 + 5] = 0xE4                             # line 7 (odd bank, row 3)
    mem[0xB8000 + 80 * 4] = 0x01                                 # line 8
    update = feed.update(cga.screen(mem))
    assert update["runs"] == [[7, 2]]
    assert decode_lines(update)[7][5] == 0xE4 and decode_lines(update)[8][0] == 1
    cga.write(0x3D9, 0x02)
    update = feed.update(cga.screen(mem))
    assert update["runs"] == [] and update["palette"] == [2, 2, 4, 6]


def test_font_is_complete_and_box_strokes_meet():
    assert len(FONT8X8) == 2048 and glyph(0x20) == bytes(8) and glyph(0xDB) == b"\xFF" * 8
    # Every line character's strokes reach the cell edges where a neighbour continues them.
    assert glyph(0xC4)[3] == glyph(0xC4)[4] == 0xFF              # ─ spans the cell
    assert all(row & 0x18 == 0x18 for row in glyph(0xB3))        # │ spans it
    assert all(row == 0x24 for row in glyph(0xBA))               # ║
    assert glyph(0xCD)[2] == glyph(0xCD)[5] == 0xFF              # ═
    assert len({glyph(c) for c in range(0x21, 0x7F)}) == 0x7F - 0x21   # all distinct


def test_rom_holds_the_font_where_programs_read_it():
    rom = rom_image()
    assert rom[layout.FONT_LOW:layout.FONT_LOW + 1024] == FONT8X8[:1024]
    assert rom[layout.FONT_HIGH:layout.FONT_HIGH + 1024] == FONT8X8[1024:]
    assert layout.FONT_LOW == 0xFA6E
    committed = Path(layout.__file__).with_name("font8x8.bin").read_bytes()
    assert committed == FONT8X8                  # `make -C engine/bios` keeps it in step


def test_a_palette_written_mid_frame_shows_from_the_line_the_beam_was_on():
    from engine.chips.cga import ACTIVE_CLOCKS, FRAME_CLOCKS
    clock = Clock()
    cga = CGA(clock=clock)
    mem = bytearray(0x100000)
    mem[0xB8000:0xBC000] = b"\x55" * 0x4000                      # every dot value 1
    program(cga, 0x0A, 0x00)                                     # palette 0: dot 1 green
    clock.t = 10 * FRAME_CLOCKS + 120 * LINE_CLOCKS + ACTIVE_CLOCKS + 5   # after line 120
    cga.write(0x3D9, 0x20)                                       # palette 1: dot 1 cyan
    clock.t += 40 * LINE_CLOCKS                                  # the beam is on line 160
    screen = cga.screen(mem)
    colours = [line[0] for line in screen.pixels()]
    # Lines 121..160 were drawn since the write; 161..199 still show the last frame's.
    assert colours == [2] * 121 + [3] * 40 + [2] * 39
    update = ScreenFeed().update(screen)
    assert update["bands"] == [[0, 121, 2, [0, 2, 4, 6], True], [121, 40, 2, [0, 3, 5, 7], True],
                               [161, 39, 2, [0, 2, 4, 6], True]]
    clock.t += FRAME_CLOCKS                                     # a whole frame later...
    assert {line[0] for line in cga.screen(mem).pixels()} == {3}
    clock.t += FRAME_CLOCKS                                     # ...and two: no log needed
    assert cga.screen(mem).bands == () and cga._beam_states(200) is None


def test_a_frame_mixing_320_and_640_dot_lines_is_640_wide_with_320_dots_doubled():
    clock = Clock()
    cga = CGA(clock=clock)
    mem = bytearray(0x100000)
    mem[0xB8000:0xBC000] = b"\x1B" * 0x4000                      # dots 0 1 2 3 / 00011011
    frame = 262 * LINE_CLOCKS
    clock.t = 5 * frame
    program(cga, 0x0A, 0x20)
    clock.t = 7 * frame + 100 * LINE_CLOCKS                      # during line 100
    program(cga, 0x1A, 0x0F)
    clock.t = 7 * frame + 150 * LINE_CLOCKS
    screen = cga.screen(mem)
    assert (screen.width, screen.bpp) == (640, 1)
    pixels = screen.pixels()
    assert pixels[99][:8] == bytes([0, 0, 3, 3, 5, 5, 7, 7])
    assert pixels[100][:8] == bytes([0, 0, 0, 15, 15, 0, 15, 15])
    assert pixels[151][:8] == bytes([0, 0, 3, 3, 5, 5, 7, 7])   # below the beam: last frame
