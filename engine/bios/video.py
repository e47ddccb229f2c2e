"""INT 10h: text modes 0-3 (CGA) and 7 (MDA), graphics modes 4-6 (CGA; video_graphics.py):
mode set, cursor, scrolling, characters, teletype, strings, palette, pixels. Text goes straight
into video memory; the cursor and start address go to the 6845.

A mode set programs the CRTC from the video parameter table INT 1Dh points to (our ROM's at
F000:F0A4h, where the IBM BIOS keeps it: 40x25, 80x25, graphics and monochrome, 16 bytes
each), the mode control register, and the colour select register (30h; 3Fh in mode 6, so
its dots are white), as the IBM BIOS does."""

from __future__ import annotations

from typing import Any

from engine.bios import bda, teletype
from engine.bios.regs import Regs
from engine.bios.video_graphics import GraphicsVideo

MODES = {  # mode: (columns, CRTC parameter table index, mode-control register value)
    0: (40, 0, 0x2C), 1: (40, 0, 0x28), 2: (80, 1, 0x2D), 3: (80, 1, 0x29),
    4: (40, 2, 0x2A), 5: (40, 2, 0x2E), 6: (80, 2, 0x1E), 7: (80, 3, 0x29),
}
GRAPHICS_MODES = (4, 5, 6)
ROWS = 25


