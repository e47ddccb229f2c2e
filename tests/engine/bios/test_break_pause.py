"""Ctrl+Break and Pause in INT 09h as IBM's BIOS serves them: the break empties the keyboard
buffer, leaves a 0000h word in it, sets 40:71h bit 7 and calls INT 1Bh (how DOS notices it);
Pause holds the machine in INT 09h, interrupts on, until the next key, which is not typed."""

from __future__ import annotations

import threading
import time

import pytest

from engine.bios import bda, layout
from engine.chips import scancodes as sc
from engine.demo import demo_disk_path
from engine.machine import Machine, MachineConfig

CTRL_BREAK = [sc.CTRL, 0xE0, 0x46, 0xE0, 0xC6, sc.CTRL | 0x80]     # what a 101-key board sends
PAUSE = [0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5]


def wait_until(predicate, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


@pytest.fixture
def machine(tmp_path):
    fda = tmp_path / "demo.img"
    fda.write_bytes(demo_disk_path().read_bytes())
    m = Machine(MachineConfig(fda=str(fda)))
    thread = threading.Thread(target=m.run, daemon=True)
    thread.start()
    wait_until(lambda: "xtbox>" in "\n".join(m.text_screen().text_lines()))
    yield m
    m.stop()
    thread.join(timeout=10)
    m.close()


def test_ctrl_break_calls_int_1bh_and_leaves_a_zero_word(machine):
    m = machine
    m.pause()
    # INT 1Bh -> 0000:0600: inc byte [cs:0610h]; iret
    m.cpu.mem[0x600:0x606] = bytes([0x2E, 0xFE, 0x06, 0x10, 0x06, 0xCF])
    m.cpu.mem[0x610] = 0
    m.cpu.mem[0x1B * 4:0x1B * 4 + 4] = bytes([0x00, 0x06, 0x00, 0x00])
    m.resume()
    m.send_scancodes(CTRL_BREAK)
    wait_until(lambda: m.cpu.mem[0x610] == 1)
    assert m.cpu.mem[bda.BREAK_FLAG] & 0x80
    time.sleep(0.2)
    assert m.cpu.mem[0x610] == 1                     # once


def test_pause_holds_until_the_next_key_which_is_not_typed(machine):
    m = machine
    m.send_scancodes(PAUSE)
    wait_until(lambda: m.cpu.mem[bda.KBD_FLAGS2] & 0x08)
    ticks = m.cpu.mem[bda.TIMER_TICKS]
    wait_until(lambda: m.cpu.mem[bda.TIMER_TICKS] != ticks)    # the clock runs on
    assert m.cpu.get_reg("cs") == layout.ROM_SEGMENT
    assert layout.PAUSE_TAIL <= m.cpu.get_reg("ip") < layout.PAUSE_TAIL + 0x10
    m.send_scancodes(sc.text_to_scancodes("a"))
    wait_until(lambda: not m.cpu.mem[bda.KBD_FLAGS2] & 0x08)
    m.send_scancodes(sc.text_to_scancodes("b"))
    def lines():
        return [line.rstrip() for line in m.text_screen().text_lines()]
    wait_until(lambda: any(line.endswith("xtbox> b") for line in lines()))
    assert not any(line.endswith("ab") for line in lines())       # the "a" only ended the pause
