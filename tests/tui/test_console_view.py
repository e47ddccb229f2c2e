"""The console widget on its own: rows redrawn from screen updates, colours and attributes, and
the hardware cursor's position, shape and blink."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from tui.widgets.console_view import ConsoleView, cursor_shape


@pytest.mark.parametrize(("start", "end", "height", "shape"), [
    (6, 7, 8, "underline"),        # the CGA BIOS default
    (11, 12, 14, "underline"),     # the MDA BIOS default
    (4, 7, 8, "half"),
    (7, 13, 14, "half"),
    (0, 7, 8, "block"),
    (0, 13, 14, "block"),
    (8, 7, 8, "none"),             # start after end: no cursor on the CGA
])
def test_cursor_shape_from_the_crtc_scanlines(start, end, height, shape):
    assert cursor_shape(start, end, height) == shape


class Host(App):
    def compose(self) -> ComposeResult:
        yield ConsoleView()


def update(text: str, row: int = 0, attr: int = 0x07, cursor=(0, 0, True, 6, 7), **kw) -> dict:
    cells = [[ord(c), attr] for c in text.ljust(80)]
    return {"cols": 80, "rows": 25, "lines": {str(row): cells}, "cursor": list(cursor), **kw}


def cell_style(view: ConsoleView, row: int, col: int):
    strip = view.render_line(row)
    segments = list(strip.crop(col, col + 1))
    return segments[0].text, segments[0].style


async def test_rows_attributes_and_cursor_shapes():
    app = Host()
    async with app.run_test(size=(80, 25)) as pilot:
        view = app.query_one(ConsoleView)
        view.focus()
        view.apply(update("Hello", row=2, attr=0x1E, cursor=(2, 1, True, 6, 7)))
        await pilot.pause()
        assert view.text_lines()[2] == "Hello"
        view.cursor_on = True
        text, style = cell_style(view, 2, 0)
        assert text == "H" and style.color.triplet.hex == "#ffff55"      # yellow on blue
        assert style.bgcolor.triplet.hex == "#0000aa"
        text, style = cell_style(view, 2, 1)
        assert text == "e" and style.underline and not style.reverse     # underline cursor
        view.apply(update("Hello", row=2, attr=0x1E, cursor=(2, 1, True, 0, 7)))
        assert cell_style(view, 2, 1)[1].reverse                        # block cursor
        view.apply(update("Hello", row=2, attr=0x1E, cursor=(2, 6, True, 4, 7)))
        assert cell_style(view, 2, 6)[0] == "\u2584"                    # half block on a space
        view.cursor_on = False                                          # the blink's off phase
        assert cell_style(view, 2, 6)[0] == " "
        view.cursor_on = True
        view.apply(update("Hello", row=2, attr=0x1E, cursor=(2, 6, False, 6, 7)))
        assert cell_style(view, 2, 6)[0] == " "                         # hidden by the guest


async def test_the_cursor_blinks_and_blinking_text_is_marked():
    app = Host()
    async with app.run_test(size=(80, 25)) as pilot:
        view = app.query_one(ConsoleView)
        view.focus()
        view.apply(update("blink", row=0, attr=0x87, cursor=(1, 0, True, 6, 7), blink=True))
        phases = set()
        for _ in range(12):
            phases.add(view.cursor_on)
            await pilot.pause(0.05)
        assert phases == {True, False}
        assert cell_style(view, 0, 0)[1].blink


async def test_forty_column_modes_keep_their_shape():
    app = Host()
    async with app.run_test(size=(80, 25)) as pilot:
        view = app.query_one(ConsoleView)
        view.focus()
        cells = [[ord(c), 0x1F] for c in "WIDE".ljust(40)]
        view.apply({"cols": 40, "rows": 25, "lines": {"0": cells}, "cursor": [0, 2, True, 0, 7]})
        await pilot.pause()
        assert view.text_lines()[0] == "WIDE"                   # the guest's own 40 columns
        assert view.virtual_size.width == 80
        view.cursor_on = True                                   # not in the blink's off phase
        strip = view.render_line(0)
        assert strip.cell_length == 80
        assert "".join(s.text for s in strip)[:8] == "W I D E "
        assert cell_style(view, 0, 4)[1].reverse and cell_style(view, 0, 4)[0] == "D"
