"""The displayed frame as pixels and as a PNG, at the mode's native size.

Graphics modes are their dots (320x200 or 640x200); CGA text is drawn with our 8x8 font
(8 dots a column: 640x200 at 80 columns, 320x200 at 40), MDA text with the 9x14 cell
(720x350). Colours are the IBM 5153's 16 (the same table the console uses); the MDA's
normal and bright green/white come out as its grey and white. Blinking characters are shown
in their visible phase and the cursor is left out, so a screenshot of a screen is always the
same picture.

    frame_pixels(screen) -> (width, height, lines)   # lines: bytes, a colour index 0-15 a dot
    screen_png(screen) -> bytes                      # an indexed-colour PNG
    png_bytes(width, height, lines, rgb) -> bytes

The PNG is written with zlib and struct (an 8-bit palette image, colour type 3), as the PNG
specification lays it out: signature, IHDR, PLTE, one IDAT, IEND.
"""

from __future__ import annotations

import struct
import zlib
from functools import cache

from engine.chips.attributes import CGA_PALETTE, decode_attr
from engine.chips.font8x8 import FONT8X8, font9x14
from engine.chips.graphicsscreen import GraphicsScreen
from engine.chips.textscreen import TextScreen

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MDA_UNDERLINE_LINE = 12


def palette_rgb() -> list[tuple[int, int, int]]:
    return [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in CGA_PALETTE]


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_bytes(width: int, height: int, lines: list[bytes],
              rgb: list[tuple[int, int, int]]) -> bytes:
    """An 8-bit indexed PNG; ``lines`` hold one palette index a dot."""
    if len(lines) != height or any(len(line) != width for line in lines):
        raise ValueError(f"png: expected {height} lines of {width} dots")
    raw = b"".join(b"\x00" + line for line in lines)            # filter type 0 on each line
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
    plte = b"".join(bytes(c) for c in rgb)
    return (PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"PLTE", plte)
            + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


@cache
def _dots(bits: int, width: int, fg: int, bg: int) -> bytes:
    """One glyph line: ``width`` dots, bit (width-1) leftmost."""
    return bytes(fg if bits >> (width - 1 - k) & 1 else bg for k in range(width))


def _text_pixels(screen: TextScreen) -> tuple[int, int, list[bytes]]:
    if screen.mda:
        cell_w, cell_h, font = 9, 14, font9x14()
    else:
        cell_w, cell_h, font = 8, 8, FONT8X8
    width, height = screen.cols * cell_w, screen.rows * cell_h
    if not screen.video_enabled:
        return width, height, [bytes(width)] * height
    lines = []
    for row in screen.cells:
        styles = [decode_attr(a, screen.mda, screen.blink_enabled) for _c, a in row]
        for y in range(cell_h):
            parts = []
            for (char, _a), s in zip(row, styles, strict=True):
                fg = s.bg if s.invisible else s.fg
                if screen.mda:
                    bits = int.from_bytes(font[(char * 14 + y) * 2:(char * 14 + y) * 2 + 2],
                                          "big") >> 7
                    if s.underline and y == MDA_UNDERLINE_LINE:
                        bits = 0x1FF
                else:
                    bits = font[char * 8 + y]
                parts.append(_dots(bits, cell_w, fg, s.bg))
            lines.append(b"".join(parts))
    return width, height, lines


def frame_pixels(screen: TextScreen | GraphicsScreen) -> tuple[int, int, list[bytes]]:
    if isinstance(screen, GraphicsScreen):
        return screen.width, screen.height, screen.pixels()
    return _text_pixels(screen)


def screen_png(screen: TextScreen | GraphicsScreen) -> bytes:
    width, height, lines = frame_pixels(screen)
    return png_bytes(width, height, lines, palette_rgb())
