"""The guest's text screen, drawn with Textual's Line API: one Strip per guest row, and only
the rows a screen update names are rebuilt and refreshed (the pattern of Textual's Log).

When the widget has fewer lines than the guest has rows (a 24-line terminal, a 25-row guest),
the view follows the cursor (``top`` is the first guest row shown), and a dim arrow in the
last column of the first or last line, where that cell is blank, marks rows hidden above or
below. The console screen sizes the widget (tui/screens/console.py ``fit``)."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.screen_render import row_text


class ConsoleView(ScrollView, can_focus=True):
    """Shows screen updates (the control protocol's screen events) and owns the cursor."""

    DEFAULT_CSS = """
    ConsoleView { background: #000000; overflow: hidden hidden; scrollbar-size: 0 0; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cols, self.rows = 80, 25
        self.mda = False
        self.blink = True
        self.cells: list[list] = [[[32, 7]] * 80 for _ in range(25)]
        self.strips: list[Strip] = [self._blank() for _ in range(25)]
        self.cursor: tuple[int, int, bool, int, int] = (0, 0, False, 6, 7)
        self.virtual_size = Size(80, 25)
        self.cursor_on = True            # the blink phase of the hardware cursor
        self.top = 0                     # the first guest row on the widget's first line

    def on_mount(self) -> None:
        # The 6845 blinks the cursor every 16 frames (about 3.75 Hz at 60 Hz): redraw its row.
        self.set_interval(16 / 60, self._blink_cursor)

    def _blink_cursor(self) -> None:
        self.cursor_on = not self.cursor_on
        row = self.cursor[0]
        if self.cursor[2] and 0 <= row < self.rows:
            self.refresh(Region(0, row - self.top, self.size.width, 1))

    @property
    def hidden_rows(self) -> tuple[int, int]:
        """Guest rows out of view above and below."""
        lines = self.size.height or self.rows
        return self.top, max(0, self.rows - self.top - lines)

    def follow_cursor(self) -> bool:
        """Keep the cursor's row in view; True when the view moved (redrawn whole)."""
        lines = self.size.height or self.rows
        row = min(max(self.cursor[0], 0), self.rows - 1)
        top = self.top
        if row < top:
            top = row
        elif row >= top + lines:
            top = row - lines + 1
        top = max(0, min(top, self.rows - lines))
        if top != self.top:
            self.top = top
            self.refresh()
            return True
        return False

    def on_resize(self) -> None:
        self.follow_cursor()
        self.refresh()

    @property
    def scale(self) -> int:
        """Terminal cells per guest column: a 40-column mode's characters are twice as wide
        on a real monitor, so each takes two cells and the screen keeps its shape."""
        return 2 if self.cols <= 40 else 1

    def _blank(self) -> Strip:
        width = self.cols * self.scale
        return Strip([Segment(" " * width, Style(bgcolor="#000000"))], width)

    def apply(self, data: dict) -> None:
        """Apply one screen update; refresh only what changed."""
        reshaped = (data["cols"], data["rows"], data.get("mda", False)) != \
            (self.cols, self.rows, self.mda) or data.get("blink", True) != self.blink
        if reshaped:
            self.cols, self.rows = data["cols"], data["rows"]
            self.mda, self.blink = data.get("mda", False), data.get("blink", True)
            self.cells = [[[32, 7]] * self.cols for _ in range(self.rows)]
            self.strips = [self._blank() for _ in range(self.rows)]
            self.virtual_size = Size(self.cols * self.scale, self.rows)
        old_cursor = self.cursor
        dirty = set()
        for key, row in data["lines"].items():
            r = int(key)
            if 0 <= r < self.rows:
                self.cells[r] = row
                self.strips[r] = self._strip(r)
                dirty.add(r)
        self.cursor = tuple(data.get("cursor", self.cursor))
        if old_cursor[:3] != self.cursor[:3]:
            dirty.update({old_cursor[0], self.cursor[0]})
        if self.follow_cursor() or reshaped:
            self.refresh()
            return
        for r in sorted(dirty):
            if 0 <= r < self.rows:
                self.refresh(Region(0, r - self.top, self.size.width, 1))
        if self.top and (0 in dirty or self.top in dirty):
            self.refresh(Region(0, 0, self.size.width, 1))

    def _strip(self, r: int) -> Strip:
        cells = self.cells[r]
        if self.scale == 2:
            cells = [half for cell in cells for half in (cell, [32, cell[1]])]
        text = row_text(cells, self.mda, self.blink)
        segments = list(text.render(self.app.console if self.is_attached else _console()))
        return Strip(segments, len(cells))

    def text_lines(self) -> list[str]:
        """What the guest shows, as text (for copy and for tests)."""
        from tui.control.guest_data import decode
        return [decode(bytes(c for c, _a in row)).rstrip() for row in self.cells]

    def render_line(self, y: int) -> Strip:
        row = y + self.top
        if not 0 <= row < self.rows:
            return Strip.blank(self.size.width)
        strip = self.strips[row]
        above, below = self.hidden_rows
        if (y == 0 and above) or (y == self.size.height - 1 and below):
            strip = _with_marker(strip, "\u25b2" if y == 0 and above else "\u25bc")
        crow, ccol, visible = self.cursor[:3]
        if visible and self.cursor_on and row == crow and 0 <= ccol < self.cols \
                and self.has_focus and self.app.screen is self.screen:
            shape = cursor_shape(self.cursor[3], self.cursor[4], 14 if self.mda else 8)
            if shape != "none":
                strip = _with_cursor(strip, ccol * self.scale, shape)
        return strip.crop(0, self.size.width)


def cursor_shape(start: int, end: int, cell_height: int = 8) -> str:
    """The CRTC's cursor scanlines (start..end of a cell_height-line cell: 8 on CGA, 14 on
    MDA) as what a terminal cell can show: "underline" (the usual two lines at the bottom),
    "half" (the lower half) or "block"; "none" when start > end hides it, as on the CGA."""
    if start > end:
        return "none"
    if start >= cell_height * 2 // 3:
        return "underline"
    if start >= cell_height // 3:
        return "half"
    return "block"


def _with_cursor(strip: Strip, col: int, shape: str) -> Strip:
    """Draw the hardware cursor into one cell of a row's strip."""
    left = strip.crop(0, col)
    cell = strip.crop(col, col + 1)
    right = strip.crop(col + 1, strip.cell_length)
    segments = []
    for s in cell:
        style = s.style or Style()
        if shape == "underline":
            segments.append(Segment(s.text, style + Style(underline=True)))
        elif shape == "half" and s.text == " ":
            segments.append(Segment("\u2584", style))      # a lower half block in the fg colour
        else:                                              # block, or half over a character
            segments.append(Segment(s.text, style + Style(reverse=True)))
    return Strip.join([left, Strip(segments, 1), right])


def _with_marker(strip: Strip, mark: str) -> Strip:
    """A dim arrow in the row's last cell when that cell is blank: guest rows hidden this way."""
    width = strip.cell_length
    last = strip.crop(width - 1, width)
    if width < 1 or last.text != " ":
        return strip
    style = next((s.style for s in last if s.style), None) or Style()
    return Strip.join([strip.crop(0, width - 1),
                       Strip([Segment(mark, style + Style(color="#555555", bold=False))], 1)])


def _console():
    from rich.console import Console
    return Console(color_system="truecolor", width=200)
