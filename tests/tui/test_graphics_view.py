"""The console's graphics renderer: half blocks whose two colours are the two dots each cell
samples, scaled to fit with the 4:3 shape kept, only the rows a change touches rebuilt; and
its look at a fixed size (snapshot)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from engine.chips.cga import CGA
from engine.vmm.screen_feed import ScreenFeed
from tui.widgets.graphics_view import UPPER_HALF, GraphicsView

IBM_RGB = ["#000000", "#0000aa", "#00aa00", "#00aaaa", "#aa0000", "#aa00aa", "#aa5500",
           "#aaaaaa", "#555555", "#5555ff", "#55ff55", "#55ffff", "#ff5555", "#ff55ff",
           "#ffff55", "#ffffff"]


def dot(x: int, y: int) -> int:
    """The pattern: 2-bit dot value of (x, y): bands of 40 dots by bands of 25 lines."""
    return (x // 40 + y // 25) & 3


def frame(mem: bytearray, colour: int = 0x30):
    cga = CGA()
    cga.write(0x3D8, 0x0A)
    cga.write(0x3D9, colour)
    for y in range(200):
        for x in range(0, 320, 4):
            value = sum(dot(x + k, y) << (6 - 2 * k) for k in range(4))
            mem[0xB8000 + (y & 1) * 0x2000 + (y >> 1) * 80 + x // 4] = value
    return cga


class Host(App):
    CSS = "GraphicsView { display: block; }"

    def __init__(self, scale="fit"):
        super().__init__()
        self.scale = scale

    def compose(self) -> ComposeResult:
        yield GraphicsView(scale=self.scale)


def cells(view: GraphicsView, row: int):
    out = []
    for segment in view.render_line(row):
        for ch in segment.text:
            out.append((ch, segment.style.color.name if segment.style.color else None,
                        segment.style.bgcolor.name if segment.style.bgcolor else None))
    return out


async def test_fit_keeps_the_shape_and_each_cell_shows_its_two_dots():
    mem = bytearray(0x100000)
    cga = frame(mem)
    palette = cga.palette()
    app = Host()
    async with app.run_test(size=(80, 25)) as pilot:
        view = app.query_one(GraphicsView)
        view.apply(ScreenFeed().update(cga.screen(mem)))
        await pilot.pause()
        across, down = view.target()
        assert (across, down) == (66, 50)               # 2 x 25 half-dots high, 4:3 wide
        pad = (80 - across) // 2
        for row in (0, 7, 24):
            line = cells(view, row)
            assert len(line) == 80
            for c in range(across):
                x = c * 320 // across
                top, bottom = (2 * row) * 200 // down, (2 * row + 1) * 200 // down
                ch, fg, bg = line[pad + c]
                assert ch == UPPER_HALF
                assert (fg, bg) == (IBM_RGB[palette[dot(x, top)]],
                                    IBM_RGB[palette[dot(x, bottom)]]), (row, c)


async def test_a_small_change_rebuilds_only_the_rows_that_sample_it_and_a_palette_all():
    mem = bytearray(0x100000)
    cga = frame(mem)
    feed = ScreenFeed()
    app = Host(scale="4")
    async with app.run_test(size=(80, 25)) as pilot:
        view = app.query_one(GraphicsView)
        view.apply(feed.update(cga.screen(mem)))
        await pilot.pause()
        assert view.target() == (320, 240) and view.virtual_size.height == 120
        built = view.rows_built
        mem[0xB8000 + 80 * 50] ^= 0xFF                   # line 100, first four dots
        view.apply(feed.update(cga.screen(mem)))
        rows = view.rows_built - built
        assert 1 <= rows <= 2                            # line 100 is sampled by 1-2 rows
        half = next(h for h in range(240) if h * 200 // 240 == 100)   # first half-dot row
        ch, fg, bg = cells(view, half // 2)[0]
        assert (fg if half % 2 == 0 else bg) == IBM_RGB[cga.palette()[dot(0, 100) ^ 3]]
        built = view.rows_built
        cga.write(0x3D9, 0x01)                           # palette 0, blue background
        view.apply(feed.update(cga.screen(mem)))
        assert view.rows_built - built == 120
        assert cells(view, 0)[0][1] == IBM_RGB[1]        # dot (0, 0) is value 0: background


def test_console_graphics_snapshot(snap_compare):
    mem = bytearray(0x100000)
    cga = frame(mem)
    app = Host()

    async def draw(pilot):
        pilot.app.query_one(GraphicsView).apply(ScreenFeed().update(cga.screen(mem)))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 25), run_before=draw)


@pytest.mark.parametrize("bad", ["0", "9", "big", ""])
def test_bad_scale_is_refused_with_the_accepted_values(bad):
    with pytest.raises(ValueError, match="expected fit or 1-8"):
        GraphicsView(scale=bad)


def test_the_tui_reaches_graphics_data_only_through_the_control_layer():
    source = Path(__file__).resolve().parents[2] / "tui/widgets/graphics_view.py"
    assert "engine." not in source.read_text()


async def test_bands_of_a_mid_frame_change_colour_their_own_lines():
    mem = bytearray(0x100000)
    mem[0xB8000:0xBC000] = b"\x55" * 0x4000                      # every dot value 1
    t = [0]
    cga = CGA(clock=lambda: t[0])
    cga.write(0x3D8, 0x0A)
    cga.write(0x3D9, 0x00)                                       # dot 1 green
    t[0] = 100 * 76 + 60                                         # after line 100's dots
    cga.write(0x3D9, 0x20)                                       # dot 1 cyan
    t[0] = 199 * 76 + 60
    app = Host(scale="1")
    async with app.run_test(size=(80, 25)) as pilot:
        view = app.query_one(GraphicsView)
        view.apply(ScreenFeed().update(cga.screen(mem)))
        await pilot.pause()
        # 80 cells x 60 half-dots: row r samples lines 2r*200//60 and (2r+1)*200//60.
        assert cells(view, 0)[0][1:] == (IBM_RGB[2], IBM_RGB[2])
        assert cells(view, 29)[0][1:] == (IBM_RGB[3], IBM_RGB[3])
