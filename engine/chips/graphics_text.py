"""Text read back from a graphics frame: the characters a program drew with the BIOS's 8x8
font, so `xtbox vm expect` and text screenshots work in graphics modes as in text modes.

The frame is cut into 8x8 cells on the character grid the BIOS draws on (40x25 at 320
dots, 80x25 at 640); a cell is a character when its dots are exactly two colours and the
dots of one of them are that character's glyph in our font (engine/chips/font8x8.py, the
font the BIOS draws with and the ROM holds at F000:FA6Eh): foreground any colour on any
background. Where both colours give a glyph (a character and its inverse), the one drawn
over the line's background colour (dot value 0) wins. A cell of one colour, or one that is
no glyph (a picture, XOR-drawn text over it), reads as a space.

    graphics_text_lines(screen) -> list[str]   (CP437 decoded, right-stripped)
"""

from __future__ import annotations

from functools import cache

from engine.chips.cp437 import decode
from engine.chips.font8x8 import FONT8X8

CELL = 8


@cache
def _glyphs() -> dict[bytes, int]:
    """Each glyph's 64 dots (1 set, 0 clear, row by row) -> the lowest code drawn so."""
    out: dict[bytes, int] = {}
    for code in range(256):
        rows = FONT8X8[code * 8:code * 8 + 8]
        mask = bytes((bits >> (7 - k)) & 1 for bits in rows for k in range(8))
        if 0 < sum(mask) < 64:               # blank and solid cells are judged by colour
            out.setdefault(mask, code)
    return out


@cache
def _select(colour: int) -> bytes:
    """A translate table: ``colour`` -> 1, every other index -> 0."""
    return bytes(1 if i == colour else 0 for i in range(256))


def _cell_code(cell: bytes, background: int) -> int:
    first = cell[0]
    if cell.count(first) == len(cell):
        return 0x20
    colours = set(cell)
    if len(colours) != 2:
        return 0x20
    glyphs = _glyphs()
    found = {}
    for fg in colours:
        code = glyphs.get(cell.translate(_select(fg)))
        if code is not None:
            found[fg] = code
    if not found:
        return 0x20
    over_background = [code for fg, code in found.items() if fg != background]
    return over_background[0] if over_background and len(found) > 1 else \
        next(iter(found.values()))


def graphics_text_lines(screen) -> list[str]:
    """The frame's characters, one string a cell row (see the module docstring)."""
    pixels = screen.pixels()
    width = screen.width
    out = []
    for y0 in range(0, screen.height - CELL + 1, CELL):
        rows = pixels[y0:y0 + CELL]
        background = screen.line_format(y0)[1][0]
        codes = bytearray()
        for x0 in range(0, width - CELL + 1, CELL):
            cell = b"".join(row[x0:x0 + CELL] for row in rows)
            codes.append(_cell_code(cell, background))
        out.append(decode(bytes(codes)).rstrip())
    return out
