"""Real pixels for the console's graphics: the kitty graphics protocol with Unicode
placeholders, and how we find out whether the terminal speaks it.

Why placeholders: Textual's compositor owns every cell. With kitty's Unicode placeholders
the image is sent once (an APC escape, out of band, through the driver) and shown by cells
of ordinary text, U+10EEEE in a foreground colour that names the image, so the compositor
still lays out, crops and repaints the widget as text; a new frame is one new transmission
under the same image id, and the cells do not change at all. (textual-image, evaluated for
issue #16, writes its own escapes to stdout beside Textual's output and needs Pillow.)

    kitty_transmit(image_id, png, cols, rows) -> str   # APC chunks: a=T, U=1 (virtual
                                                       # placement of cols x rows cells)
    placeholder_row(row, across) -> str                # one row of placeholder cells
    id_colour(image_id) -> str                         # "#rrggbb" naming the image
    parse_reply(data) -> {"kitty": bool, "sixel": bool, "complete": bool}
    detect(env, reply) -> "kitty" | "halfblocks"
    query_terminal(timeout) -> bytes | None            # before Textual owns the tty
    choose(setting, env, reply) -> "kitty" | "halfblocks"

Detection: the kitty graphics query (``a=q``) followed by the primary device attributes
request, which every terminal answers, so the wait ends at that answer instead of a timeout;
an ``OK`` to the query is support. Without an answer (not a tty), kitty's own environment
(``KITTY_WINDOW_ID``, ``TERM=xterm-kitty``) or Ghostty's (``TERM=xterm-ghostty``) decide.
Inside tmux or screen the escapes would not reach the terminal: half blocks; so too when
the console's colours are not 24-bit (the image id is a foreground colour; tui/app.py). Sixel
(attribute 4 in the device attributes) is recognised but not drawn: half blocks.
"""

from __future__ import annotations

import base64
import os
import re
import select
import sys
import time
from collections.abc import Mapping

