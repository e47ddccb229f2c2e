"""8253/8254 PIT: modes, access modes, latch, read-back and the IRQ0 wire, in virtual time."""

import json

import pytest

from engine.chips.i8253 import PIT8253


class Clock:
    def __init__(self):
        self.t = 0

    def __call__(self):
        return self.t


def make():
    clk = Clock()
    pit = PIT8253(clock=clk)
    edges = []
    pit.irq0 = lambda level: edges.append((clk.t, level))
    return pit, clk, edges


def program(pit, ch, mode, count, access=3, bcd=False):
    pit.write(0x43, (ch << 6) | (access << 4) | (mode << 1) | int(bcd))
    if access in (1, 3):
        pit.write(0x40 + ch, count & 0xFF)
    if access in (2, 3):
        pit.write(0x40 + ch, (count >> 8) & 0xFF)


def read16(pit, ch):
    lo = pit.read(0x40 + ch)
    return lo | (pit.read(0x40 + ch) << 8)


def latch16(pit, ch):
    pit.write(0x43, ch << 6)
    return read16(pit, ch)


def test_mode0_out_rises_n_plus_1_clocks_after_write():
    pit, clk, _ = make()
    clk.t = 100
    program(pit, 0, 0, 10)
    assert not pit.out(0)
    clk.t = 101
    assert latch16(pit, 0) == 10  # loaded on the next clock
    clk.t = 110
    assert latch16(pit, 0) == 1 and not pit.out(0)
    clk.t = 111
    assert pit.out(0) and latch16(pit, 0) == 0
    clk.t = 112
    assert latch16(pit, 0) == 0xFFFF and pit.out(0)  # keeps counting, OUT stays high
    assert pit.next_event(111) is None


def test_mode0_gate_low_suspends_counting():
    pit, clk, _ = make()
    program(pit, 2, 0, 100)
    clk.t = 11
    pit.set_gate(2, False)
    clk.t = 500
    assert latch16(pit, 2) == 90
    pit.set_gate(2, True)
    clk.t = 589
    assert not pit.out(2) and latch16(pit, 2) == 1
    clk.t = 590
    assert pit.out(2)


def test_mode2_rate_generator_period_and_pulse():
    pit, clk, _ = make()
    program(pit, 0, 2, 5)  # loads at t=1
    outs = []
    for t in range(1, 13):
        clk.t = t
        outs.append(pit.out(0))
    # count 5,4,3,2,1 -> low while the count is 1, then reload
    assert outs == [True, True, True, True, False] * 2 + [True, True]
    clk.t = 3
    assert latch16(pit, 0) == 3
    assert pit.next_event(0) == 6 and pit.next_event(6) == 11


def test_mode3_square_wave_even_and_odd():
    pit, clk, _ = make()
    program(pit, 2, 3, 6)
    outs = []
    for t in range(1, 13):
        clk.t = t
        outs.append(pit.out(2))
    assert outs == [True] * 3 + [False] * 3 + [True] * 3 + [False] * 3
    program(pit, 2, 3, 5)
    start = clk.t + 1
    outs = []
    for t in range(start, start + 10):
        clk.t = t
        outs.append(pit.out(2))
    assert outs == ([True] * 3 + [False] * 2) * 2  # odd: high one clock longer


def test_mode3_counts_down_by_two():
    pit, clk, _ = make()
    program(pit, 0, 3, 8)
    values = []
    for t in range(1, 9):
        clk.t = t
        values.append(latch16(pit, 0))
    assert values == [8, 6, 4, 2, 8, 6, 4, 2]


def test_mode3_count_zero_is_65536_and_bios_tick_rate():
    pit, clk, _ = make()
    program(pit, 0, 3, 0)
    assert pit.next_event(0) == 1 + 65536
    assert pit.frequency(0) == pytest.approx(1193182 / 65536)
    clk.t = 1
    assert latch16(pit, 0) == 0
    clk.t = 2
    assert latch16(pit, 0) == 65534


def test_mode3_new_count_takes_effect_at_period_end():
    pit, clk, _ = make()
    program(pit, 0, 3, 100)  # loads at 1, edges at 101, 201, ...
    clk.t = 50
    pit.write(0x40, 10)
    pit.write(0x40, 0)
    assert pit.next_event(50) == 101
    assert pit.next_event(101) == 111
    clk.t = 105
    assert pit.out(0) and latch16(pit, 0) == 2  # new period 10 from t=101


def test_mode2_gate_low_forces_out_high_and_rising_gate_reloads():
    pit, clk, _ = make()
    program(pit, 2, 2, 4)
    clk.t = 4
    assert not pit.out(2)
    pit.set_gate(2, False)
    assert pit.out(2)
    assert pit.frequency(2) is None
    clk.t = 10
    pit.set_gate(2, True)  # reload at t=11
    clk.t = 11
    assert latch16(pit, 2) == 4
    clk.t = 14
    assert not pit.out(2)


def test_mode1_one_shot_triggered_by_gate():
    pit, clk, _ = make()
    pit.set_gate(2, False)
    program(pit, 2, 1, 5)
    clk.t = 50
    assert pit.out(2)  # waits for a trigger
    pit.set_gate(2, True)
    clk.t = 51
    assert not pit.out(2)
    clk.t = 55
    assert not pit.out(2)
    clk.t = 56
    assert pit.out(2)
    pit.set_gate(2, False)
    pit.set_gate(2, True)  # retrigger
    clk.t = 57
    assert not pit.out(2)


