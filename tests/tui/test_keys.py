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
