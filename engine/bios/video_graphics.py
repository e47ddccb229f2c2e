"""INT 10h in the CGA's graphics modes (4 and 5: 320x200 in 4 colours, 6: 640x200 in 2), as
the IBM BIOS behaves: pixels (AH=0Ch/0Dh), text drawn from the 8x8 font (AH=09h/0Ah/0Eh;
characters 00h-7Fh from the ROM's table at F000:FA6Eh, 80h-FFh from wherever INT 1Fh points,
so a program or GRAFTABL can supply its own), reading a character back by matching the cell
against those fonts (AH=08h), and scrolling (AH=06h/07h).

Graphics memory is two banks at B800:0000 (even scan lines) and B800:2000 (odd), 80 bytes a
line; a character cell is 8 lines, 4 in each bank, and 1 byte (640 dots) or 2 bytes (320 dots)
wide, so a text row is 320 bytes into each bank. As in the IBM BIOS the graphics services
ignore the display page and the CRTC start address, and a run of characters (AH=09h, CX > 1)
simply moves on byte by byte.
"""

from __future__ import annotations

from typing import Any

from engine.bios import bda, layout, teletype
from engine.bios.regs import Regs

VRAM = 0xB8000
BANK = 0x2000
LINE = 80
ROW_BYTES = 4 * LINE          # one text row's share of each bank
ROWS = 25
FONT_LOW = layout.ROM_BASE + layout.FONT_LOW


def _spread(bits: int, colour: int) -> int:
    """An 8-dot glyph line in 320-dot mode: each dot becomes two bits of ``colour``."""
    word = 0
    for k in range(8):
        if bits & (0x80 >> k):
            word |= colour << (14 - 2 * k)
    return word


_SPREAD = [[_spread(b, c) for b in range(256)] for c in range(4)]


class GraphicsVideo:
    def __init__(self, video: Any) -> None:
        self.video = video

    @property
    def r(self) -> Regs:
        return self.video.bios.regs

    @property
    def hires(self) -> bool:
        return self.video.mode == 6

    @property
    def cell_bytes(self) -> int:
        return 1 if self.hires else 2

    @staticmethod
    def line_address(line: int) -> int:
        return VRAM + (line & 1) * BANK + (line >> 1) * LINE

    # ---- pixels ---------------------------------------------------------------------------
    def _dot(self, x: int, y: int) -> tuple[int, int, int] | None:
        """(address, shift, mask) of dot (x, y), or None off screen."""
        width = 640 if self.hires else 320
        if not (0 <= x < width and 0 <= y < 200):
            return None
        if self.hires:
            return self.line_address(y) + x // 8, 7 - x % 8, 0x01
        return self.line_address(y) + x // 4, 6 - 2 * (x % 4), 0x03

    def write_pixel(self, x: int, y: int, colour: int) -> None:
        where = self._dot(x, y)
        if where is None:
            return
        addr, shift, mask = where
        mem = self.r.mem
        value = (colour & mask) << shift
        if colour & 0x80:
            mem[addr] ^= value
        else:
            mem[addr] = (mem[addr] & ~(mask << shift) & 0xFF) | value

    def read_pixel(self, x: int, y: int) -> int:
        where = self._dot(x, y)
        if where is None:
            return 0
        addr, shift, mask = where
        return (self.r.mem[addr] >> shift) & mask

    # ---- characters -----------------------------------------------------------------------
    def glyph(self, char: int) -> bytes:
        r = self.r
        if char < 0x80:
            base = FONT_LOW + 8 * char
        else:
            base = (r.rw(0x1F * 4 + 2) << 4) + r.rw(0x1F * 4) + 8 * (char - 0x80)
        return bytes(r.mem[(base + i) & 0xFFFFF] for i in range(8))

    def cell_offset(self, row: int, col: int) -> int:
        return row * ROW_BYTES + col * self.cell_bytes

    def draw_char(self, offset: int, char: int, colour: int) -> None:
        mem = self.r.mem
        xor = bool(colour & 0x80)
        glyph = self.glyph(char)
        for y in range(8):
            addr = VRAM + (y & 1) * BANK + offset + (y >> 1) * LINE
            if addr + self.cell_bytes > VRAM + (y & 1) * BANK + BANK:
                return
            if self.hires:
                value = glyph[y]
                mem[addr] = mem[addr] ^ value if xor else value
            else:
                word = _SPREAD[colour & 3][glyph[y]]
                for k, byte in enumerate((word >> 8, word & 0xFF)):
                    mem[addr + k] = mem[addr + k] ^ byte if xor else byte

    def write_chars(self, row: int, col: int, char: int, colour: int, count: int) -> None:
        offset = self.cell_offset(row, col)
        for _ in range(count & 0xFFFF):
            if offset >= BANK:
                break
            self.draw_char(offset, char, colour)
            offset += self.cell_bytes

    def read_char(self, row: int, col: int) -> int:
        """The character whose glyph the cell shows (any dot colour counts as lit), 0 if none."""
        mem = self.r.mem
        offset = self.cell_offset(row, col)
        cell = bytearray()
        for y in range(8):
            addr = VRAM + (y & 1) * BANK + offset + (y >> 1) * LINE
            if self.hires:
                cell.append(mem[addr])
            else:
                word = mem[addr] << 8 | mem[addr + 1]
                cell.append(sum(0x80 >> k for k in range(8) if (word >> (14 - 2 * k)) & 3))
        cell = bytes(cell)
        for char in range(256):
            if char >= 0x80 and self.r.rw(0x1F * 4) == self.r.rw(0x1F * 4 + 2) == 0:
                break
            if self.glyph(char) == cell:
                return char
        return 0

    # ---- scrolling -------------------------------------------------------------------------
    def scroll(self, up: bool, lines: int, fill: int, top: int, left: int, bottom: int,
               right: int) -> None:
        cols = self.video.columns
        bottom, right = min(bottom, ROWS - 1), min(right, cols - 1)
        if top > bottom or left > right:
            return
        mem = self.r.mem
        height = bottom - top + 1
        if lines == 0 or lines >= height:
            lines = height
        width = (right - left + 1) * self.cell_bytes
        blank = bytes([fill]) * width
        rows = range(top, bottom + 1) if up else range(bottom, top - 1, -1)
        for row in rows:
            src = row + lines if up else row - lines
            for bank in (0, BANK):
                for k in range(4):
                    dst = VRAM + bank + self.cell_offset(row, left) + k * LINE
                    if top <= src <= bottom:
                        s = VRAM + bank + self.cell_offset(src, left) + k * LINE
                        mem[dst:dst + width] = mem[s:s + width]
                    else:
                        mem[dst:dst + width] = blank

    def teletype(self, char: int, colour: int) -> None:
        if char == teletype.BEL:
            return
        v = self.video
        page = self.r.rb(bda.ACTIVE_PAGE)
        row, col = v.cursor(page)
        cols = v.columns
        new_row, new_col, draw = teletype.advance(char, row, col, cols)
        if draw:
            self.write_chars(row, col, char, colour, 1)
        if new_row >= ROWS:
            self.scroll(True, 1, 0, 0, 0, ROWS - 1, cols - 1)
            new_row = ROWS - 1
        v.set_cursor(page, new_row, new_col)
