"""The guest's screen as protocol data, and the feed that sends only what changed.

Text: the console repaints row by row (Textual's Line API), so an update carries the rows
that differ from the last one sent, plus the cursor. Graphics: an update carries the scan
lines that differ, packed as the adapter holds them (2 or 1 bits a dot, 80 bytes a line),
deflated and base64-encoded in one ``data`` string, with ``runs`` ([first, count] pairs)
saying which lines it holds; the palette comes with every update, so a palette switch costs
a few bytes. A frame whose registers changed while the beam drew it also carries ``bands``:
[first, count, bpp, palette, video] for runs of lines (absent: every line is ``bpp``/
``palette``/``video``). At most SCREEN_HZ updates a second, so a guest drawing flat out costs the
subscriber a bounded amount however fast it writes.
"""

from __future__ import annotations

import base64
import zlib

from engine.video import GraphicsScreen, TextScreen

Screen = TextScreen | GraphicsScreen


def screen_dict(screen: Screen, rows: list[int] | None = None) -> dict:
    """Protocol form of a screen; every row (line) when ``rows`` is None."""
    if screen.graphics and isinstance(screen, GraphicsScreen):
        return graphics_dict(screen, rows)
    return text_dict(screen, rows)


def text_dict(screen: TextScreen, rows: list[int] | None = None) -> dict:
    """``lines`` maps row numbers (as strings, JSON keys) to [[cp437_code, attr], ...]."""
    wanted = range(screen.rows) if rows is None else rows
    lines = {}
    for r in wanted:
        data = screen.row_data[r]
        lines[str(r)] = [[data[i], data[i + 1]] for i in range(0, len(data), 2)]
    return {"cols": screen.cols, "rows": screen.rows, "mda": screen.mda,
            "blink": screen.blink_enabled, "video": screen.video_enabled,
            "graphics": False,
            "cursor": [screen.cursor_row, screen.cursor_col, screen.cursor_visible,
                       screen.cursor_start, screen.cursor_end],
            "lines": lines}


def runs_of(lines: list[int]) -> list[list[int]]:
    """[[first, count], ...] for sorted line numbers."""
    runs: list[list[int]] = []
    for y in lines:
        if runs and runs[-1][0] + runs[-1][1] == y:
            runs[-1][1] += 1
        else:
            runs.append([y, 1])
    return runs


def graphics_dict(screen: GraphicsScreen, lines: list[int] | None = None) -> dict:
    wanted = list(range(screen.height)) if lines is None else lines
    packed = b"".join(screen.lines[y] for y in wanted)
    return {"graphics": True, "width": screen.width, "height": screen.height,
            "bpp": screen.bpp, "palette": list(screen.palette), "video": screen.video_enabled,
            "runs": runs_of(wanted),
            "data": base64.b64encode(zlib.compress(packed, 1)).decode("ascii"),
            **({"bands": [[f, n, b, list(p), v] for f, n, b, p, v in screen.bands]}
               if screen.bands else {})}


def decode_lines(data: dict) -> dict[int, bytes]:
    """A graphics update's lines, by number (what a client applies)."""
    packed = zlib.decompress(base64.b64decode(data["data"]))
    stride = data["width"] * data["bpp"] // 8
    out, offset = {}, 0
    for first, count in data["runs"]:
        for y in range(first, first + count):
            out[y] = packed[offset:offset + stride]
            offset += stride
    return out


def screen_text(screen: TextScreen) -> str:
    return "\n".join(screen.text_lines()) + "\n"


class ScreenFeed:
    """Remembers what one subscriber last received and produces the next update, if any."""

    def __init__(self) -> None:
        self.last: Screen | None = None
        self._last_state: tuple | None = None

    def update(self, screen: Screen) -> dict | None:
        last = self.last if self.last is not None and \
            self.last.graphics == screen.graphics else None
        if isinstance(screen, GraphicsScreen):
            changed = screen.changed_lines(last)
            state: tuple = ("graphics", screen.palette, screen.video_enabled, screen.bands)
        else:
            changed = screen.changed_rows(last)
            state = ("text", screen.cursor_row, screen.cursor_col, screen.cursor_visible,
                     screen.cursor_start, screen.cursor_end, screen.blink_enabled,
                     screen.video_enabled)
        if last is not None and not changed and state == self._last_state:
            return None
        self.last, self._last_state = screen, state
        return screen_dict(screen, None if last is None else changed)
