"""Characters read back from graphics frames: exact glyphs of our 8x8 font in any two
colours on the character grid; anything else a space."""

from engine.chips.font8x8 import FONT8X8
from engine.chips.graphics_text import graphics_text_lines
from engine.chips.graphicsscreen import GraphicsScreen


def frame(width: int, cells: dict[tuple[int, int], tuple[int, int, int]], bg: int = 1):
    """A 1-byte-a-dot frame (bpp 8 is not CGA's; the reader only sees colour indexes)."""
    pixels = [bytearray([bg]) * width for _ in range(200)]
    for (row, col), (code, fg, back) in cells.items():
        for r in range(8):
            bits = FONT8X8[code * 8 + r]
            for k in range(8):
                pixels[row * 8 + r][col * 8 + k] = fg if bits & (0x80 >> k) else back
    return Screen(width, [bytes(p) for p in pixels], bg)


class Screen(GraphicsScreen):
    def __init__(self, width, pixels, bg):
        super().__init__(width=width, height=200, bpp=2, palette=(bg, 2, 4, 6), lines=())
        object.__setattr__(self, "_pixels", pixels)

    def pixels(self):
        return self._pixels


def test_any_two_colours_on_the_grid_read_as_their_character():
    lines = graphics_text_lines(frame(320, {(0, 0): (ord("H"), 3, 1), (0, 1): (ord("i"), 14, 4),
                                            (3, 39): (0x08, 2, 1), (4, 2): (ord("@"), 1, 7)}))
    assert lines[0] == "Hi"
    assert lines[3] == " " * 39 + "◘"          # inverse bullet drawn over the background
    assert lines[4] == "  @"                   # background-coloured ink on grey: still '@'
    assert len(lines) == 25 and lines[1] == ""


def test_pictures_and_three_colour_cells_are_spaces():
    screen = frame(640, {(2, 5): (ord("A"), 3, 1)})
    pixels = screen.pixels()
    pixels[16] = pixels[16][:40] + bytes([9]) + pixels[16][41:]   # a third colour in 'A'
    pixels[100] = bytes([3]) * 640                                 # a line through row 12
    assert graphics_text_lines(screen)[2] == "" and graphics_text_lines(screen)[12] == ""
