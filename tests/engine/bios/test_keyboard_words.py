"""The words INT 09h stores for INT 16h, from the scancodes an XT keyboard sends, against the
IBM PC BIOS's tables (Technical Reference, the K-tables): Alt with the top row gives the
"extended" codes 78h-83h (not the key's own scancode), and Ctrl with the cursor keys gives
73h-77h and 84h; DOS programs (menus, editors, Norton-style shells) test exactly these."""

from __future__ import annotations

import pytest

from engine.bios import bda
from engine.bios.keyboard import Keyboard

ALT, CTRL, SHIFT = 0x38, 0x1D, 0x2A


class Memory:
    """The BDA words INT 09h touches (what engine.bios.regs.Regs gives it over guest RAM)."""

    def __init__(self) -> None:
        self.ram = bytearray(0x500)
        self.ww(bda.KBD_HEAD, bda.KBD_BUFFER)
        self.ww(bda.KBD_TAIL, bda.KBD_BUFFER)
        self.ww(bda.KBD_BUF_START, bda.KBD_BUFFER)
        self.ww(bda.KBD_BUF_STOP, bda.KBD_BUFFER_END)

    def rb(self, addr: int) -> int:
        return self.ram[addr]

    def wb(self, addr: int, value: int) -> None:
        self.ram[addr] = value & 0xFF

    def rw(self, addr: int) -> int:
        return self.ram[addr] | self.ram[addr + 1] << 8

    def ww(self, addr: int, value: int) -> None:
        self.ram[addr], self.ram[addr + 1] = value & 0xFF, value >> 8 & 0xFF


def words(*codes: int) -> list[int]:
    r = Memory()
    keyboard = Keyboard(bios=None)
    for code in codes:
        keyboard.translate(r, code)
    head, tail = r.rw(bda.KBD_HEAD), r.rw(bda.KBD_TAIL)
    return [r.rw(0x400 + at) for at in range(head, tail, 2)]


def chord(modifier: int, key: int, extended: bool = False) -> list[int]:
    e0 = [0xE0] if extended else []
    return [modifier, *e0, key, *e0, key | 0x80, modifier | 0x80]


@pytest.mark.parametrize(("key", "word"), [(0x02, 0x7800), (0x03, 0x7900), (0x0A, 0x8000),
                                           (0x0B, 0x8100), (0x0C, 0x8200), (0x0D, 0x8300)],
                         ids=["alt+1", "alt+2", "alt+9", "alt+0", "alt+-", "alt+="])
def test_alt_with_the_top_row(key, word):
    assert words(*chord(ALT, key)) == [word]


@pytest.mark.parametrize(("key", "word"), [(0x4B, 0x7300), (0x4D, 0x7400), (0x4F, 0x7500),
                                           (0x51, 0x7600), (0x47, 0x7700), (0x49, 0x8400)],
                         ids=["left", "right", "end", "pgdn", "home", "pgup"])
@pytest.mark.parametrize("extended", [False, True], ids=["keypad", "grey"])
def test_ctrl_with_the_cursor_keys(key, word, extended):
    assert words(*chord(CTRL, key, extended)) == [word]


def test_the_words_that_were_right_stay_so():
    assert words(*chord(ALT, 0x21)) == [0x2100]                  # Alt+F
    assert words(*chord(ALT, 0x3B)) == [0x6800]                  # Alt+F1
    assert words(*chord(CTRL, 0x2E)) == [0x2E03]                 # Ctrl+C
    assert words(*chord(CTRL, 0x07)) == [0x071E]                 # Ctrl+6
    assert words(*chord(SHIFT, 0x02)) == [0x0221]                # !
    assert words(0x4D, 0xCD, 0xE0, 0x4B, 0xE0, 0xCB) == [0x4D00, 0x4B00]
    assert words(0x45, 0xC5, 0x4B, 0xCB) == [0x4B34]             # NumLock: keypad 4
    assert words(0x45, 0xC5, *chord(CTRL, 0x4B)) == [0x7300]     # Ctrl wins over NumLock
