"""Text-mode attribute bytes -> colours and styles, for CGA and MDA, so the console need not
know either card.

CGA: low nibble foreground (16 colours), bits 4-6 background, bit 7 blink when the mode
register's blink bit is set, else a bright background. MDA: no colours; bit 3 is intensity,
foreground 1 (with background 0) underlines, 0x70 is reverse video, and attributes whose
foreground and background are both black (00h, 08h, 80h, 88h) show nothing.

    CGA_PALETTE[i] -> "#rrggbb"  (the IBM 5153 colours, brown at 6)
    style = decode_attr(attr, mda=False, blink_enabled=True)
    style.fg, style.bg   -> palette indexes 0..15 (MDA uses 0 black, 7 normal green/white,
                            15 bright, and 8 for a bright background when blink is off)
    style.blink, style.underline, style.invisible
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

CGA_PALETTE: tuple[str, ...] = (
    "#000000", "#0000aa", "#00aa00", "#00aaaa", "#aa0000", "#aa00aa", "#aa5500", "#aaaaaa",
    "#555555", "#5555ff", "#55ff55", "#55ffff", "#ff5555", "#ff55ff", "#ffff55", "#ffffff",
)


class CellStyle(NamedTuple):
    fg: int
    bg: int
    blink: bool = False
    underline: bool = False
    invisible: bool = False


@lru_cache(maxsize=1024)
def decode_attr(attr: int, mda: bool = False, blink_enabled: bool = True) -> CellStyle:
    attr &= 0xFF
    blink = bool(attr & 0x80) and blink_enabled
    if not mda:
        bg = (attr >> 4) & (0x07 if blink_enabled else 0x0F)
        return CellStyle(fg=attr & 0x0F, bg=bg, blink=blink)
    bright = bool(attr & 0x08)
    fore = attr & 0x07
    back = (attr >> 4) & 0x07
    if fore == 0 and back == 0:
        return CellStyle(fg=0, bg=0, blink=False, invisible=True)
    if back == 7 and fore == 0:
        return CellStyle(fg=0, bg=15 if bright else 7, blink=blink)  # reverse video
    bg = 8 if (attr & 0x80 and not blink_enabled) else 0
    return CellStyle(fg=15 if bright else 7, bg=bg, blink=blink, underline=fore == 1)
