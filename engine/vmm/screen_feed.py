"""The guest's text screen as protocol data, and the feed that sends only what changed.

The console repaints row by row (Textual's Line API), so an update carries the rows that
differ from the last one sent, plus the cursor; at most SCREEN_HZ updates a second, so a
guest scrolling flat out costs the subscriber a bounded amount however fast it writes.
"""

from __future__ import annotations

from engine.video import TextScreen


def screen_dict(screen: TextScreen, rows: list[int] | None = None) -> dict:
    """Protocol form of a screen: ``lines`` maps row numbers (as strings, JSON keys) to
    [[cp437_code, attr], ...]; every row when ``rows`` is None."""
    wanted = range(screen.rows) if rows is None else rows
    lines = {}
    for r in wanted:
        data = screen.row_data[r]
        lines[str(r)] = [[data[i], data[i + 1]] for i in range(0, len(data), 2)]
    return {"cols": screen.cols, "rows": screen.rows, "mda": screen.mda,
            "blink": screen.blink_enabled, "video": screen.video_enabled,
            "graphics": screen.graphics,
            "cursor": [screen.cursor_row, screen.cursor_col, screen.cursor_visible,
                       screen.cursor_start, screen.cursor_end],
            "lines": lines}


def screen_text(screen: TextScreen) -> str:
    return "\n".join(screen.text_lines()) + "\n"


class ScreenFeed:
    """Remembers what one subscriber last received and produces the next update, if any."""

    def __init__(self) -> None:
        self.last: TextScreen | None = None
        self._last_cursor: tuple | None = None

    def update(self, screen: TextScreen) -> dict | None:
        rows = screen.changed_rows(self.last)
        cursor = (screen.cursor_row, screen.cursor_col, screen.cursor_visible,
                  screen.cursor_start, screen.cursor_end, screen.blink_enabled,
                  screen.video_enabled)
        if not rows and cursor == self._last_cursor:
            return None
        full = self.last is None
        self.last, self._last_cursor = screen, cursor
        return screen_dict(screen, None if full else rows)
