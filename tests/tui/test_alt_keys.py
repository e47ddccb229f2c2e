"""Alt combinations as terminals really send them, from raw bytes through Textual's parser and
the console screen down to the scancodes it queues for the guest: ESC-prefixed Alt (xterm,
GNOME Terminal/VTE, tmux, iTerm2 with Option as Meta), xterm's modified function keys, rxvt's
ESC ESC sequences, and the kitty protocol (with and without release events)."""

from __future__ import annotations

import pytest
from textual._xterm_parser import XTermParser
from textual.app import App

from tests.tui.conftest import Host, wait_for
from tui import alt_prefix, kitty

ALT, ALT_UP, CTRL, CTRL_UP = 0x38, 0xB8, 0x1D, 0x9D


def tap(*codes: int) -> list[int]:
    return [*codes, *(c | 0x80 for c in reversed(codes))]


CASES = [
    ("\x1bf", [ALT, 0x21, 0xA1, ALT_UP]),                     # Alt+F: Textual says ctrl+right
    ("\x1bb", [ALT, 0x30, 0xB0, ALT_UP]),                     # Alt+B: Textual says ctrl+left
    ("\x1bx", [ALT, 0x2D, 0xAD, ALT_UP]),
    ("\x1bF", [ALT, 0x2A, 0x21, 0xA1, 0xAA, ALT_UP]),         # Alt+Shift+F
    ("\x1b1", [ALT, 0x02, 0x82, ALT_UP]),                     # Alt+1: Textual says "¡"
    ("\x1b0", [ALT, 0x0B, 0x8B, ALT_UP]),
    ("\x1b\r", [ALT, 0x1C, 0x9C, ALT_UP]),                    # Alt+Enter: Textual says enter
    ("\x1b\t", [ALT, 0x0F, 0x8F, ALT_UP]),                    # Alt+Tab: Textual says shift+tab
    ("\x1b\x7f", [ALT, 0x0E, 0x8E, ALT_UP]),                  # Alt+Backspace: Textual: ctrl+w
    ("\x1b\x08", [ALT, 0x0E, 0x8E, ALT_UP]),
    ("\x1b-", [ALT, 0x0C, 0x8C, ALT_UP]),
    ("\x1b[1;3P", [ALT, 0x3B, 0xBB, ALT_UP]),                 # xterm/VTE/tmux Alt+F1
    ("\x1b[15;3~", [ALT, 0x3F, 0xBF, ALT_UP]),                # Alt+F5
    ("\x1b[24;3~", [ALT, 0x58, 0xD8, ALT_UP]),                # Alt+F12
    ("\x1b\x1bOP", [ALT, 0x3B, 0xBB, ALT_UP]),                # rxvt Alt+F1
    ("\x1b\x1b[15~", [ALT, 0x3F, 0xBF, ALT_UP]),              # rxvt Alt+F5
    ("\x1b[1;5D", [CTRL, 0xE0, 0x4B, 0xE0, 0xCB, CTRL_UP]),   # genuine Ctrl+Left stays
    ("\x1b[1;5C", [CTRL, 0xE0, 0x4D, 0xE0, 0xCD, CTRL_UP]),   # genuine Ctrl+Right stays
    ("\x1b[102;3u", [ALT, 0x21, 0xA1, ALT_UP]),               # kitty Alt+F
    ("\x1b[49;3u", [ALT, 0x02, 0x82, ALT_UP]),                # kitty Alt+1
    ("\x1b[13;3u", [ALT, 0x1C, 0x9C, ALT_UP]),                # kitty Alt+Enter
    ("\x1b[9;3u", [ALT, 0x0F, 0x8F, ALT_UP]),                 # kitty Alt+Tab
    ("\x1b[127;3u", [ALT, 0x0E, 0x8E, ALT_UP]),               # kitty Alt+Backspace
    ("\x1b", tap(0x01)),                                       # Esc on its own stays Esc
    ("f", tap(0x21)),
    ("\x1b[102;5u", [CTRL, 0x21, 0xA1, CTRL_UP]),             # kitty Ctrl+F
]


async def feed(app: App, data: str) -> None:
    """``data`` as one terminal write: parsed by Textual's own parser, as its driver does."""
    kitty.install()
    parser = XTermParser()
    for event in [*parser.feed(data), *parser.feed("")]:
        app._driver.send_message(event)


@pytest.mark.parametrize(("data", "codes"), CASES, ids=[repr(d) for d, _ in CASES])
async def test_raw_terminal_bytes_reach_the_guest_as_xt_scancodes(data, codes):
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "is_console", False))
        await pilot.pause()
        await feed(app, data)
        await wait_for(pilot, lambda: len(app.screen.sent) >= len(codes))
        await pilot.pause(0.05)
        assert app.screen.sent == codes


async def test_kitty_release_events_hold_alt_as_long_as_the_host_does():
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "is_console", False))
        await feed(app, "\x1b[97;1:1u\x1b[97;1:3u")        # A down and up: releases come
        await wait_for(pilot, lambda: app.screen.router.releases)
        await pilot.pause(0.05)
        app.screen.sent.clear()
        await feed(app, "\x1b[57443;3:1u\x1b[102;3:1u")   # left Alt down, then F down
        await wait_for(pilot, lambda: len(app.screen.sent) >= 2)
        assert app.screen.sent == [ALT, 0x21]
        await feed(app, "\x1b[102;3:3u\x1b[57443;3:3u")   # F up, then Alt up
        await wait_for(pilot, lambda: len(app.screen.sent) >= 4)
        assert app.screen.sent == [ALT, 0x21, 0xA1, ALT_UP]


async def test_outside_the_console_esc_f_keeps_textuals_meaning():
    alt_prefix.install()
    alt_prefix.ACTIVE = False
    keys = [e.key for e in [*XTermParser().feed("\x1bf")]]
    assert keys == ["ctrl+right"]


def test_the_apps_own_parser_reads_esc_prefixed_alt():
    """Textual's driver builds its input parser when the app starts, and the parser takes its
    key table once, as it is built: the ESC-prefix reading must be in place by then, not
    only from the moment the console is first shown (the real app had ESC f as ctrl+right,
    while parsers built later, as in the tests above, read it right). A fresh process, since
    the reading, once installed, stays for the whole process."""
    import subprocess
    import sys
    from pathlib import Path
    script = (
        "import os, tempfile\n"
        "os.environ['XTBOX_HOME'] = tempfile.mkdtemp()\n"
        "from tui.app import XtboxApp\n"
        "app = XtboxApp(console='dos', console_only=True)\n"
        "from textual._xterm_parser import XTermParser\n"
        "parser = XTermParser()              # as the driver does when the app runs\n"
        "from tui import alt_prefix\n"
        "alt_prefix.ACTIVE = True            # the console on screen\n"
        "print(' '.join(e.key for d in ('\\x1bf', '\\x1b1', '\\x1b\\r', '\\x1b[1;5C', '')\n"
        "               for e in parser.feed(d)))\n")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["alt+f", "alt+1", "alt+enter", "ctrl+right"]
