"""IBM Monochrome Display Adapter, text side: CRTC at 3B4/3B5, mode 3B8, status 3BA.

The MDA has 4 KiB of video RAM at B0000h (mirrored up to B7FFFh) and always shows 80x25.
Status (3BA) comes from virtual time: bit 0 is horizontal retrace (a 18.43 kHz line is about
65 PIT clocks, 9 of them in retrace), bit 3 the video dot stream (toggling during the active
part of a line). Bits 4-7 read as 1 and never change, which is how Hercules-detection code
(watching bit 7 toggle) tells that this is a plain MDA.

Ports ``PORTS = [(0x3B0, 0x3BB)]`` (3BC-3BE belong to the MDA's parallel port, not modelled).

API:
    mda = MDA(clock=None)
    mda.crtc ; mda.mode ; mda.status() -> int
    mda.status_at(t) -> int ; mda.status_changes_at(t, mask) -> int | None
                                         # when status & mask next differs from now's
    mda.screen(mem) = mda.text_screen(mem) -> TextScreen   # mem: the 1 MiB address space (B0000h.. 4 KiB)
    reset() ; get_state() ; set_state()
Power-on mode register is 0x29 (high-res, video on, blink) for the same reason as the CGA's.
"""

from __future__ import annotations

from typing import Any

from engine.chips.base import Chip, Clock
from engine.chips.crtc6845 import CRTC6845
from engine.chips.textscreen import TextScreen

VRAM_BASE = 0xB0000
VRAM_SIZE = 0x1000
LINE_CLOCKS = 65
ACTIVE_CLOCKS = 56
POWER_ON_MODE = 0x29


class MDA(Chip):
    name = "mda"
    PORTS = [(0x3B0, 0x3BB)]

    def __init__(self, *, clock: Clock | None = None, name: str = "mda") -> None:
        super().__init__(clock=clock)
        self.name = name
        self.crtc = CRTC6845()
        self.reset()

    def reset(self) -> None:
        self.crtc.reset()
        self.mode = POWER_ON_MODE

    def status(self) -> int:
        return self.status_at(self.polled_now())

    def status_changes_at(self, t: int, mask: int) -> int | None:
        """The first time after ``t`` at which ``status_at() & mask`` differs (None: never).
        Every MDA status bit moves within one scan line, so this is always close."""
        now = self.status_at(t) & mask
        for dt in range(1, LINE_CLOCKS + 1):
            if self.status_at(t + dt) & mask != now:
                return t + dt
        return None

    def status_at(self, t: int) -> int:
        pos = t % LINE_CLOCKS
        value = 0xF0
        if pos >= ACTIVE_CLOCKS:
            value |= 0x01
        elif (t >> 1) & 1:
            value |= 0x08
        return value

    def read(self, port: int, width: int = 1) -> int:
        if 0x3B0 <= port <= 0x3B7:
            return self.crtc.read_data() if port & 1 else 0xFF
        if port == 0x3BA:
            return self.status()
        return 0xFF

    def write(self, port: int, value: int, width: int = 1) -> None:
        value &= 0xFF
        if 0x3B0 <= port <= 0x3B7:
            if port & 1:
                self.crtc.write_data(value)
            else:
                self.crtc.write_index(value)
        elif port == 0x3B8:
            self.mode = value & 0x2B

    def text_screen(self, mem: Any, base: int = VRAM_BASE) -> TextScreen:
        rows = self.crtc.rows if 0 < self.crtc.rows <= 60 else 25
        return TextScreen.from_memory(
            memoryview(mem)[base:base + VRAM_SIZE],
            start=self.crtc.start_address, cols=80, rows=rows,
            cursor=self.crtc.cursor_address, cursor_start=self.crtc.cursor_start,
            cursor_end=self.crtc.cursor_end, cursor_enabled=self.crtc.cursor_enabled,
            mda=True, video_enabled=bool(self.mode & 0x08),
            blink_enabled=bool(self.mode & 0x20),
        )

    def screen(self, mem: Any, base: int = VRAM_BASE) -> TextScreen:
        """What is displayed: the MDA only has text."""
        return self.text_screen(mem, base)

    def get_state(self) -> dict[str, Any]:
        return {"crtc": self.crtc.get_state(), "mode": self.mode}

    def set_state(self, state: dict[str, Any]) -> None:
        self.crtc.set_state(state["crtc"])
        self.mode = state["mode"]
