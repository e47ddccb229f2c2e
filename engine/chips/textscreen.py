"""TextScreen: an immutable snapshot of a text-mode display, cheap to compare row by row.

The console repaints only rows that changed (Textual's Line API), at most ~30 times a second, so
a snapshot keeps each row's raw character/attribute bytes as one ``bytes`` object: deciding
whether a row changed is a single C-level comparison, and the decoded ``cells``/text are built
only when asked for.

    TextScreen.from_memory(vram, start=0, cols=80, rows=25, cursor=0, cursor_start=6,
                           cursor_end=7, cursor_enabled=True, mda=False, ...)
    screen.cols, .rows, .mda, .graphics, .video_enabled, .blink_enabled
    screen.cursor_row, .cursor_col, .cursor_visible, .cursor_start, .cursor_end
    screen.row_data[r] -> bytes (char, attr, char, attr, ...)
    screen.cells -> list of rows, each a list of (cp437_byte, attr)
    screen.text_lines() -> list[str]   (CP437 decoded, right-stripped)
    screen.changed_rows(previous) -> list[int]  (all rows when previous is None or differs
                                                 in shape; cursor moves are not row changes)
    screen.cursor_changed(previous) -> bool
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from engine.chips.cp437 import decode


@dataclass(frozen=True, eq=False)
class TextScreen:
    cols: int
    rows: int
    row_data: tuple[bytes, ...]
    cursor_row: int = 0
    cursor_col: int = 0
    cursor_visible: bool = False
    cursor_start: int = 6
    cursor_end: int = 7
    mda: bool = False
    graphics: bool = False
    video_enabled: bool = True
    blink_enabled: bool = True
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_memory(
        cls,
        vram: bytes | bytearray | memoryview,
        *,
        start: int = 0,
        cols: int = 80,
        rows: int = 25,
        cursor: int = 0,
        cursor_start: int = 6,
        cursor_end: int = 7,
        cursor_enabled: bool = True,
        mda: bool = False,
        graphics: bool = False,
        video_enabled: bool = True,
        blink_enabled: bool = True,
    ) -> TextScreen:
        """Snapshot from a video RAM window. ``start`` and ``cursor`` are CRTC character
        addresses (words); they wrap within ``vram``, as the CRTC's address counter does
        within the card's memory."""
        size = len(vram)
        chars = size // 2
        ram = bytes(vram)
        offset = (start % chars) * 2
        need = cols * rows * 2
        if offset + need > size:
            ram = ram + ram * (need // size + 1)  # the display wraps around the card's RAM
        row_bytes = cols * 2
        row_data = tuple(
            ram[offset + r * row_bytes: offset + (r + 1) * row_bytes] for r in range(rows)
        )
        rel = (cursor - start) % chars
        row, col = divmod(rel, cols) if cols else (0, 0)
        visible = (
            cursor_enabled and video_enabled and not graphics and row < rows
            and cursor_start <= 31
        )
        if row >= rows:
            row, col = rows - 1, 0
        return cls(
            cols=cols, rows=rows, row_data=row_data, cursor_row=row, cursor_col=col,
            cursor_visible=visible, cursor_start=cursor_start, cursor_end=cursor_end,
            mda=mda, graphics=graphics, video_enabled=video_enabled,
            blink_enabled=blink_enabled,
        )

    @cached_property
    def cells(self) -> list[list[tuple[int, int]]]:
        return [list(zip(row[0::2], row[1::2], strict=True)) for row in self.row_data]

    def text_lines(self) -> list[str]:
        lines = self._cache.get("lines")
        if lines is None:
            lines = [decode(row[0::2]).rstrip() for row in self.row_data]
            self._cache["lines"] = lines
        return list(lines)

    def row_text(self, r: int) -> str:
        """One row decoded, trailing blanks kept (for fixed-width rendering)."""
        return decode(self.row_data[r][0::2])

    def changed_rows(self, previous: TextScreen | None) -> list[int]:
        if previous is None or previous.cols != self.cols or previous.rows != self.rows:
            return list(range(self.rows))
        return [
            r for r, (a, b) in enumerate(zip(self.row_data, previous.row_data, strict=True))
            if a != b
        ]

    def cursor_changed(self, previous: TextScreen | None) -> bool:
        if previous is None:
            return True
        fields = ("cursor_row", "cursor_col", "cursor_visible", "cursor_start", "cursor_end")
        return any(getattr(self, f) != getattr(previous, f) for f in fields)
