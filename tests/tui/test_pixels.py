"""Real pixels through the kitty graphics protocol: the escapes the console emits decode to
the guest's frame dot for dot, the placeholder cells name the image and its rows, a frame
change is one transmission and no repaint; detection from simulated terminal replies; half
blocks when the terminal says nothing or sits in a multiplexer."""

from __future__ import annotations

import base64
import random
import re

import pytest

from engine.chips.cga import CGA
from engine.screenshot import palette_rgb
from engine.vmm.screen_feed import ScreenFeed
from tests.guests.test_cga_scenes import read_png
from tests.tui.test_graphics_view import Host, frame
from tui import pixels
from tui.widgets.graphics_view import GraphicsView

KITTY_OK = b"\x1b_Gi=31;OK\x1b\\"
DA1_SIXEL = b"\x1b[?62;4;22c"
DA1 = b"\x1b[?62;22c"


def decode_kitty(data: str) -> tuple[dict[str, str], list[list[int]], int, int]:
    """The first chunk's keys and the PNG the chunks carry, as rows of colour indexes."""
    chunks = re.findall(r"\x1b_G([^;]*);([^\x1b]*)\x1b\\", data)
    assert chunks and data == "".join(f"\x1b_G{k};{p}\x1b\\" for k, p in chunks)
    assert all(len(p) <= 4096 for _k, p in chunks)
    keys = dict(kv.split("=") for kv in chunks[0][0].split(","))
    assert [dict(kv.split("=") for kv in k.split(","))["m"] for k, _ in chunks] == \
        ["1"] * (len(chunks) - 1) + ["0"]
    width, height, rows, plte = read_png(base64.b64decode("".join(p for _k, p in chunks)))
    assert plte == palette_rgb()
    return keys, rows, width, height


class Kitty(Host):
    CSS = "GraphicsView { display: block; }"

    def compose(self):
        view = GraphicsView(renderer="kitty")
        view.emit = self.sent.append
        yield view

    def __init__(self):
        super().__init__()
        self.sent: list[str] = []


async def test_kitty_frames_decode_to_the_guest_frame_and_cells_are_placeholders():
    mem = bytearray(0x100000)
    cga = frame(mem)
    feed = ScreenFeed()
    app = Kitty()
    async with app.run_test(size=(80, 25)) as pilot:
        view = app.query_one(GraphicsView)
        view.apply(feed.update(cga.screen(mem)))
        await pilot.pause()
        keys, rows, width, height = decode_kitty(app.sent[-1])
        assert (width, height) == (320, 200)
        assert rows == [list(line) for line in cga.screen(mem).pixels()]
        assert keys["a"] == "T" and keys["U"] == "1" and keys["f"] == "100"
        assert keys["i"] == str(view.image_id) and keys["q"] == "2"
        assert (int(keys["c"]), int(keys["r"])) == (66, 25)       # 4:3 in 1:2 cells
        colour = pixels.id_colour(view.image_id)
        pad = (80 - 66) // 2
        for r in (0, 24):
            segments = [s for s in view.render_line(r) if s.text.strip(" ")]
            assert len(segments) == 1 and segments[0].style.color.name == colour
            text = segments[0].text
            assert text[:3] == pixels.PLACEHOLDER + chr(pixels.DIACRITICS[r]) + \
                chr(pixels.DIACRITICS[0])
            assert text[3:] == pixels.PLACEHOLDER * 65
            assert "".join(s.text for s in view.render_line(r))[:pad] == " " * pad
        # A small change: one more transmission of the new frame, no cell rebuilt.
        built, sent = view.rows_built, len(app.sent)
        mem[0xB8000] = 0xFF
        view.apply(feed.update(cga.screen(mem)))
        assert len(app.sent) == sent + 1 and view.rows_built == built
        assert decode_kitty(app.sent[-1])[1] == [list(line) for line in cga.screen(mem).pixels()]
        # Mode 6 with a mid-frame band: the PNG is the engine's frame, 640 wide.
        t = [0]
        hires = CGA(clock=lambda: t[0])
        hires.write(0x3D8, 0x0A)
        t[0] = 100 * 76 + 60
        hires.write(0x3D8, 0x1A)
        hires.write(0x3D9, 0x0E)
        t[0] = 199 * 76 + 60
        screen = hires.screen(mem)
        assert screen.bands and screen.width == 640
        view.apply(feed.update(screen))
        assert decode_kitty(app.sent[-1])[1] == [list(line) for line in screen.pixels()]
        mem[0xB8000:0xBC000] = random.Random(16).randbytes(0x4000)    # a PNG of many chunks
        view.apply(feed.update(cga.screen(mem)))
        assert app.sent[-1].count("\x1b_G") > 4
        assert decode_kitty(app.sent[-1])[1] == [list(line) for line in cga.screen(mem).pixels()]


async def test_half_blocks_send_no_escapes():
    mem = bytearray(0x100000)
    cga = frame(mem)
    app = Host()
    async with app.run_test(size=(80, 25)) as pilot:
        view = app.query_one(GraphicsView)
        sent = []
        view.emit = sent.append
        view.apply(ScreenFeed().update(cga.screen(mem)))
        await pilot.pause()
        assert sent == [] and view.transmissions == 0


@pytest.mark.parametrize("env,reply,expected", [
    ({}, KITTY_OK + DA1, "kitty"),                                  # answered the query
    ({"TERM": "xterm-256color"}, DA1_SIXEL, "halfblocks"),          # sixel only: not drawn
    ({"KITTY_WINDOW_ID": "1"}, DA1, "halfblocks"),                  # the terminal says no
    ({"KITTY_WINDOW_ID": "1"}, None, "kitty"),                      # no tty: kitty's env
    ({"TERM": "xterm-kitty"}, KITTY_OK, "kitty"),                   # reply cut short: env
    ({"TERM": "xterm-ghostty"}, None, "kitty"),
    ({"TERM": "xterm-256color"}, None, "halfblocks"),
    ({"TMUX": "/tmp/tmux,1,0", "KITTY_WINDOW_ID": "1"}, KITTY_OK + DA1, "halfblocks"),
    ({"TERM": "screen-256color"}, KITTY_OK + DA1, "halfblocks"),
])
def test_detection_from_terminal_replies_and_environment(env, reply, expected):
    assert pixels.detect(env, reply) == expected
    assert pixels.choose("auto", env, reply) == expected
    assert pixels.choose("halfblocks", env, reply) == "halfblocks"
    assert pixels.choose("kitty", env, reply) == "kitty"


def test_reply_parsing_and_bad_settings():
    assert pixels.parse_reply(b"junk" + KITTY_OK + DA1_SIXEL) == \
        {"kitty": True, "sixel": True, "complete": True}
    assert pixels.parse_reply(b"\x1b_Gi=31;ENOTSUPPORTED:no\x1b\\" + DA1)["kitty"] is False
    assert pixels.parse_reply(b"\x1b_Gi=7;OK\x1b\\" + DA1)["kitty"] is False   # not ours
    with pytest.raises(ValueError, match="expected auto, halfblocks or kitty"):
        pixels.choose("sixel", {}, None)
