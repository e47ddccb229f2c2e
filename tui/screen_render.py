"""The guest's text screen (protocol form, see engine/vmm/screen_feed.py) as Rich text:
what `xtbox vm screenshot --format svg` exports and what the console draws.

Colours are the IBM 5153's (CGA_PALETTE, from the video adapter); MDA's monochrome maps to grey and
white, as its attributes decode (intensity, underline, reverse, invisible).
"""

from __future__ import annotations

from functools import lru_cache

from rich.style import Style
from rich.text import Text

from tui.control.guest_data import CGA_PALETTE, decode, decode_attr


@lru_cache(maxsize=4096)
def cell_style(attr: int, mda: bool, blink_enabled: bool) -> Style:
    s = decode_attr(attr, mda, blink_enabled)
    fg = s.bg if s.invisible else s.fg
    return Style(color=CGA_PALETTE[fg], bgcolor=CGA_PALETTE[s.bg], blink=s.blink,
                 underline=s.underline)


def row_text(cells: list, mda: bool, blink_enabled: bool = True) -> Text:
    """One screen row; runs of one attribute become one span."""
    text = Text(no_wrap=True, overflow="crop", end="")
    chars = decode(bytes(c for c, _a in cells))
    start = 0
    for i in range(1, len(cells) + 1):
        if i == len(cells) or cells[i][1] != cells[start][1]:
            text.append(chars[start:i], cell_style(cells[start][1], mda, blink_enabled))
            start = i
    return text


def screen_texts(screen: dict) -> list[Text]:
    lines = screen["lines"]
    blink = screen.get("blink", True)
    return [row_text(lines[str(r)], screen.get("mda", False), blink)
            for r in range(screen["rows"])]


def screen_svg(screen: dict, title: str = "xtbox") -> str:
    import io

    from rich.console import Console
    console = Console(record=True, width=screen["cols"], force_terminal=True,
                      color_system="truecolor", file=io.StringIO())
    for text in screen_texts(screen):
        console.print(text, soft_wrap=False, crop=True)
    return console.export_svg(title=title)
