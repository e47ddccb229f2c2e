"""Scancode set 1 tables: key names, E0 extended keys, US-layout text conversion."""

import pytest

from engine.chips import scancodes as sc


@pytest.mark.parametrize(
    "name, make",
    [
        ("Esc", [0x01]), ("Enter", [0x1C]), ("Backspace", [0x0E]), ("Tab", [0x0F]),
        ("F1", [0x3B]), ("F10", [0x44]), ("F11", [0x57]), ("F12", [0x58]),
        ("Ctrl", [0x1D]), ("Alt", [0x38]), ("Shift", [0x2A]), ("RShift", [0x36]),
        ("RCtrl", [0xE0, 0x1D]), ("RAlt", [0xE0, 0x38]),
        ("Up", [0xE0, 0x48]), ("Down", [0xE0, 0x50]), ("Left", [0xE0, 0x4B]),
        ("Right", [0xE0, 0x4D]), ("Home", [0xE0, 0x47]), ("End", [0xE0, 0x4F]),
        ("PgUp", [0xE0, 0x49]), ("PgDn", [0xE0, 0x51]), ("Ins", [0xE0, 0x52]),
        ("Del", [0xE0, 0x53]), ("a", [0x1E]), ("z", [0x2C]), ("Space", [0x39]),
    ],
)
def test_key_make_codes(name, make):
    assert sc.key_make(name) == make


def test_names_are_case_insensitive_and_aliases_work():
    assert sc.key_make("enter") == sc.key_make("Return") == [0x1C]
    assert sc.key_make("PageDown") == [0xE0, 0x51]
    with pytest.raises(ValueError, match="unknown key name 'Hyper'"):
        sc.key_make("Hyper")


def test_break_codes_keep_prefix_and_set_bit7():
    assert sc.key_break("Up") == [0xE0, 0xC8]
    assert sc.key_press("a") == [0x1E, 0x9E]
    assert sc.key_press("PrintScreen") == [0xE0, 0x2A, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0xAA]


def test_xt_form_drops_prefixes():
    assert sc.key_make("Up", extended=False) == [0x48]
    assert sc.key_make("PrintScreen", extended=False) == [0x37]


def test_text_lowercase_uppercase_digits_punctuation():
    assert sc.text_to_scancodes("a") == [0x1E, 0x9E]
    assert sc.text_to_scancodes("A") == [0x2A, 0x1E, 0x9E, 0xAA]
    assert sc.text_to_scancodes("1!") == [0x02, 0x82, 0x2A, 0x02, 0x82, 0xAA]
    assert sc.text_to_scancodes(":") == [0x2A, 0x27, 0xA7, 0xAA]
    assert sc.text_to_scancodes("\\|") == [0x2B, 0xAB, 0x2A, 0x2B, 0xAB, 0xAA]
    assert sc.text_to_scancodes("~") == [0x2A, 0x29, 0xA9, 0xAA]


def test_every_printable_ascii_char_is_typeable_with_a_distinct_sequence():
    seqs = {ch: tuple(sc.text_to_scancodes(ch)) for ch in map(chr, range(32, 127))}
    assert len(set(seqs.values())) == 95


def test_control_characters():
    assert sc.text_to_scancodes("\n") == sc.text_to_scancodes("\r") == [0x1C, 0x9C]
    assert sc.text_to_scancodes("\t") == [0x0F, 0x8F]
    assert sc.text_to_scancodes("\b") == [0x0E, 0x8E]
    assert sc.text_to_scancodes("\x1b") == [0x01, 0x81]
    assert sc.text_to_scancodes("\x03") == [0x1D, 0x2E, 0xAE, 0x9D]  # Ctrl+C


def test_cp437_characters_use_alt_keypad_codes():
    # '\u00e9' is CP437 0x82 = 130: Alt down, keypad 1 3 0, Alt up
    assert sc.text_to_scancodes("\u00e9") == [0x38, 0x4F, 0xCF, 0x51, 0xD1, 0x52, 0xD2, 0xB8]
    with pytest.raises(ValueError, match="U\\+00E9"):
        sc.text_to_scancodes("\u00e9", alt_codes=False)
    with pytest.raises(ValueError, match="position 1"):
        sc.text_to_scancodes("x\u20ac")
