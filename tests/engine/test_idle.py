"""Idle detection (engine/idle.py) through the machine's counters, with our guest of each wait
(tests/guests/idle_waits.asm) and real FreeDOS at its prompt.

Nothing here times the host: a waiting guest must sleep (the idle account's sleeps grow by the
kind of wait) and run few instructions per BIOS tick while ticks still come; a working guest
must never sleep; a key must end every wait."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from engine.chips.cga import CGA
from engine.idle import POLL_GAP
from engine.machine import Machine, MachineConfig
from tests.dos_images import copy_floppy, needs_dos_floppy

GUEST = Path(__file__).resolve().parents[1] / "guests" / "idle_waits.img"
TIMEOUT = 60
SPINNING = 200_000
"""Instructions per BIOS tick above which a guest is spinning rather than sleeping: a spin runs
millions per tick even on a slow host; a sleeping guest runs its handful once per wake-up."""


def word(m: Machine, address: int) -> int:
    return m.cpu.mem[address] | m.cpu.mem[address + 1] << 8


def wait_for(condition, what: str) -> None:
    end = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.02)


class Running:
    """A machine on its own thread, stopped and closed at the end."""

    def __init__(self, config: MachineConfig) -> None:
        self.machine = Machine(config)
        self.thread = threading.Thread(target=self.machine.run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.machine.stop()
        self.thread.join(TIMEOUT)
        self.machine.close()


@pytest.fixture
def guest(tmp_path):
    image = tmp_path / "idle_waits.img"
    shutil.copy(GUEST, image)
    running = Running(MachineConfig(fda=str(image)))
    yield running.machine
    running.close()


def start_mode(m: Machine, mode: int) -> None:
    wait_for(lambda: "mode 1-9?" in "".join(m.text_screen().text_lines()), "the prompt")
    m.type_text(str(mode))
    wait_for(lambda: word(m, 0x500) == mode, f"mode {mode} to start")


def watch(m: Machine, ticks: int = 6) -> tuple[int, dict, dict]:
    """Instructions per tick over ``ticks`` BIOS ticks, and the idle account before/after."""
    before = m.idle.stats()
    t0, i0 = word(m, 0x46C), m.cpu.instructions
    wait_for(lambda: (word(m, 0x46C) - t0) & 0xFFFF >= ticks, f"{ticks} timer ticks")
    t1, i1 = word(m, 0x46C), m.cpu.instructions
    return (i1 - i0) // ((t1 - t0) & 0xFFFF), before, m.idle.stats()


@pytest.mark.parametrize("mode, kind", [(1, "poll"), (2, "poll"), (3, "poll"), (4, "poll"),
                                        (5, "hlt"), (6, "spin"), (7, "retrace")],
                         ids=["int16-01", "int16-11", "int28", "int2f-1680", "hlt", "ticks",
                              "retrace"])
def test_a_waiting_guest_sleeps_and_wakes_on_a_key(guest, mode, kind):
    start_mode(guest, mode)
    per_tick, before, after = watch(guest)
    assert after["sleeps"][kind] - before["sleeps"][kind] >= 3     # it sleeps, tick after tick
    assert per_tick < SPINNING
    if mode in (6, 7):
        assert word(guest, 0x502) >= 6          # it saw every tick / frame go by meanwhile
    guest.type_text("x")
    wait_for(lambda: guest.exit_status is not None, "the guest to see the key")
    assert guest.exit_status == (mode << 1) | 1       # isa-debug-exit


def test_work_between_polls_is_never_put_to_sleep(guest):
    start_mode(guest, 8)
    host_calls = []
    int16 = guest.bios.keyboard.int16
    guest.bios.keyboard.int16 = lambda r: (host_calls.append(r.ah), int16(r))
    per_tick, before, after = watch(guest)
    assert after["polls"] - before["polls"] > 100      # it polls all the time...
    assert after["sleeps"] == before["sleeps"]         # ...and is never slept, in any way
    assert after["seconds"] == before["seconds"]
    assert per_tick > SPINNING
    # Each poll is answered in the ROM (int16_peek), with no trip to the host: a program that
    # polls between chunks of work pays a few instructions per poll, not a Python call.
    assert host_calls == []
    guest.type_text("x")
    wait_for(lambda: guest.exit_status is not None, "the guest to see the key")
    assert guest.exit_status == (8 << 1) | 1


def test_polls_close_together_that_do_work_are_not_idle():
    """What FreeDOS does while it boots: a Ctrl-C check (an empty INT 16h poll) with the same
    registers every ~1,300 instructions of work on memory. The streak grows, but the state is
    not a fixed point, so the poll detector must not sleep."""
    from engine.cpu import CPU
    from engine.idle import IdleMonitor

    class Bus:
        io_count = 0

        def tap_read(self, port, observer):
            pass

    cpu = CPU()
    # 0000:0100: work on memory (mov ax,[600h]; inc ax; mov [600h],ax), xor ax,ax (the same
    # registers and flags at every poll), INT 28h, loop
    code = bytes([0xA1, 0x00, 0x06, 0x40, 0xA3, 0x00, 0x06, 0x31, 0xC0, 0xCD, 0x28, 0xEB, 0xF3])
    cpu.mem[0x100:0x100 + len(code)] = code
    cpu.mem[0x28 * 4:0x28 * 4 + 4] = bytes([0x00, 0x02, 0, 0])
    cpu.mem[0x200] = 0xCF                                  # IRET
    cpu.set_reg("sp", 0x8000)
    cpu.set_reg("ip", 0x100)
    monitor = IdleMonitor(cpu, Bus(), CGA(), lambda: 0, status_port=0x3DA)
    waits = []
    for _ in range(200):
        ran = cpu.run(1000)
        waits.append(monitor.after_run(ran, 1000))
    assert cpu.poll_streak_length > 100                     # close polls, same registers
    assert not any(waits)
    # The same loop without the work is a pure wait, found within a few runs.
    cpu.mem[0x100:0x107] = bytes([0x90] * 7)
    found = [monitor.after_run(cpu.run(1000), 1000) for _ in range(200)]
    assert any(w is not None and w.kind == "poll" for w in found)


def test_a_long_gap_breaks_the_poll_streak():
    from engine.cpu import CPU
    cpu = CPU()
    cpu.poll_gap_limit = POLL_GAP
    # INT 28h; MOV CX,n; LOOP $; JMP start: polls n + 3 instructions apart
    for n, grows in ((10, True), (POLL_GAP + 10, False)):
        code = bytes([0xCD, 0x28, 0xB9, n & 0xFF, n >> 8, 0xE2, 0xFE, 0xEB, 0xF7])
        cpu.mem[0x100:0x100 + len(code)] = code
        cpu.mem[0x28 * 4:0x28 * 4 + 4] = bytes([0x00, 0x02, 0, 0])
        cpu.mem[0x200] = 0xCF
        cpu.set_reg("sp", 0x8000)
        cpu.set_reg("ip", 0x100)
        cpu.run(20 * (n + 5))
        assert (cpu.poll_streak_length > 10) == grows


def test_cga_status_change_time_is_exact():
    cga = CGA()
    for mask in (0x01, 0x08, 0x09, 0x10):
        for t in range(0, 262 * 76 * 2, 37):
            when = cga.status_changes_at(t, mask)
            now = cga.status_at(t) & mask
            if when is None:
                assert mask & 0x09 == 0
                continue
            assert cga.status_at(when) & mask != now
            assert all(cga.status_at(x) & mask == now for x in range(t + 1, when, 7))


@needs_dos_floppy
def test_freedos_at_its_prompt_sleeps_and_answers(tmp_path):
    running = Running(MachineConfig(fda=str(copy_floppy(tmp_path))))
    m = running.machine
    try:
        wait_for(lambda: any(line.startswith("A:\\>") for line in m.text_screen().text_lines()),
                 "the A:\\> prompt")
        per_tick, before, after = watch(m)
        assert after["sleeps"]["poll"] - before["sleeps"]["poll"] >= 3
        assert per_tick < SPINNING
        m.type_text("echo woken\r")
        wait_for(lambda: any(line.startswith("woken") for line in m.text_screen().text_lines()),
                 "DOS to answer")
    finally:
        running.close()


# ---- the retrace: every frame, however late the host --------------------------------------
FRAME = 262 * 76            # PIT clocks per CGA frame (engine/chips/cga.py): 59.92 a second


class LateWake(threading.Event):
    """The machine's wake-up event on a loaded host: every sleep lasts 3 ms longer than asked
    (longer than the vertical sync, ~1 ms, the guest waits for)."""

    def wait(self, timeout=None):
        woken = super().wait(timeout)
        if not woken:
            time.sleep(0.003)
        return woken


class StallingMachine(Machine):
    """A host that takes the core away: every third slice, the thread stops for 4 ms before
    its next slice (as when another process runs), so the clock has to catch up."""

    _slices = 0

    def run_slice(self, limit=20_000):
        result = super().run_slice(limit)
        self._slices += 1
        if self._slices % 3 == 0:
            time.sleep(0.004)
        return result


def paused_reading(m: Machine) -> tuple[int, int, dict]:
    """Frames the guest counted, guest time and the idle account, read with the machine
    paused (so the three belong together)."""
    m.pause()
    wait_for(lambda: m.state == "paused", "the pause")
    reading = word(m, 0x502) | word(m, 0x504) << 16, m.clock.now(), m.idle.stats()
    m.resume()
    return reading


@pytest.mark.parametrize("host", ["late-wake", "stalls"])
def test_a_retrace_paced_guest_sees_every_frame(tmp_path, host):
    """Mode 7 counts each vertical retrace it sees. Over a stretch of guest time it must count
    exactly the frames the CGA showed (to one: where the stretch starts), whether the idle
    sleep ends late (late-wake: it sleeps through each frame's wait) or the host takes the core
    away in the middle of slices (stalls). Before the fix it saw 33 of 60 a second."""
    image = tmp_path / "idle_waits.img"
    shutil.copy(GUEST, image)
    kind = StallingMachine if host == "stalls" else Machine
    m = kind(MachineConfig(fda=str(image)))
    if host == "late-wake":
        m._wake = LateWake()
    thread = threading.Thread(target=m.run, daemon=True)
    thread.start()
    try:
        start_mode(m, 7)
        frames0, t0, idle0 = paused_reading(m)
        wait_for(lambda: m.clock.now() - t0 >= 90 * FRAME, "90 frames of guest time")
        frames1, t1, idle1 = paused_reading(m)
        shown = (t1 - t0) / FRAME
        assert abs((frames1 - frames0) - shown) <= 1, (frames1 - frames0, shown)
        slept = idle1["sleeps"]["retrace"] - idle0["sleeps"]["retrace"]
        # It slept through the frames' waits (with stalls, some waits are the clock catching up).
        assert slept >= (frames1 - frames0) // (2 if host == "late-wake" else 4)
    finally:
        m.stop()
        thread.join(TIMEOUT)
        m.close()


# ---- save and resume --------------------------------------------------------------------
@pytest.mark.parametrize("mode, kind", [(1, "poll"), (7, "retrace")], ids=["poll", "retrace"])
def test_idleness_is_detected_as_before_after_resume(tmp_path, mode, kind):
    """A state saved while the guest waits resumes in a new machine that sleeps through the
    same wait at once, keeps the idle account, and wakes on a key; the retrace guest still
    counts every frame (the watched moment is in the state)."""
    image = tmp_path / "idle_waits.img"
    shutil.copy(GUEST, image)
    first = Running(MachineConfig(fda=str(image)))
    try:
        start_mode(first.machine, mode)
        _, _, idle = watch(first.machine, ticks=3)
        assert idle["sleeps"][kind] > 0
        first.machine.pause()
        wait_for(lambda: first.machine.state == "paused", "the pause")
        state = first.machine.get_state()
    finally:
        first.close()
    assert state["idle"]["sleeps"][kind] >= idle["sleeps"][kind]
    m = Machine(MachineConfig(fda=str(image)))
    m.set_state(state)
    assert m.idle.stats()["sleeps"] == state["idle"]["sleeps"]       # the account goes on
    thread = threading.Thread(target=m.run, daemon=True)
    thread.start()
    try:
        frames0, t0, idle0 = paused_reading(m)
        per_tick, before, after = watch(m)
        assert after["sleeps"][kind] - idle0["sleeps"][kind] >= 3     # asleep again at once
        assert per_tick < SPINNING
        if mode == 7:
            frames1, t1, _ = paused_reading(m)
            assert abs((frames1 - frames0) - (t1 - t0) / FRAME) <= 1
        m.type_text("x")
        wait_for(lambda: m.exit_status is not None, "the resumed guest to see the key")
        assert m.exit_status == (mode << 1) | 1
    finally:
        m.stop()
        thread.join(TIMEOUT)
        m.close()


# ---- waking: at once, not at the next tick ------------------------------------------------
TICK = 65536                 # PIT clocks between BIOS timer ticks (~55 ms)


@pytest.mark.parametrize("what", ["key", "serial-byte"])
def test_a_key_or_a_serial_byte_wakes_an_idle_guest_at_once(tmp_path, what):
    """The guest sleeps in its poll wait until the next timer tick; input from the host must
    end that sleep at once. Given just after a tick, it must be taken in well under the ~55 ms
    of guest time the sleep would otherwise last (the timer tick itself wakes it every tick:
    test_a_waiting_guest_sleeps_and_wakes_on_a_key sees the ticks go on)."""
    from engine.chips.serial_backend import MemoryBackend
    image = tmp_path / "idle_waits.img"
    shutil.copy(GUEST, image)
    m = Machine(MachineConfig(fda=str(image)))
    backend = MemoryBackend()
    taken: list[int] = []
    read = backend.read

    def read_and_note() -> bytes:
        data = read()
        if data and not taken:
            taken.append(m.clock.now())
        return data

    backend.read = read_and_note
    m.uarts[0].backend = backend
    backend.on_input = m._wake.set
    thread = threading.Thread(target=m.run, daemon=True)
    thread.start()
    try:
        start_mode(m, 1)
        _, before, after = watch(m, ticks=3)
        assert after["sleeps"]["poll"] > before["sleeps"]["poll"]    # asleep in its polls
        tick = word(m, 0x46C)
        wait_for(lambda: word(m, 0x46C) != tick, "a timer tick")
        given = m.clock.now()
        if what == "key":
            m.type_text("x")
            wait_for(lambda: m.exit_status is not None, "the guest to see the key")
            took = m.clock.now() - given
        else:
            backend.feed(b"Z")
            backend.on_input()
            wait_for(lambda: taken, "the byte to be taken")
            took = taken[0] - given
        assert took < TICK // 2, f"{took} PIT clocks"
    finally:
        m.stop()
        thread.join(TIMEOUT)
        m.close()
