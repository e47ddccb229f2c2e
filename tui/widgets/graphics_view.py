"""The guest's CGA graphics frame in any terminal, as Unicode upper half blocks: each cell
shows two dots stacked, the top in the foreground colour and the bottom in the background,
which is exact for the CGA's 16 colours. The frame is scaled to fit the widget with the 4:3
shape of the monitor kept (``scale="fit"``), or drawn at a fixed width of 80 x N cells
(N = 4 is one cell a dot at 320 dots), scrolled when larger than the terminal.

Updates are the control protocol's graphics screen events: packed scan lines, only those
that changed. The widget keeps the packed lines, and rebuilds only the cell rows that sample
a changed line (one Strip a row, Textual's Line API, as the text console does); a palette
change redraws everything from the lines it already has, and so does a change of ``bands``
(a frame whose mode or palette changed mid-frame: each run of lines has its own format).

With ``renderer="kitty"`` (tui/pixels.py) the cells are kitty Unicode placeholders laid out
once for the target size, and each changed frame is sent to the terminal as one PNG at the
mode's native size under the widget's image id: the terminal scales it into the cells, so
the picture has real pixels and the compositor repaints nothing when a frame changes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from operator import itemgetter

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui import pixels
from tui.control.guest_data import CGA_PALETTE, decode_lines, expand_line, palette_rgb, png_bytes

UPPER_HALF = "\u2580"
SCALES = ("fit", "1", "2", "4")
ASPECT = 4 / 3                    # the monitor's shape, in square half-block dots


def parse_scale(value: str) -> str:
    """A scale setting: "fit" or a whole number of 80-cell widths (1-8)."""
    if value == "fit" or (value.isdigit() and 1 <= int(value) <= 8):
        return value
    raise ValueError(f"graphics scale {value!r}: expected fit or 1-8")


class GraphicsView(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    GraphicsView { background: #000000; display: none; }
    """

    def __init__(self, scale: str = "fit", renderer: str = "halfblocks", **kwargs) -> None:
        super().__init__(**kwargs)
        self.scale = parse_scale(scale)
        if renderer not in ("halfblocks", "kitty"):
            raise ValueError(f"graphics renderer {renderer!r}: expected halfblocks or kitty")
        self.renderer = renderer
        self.image_id = random.randint(1, 0xFFFFFF)
        self.emit: Callable[[str], None] = self._write_to_terminal
        self.transmissions = 0               # frames sent to the terminal (kitty)
        self.width, self.height, self.bpp = 320, 200, 2
        self.palette: tuple[int, ...] = (0, 0, 0, 0)
        self.video = True
        self.bands: list = []
        self._formats: dict[int, tuple] = {}
        self.packed: list[bytes] = [bytes(80)] * 200
        self.dots: list[bytes | None] = [None] * 200
        self.strips: list[Strip] = []
        self.rows_built = 0                  # strips rebuilt (tests and the benchmark count)
        self._layout_key: tuple | None = None
        self._styles: dict[tuple[int, int], Style] = {}

    # ---- geometry ------------------------------------------------------------------------
    def target(self) -> tuple[int, int]:
        """(cells across, half-block dots down) the frame is drawn at (kitty: always fitted,
        the image has every dot whatever its size)."""
        if self.scale == "fit" or self.renderer == "kitty":
            width = max(1, self.size.width)
            dots_down = max(2, 2 * self.size.height)
            across = min(width, int(dots_down * ASPECT))
        else:
            across = 80 * int(self.scale)
        down = max(2, round(across / ASPECT))
        if self.scale == "fit" or self.renderer == "kitty":
            down = min(down, max(2, 2 * self.size.height))
        return across, down

    def _relayout(self) -> None:
        across, down = self.target()
        key = (across, down, self.width, self.height)
        if key == self._layout_key:
            return
        self._layout_key = key
        self._xs = itemgetter(*[c * self.width // across for c in range(across)]) \
            if across > 1 else (lambda line: (line[0],))
        self._ys = [h * self.height // down for h in range(down)]
        self._rows_of: dict[int, set[int]] = {}
        for h, y in enumerate(self._ys):
            self._rows_of.setdefault(y, set()).add(h // 2)
        self._across, self._rows = across, (down + 1) // 2
        if self.renderer == "kitty":
            self._rows = min(self._rows, pixels.MAX_ROWS)
        self.virtual_size = Size(across, self._rows)
        self.strips = [Strip.blank(across)] * self._rows
        if self.renderer == "kitty":
            style = Style(color=pixels.id_colour(self.image_id))
            self.strips = [Strip([Segment(pixels.placeholder_row(r, across), style)], across)
                           for r in range(self._rows)]
            self._transmit()
            return
        self._rebuild(range(self._rows))

    # ---- updates ---------------------------------------------------------------------------
    def apply(self, data: dict) -> None:
        geometry = (data["width"], data["height"], data["bpp"])
        if geometry != (self.width, self.height, self.bpp):
            self.width, self.height, self.bpp = geometry
            self.packed = [bytes(self.width * self.bpp // 8)] * self.height
            self.dots = [None] * self.height
            self._layout_key = None
        bands = data.get("bands", [])
        recolour = tuple(data["palette"]) != self.palette or \
            data.get("video", True) != self.video or bands != self.bands
        self.palette, self.video = tuple(data["palette"]), data.get("video", True)
        self.bands = bands
        self._formats = {y: (b, tuple(p), v) for f, n, b, p, v in bands for y in range(f, f + n)}
        changed = decode_lines(data)
        for y, line in changed.items():
            if 0 <= y < self.height:
                self.packed[y] = line
                self.dots[y] = None
        if self._layout_key is None:
            self._relayout()
            self.refresh()
            return
        if self.renderer == "kitty":
            if recolour:
                self.dots = [None] * self.height
            if recolour or changed:
                self._transmit()
            return
        if recolour:
            self.dots = [None] * self.height
            rows = set(range(self._rows))
        else:
            rows = set()
            for y in changed:
                rows |= self._rows_of.get(y, set())
        self._rebuild(sorted(rows))
        for r in rows:
            self.refresh(Region(0, r - self.scroll_offset.y, self.size.width, 1))

    def on_resize(self) -> None:
        self._relayout()
        self.refresh()

    # ---- drawing ---------------------------------------------------------------------------
    def _write_to_terminal(self, data: str) -> None:
        """Out of band, in order with the compositor's output: the driver's own writer."""
        driver = getattr(self.app, "_driver", None)
        if driver is not None:
            driver.write(data)

    def _transmit(self) -> None:
        """Send the whole frame as a PNG for the placeholders to show (kitty)."""
        lines = [self._full_dots(y) for y in range(self.height)]
        png = png_bytes(self.width, self.height, lines, palette_rgb())
        self.emit(pixels.kitty_transmit(self.image_id, png, self._across, self._rows))
        self.transmissions += 1

    def _line_dots(self, y: int) -> tuple:
        return self._xs(self._full_dots(y))

    def _full_dots(self, y: int) -> bytes:
        dots = self.dots[y]
        if dots is None:
            bpp, palette, video = self._formats.get(y, (self.bpp, self.palette, self.video)) \
                if self.bands else (self.bpp, self.palette, self.video)
            dots = expand_line(self.packed[y], bpp, palette, self.width) if video \
                else bytes(self.width)
            self.dots[y] = dots
        return dots

    def _style(self, top: int, bottom: int) -> Style:
        style = self._styles.get((top, bottom))
        if style is None:
            style = Style(color=CGA_PALETTE[top], bgcolor=CGA_PALETTE[bottom])
            self._styles[(top, bottom)] = style
        return style

    def _rebuild(self, rows) -> None:
        ys = self._ys
        for r in rows:
            top = self._line_dots(ys[2 * r])
            bottom = self._line_dots(ys[2 * r + 1]) if 2 * r + 1 < len(ys) else (0,) * len(top)
            segments = []
            run_start, run = 0, (top[0], bottom[0])
            for c in range(1, len(top) + 1):
                pair = (top[c], bottom[c]) if c < len(top) else None
                if pair != run:
                    segments.append(Segment(UPPER_HALF * (c - run_start), self._style(*run)))
                    run_start, run = c, pair
            self.strips[r] = Strip(segments, len(top))
            self.rows_built += 1

    def render_line(self, y: int) -> Strip:
        row = y + self.scroll_offset.y
        if self._layout_key is None:
            self._relayout()
        if not 0 <= row < len(self.strips):
            return Strip.blank(self.size.width)
        strip = self.strips[row]
        pad = max(0, (self.size.width - self._across) // 2)
        if pad:
            strip = Strip.join([Strip.blank(pad, Style(bgcolor="#000000")), strip])
        strip = strip.crop(self.scroll_offset.x, self.scroll_offset.x + self.size.width)
        return strip.extend_cell_length(self.size.width, Style(bgcolor="#000000"))

    def set_scale(self, scale: str) -> None:
        self.scale = parse_scale(scale)
        self._layout_key = None
        self._relayout()
        self.refresh()
