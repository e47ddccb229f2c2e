"""IBM Color Graphics Adapter: CRTC at 3D4/3D5, mode 3D8, colour 3D9, status 3DA.

What is displayed is what the registers say at the moment it is sampled (``screen(mem)``):

- Mode control 3D8: bit 0 80-column text clock, 1 graphics, 2 colour burst off (mode 5: on
  the RGB monitor the 320-dot palette becomes cyan/red/white), 3 video enable (off: the
  screen is black), 4 640-dot graphics, 5 blink (text). Bit 1 alone decides text or
  graphics; the 640-dot bit counts only in graphics (in text the CRTC's programming decides
  the columns) and the 80-column clock bit only in text, which is how the card's data path
  reads them: programs that switch modes by writing 3D8 directly are shown at once.
- Colour select 3D9: bits 0-3 the background (320 dots: the colour of dot value 0; text:
  the border) or the foreground (640 dots: the colour of dot value 1, 0 being black), bit 4
  intensity of the 320-dot colours 1-3, bit 5 the palette (0 green/red/brown, 1
  cyan/magenta/white).
- Graphics memory: scan line y comes from bank y % 2 (B800:0000 even, B800:2000 odd lines),
  the CRTC's row y // 2; a row is R1 words from the CRTC address (R12/R13 start + row * R1,
  13 bits, wrapping within the 8 KiB bank), so page flips and smooth scrolls through the
  start address show as on the card.

The beam: a change of mode, colour or start address in the middle of a frame shows from the
scan line the beam was drawing (as on the card), because writes to 3D8h, 3D9h and R12/R13
are logged with their guest time (``beam log``, the last two frames' worth) and each line is
rendered with the registers in force when the beam drew its last dot (``line_time``); the
start address counts, as the 6845 latches it, from the start of the frame a line belongs to.
Lines below the beam show the previous frame's registers, so any sample of a program that
repeats the same changes every frame is the same picture. When nothing was written for two
frames (the usual case) the frame is rendered with the current registers alone. A frame is
text or graphics as the mode register says now; within a graphics frame, lines drawn while
the mode said text are shown black (the text/graphics mix of one frame is not drawn). A CGA
without a clock (unit tests) has no beam: writes show at once on every line.

Status (3DA) is derived from virtual time so that the retrace-polling loops every CGA program
runs ("wait for display-enable low before writing video memory", "wait for vertical retrace")
terminate: one scan line is 76 PIT clocks (912 dots at 14.318 MHz / 12), a frame 262 lines
(59.92 Hz); bit 0 (display enable inactive) is set outside the 640x200 active area, bit 3
(vertical retrace) during the 16 scan lines of vertical sync. The timing is the standard
80x25/320x200 timing rather than being computed from R0-R9.

Ports ``PORTS = [(0x3D0, 0x3DF)]``: 3D0-3D7 mirror the CRTC index (even) / data (odd) pair;
3DB/3DC clear/preset the light-pen latch; 3DD-3DF float.

API:
    cga = CGA(clock=None)
    cga.crtc (CRTC6845) ; cga.mode (3D8) ; cga.color (3D9) ; cga.status() -> int
    cga.status_at(t) -> int ; cga.status_changes_at(t, mask) -> int | None
                                          # when status & mask next differs from now's
    cga.screen(mem) -> TextScreen | GraphicsScreen  # mem: the 1 MiB address space, or any
    cga.text_screen(mem) -> TextScreen    # buffer where 0xB8000.. holds the card's 16 KiB
    cga.graphics_screen(mem) -> GraphicsScreen
    cga.is_text -> bool ; cga.columns -> 40|80 ; cga.palette() -> colour per dot value
    line_time(t, y) -> int               # when the beam last finished line y's dots, <= t
    reset() ; get_state() ; set_state()
Power-on mode register is 0x29 (80x25 text, video on, blink), so a BIOS that never sets the
mode still gets a readable console; every real BIOS overwrites it.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from engine.chips.base import Chip, Clock
from engine.chips.crtc6845 import CRTC6845
from engine.chips.graphicsscreen import GraphicsScreen
from engine.chips.textscreen import TextScreen

VRAM_BASE = 0xB8000
VRAM_SIZE = 0x4000
LINE_CLOCKS = 76
FRAME_LINES = 262
ACTIVE_LINES = 200
ACTIVE_CLOCKS = 53  # 640 of 912 dots
VSYNC_FIRST = 224
VSYNC_LINES = 16
FRAME_CLOCKS = FRAME_LINES * LINE_CLOCKS
BEAM_HISTORY = 2 * FRAME_CLOCKS   # how far back the log must reach (a line's frame start)
PREHISTORY = -(1 << 62)           # the time of the log's first entry: the state before it
POWER_ON_MODE = 0x29
BANK_SIZE = 0x2000
# The 320-dot palettes: colours of dot values 1-3 (IBM Technical Reference, CGA).
PALETTE_0 = (2, 4, 6)          # green, red, brown
PALETTE_1 = (3, 5, 7)          # cyan, magenta, white
PALETTE_BW = (3, 4, 7)         # colour burst off (mode 5): cyan, red, white


def graphics_palette(mode: int, color: int) -> tuple[int, ...]:
    """The IBM colour (0-15) of each dot value for mode register ``mode`` and colour select
    ``color`` (graphics)."""
    if mode & 0x10:
        return (0, color & 0x0F)
    if mode & 0x04:
        base = PALETTE_BW
    else:
        base = PALETTE_1 if color & 0x20 else PALETTE_0
    intensity = 0x08 if color & 0x10 else 0
    return (color & 0x0F, *(b | intensity for b in base))


def line_time(t: int, y: int) -> int:
    """The latest time <= ``t`` at which the beam finished drawing scan line ``y``'s dots
    (the same frame timing as the status register's)."""
    done = t - t % FRAME_CLOCKS + y * LINE_CLOCKS + ACTIVE_CLOCKS
    return done if done <= t else done - FRAME_CLOCKS


class CGA(Chip):
    name = "cga"
    PORTS = [(0x3D0, 0x3DF)]

    def __init__(self, *, clock: Clock | None = None, name: str = "cga") -> None:
        super().__init__(clock=clock)
        self.name = name
        self.crtc = CRTC6845()
        self.reset()

    def reset(self) -> None:
        self.crtc.reset()
        self.mode = POWER_ON_MODE
        self.color = 0
        self.light_pen = False
        self.beam_log: list[tuple[int, int, int, int]] = []   # (from time, mode, colour, start)

    def _log_write(self, before: tuple[int, int, int]) -> None:
        """Log the registers after a write to 3D8h/3D9h/R12/R13 (only with a clock)."""
        if self.clock is None:
            return
        t, log = self.clock(), self.beam_log
        if not log:
            log.append((PREHISTORY, *before))
        log.append((t, self.mode, self.color, self.crtc.start_address))
        while len(log) > 2 and log[1][0] <= t - BEAM_HISTORY:
            del log[0]

    def _registers(self) -> tuple[int, int, int]:
        return self.mode, self.color, self.crtc.start_address

    # -- ports --------------------------------------------------------------------------
    def status(self) -> int:
        return self.status_at(self.polled_now())

    def status_at(self, t: int) -> int:
        line = (t // LINE_CLOCKS) % FRAME_LINES
        active = line < ACTIVE_LINES and t % LINE_CLOCKS < ACTIVE_CLOCKS
        value = 0xF0 | (0 if active else 0x01)
        if self.light_pen:
            value |= 0x02
        value |= 0x04  # light-pen switch open
        if VSYNC_FIRST <= line < VSYNC_FIRST + VSYNC_LINES:
            value |= 0x08
        return value

    def status_changes_at(self, t: int, mask: int) -> int | None:
        """The first time after ``t`` at which ``status_at() & mask`` differs from its value
        at ``t`` (None: never): how long a loop waiting on those bits will wait. Only bits 0
        and 3 move by themselves."""
        frame = FRAME_LINES * LINE_CLOCKS
        start, f = t - t % frame, t % frame
        line, pos = divmod(f, LINE_CLOCKS)
        times = []
        if mask & 0x01:
            if line >= ACTIVE_LINES or (line == ACTIVE_LINES - 1 and pos >= ACTIVE_CLOCKS):
                times.append(frame)                    # blank until the next frame's line 0
            elif pos < ACTIVE_CLOCKS:
                times.append(line * LINE_CLOCKS + ACTIVE_CLOCKS)
            else:
                times.append((line + 1) * LINE_CLOCKS)
        if mask & 0x08:
            if line < VSYNC_FIRST:
                times.append(VSYNC_FIRST * LINE_CLOCKS)
            elif line < VSYNC_FIRST + VSYNC_LINES:
                times.append((VSYNC_FIRST + VSYNC_LINES) * LINE_CLOCKS)
            else:
                times.append(frame + VSYNC_FIRST * LINE_CLOCKS)
        return start + min(times) if times else None

    def read(self, port: int, width: int = 1) -> int:
        if 0x3D0 <= port <= 0x3D7:
            return self.crtc.read_data() if port & 1 else 0xFF
        if port == 0x3DA:
            return self.status()
        return 0xFF  # 3D8/3D9 are write-only

    def write(self, port: int, value: int, width: int = 1) -> None:
        value &= 0xFF
        if 0x3D0 <= port <= 0x3D7:
            if port & 1:
                if self.crtc.index in (12, 13):
                    before = self._registers()
                    self.crtc.write_data(value)
                    self._log_write(before)
                else:
                    self.crtc.write_data(value)
            else:
                self.crtc.write_index(value)
        elif port == 0x3D8:
            before = self._registers()
            self.mode = value & 0x3F
            self._log_write(before)
        elif port == 0x3D9:
            before = self._registers()
            self.color = value & 0x3F
            self._log_write(before)
        elif port == 0x3DB:
            self.light_pen = False
        elif port == 0x3DC:
            self.light_pen = True

    # -- what is on screen ----------------------------------------------------------------
    @property
    def is_text(self) -> bool:
        return not self.mode & 0x02

    @property
    def columns(self) -> int:
        return 80 if self.mode & 0x01 else 40

    @property
    def hires_graphics(self) -> bool:
        return bool(self.mode & 0x10)

    def palette(self) -> tuple[int, ...]:
        """The IBM colour (0-15) of each dot value in the current graphics mode."""
        return graphics_palette(self.mode, self.color)

    def _beam_states(self, height: int) -> list[tuple[int, int, int]] | None:
        """(mode, colour, start address) for each displayed line, or None when every line
        shows the current registers (nothing written for two frames, or no clock)."""
        log = self.beam_log
        if self.clock is None or not log:
            return None
        t = self.clock()
        if log[-1][0] <= t - BEAM_HISTORY:
            return None
        times = [entry[0] for entry in log]
        states = []
        for y in range(height):
            done = line_time(t, min(y, FRAME_LINES - 1))
            mode, color = log[bisect_right(times, done) - 1][1:3]
            start = log[bisect_right(times, done - done % FRAME_CLOCKS) - 1][3]
            states.append((mode, color, start))
        return states

    def graphics_screen(self, mem: Any, base: int = VRAM_BASE) -> GraphicsScreen:
        crtc = self.crtc
        # Unprogrammed (0) or absurd CRTC counts fall back to the BIOS's 40x100 rows of 2.
        words = crtc.columns if 0 < crtc.columns <= 56 else 40
        rows = crtc.rows if 0 < crtc.rows <= 127 else 100
        scan = (crtc.regs[9] & 0x1F) + 1 if crtc.rows else 2
        ram = bytes(memoryview(mem)[base:base + VRAM_SIZE])
        doubled = ram[:BANK_SIZE] * 2, ram[BANK_SIZE:] * 2   # a row may wrap in its bank
        height = min(rows * scan, 400)
        states = self._beam_states(height)
        start = crtc.start_address
        lines = []
        for y in range(height):
            if states is not None:
                start = states[y][2]
            offset = ((start + (y // scan) * words) * 2) & (BANK_SIZE - 1)
            lines.append(doubled[(y % scan) & 1][offset:offset + 2 * words])
        bands: list[tuple[int, int, int, tuple[int, ...], bool]] = []
        if states is not None:
            for y, (mode, color, _start) in enumerate(states):
                fmt = (1 if mode & 0x10 else 2, graphics_palette(mode, color),
                       bool(mode & 0x08) and bool(mode & 0x02))
                if bands and bands[-1][2:] == fmt:
                    bands[-1] = (bands[-1][0], bands[-1][1] + 1, *fmt)
                else:
                    bands.append((y, 1, *fmt))
        current = (1 if self.hires_graphics else 2, self.palette(), bool(self.mode & 0x08))
        if len(bands) == 1 and bands[0][2:] == current:
            bands = []
        bpp = current[0]
        dots = 2 * words * 8 // bpp
        if any(b[2] != bpp for b in bands):
            bpp, dots = 1, 2 * words * 8             # 320- and 640-dot lines: 640 wide
        return GraphicsScreen(
            width=dots, height=height, bpp=bpp, palette=current[1], lines=tuple(lines),
            video_enabled=current[2], bands=tuple(bands))

    def screen(self, mem: Any, base: int = VRAM_BASE) -> TextScreen | GraphicsScreen:
        if self.is_text:
            return self.text_screen(mem, base)
        return self.graphics_screen(mem, base)

    def text_screen(self, mem: Any, base: int = VRAM_BASE) -> TextScreen:
        # The CRTC's displayed counts win when programmed (a BIOS may set 80x30-style
        # modes); before anything programs it they are 0 and the mode register decides.
        cols = self.crtc.columns if 0 < self.crtc.columns <= 132 else self.columns
        rows = self.crtc.rows if 0 < self.crtc.rows <= 60 else 25
        return TextScreen.from_memory(
            memoryview(mem)[base:base + VRAM_SIZE],
            start=self.crtc.start_address, cols=cols, rows=rows,
            cursor=self.crtc.cursor_address, cursor_start=self.crtc.cursor_start,
            cursor_end=self.crtc.cursor_end, cursor_enabled=self.crtc.cursor_enabled,
            mda=False, graphics=not self.is_text, video_enabled=bool(self.mode & 0x08),
            blink_enabled=bool(self.mode & 0x20),
        )

    # -- state --------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {"crtc": self.crtc.get_state(), "mode": self.mode, "color": self.color,
                "light_pen": self.light_pen,
                "beam_log": [list(entry) for entry in self.beam_log]}

    def set_state(self, state: dict[str, Any]) -> None:
        self.crtc.set_state(state["crtc"])
        self.mode = state["mode"]
        self.color = state["color"]
        self.light_pen = state["light_pen"]
        self.beam_log = [tuple(entry) for entry in state.get("beam_log", [])]
