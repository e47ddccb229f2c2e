"""GraphicsScreen: an immutable snapshot of a CGA graphics display, cheap to compare by line.

A snapshot keeps each scan line as the adapter fetches it from video memory (80 bytes: 320
dots of 2 bits or 640 dots of 1 bit, leftmost dot in the high bits), plus the palette that
turns a dot value into one of the 16 IBM colours. Lines stay packed because that is what
the control protocol sends (2 or 1 bits a dot) and what change detection compares (one
C-level ``bytes`` comparison a line); dots are expanded only by whoever draws them.

    GraphicsScreen(width, height, bpp, palette, lines, video_enabled=True, bands=())
    screen.graphics -> True (TextScreen's is False)
    screen.line_format(y) -> (bpp, palette, video) of line y
    screen.changed_lines(previous) -> list[int]  (every line when the geometry differs; a
                                                 palette change alone changes no line)
    screen.pixels() -> list[bytes]               (a colour index 0-15 a dot, line by line)
    screen.text_lines() -> list[str]             (BIOS-font characters read back from the
                                                 dots: engine/chips/graphics_text.py)
    expand_line(line, bpp, palette, width=None) -> bytes  (the same for one packed line;
                                                 a 320-dot line in a 640-wide frame doubled)

``bands`` describe a frame whose registers changed while the beam drew it (engine/chips/
cga.py): ``(first, count, bpp, palette, video)`` runs of lines, covering every line; empty
when all lines show ``bpp``/``palette``/``video_enabled``. A frame mixing 320- and 640-dot
lines is 640 wide with ``bpp`` 1 (so a line is still ``width * bpp / 8`` bytes), its
320-dot lines drawn two dots a dot.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from engine.chips.graphics_text import graphics_text_lines

Band = tuple[int, int, int, tuple[int, ...], bool]


def expand_line(line: bytes, bpp: int, palette: tuple[int, ...],
                width: int | None = None) -> bytes:
    """One packed line as a colour index (0-15) a dot; ``width`` twice the line's dots
    draws each dot twice (a 320-dot line of a frame that also has 640-dot lines)."""
    doubled = width is not None and width > len(line) * 8 // bpp
    return b"".join(map(_expansion(bpp, tuple(palette), doubled).__getitem__, line))


@cache
def _expansion(bpp: int, palette: tuple[int, ...], doubled: bool = False) -> tuple[bytes, ...]:
    """For each byte value, the colour indexes of the dots it holds."""
    per = 8 // bpp
    mask = (1 << bpp) - 1
    repeat = 2 if doubled else 1
    return tuple(
        bytes(palette[(value >> (8 - bpp * (k + 1))) & mask] for k in range(per)
              for _ in range(repeat))
        for value in range(256)
    )


@dataclass(frozen=True, eq=False)
class GraphicsScreen:
    width: int
    height: int
    bpp: int
    palette: tuple[int, ...]
    lines: tuple[bytes, ...]
    video_enabled: bool = True
    bands: tuple[Band, ...] = ()
    graphics = True

    def line_format(self, y: int) -> tuple[int, tuple[int, ...], bool]:
        for first, count, bpp, palette, video in self.bands:
            if first <= y < first + count:
                return bpp, palette, video
        return self.bpp, self.palette, self.video_enabled

    def changed_lines(self, previous: GraphicsScreen | None) -> list[int]:
        if previous is None or not previous.graphics or self.geometry != previous.geometry:
            return list(range(self.height))
        return [y for y, (a, b) in enumerate(zip(self.lines, previous.lines, strict=True))
                if a != b]

    @property
    def geometry(self) -> tuple[int, int, int]:
        return (self.width, self.height, self.bpp)

    def text_lines(self) -> list[str]:
        return graphics_text_lines(self)

    def pixels(self) -> list[bytes]:
        bands = self.bands or ((0, self.height, self.bpp, self.palette, self.video_enabled),)
        out: list[bytes] = []
        for first, count, bpp, palette, video in bands:
            if not video:
                out += [bytes(self.width)] * count
                continue
            per_byte = 8 // bpp
            table = _expansion(bpp, palette, self.width > per_byte * len(self.lines[0]))
            out += [b"".join(map(table.__getitem__, line))
                    for line in self.lines[first:first + count]]
        return out
