"""XT keyboard register, acknowledge handshake, pacing, lossless paste, and the PPI wiring."""

import pickle

import pytest

from engine.chips import scancodes
from engine.chips.i8253 import PIT8253
from engine.chips.i8255 import XTSystemPPI
from engine.chips.keyboard import XTKeyboard


class Clock:
    def __init__(self):
        self.t = 0

    def __call__(self):
        return self.t


def board(**kw):
    clk = Clock()
    kbd = XTKeyboard(clock=clk, **kw)
    irq = []
    kbd.irq = irq.append
    pit = PIT8253(clock=clk)
    ppi = XTSystemPPI(keyboard=kbd, timer=pit)
    return clk, kbd, ppi, pit, irq


def int9(ppi):
    """What the IBM BIOS INT 9 handler does with the hardware: read, then pulse bit 7."""
    code = ppi.read(0x60)
    b = ppi.read(0x61)
    ppi.write(0x61, b | 0x80)
    ppi.write(0x61, b)
    return code


def run_guest(clk, kbd, ppi, irq, limit=10_000_000):
    """Event-driven loop: advance to the keyboard's next event, serve IRQ1 like INT 9."""
    got = []
    while clk.t < limit:
        nxt = kbd.next_event(clk.t)
        if nxt is None:
            break
        clk.t = max(nxt, clk.t)
        kbd.tick(clk.t)
        if irq and irq[-1]:
            got.append(int9(ppi))
            clk.t += 50  # the handler takes a little time
    return got


def test_one_key_raises_irq1_and_ack_lowers_it():
    clk, kbd, ppi, _, irq = board()
    kbd.press("a")
    kbd.tick(0)
    assert irq == [True] and ppi.read(0x60) == 0x1E
    ppi.write(0x61, 0xC0)
    assert irq == [True, False]
    ppi.write(0x61, 0x40)
    assert ppi.read(0x60) == 0x1E  # last byte stays readable after the acknowledge


def test_next_byte_waits_for_ack_and_gap():
    clk, kbd, ppi, _, irq = board(min_gap=100)
    kbd.send([0x1E, 0x9E])
    kbd.tick(0)
    clk.t = 10_000
    kbd.tick(clk.t)
    assert kbd.pending() == 1 and irq == [True]  # not acknowledged: nothing more
    int9(ppi)
    assert kbd.next_event(clk.t) == 10_100
    kbd.tick(10_099)
    assert kbd.pending() == 1
    clk.t = 10_100
    kbd.tick(clk.t)
    assert ppi.read(0x60) == 0x9E and irq[-1]


def test_clear_held_high_blocks_delivery():
    clk, kbd, ppi, _, irq = board()
    ppi.write(0x61, 0xC0)
    kbd.press(0x10)
    kbd.tick(5000)
    assert irq == [] and kbd.next_event(5000) is None
    ppi.write(0x61, 0x40)
    kbd.tick(5000)
    assert irq == [True]


def test_large_paste_arrives_complete_and_in_order():
    clk, kbd, ppi, _, irq = board(min_gap=20)
    text = "".join(chr(32 + (i * 7) % 95) for i in range(70_000)) + "\n\t\b"
    kbd.type_text(text)
    expected = scancodes.text_to_scancodes(text)
    assert len(expected) > 65536
    got = run_guest(clk, kbd, ppi, irq, limit=10**9)
    assert got == expected and kbd.pending() == 0


def test_ready_predicate_holds_keys_back_without_losing_them():
    allowed = {"ok": False}
    clk, kbd, ppi, _, irq = board(min_gap=10, ready=lambda: allowed["ok"])
    kbd.type_text("ab")
    kbd.tick(0)
    assert irq == [] and kbd.pending() == 4
    assert kbd.next_event(0) == 10  # polls again later
    allowed["ok"] = True
    assert run_guest(clk, kbd, ppi, irq) == [0x1E, 0x9E, 0x30, 0xB0]


def test_clock_line_reset_answers_self_test_first():
    clk, kbd, ppi, _, irq = board(min_gap=10)
    kbd.press("q")
    ppi.write(0x61, 0x08)  # clock held low (IBM BIOS keyboard reset)
    kbd.tick(100)
    assert irq == []
    ppi.write(0x61, 0x48)
    assert run_guest(clk, kbd, ppi, irq) == [0xAA, 0x10]


