"""The console fits the terminal a user has: every guest column and the cursor's row on
screen, no scrollbars; the frame and the status line give way first; with fewer lines than
guest rows the view follows the cursor and marks the hidden rows. Pilot at 80x24, 80x25 and
100x32 with the cursor on the guest's last row, 40-column modes, and the status line forced
back from the menu."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from tests.tui.conftest import Host, wait_for
from tui.widgets.console_view import ConsoleView


def screen(cols: int = 80, rows: int = 25, cursor_row: int = 24) -> dict:
    """Every row labelled, its last column a "|" on even rows and blank on odd ones."""
    lines = {}
    for r in range(rows):
        text = f"row {r:02d}".ljust(cols - 1) + ("|" if r % 2 == 0 else " ")
        lines[str(r)] = [[ord(c), 0x07] for c in text]
    return {"cols": cols, "rows": rows, "lines": lines, "cursor": [cursor_row, 8, True, 6, 7]}


def shown(view: ConsoleView) -> list[str]:
    return [view.render_line(y).text for y in range(view.size.height)]


async def console(pilot, data: dict):
    app = pilot.app
    await wait_for(pilot, lambda: getattr(app.screen, "is_console", False))
    view = app.screen.query_one(ConsoleView)
    view.apply(data)
    app.screen.fit()
    await pilot.pause()
    return app.screen, view


def check_in_view(app, view: ConsoleView, data: dict) -> None:
    width, height = app.size
    region = view.content_region
    assert region.x >= 0 and region.right <= width and region.bottom <= height
    assert region.width == data["cols"] * (2 if data["cols"] <= 40 else 1)  # every column
    assert not view.show_vertical_scrollbar and not view.show_horizontal_scrollbar
    row = data["cursor"][0]
    assert view.top <= row < view.top + region.height                     # the cursor's row
    line = shown(view)[row - view.top][::view.scale]          # 40 columns: two cells each
    assert line.startswith(f"row {row:02d}") and line.rstrip().endswith("|")


@pytest.mark.parametrize(("size", "framed", "status", "top"), [
    ((80, 24), False, False, 1),         # 24 lines for 25 rows: the view follows the cursor
    ((80, 25), False, False, 0),         # exactly the guest's rows
    ((81, 26), False, True, 0),          # the status line fits, the frame does not
    ((100, 32), True, True, 0),          # today's look: framed, status line below
])
async def test_console_fits_with_the_cursor_on_the_last_row(size, framed, status, top):
    app = Host()
    async with app.run_test(size=size) as pilot:
        screen_, view = await console(pilot, data := screen())
        check_in_view(app, view, data)
        assert view.has_class("framed") == framed
        assert screen_.query_one("#status", Static).display == status
        assert view.top == top
        if top:
            assert shown(view)[0].endswith("\u25b2")      # row 01's blank last cell: rows above
            assert view.hidden_rows == (1, 0)


async def test_the_view_follows_the_cursor_up_and_down():
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        _, view = await console(pilot, screen(cursor_row=24))
        assert view.top == 1
        view.apply({**screen(cursor_row=0), "lines": {}})
        await pilot.pause()
        assert view.top == 0 and view.hidden_rows == (0, 1)
        assert shown(view)[-1].endswith("\u25bc")          # row 23's blank last cell
        view.apply({**screen(cursor_row=24), "lines": {}})
        await pilot.pause()
        assert view.top == 1


async def test_status_line_back_from_the_menu_keeps_the_cursor_row():
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        screen_, view = await console(pilot, data := screen())
        screen_.menu_choice("status")
        await pilot.pause()
        assert screen_.query_one("#status", Static).display
        assert view.size.height == 23
        check_in_view(app, view, data)
        screen_.menu_choice("status")
        await pilot.pause()
        assert not screen_.query_one("#status", Static).display
        assert view.size.height == 24


@pytest.mark.parametrize("size", [(80, 24), (100, 32)])
async def test_forty_column_mode_fits(size):
    app = Host()
    async with app.run_test(size=size) as pilot:
        _, view = await console(pilot, data := screen(cols=40))
        check_in_view(app, view, data)