class Video:
    def __init__(self, bios: Any, mda: bool) -> None:
        self.bios = bios
        self.mda = mda
        self.graphics = GraphicsVideo(self)

    # ---- state kept in the BIOS data area ----------------------------------------------
    def _r(self) -> Regs:
        return self.bios.regs

    @property
    def mode(self) -> int:
        return self._r().rb(bda.VIDEO_MODE)

    @property
    def columns(self) -> int:
        """CRT_COLS from the BDA. The guest can write any word there; the IBM BIOS would lay
        out garbage with it, we do too, but within 1..255 so no layout reaches past the
        adapter's 64 KiB window."""
        cols = self._r().rw(bda.VIDEO_COLUMNS)
        return cols if 1 <= cols <= 255 else 80

    @property
    def in_graphics(self) -> bool:
        return self.mode in GRAPHICS_MODES

    def vram(self) -> int:
        return 0xB0000 if self.mode == 7 else 0xB8000

    def page_size(self) -> int:
        return 0x800 if self.columns == 40 else 0x1000

    def cursor(self, page: int) -> tuple[int, int]:
        pos = self._r().rw(bda.CURSOR_POS + 2 * (page & 7))
        return pos >> 8, pos & 0xFF

    def cell(self, page: int, row: int, col: int) -> int:
        """A character cell's address. The IBM BIOS computes the offset in 16 bits within the
        regen segment, so a cursor position from a scribbled BDA wraps inside B000h/B800h
        instead of reaching other memory (or past the 1 MiB a host index can take)."""
        offset = (page & 7) * self.page_size() + 2 * (row * self.columns + col)
        return self.vram() + (offset & 0xFFFF)

    def _crtc(self, index: int, value: int) -> None:
        port = 0x3B4 if self.mode == 7 else 0x3D4
        self.bios.bus.port_write(port, index, 1)
        self.bios.bus.port_write(port + 1, value & 0xFF, 1)

    def set_cursor(self, page: int, row: int, col: int) -> None:
        r = self._r()
        r.ww(bda.CURSOR_POS + 2 * (page & 7), (row << 8) | col)
        if page == r.rb(bda.ACTIVE_PAGE):
            addr = r.rw(bda.VIDEO_PAGE_START) // 2 + row * self.columns + col
            self._crtc(14, addr >> 8)
            self._crtc(15, addr)

    # ---- services --------------------------------------------------------------------------
    def set_mode(self, mode: int) -> None:
        r = self._r()
        keep = mode & 0x80
        mode &= 0x7F
        if self.mda:
            mode = 7
        elif mode not in MODES or mode == 7:
            mode = 3                              # no such mode on a CGA: 80x25 text
        cols, table, control = MODES[mode]
        graphics = mode in GRAPHICS_MODES
        r.wb(bda.VIDEO_MODE, mode)
        r.ww(bda.VIDEO_COLUMNS, cols)
        r.ww(bda.VIDEO_PAGE_SIZE, 0x4000 if graphics else (0x800 if cols == 40 else 0x1000))
        r.ww(bda.VIDEO_PAGE_START, 0)
        r.wb(bda.ACTIVE_PAGE, 0)
        r.ww(bda.CRTC_PORT, 0x3B4 if mode == 7 else 0x3D4)
        r.wb(bda.MODE_CONTROL, control)
        for page in range(8):
            r.ww(bda.CURSOR_POS + 2 * page, 0)
        base = 0x3B8 if mode == 7 else 0x3D8
        self.bios.bus.port_write(base, control & 0x37, 1)   # video off while reprogramming
        params = (r.rw(0x1D * 4 + 2) << 4) + r.rw(0x1D * 4) + 16 * table
        for index in range(16):
            self._crtc(index, r.rb(params + index))
        if mode != 7:
            colour = 0x3F if mode == 6 else 0x30
            r.wb(bda.PALETTE, colour)
            self.bios.bus.port_write(0x3D9, colour, 1)
        equipment = r.rw(bda.EQUIPMENT) & ~0x30
        r.ww(bda.EQUIPMENT, equipment | (0x30 if mode == 7 else (0x10 if cols == 40 else 0x20)))
        if not keep:
            size = 0x1000 if mode == 7 else 0x4000
            fill = b"\x00\x00" if graphics else b"\x20\x07"
            r.mem[self.vram():self.vram() + size] = fill * (size // 2)
        shape = (11, 12) if mode == 7 else (6, 7)
        self.set_shape(*shape)
        self.set_cursor(0, 0, 0)
        self.bios.bus.port_write(base, control, 1)

    def set_shape(self, start: int, end: int) -> None:
        self._r().ww(bda.CURSOR_SHAPE, (start << 8) | end)
        self._crtc(10, start)
        self._crtc(11, end)

    def select_page(self, page: int) -> None:
        r = self._r()
        page &= 7
        r.wb(bda.ACTIVE_PAGE, page)
        start = page * self.page_size()
        r.ww(bda.VIDEO_PAGE_START, start)
        self._crtc(12, (start // 2) >> 8)
        self._crtc(13, start // 2)
        row, col = self.cursor(page)
        self.set_cursor(page, row, col)

    def scroll(self, up: bool, lines: int, attr: int, top: int, left: int, bottom: int,
               right: int) -> None:
        cols = self.columns
        bottom, right = min(bottom, ROWS - 1), min(right, cols - 1)
        if top > bottom or left > right:
            return
        page = self._r().rb(bda.ACTIVE_PAGE)
        mem = self._r().mem
        height = bottom - top + 1
        width = 2 * (right - left + 1)
        blank = bytes([0x20, attr]) * (right - left + 1)
        if lines == 0 or lines >= height:
            lines = height
        rows = range(top, bottom + 1) if up else range(bottom, top - 1, -1)
        for row in rows:
            src = row + lines if up else row - lines
            dst = self.cell(page, row, left)
            if top <= src <= bottom:
                s = self.cell(page, src, left)
                mem[dst:dst + width] = mem[s:s + width]
            else:
                mem[dst:dst + width] = blank

    def write_char(self, page: int, char: int, attr: int | None, count: int) -> None:
        row, col = self.cursor(page)
        mem = self._r().mem
        addr = self.cell(page, row, col)
        end = min(addr + 2 * count, self.cell(page, ROWS - 1, self.columns - 1) + 2)
        for a in range(addr, end, 2):
            mem[a] = char
            if attr is not None:
                mem[a + 1] = attr

    def teletype(self, char: int, page: int, attr: int | None = None) -> None:
        if char == teletype.BEL:
            return
        row, col = self.cursor(page)
        cols = self.columns
        new_row, new_col, draw = teletype.advance(char, row, col, cols)
        if draw:
            a = self.cell(page, row, col)
            mem = self._r().mem
            mem[a] = char
            if attr is not None:
                mem[a + 1] = attr
        if new_row >= ROWS:
            fill = self._r().mem[self.cell(page, ROWS - 1, new_col) + 1]
            self.scroll(True, 1, fill, 0, 0, ROWS - 1, cols - 1)
            new_row = ROWS - 1
        self.set_cursor(page, new_row, new_col)

    def set_palette(self, which: int, value: int) -> None:
        """AH=0Bh: BH=0 sets the background/border colour and intensity (BL bits 0-4), BH=1
        the 320-dot palette (BL bit 0), in the colour select register and its BDA copy."""
        r = self._r()
        colour = r.rb(bda.PALETTE)
        if which == 0:
            colour = (colour & 0xE0) | (value & 0x1F)
        elif which == 1:
            colour = (colour & 0xDF) | (0x20 if value & 1 else 0)
        else:
            return
        r.wb(bda.PALETTE, colour)
        if not self.mda:
            self.bios.bus.port_write(0x3D9, colour, 1)

    def int10_graphics(self, r: Regs) -> bool:
        """The services that differ in graphics modes; False when it is not one of them."""
        g, ah, al = self.graphics, r.ah, r.al
        if ah in (0x06, 0x07):
            g.scroll(ah == 0x06, al, r.bh, r.ch, r.cl, r.dh, r.dl)
        elif ah == 0x08:
            row, col = self.cursor(r.rb(bda.ACTIVE_PAGE))
            r.set(al=g.read_char(row, col))
        elif ah in (0x09, 0x0A):                 # both take BL as the colour in graphics
            row, col = self.cursor(r.rb(bda.ACTIVE_PAGE))
            g.write_chars(row, col, al, r.bl, r.cx)
        elif ah == 0x0E:
            g.teletype(al, r.bl)
        else:
            return False
        return True

    def int10(self, r: Regs) -> None:
        ah, al = r.ah, r.al
        if self.in_graphics and self.int10_graphics(r):
            return
        if ah == 0x00:
            self.set_mode(al)
        elif ah == 0x01:
            self.set_shape(r.ch, r.cl)
        elif ah == 0x02:
            self.set_cursor(r.bh, r.dh, r.dl)
        elif ah == 0x03:
            row, col = self.cursor(r.bh)
            shape = r.rw(bda.CURSOR_SHAPE)
            r.set(dx=(row << 8) | col, cx=shape)
        elif ah == 0x05:
            self.select_page(al)
        elif ah in (0x06, 0x07):
            self.scroll(ah == 0x06, al, r.bh, r.ch, r.cl, r.dh, r.dl)
        elif ah == 0x08:
            row, col = self.cursor(r.bh)
            a = self.cell(r.bh, row, col)
            r.set(ax=r.mem[a] | r.mem[a + 1] << 8)
        elif ah == 0x09:
            self.write_char(r.bh, al, r.bl, r.cx)
        elif ah == 0x0A:
            self.write_char(r.bh, al, None, r.cx)
        elif ah == 0x0B:
            self.set_palette(r.bh, r.bl)
        elif ah == 0x0C:
            if self.in_graphics:
                self.graphics.write_pixel(r.cx, r.dx, al)
        elif ah == 0x0D:
            if self.in_graphics:
                r.set(al=self.graphics.read_pixel(r.cx, r.dx))
        elif ah == 0x0E:
            self.teletype(al, r.rb(bda.ACTIVE_PAGE))
        elif ah == 0x0F:
            r.set(al=self.mode, ah=self.columns, bh=r.rb(bda.ACTIVE_PAGE))
        elif ah == 0x13:
            self.write_string(r)
        # 12h (EGA information) and 1Ah (VGA combination) leave the registers unchanged,
        # which is how a CGA/MDA BIOS tells programs that no EGA/VGA is present.

    def write_string(self, r: Regs) -> None:
        mode, page, attr, count = r.al, r.bh, r.bl, r.cx
        saved = self.cursor(page)
        self.set_cursor(page, r.dh, r.dl)
        data = r.read_block(r.es, r.bp, count * (2 if mode & 2 else 1))
        for i in range(count):
            if mode & 2:
                char, a = data[2 * i], data[2 * i + 1]
            else:
                char, a = data[i], attr
            self.teletype(char, page, a if char not in (7, 8, 10, 13) else None)
        if not mode & 1:
            self.set_cursor(page, *saved)