def test_mode4_software_strobe():
    pit, clk, _ = make()
    program(pit, 1, 4, 3)
    seq = []
    for t in range(0, 7):
        clk.t = t
        seq.append(pit.out(1))
    assert seq == [True, True, True, True, False, True, True]


def test_mode5_hardware_strobe():
    pit, clk, _ = make()
    pit.set_gate(2, False)
    program(pit, 2, 5, 2)
    clk.t = 10
    pit.set_gate(2, True)  # loads at 11
    seq = []
    for t in range(11, 16):
        clk.t = t
        seq.append(pit.out(2))
    assert seq == [True, True, False, True, True]


def test_lobyte_and_hibyte_access_modes():
    pit, clk, _ = make()
    program(pit, 1, 2, 0x34, access=1)
    clk.t = 1
    assert pit.read(0x41) == 0x34
    program(pit, 1, 2, 0x1200, access=2)
    clk.t = 2
    assert pit.read(0x41) == 0x12
    assert pit.channels[1].n == 0x1200


def test_latch_freezes_value_until_both_bytes_read():
    pit, clk, _ = make()
    program(pit, 0, 2, 1000)
    clk.t = 101
    pit.write(0x43, 0x00)
    clk.t = 201
    pit.write(0x43, 0x00)  # a second latch is ignored while one is pending
    assert read16(pit, 0) == 900
    assert read16(pit, 0) == 800  # live again


def test_read_and_write_flip_flops_are_independent():
    pit, clk, _ = make()
    program(pit, 0, 2, 1000)
    clk.t = 1
    assert pit.read(0x40) == 1000 & 0xFF
    pit.write(0x40, 0x10)  # first byte of a new count, between the two reads
    assert pit.read(0x40) == 1000 >> 8


def test_bcd_counting():
    pit, clk, _ = make()
    program(pit, 2, 2, 0x1234, bcd=True)
    assert pit.channels[2].n == 1234
    clk.t = 1 + 34
    assert latch16(pit, 2) == 0x1200
    program(pit, 2, 0, 0, bcd=True)  # 0 means 10000 in BCD
    assert pit.channels[2].n == 10000


def test_read_back_status_and_count():
    pit, clk, _ = make()
    program(pit, 0, 3, 0)
    pit.write(0x43, 0xE2)  # read-back status only, counter 0
    status = pit.read(0x40)
    assert status & 0x3F == 0x36 and status & 0x40  # control bits, null count (not loaded)
    clk.t = 5
    pit.write(0x43, 0xC2)  # count and status
    status = pit.read(0x40)
    assert status == 0x80 | 0x36  # OUT high, count loaded
    assert read16(pit, 0) == (65536 - 8) & 0xFFFF


def test_read_back_selects_several_counters():
    pit, clk, _ = make()
    program(pit, 1, 2, 50)
    program(pit, 2, 0, 70)
    clk.t = 11
    pit.write(0x43, 0xDC)  # latch count of 1 and 2
    clk.t = 40
    assert read16(pit, 1) == 40 and read16(pit, 2) == 60


def test_irq0_pulses_once_per_period_in_tick():
    pit, clk, edges = make()
    program(pit, 0, 3, 100)
    for t in range(0, 400, 7):
        clk.t = t
        pit.tick(t)
    rises = [t for t, level in edges if level]
    assert len(rises) == 4  # t=0 (OUT high after control word) + edges at 101,201,301
    assert all(a < b for a, b in zip(rises, rises[1:], strict=False))


def test_irq0_edge_even_when_tick_lands_on_a_low_phase():
    pit, clk, edges = make()
    program(pit, 0, 2, 10)
    pit.tick(0)
    edges.clear()
    clk.t = 110  # several periods missed: one collapsed edge
    pit.tick(110)
    assert [lvl for _, lvl in edges][:2] == [False, True]


def test_next_event_drives_machine_loop():
    pit, clk, edges = make()
    program(pit, 0, 2, 1193)
    t = 0
    count = 0
    while True:
        nxt = pit.next_event(t)
        if nxt > 1193 * 10 + 5:
            break
        t = clk.t = nxt
        pit.tick(t)
        count += 1
    assert count == 10


def test_control_word_write_and_unused_read():
    pit, _, _ = make()
    assert pit.read(0x43) == 0xFF
    pit.write(0x43, 0x3E)  # mode 7 is an alias of mode 3
    assert pit.channels[0].mode == 3


def test_without_clock_time_is_last_tick():
    pit = PIT8253()
    program(pit, 0, 2, 100)
    pit.tick(51)
    assert latch16(pit, 0) == 50


def test_state_round_trip_mid_period():
    pit, clk, _ = make()
    program(pit, 0, 3, 0)
    program(pit, 2, 2, 300)
    clk.t = 12345
    pit.tick(12345)
    pit.write(0x43, 0x80)
    pit.read(0x42)  # half-read latch
    state = json.loads(json.dumps(pit.get_state()))
    clk2 = Clock()
    clk2.t = 12345
    other = PIT8253(clock=clk2)
    other.set_state(state)
    assert other.get_state() == pit.get_state()
    assert other.read(0x42) == pit.read(0x42)
    for t in (12346, 20000, 70000):
        clk.t = clk2.t = t
        assert latch16(other, 0) == latch16(pit, 0)
        assert other.out(2) == pit.out(2)
    assert other.next_event(70000) == pit.next_event(70000)
