"""Terminal keys -> XT scancodes: make and break codes, modifiers wrapped around."""

import pytest

from tui.keys import CTRL_ALT_DEL, key_to_scancodes


@pytest.mark.parametrize(("key", "char", "codes"), [
    ("a", "a", [0x1E, 0x9E]),
    ("A", "A", [0x2A, 0x1E, 0x9E, 0xAA]),
    ("exclamation_mark", "!", [0x2A, 0x02, 0x82, 0xAA]),
    ("enter", "\r", [0x1C, 0x9C]),
    ("backspace", "\x08", [0x0E, 0x8E]),
    ("tab", "\t", [0x0F, 0x8F]),
    ("escape", "\x1b", [0x01, 0x81]),
    ("up", None, [0xE0, 0x48, 0xE0, 0xC8]),
    ("pagedown", None, [0xE0, 0x51, 0xE0, 0xD1]),
    ("delete", None, [0xE0, 0x53, 0xE0, 0xD3]),
    ("f1", None, [0x3B, 0xBB]),
    ("f12", None, [0x58, 0xD8]),
    ("ctrl+c", "\x03", [0x1D, 0x2E, 0xAE, 0x9D]),
    ("alt+x", None, [0x38, 0x2D, 0xAD, 0xB8]),
    ("shift+tab", None, [0x2A, 0x0F, 0x8F, 0xAA]),
    ("ctrl+alt+delete", None, [0x1D, 0x38, 0xE0, 0x53, 0xE0, 0xD3, 0xB8, 0x9D]),
    ("ctrl+left_square_bracket", None, [0x1D, 0x1A, 0x9A, 0x9D]),
])
def test_keys(key, char, codes):
    assert key_to_scancodes(key, char) == codes


def test_every_make_has_its_break():
    for key in ("a", "z", "f5", "home", "end", "insert", "ctrl+shift+a", "alt+f4"):
        codes = [c for c in key_to_scancodes(key) if c != 0xE0]
        makes = [c for c in codes if c < 0x80]
        breaks = [c & 0x7F for c in codes if c >= 0x80]
        assert sorted(makes) == sorted(breaks), key


def test_ctrl_alt_del_and_unknown_keys():
    assert CTRL_ALT_DEL[:2] == [0x1D, 0x38]
    assert key_to_scancodes("unknown_key_name") == []


# ---- kitty keyboard protocol: real releases --------------------------------------------------

def parse(sequence: str) -> list[str]:
    from textual._xterm_parser import XTermParser

    from tui import kitty
    assert kitty.install()
    return [event.key for event in XTermParser().feed(sequence)]


@pytest.mark.parametrize(("sequence", "keys"), [
    ("\x1b[97;1:1u", ["a"]),                          # press, event type given
    ("\x1b[97;1:2u", ["a"]),                          # repeat: a press again
    ("\x1b[97;1:3u", ["xtbox-release:a"]),
    ("\x1b[97;2:3u", ["xtbox-release:a"]),            # released with Shift held
    ("\x1b[57441;2:3u", ["xtbox-release:left_shift"]),
    ("\x1b[1;1:3A", ["xtbox-release:up"]),
    ("\x1b[97;5u", ["ctrl+a"]),                       # no event field: Textual's own parse
])
def test_the_parser_reads_kitty_event_types(sequence, keys):
    assert parse(sequence) == keys


def test_router_presses_and_releases():
    from tui.keys import KeyRouter
    router = KeyRouter()
    assert router.codes("a", "a") == [0x1E, 0x9E]      # no release seen yet: a whole tap
    assert router.codes("xtbox-release:a") == [0x9E]   # the terminal reports releases
    assert router.codes("left_shift") == [0x2A]        # from now on: physical keys
    assert router.codes("A", "A") == [0x1E]
    assert router.codes("A", "A") == [0x1E]            # auto-repeat
    assert router.codes("xtbox-release:a") == [0x9E]
    assert router.codes("exclamation_mark", "!") == [0x02]
    assert router.codes("xtbox-release:1") == [0x82]
    assert router.codes("up") == [0xE0, 0x48]
    assert router.codes("ctrl+c") == [0x2E]
    # leaving the console: everything still down is released, last pressed first
    assert router.release_all() == [0xAE, 0xE0, 0xC8, 0xAA]
    assert router.release_all() == []
