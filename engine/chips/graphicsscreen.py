"""GraphicsScreen: an immutable snapshot of a CGA graphics display, cheap to compare by line.

A snapshot keeps each scan line as the adapter fetches it from video memory (80 bytes: 320
dots of 2 bits or 640 dots of 1 bit, leftmost dot in the high bits), plus the palette that
turns a dot value into one of the 16 IBM colours. Lines stay packed because that is what
the control protocol sends (2 or 1 bits a dot) and what change detection compares (one
C-level ``bytes`` comparison a line); dots are expanded only by whoever draws them.

    GraphicsScreen(width, height, bpp, palette, lines, video_enabled=True)
    screen.graphics -> True (TextScreen's is False)
    screen.changed_lines(previous) -> list[int]  (every line when the geometry differs; a
                                                 palette change alone changes no line)
    screen.pixels() -> list[bytes]               (a colour index 0-15 a dot, line by line)
    expand_line(line, bpp, palette) -> bytes     (the same for one packed line)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


def expand_line(line: bytes, bpp: int, palette: tuple[int, ...]) -> bytes:
    """One packed line as a colour index (0-15) a dot."""
    return b"".join(map(_expansion(bpp, tuple(palette)).__getitem__, line))


@cache
def _expansion(bpp: int, palette: tuple[int, ...]) -> tuple[bytes, ...]:
    """For each byte value, the colour indexes of the dots it holds."""
    per = 8 // bpp
    mask = (1 << bpp) - 1
    return tuple(
        bytes(palette[(value >> (8 - bpp * (k + 1))) & mask] for k in range(per))
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
    graphics = True

    def changed_lines(self, previous: GraphicsScreen | None) -> list[int]:
        if previous is None or not previous.graphics or self.geometry != previous.geometry:
            return list(range(self.height))
        return [y for y, (a, b) in enumerate(zip(self.lines, previous.lines, strict=True))
                if a != b]

    @property
    def geometry(self) -> tuple[int, int, int]:
        return (self.width, self.height, self.bpp)

    def pixels(self) -> list[bytes]:
        if not self.video_enabled:
            return [bytes(self.width)] * self.height
        table = _expansion(self.bpp, self.palette)
        return [b"".join(map(table.__getitem__, line)) for line in self.lines]
