"""The machine's clock (engine/clock.py): exact in instructions, restorable, and kept with
the host in the realtime modes."""

import time

from engine.clock import PIT_HZ, VirtualClock


class Counter:
    def __init__(self):
        self.n = 0

    def __call__(self):
        return self.n


def test_time_is_instructions_at_the_fixed_rate():
    cpu = Counter()
    clock = VirtualClock(cpu, ips=330_000, realtime=False, calibrate=False)
    assert clock.now() == 0
    cpu.n = 330_000
    assert clock.now() == PIT_HZ
    assert clock.nanoseconds() == 1_000_000_000


def test_instructions_until_lands_on_the_first_instruction_at_the_time():
    cpu = Counter()
    clock = VirtualClock(cpu, ips=330_000, realtime=False, calibrate=False)
    for start in (0, 1, 7, 12345):
        for target in (start * 4, start * 4 + 1, 99_999, 100_000):
            cpu.n = start
            if clock.now() >= target:
                continue
            cpu.n = start + clock.instructions_until(target)
            assert clock.now() >= target
            cpu.n -= 1
            assert clock.now() < target


def test_warp_moves_forward_only():
    cpu = Counter()
    clock = VirtualClock(cpu, ips=330_000, realtime=False, calibrate=False)
    cpu.n = 1000
    t = clock.now()
    clock.warp(t - 50)
    assert clock.now() == t
    clock.warp(t + 5000)
    assert clock.now() == t + 5000
    cpu.n += 330_000
    assert clock.now() == t + 5000 + PIT_HZ


def test_restored_clock_computes_what_the_first_one_would():
    a, b = Counter(), Counter()
    first = VirtualClock(a, ips=330_000, realtime=False, calibrate=False)
    a.n = 777
    first.warp(first.now() + 12_345)
    a.n = 1001
    second = VirtualClock(b, ips=330_000, realtime=False, calibrate=False)
    b.n = a.n
    second.set_state(first.get_state())
    for n in (1001, 1002, 5003, 10_000_007):
        a.n = b.n = n
        assert first.now() == second.now()


def test_state_saved_at_another_rate_continues_from_its_value():
    a, b = Counter(), Counter()
    fast = VirtualClock(a, ips=1_000_000, realtime=False, calibrate=False)
    a.n = 2_000_000
    slow = VirtualClock(b, ips=330_000, realtime=False, calibrate=False)
    b.n = a.n
    slow.set_state(fast.get_state())
    assert slow.now() == fast.now()
    b.n += 330_000
    assert slow.now() == fast.now() + PIT_HZ


def test_max_speed_follows_the_host_and_never_goes_back():
    cpu = Counter()
    clock = VirtualClock(cpu, ips=330_000, realtime=True, calibrate=True)
    clock.anchor_host()
    seen = clock.now()
    start = time.monotonic()
    while time.monotonic() - start < 0.2:
        cpu.n += 5000
        assert clock.now() >= seen
        seen = clock.now()
        clock.sync()
        assert clock.now() >= seen
        seen = clock.now()
    host = (time.monotonic() - start) * PIT_HZ
    # Calibrated against the host: within a few windows of its clock, ahead or behind.
    assert abs(clock.now() - host) < PIT_HZ * 0.05


def test_an_idle_guest_s_clock_moves_by_the_host_s_sleep():
    cpu = Counter()
    clock = VirtualClock(cpu, ips=330_000, realtime=True, calibrate=False)
    clock.anchor_host()
    cpu.n = 330_000               # a second ahead of the host (a paced guest may be)
    before = clock.now()
    clock.sync(idle=0.01)
    assert clock.now() >= before + int(0.01 * PIT_HZ)


def test_deterministic_clock_ignores_the_host():
    cpu = Counter()
    clock = VirtualClock(cpu, ips=330_000, realtime=False, calibrate=True)
    cpu.n = 330
    clock.sync()
    clock.sync(idle=5.0)
    assert clock.now() == 330 * PIT_HZ // 330_000


def test_a_jump_to_the_host_stops_at_a_watched_moment():
    cpu = Counter()
    clock = VirtualClock(cpu, ips=330_000, realtime=True, calibrate=True)
    clock.anchor_host()
    time.sleep(0.02)                          # the guest is 20 ms behind the host
    watched = clock.now() + 1000
    clock.sync(limit=watched)
    assert clock.now() == watched             # held where the guest watches
    clock.sync(idle=0.001, limit=watched)
    assert clock.now() == watched             # a sleep too
    cpu.n += 1                                # the guest has run on (and seen it): catch up
    clock.sync(limit=watched - 1)
    assert clock.now() >= watched + int(0.019 * PIT_HZ)


def test_the_rate_is_the_threads_time_not_the_host_s_stalls():
    """A thread that did not run (another process had the core) must not make the next
    instructions seem slow: guest time would leap over whole frames per instruction."""
    cpu = Counter()
    clock = VirtualClock(cpu, ips=330_000, realtime=True, calibrate=True)
    clock.anchor_host()
    clock.sync()
    start = time.thread_time()
    while time.thread_time() - start < 0.001:
        cpu.n += 1000
    time.sleep(0.05)                          # stalled 50 ms after 1 ms of work
    while time.thread_time() - start < 0.003:
        cpu.n += 1000
    clock.sync()
    per_instruction = clock.num / clock.den   # PIT clocks
    assert per_instruction * (cpu.n) < 0.01 * PIT_HZ   # ~3 ms of work, not 53 ms