def test_press_release_tap_and_bad_codes():
    _, kbd, _, _, _ = board()
    kbd.press("Up")
    kbd.release("Up")
    kbd.tap("F1")
    kbd.release(0x1E)
    assert list(kbd.queue) == [0xE0, 0x48, 0xE0, 0xC8, 0x3B, 0xBB, 0x9E]
    with pytest.raises(ValueError, match="not a byte"):
        kbd.send([0x100])
    with pytest.raises(ValueError, match="position 2"):
        kbd.type_text("ab\u4e00")


def test_ppi_port_b_drives_gate2_and_port_c_shows_out2():
    clk, kbd, ppi, pit, _ = board()
    pit.write(0x43, 0xB6)  # channel 2 square wave, as BEEP does
    pit.write(0x42, 0x10)
    pit.write(0x42, 0x00)  # count 16
    assert not pit.channels[2].gate
    ppi.write(0x61, 0x43)
    assert pit.channels[2].gate and ppi.speaker_enabled
    assert ppi.speaker_frequency() == pytest.approx(1193182 / 16)
    seen = set()
    for t in range(1, 40):
        clk.t = t
        seen.add(ppi.read(0x62) & 0x20)
    assert seen == {0, 0x20}
    ppi.write(0x61, 0x40)
    assert not ppi.speaker_enabled and ppi.speaker_frequency() is None


def test_port_c_switch_nibbles_5160():
    _, _, ppi, _, _ = board()
    ppi.switches = 0xA5
    ppi.write(0x61, 0x40)
    assert ppi.read(0x62) & 0x0F == 0x5
    ppi.write(0x61, 0x48)
    assert ppi.read(0x62) & 0x0F == 0xA
    ppi.io_check = ppi.parity_error = True
    assert ppi.read(0x62) & 0xC0 == 0xC0


def test_5150_model_reads_switches_on_port_a():
    kbd = XTKeyboard()
    ppi = XTSystemPPI(keyboard=kbd, model="5150", switches=0x4D)
    ppi.write(0x61, 0xC0)
    assert ppi.read(0x60) == 0x4D
    with pytest.raises(ValueError, match="5160"):
        XTSystemPPI(model="5170")


def test_mode_set_clears_port_b():
    _, _, ppi, _, _ = board()
    ppi.write(0x61, 0x4B)
    ppi.write(0x63, 0x99)
    assert ppi.read(0x61) == 0 and ppi.read(0x63) == 0xFF


def test_keyboard_state_round_trip_mid_handshake():
    clk, kbd, ppi, _, irq = board()
    kbd.type_text("Hello")
    kbd.tick(0)
    state = pickle.loads(pickle.dumps(kbd.get_state()))
    other = XTKeyboard(clock=clk)
    wire = []
    other.irq = wire.append
    other.set_state(state)
    assert other.get_state() == kbd.get_state() and wire == [True]
    assert other.read_data() == kbd.read_data() == 0x2A


def test_ppi_state_round_trip():
    _, _, ppi, _, _ = board()
    ppi.write(0x61, 0x4B)
    ppi.io_check = True
    other = XTSystemPPI()
    other.set_state(pickle.loads(pickle.dumps(ppi.get_state())))
    assert other.get_state() == ppi.get_state() and other.read(0x61) == 0x4B


def at_style_int9(ppi):
    """A handler written for the AT: reads port 60h, never pulses port 61h bit 7."""
    return ppi.read(0x60)


def test_read_without_ack_counts_as_ack_after_delay():
    clk, kbd, ppi, _, irq = board(min_gap=10, read_ack_delay=1000)
    kbd.type_text("ok")
    got = []
    while clk.t < 100_000:
        nxt = kbd.next_event(clk.t)
        if nxt is None:
            break
        clk.t = max(nxt, clk.t)
        kbd.tick(clk.t)
        if irq[-1] and kbd.read_at < 0:  # a new byte the handler has not read yet
            got.append(at_style_int9(ppi))
    assert got == [0x18, 0x98, 0x25, 0xA5]
    assert clk.t >= 3 * 1000


def test_strict_xt_mode_waits_for_ack_forever():
    clk, kbd, ppi, _, irq = board(read_ack_delay=None)
    kbd.send([1, 0x81])
    kbd.tick(0)
    ppi.read(0x60)
    assert kbd.next_event(0) is None
    kbd.tick(10**7)
    assert kbd.pending() == 1 and irq == [True]
