"""CGA graphics through the whole PC: our guest (cga_scenes.asm) draws known patterns in each
mode and the displayed frame, as the PNG screenshot has it, must equal the image derived here
from each pattern's definition and the IBM palettes, dot for dot."""

import shutil
import struct
import threading
import time
import zlib
from pathlib import Path

import pytest

from engine.chips.cga import BEAM_HISTORY
from engine.chips.font8x8 import FONT8X8
from engine.machine import Machine, MachineConfig
from engine.screenshot import screen_png

HERE = Path(__file__).parent
SPACE = [0x39, 0xB9]

# The IBM CGA's 320-dot colours 1-3 (Technical Reference), and what intensity adds.
PALETTE_0, PALETTE_1, BURST_OFF = (2, 4, 6), (3, 5, 7), (3, 4, 7)


def four_colours(background, base, intense):
    return (background, *(c + (8 if intense else 0) for c in base))


def read_png(data: bytes):
    """(width, height, [[index, ...], ...], palette) from an 8-bit indexed PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        assert zlib.crc32(kind + body) == crc
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height, depth, ctype = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, ctype) == (8, 3)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = width + 1
    rows = []
    for y in range(height):
        assert raw[y * stride] == 0
        rows.append(list(raw[y * stride + 1:(y + 1) * stride]))
    plte = chunks[b"PLTE"]
    return width, height, rows, [tuple(plte[i:i + 3]) for i in range(0, len(plte), 3)]


class Image:
    def __init__(self, width, height, fill=0):
        self.width, self.height = width, height
        self.rows = [[fill] * width for _ in range(height)]

    def dots_from_byte(self, x0, y, value, bpp, palette):
        for k in range(8 // bpp):
            dot = (value >> (8 - bpp * (k + 1))) & ((1 << bpp) - 1)
            self.rows[y][x0 + k] = palette[dot]

    def glyph(self, x0, y0, char, fg, bg=None):
        for r in range(8):
            bits = FONT8X8[8 * char + r]
            for k in range(8):
                if bits & (0x80 >> k):
                    self.rows[y0 + r][x0 + k] = fg
                elif bg is not None:
                    self.rows[y0 + r][x0 + k] = bg


def bank_pattern(img, bpp, palette):
    for y in range(100, 140):
        for i in range(20):
            img.dots_from_byte(i * (8 // bpp), y, (7 * y + 3 * i) & 0xFF, bpp, palette)


class Guest:
    """The scenes guest on a Machine of its own thread; ``next()`` waits for a scene."""

    def __init__(self, tmp_path):
        image = tmp_path / "scenes.img"
        shutil.copy(HERE / "cga_scenes.img", image)
        self.machine = Machine(MachineConfig(fda=str(image)))
        self.out = bytearray()
        self.cond = threading.Condition()
        self.machine.debug_out = self._debug
        self.status = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.status = self.machine.run(max_seconds=60)
        with self.cond:
            self.cond.notify_all()

    def _debug(self, data: bytes):
        with self.cond:
            self.out += data
            self.cond.notify_all()

    def next(self, scene: int, size: int = 0) -> bytes:
        """Wait for "S<scene>", ``size`` bytes and a newline; return those bytes."""
        marker = b"S%d" % scene
        with self.cond:
            ok = self.cond.wait_for(lambda: (marker in self.out and b"\n" in
                                             self.out[self.out.index(marker) + 2 + size:])
                                    or self.out.startswith(b"F") or self.status is not None,
                                    30)
            assert ok and not self.out.startswith(b"F"), \
                f"guest said {bytes(self.out)!r} after {self.machine.cpu.instructions} instructions at {self.machine.cpu.get_reg('cs'):04x}:{self.machine.cpu.get_reg('ip'):04x}"
            start = self.out.index(marker)
            end = start + len(marker) + size
            payload = bytes(self.out[start + len(marker):end])
            del self.out[:end + 1]
        return payload

    def frame(self):
        """The frame once the beam has drawn two whole frames since the guest's last write to
        a CGA register: a register written just before the marker shows only below the beam
        until then, as on a CGA."""
        deadline = time.monotonic() + 30
        log = self.machine.video.beam_log
        while log and self.machine.now() < log[-1][0] + BEAM_HISTORY:
            assert time.monotonic() < deadline, "guest time stands still"
            time.sleep(0.005)
        return read_png(screen_png(self.machine.screen()))

    def key(self):
        self.machine.send_scancodes(SPACE)

    def close(self):
        self.machine.stop()
        self.thread.join(10)
        self.machine.close()


@pytest.fixture
def guest(tmp_path):
    g = Guest(tmp_path)
    yield g
    g.close()


def assert_frame(frame, expected: Image):
    width, height, rows, plte = frame
    assert (width, height) == (expected.width, expected.height)
    assert plte[:16] == [(0, 0, 0), (0, 0, 0xAA), (0, 0xAA, 0), (0, 0xAA, 0xAA), (0xAA, 0, 0),
                         (0xAA, 0, 0xAA), (0xAA, 0x55, 0), (0xAA, 0xAA, 0xAA),
                         (0x55, 0x55, 0x55), (0x55, 0x55, 0xFF), (0x55, 0xFF, 0x55),
                         (0x55, 0xFF, 0xFF), (0xFF, 0x55, 0x55), (0xFF, 0x55, 0xFF),
                         (0xFF, 0xFF, 0x55), (0xFF, 0xFF, 0xFF)]
    bad = [(x, y, rows[y][x], expected.rows[y][x]) for y in range(height) for x in range(width)
           if rows[y][x] != expected.rows[y][x]]
    assert not bad, f"{len(bad)} dots differ, first (x, y, got, expected): {bad[:5]}"


@pytest.mark.slow
def test_every_scene_is_displayed_dot_for_dot(guest):
    # 1: BIOS pixels in mode 4 over a blue background, intensity cleared by AH=0Bh.
    guest.next(1)
    pal = four_colours(1, PALETTE_1, intense=False)
    img = Image(320, 200, pal[0])
    for y in range(40):
        for x in range(64):
            img.rows[y][x] = pal[((x >> 3) + (y >> 3)) & 3]
    for x in range(32):
        img.rows[50][x] = pal[1 ^ 3]
    scene1 = [list(row) for row in img.rows]
    assert_frame(guest.frame(), img)
    guest.key()

    # 2: direct writes in both banks, then palette 1 intensified on black through 3D9h.
    guest.next(2)
    pal = four_colours(0, PALETTE_1, intense=True)
    img = Image(320, 200)
    old = four_colours(1, PALETTE_1, intense=False)
    img.rows = [[pal[old.index(c)] for c in row] for row in scene1]
    bank_pattern(img, 2, pal)
    assert_frame(guest.frame(), img)
    guest.key()

    # 3: mode 5 (colour burst off: cyan/red/white), intensified, red background.
    guest.next(3)
    pal = four_colours(4, BURST_OFF, intense=True)
    img = Image(320, 200, pal[0])
    bank_pattern(img, 2, pal)
    assert_frame(guest.frame(), img)
    guest.key()

    # 4: mode 6, the same bytes as 640 dots, yellow foreground set by AH=0Bh.
    guest.next(4)
    img = Image(640, 200)
    bank_pattern(img, 1, (0, 14))
    assert_frame(guest.frame(), img)
    guest.key()

    # 5: text in mode 4 (BIOS default palette 1 intensified) and in mode 6.
    guest.next(5)
    pal = four_colours(0, PALETTE_1, intense=True)
    img = Image(320, 200)
    for k in range(3):
        img.glyph((5 + k) * 8, 16, ord("A"), pal[3])
    img.glyph(0, 24, 0xDB, pal[2])
    img.glyph(0, 32, ord("H"), pal[1])
    img.glyph(8, 32, ord("i"), pal[1])
    assert_frame(guest.frame(), img)
    guest.key()
    guest.next(5)
    img = Image(640, 200)
    img.glyph(70 * 8, 80, ord("x"), 15)
    assert_frame(guest.frame(), img)
    guest.key()

    # 6: one column a frame, paced by the vertical retrace, for 9 BIOS ticks (0.494 s of
    # guest time at 59.92 frames a second: at most 30 frames; a guest whose host thread is
    # descheduled misses some). The frame period the guest measures on the PIT is the
    # CGA's: 262 lines of 76 clocks (the slack is the guest's polling loop). Virtual time is
    # the host's clock, so a VM thread stalled between a retrace and its PIT latch skews two
    # periods: on a loaded host few of the 16 are clean, so the test asks for one (the
    # register timing itself is checked clock by clock in tests/engine/chips).
    payload = guest.next(6, 33)
    # Waiting for the key in INT 16h (HLT) after the retrace waits, guest time goes on (the
    # BIOS tick with it): a retrace the last wait loop would have watched next must not hold
    # the clock of a halted guest.
    halted_at = guest.machine.now()
    deadline = time.monotonic() + 10
    while guest.machine.now() <= halted_at + 262 * 76:
        assert time.monotonic() < deadline, f"guest time stands still at {halted_at}"
        time.sleep(0.01)
    frames = payload[0]
    periods = sorted(int.from_bytes(payload[1 + 2 * i:3 + 2 * i], "little") for i in range(16))
    assert 1 <= frames <= 31, frames
    assert any(abs(p - 262 * 76) < 200 for p in periods), periods
    img = Image(320, 200)
    for y in range(8):
        for x in range(4 * min(frames, 80)):
            img.rows[y][x] = 15
    assert_frame(guest.frame(), img)
    guest.key()

    # 7: text mode set through the ports mid-frame: 80x25 of 'G', yellow on blue.
    guest.next(7)
    img = Image(640, 200)
    for row in range(25):
        for col in range(80):
            img.glyph(col * 8, row * 8, ord("G"), 14, 1)
    assert_frame(guest.frame(), img)
    guest.key()
    guest.thread.join(20)
    assert guest.status == 1                         # isa-debug-exit 0 after the last scene