RENDERERS = ("auto", "halfblocks", "kitty")
PLACEHOLDER = "\U0010EEEE"
CHUNK = 4096
QUERY_ID = 31
QUERY = f"\x1b_Gi={QUERY_ID},s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\" + "\x1b[c"
# kitty's row/column diacritics (rowcolumn-diacritics.txt): value n is the n-th mark. The
# first cell of each row carries row and column 0; the cells after it follow from it.
DIACRITICS = (
    0x0305, 0x030D, 0x030E, 0x0310, 0x0312, 0x033D, 0x033E, 0x033F, 0x0346, 0x034A, 0x034B,
    0x034C, 0x0350, 0x0351, 0x0352, 0x0357, 0x035B, 0x0363, 0x0364, 0x0365, 0x0366, 0x0367,
    0x0368, 0x0369, 0x036A, 0x036B, 0x036C, 0x036D, 0x036E, 0x036F, 0x0483, 0x0484, 0x0485,
    0x0486, 0x0487, 0x0592, 0x0593, 0x0594, 0x0595, 0x0597, 0x0598, 0x0599, 0x059C, 0x059D,
    0x059E, 0x059F, 0x05A0, 0x05A1, 0x05A8, 0x05A9, 0x05AB, 0x05AC, 0x05AF, 0x05C4, 0x0610,
    0x0611, 0x0612, 0x0613, 0x0614, 0x0615, 0x0616, 0x0617, 0x0657, 0x0658, 0x0659, 0x065A,
    0x065B, 0x065D, 0x065E, 0x06D6, 0x06D7, 0x06D8, 0x06D9, 0x06DA, 0x06DB, 0x06DC, 0x06DF,
    0x06E0, 0x06E1, 0x06E2, 0x06E4, 0x06E7, 0x06E8, 0x06EB, 0x06EC, 0x0730, 0x0732, 0x0733,
    0x0735, 0x0736, 0x073A, 0x073D, 0x073F, 0x0740, 0x0741, 0x0743, 0x0745, 0x0747, 0x0749,
    0x074A, 0x07EB, 0x07EC, 0x07ED, 0x07EE, 0x07EF, 0x07F0, 0x07F1, 0x07F3, 0x0816, 0x0817,
    0x0818, 0x0819, 0x081B, 0x081C, 0x081D, 0x081E, 0x081F, 0x0820, 0x0821, 0x0822, 0x0823,
)
MAX_ROWS = len(DIACRITICS)


def parse_renderer(value: str) -> str:
    if value not in RENDERERS:
        raise ValueError(f"graphics renderer {value!r}: expected auto, halfblocks or kitty")
    return value


def id_colour(image_id: int) -> str:
    """The 24-bit foreground colour that names image ``image_id`` (1..0xFFFFFF)."""
    return f"#{image_id & 0xFFFFFF:06x}"


def kitty_transmit(image_id: int, png: bytes, cols: int, rows: int) -> str:
    """Transmit a PNG as image ``image_id`` with a virtual placement of cols x rows cells
    (placeholders show it), in chunks of 4096 base64 bytes; q=2: the terminal answers
    nothing (an answer would arrive as input)."""
    data = base64.b64encode(png).decode("ascii")
    parts = []
    for start in range(0, max(1, len(data)), CHUNK):
        chunk = data[start:start + CHUNK]
        more = 1 if start + CHUNK < len(data) else 0
        keys = f"a=T,U=1,f=100,i={image_id},c={cols},r={rows},q=2,m={more}" if start == 0 \
            else f"m={more}"
        parts.append(f"\x1b_G{keys};{chunk}\x1b\\")
    return "".join(parts)


def placeholder_row(row: int, across: int) -> str:
    """Row ``row`` of the placement, ``across`` cells."""
    if not 0 <= row < MAX_ROWS:
        raise ValueError(f"placeholder row {row}: at most {MAX_ROWS} rows")
    first = PLACEHOLDER + chr(DIACRITICS[row]) + chr(DIACRITICS[0])
    return first + PLACEHOLDER * (across - 1)


_GRAPHICS_REPLY = re.compile(rb"\x1b_Gi=(\d+)[^;]*;([^\x1b]*)\x1b\\")
_DA1_REPLY = re.compile(rb"\x1b\[\?([\d;]*)c")


def parse_reply(data: bytes) -> dict[str, bool]:
    """What the terminal said to QUERY: kitty graphics OK, sixel in its attributes, and
    whether the device-attributes answer (the end of the reply) has arrived."""
    kitty = any(int(i) == QUERY_ID and status == b"OK"
                for i, status in _GRAPHICS_REPLY.findall(data))
    da = _DA1_REPLY.search(data)
    sixel = bool(da) and "4" in da.group(1).decode().split(";")[1:]
    return {"kitty": kitty, "sixel": sixel, "complete": bool(da)}


def _multiplexed(env: Mapping[str, str]) -> bool:
    term = env.get("TERM", "")
    return bool(env.get("TMUX")) or term.startswith(("screen", "tmux"))


def detect(env: Mapping[str, str], reply: bytes | None) -> str:
    """The renderer the terminal supports (see the module docstring)."""
    if _multiplexed(env):
        return "halfblocks"
    if reply is not None and parse_reply(reply)["complete"]:
        return "kitty" if parse_reply(reply)["kitty"] else "halfblocks"
    term = env.get("TERM", "")
    if env.get("KITTY_WINDOW_ID") or term in ("xterm-kitty", "xterm-ghostty"):
        return "kitty"
    return "halfblocks"


def choose(setting: str, env: Mapping[str, str], reply: bytes | None) -> str:
    """A forced setting wins; ``auto`` detects."""
    setting = parse_renderer(setting)
    return detect(env, reply) if setting == "auto" else setting


def query_terminal(timeout: float = 0.5) -> bytes | None:
    """Ask the terminal (stdin/stdout ttys only, before Textual starts); None when there is
    no terminal or no complete answer."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()) or _multiplexed(os.environ):
        return None
    import termios
    import tty
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    data = b""
    try:
        tty.setcbreak(fd)
        os.write(sys.stdout.fileno(), QUERY.encode())
        deadline = time.monotonic() + timeout
        while not parse_reply(data)["complete"]:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            data += os.read(fd, 1024)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    return data
