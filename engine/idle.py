"""Idle detection: a guest that only waits costs the host nothing, and real work is never slowed.

DOS and most DOS programs never HLT while they wait. FreeDOS (kernel 2040, FreeCOM) at its
prompt runs one loop inside the kernel's console read: INT 16h AH=01h (through the CON driver)
and, finding no key, INT 28h, about 190 instructions a turn and nothing else (measured on our
BIOS: tests/engine/test_idle_freedos.py). Other programs poll INT 16h AH=01h/11h, call INT 28h or
INT 2Fh AX=1680h (release time slice), wait for the BIOS tick count at 0040:006Ch to change, or
for a retrace bit on 3DAh/3BAh. Each of those is treated here like HLT: the machine sleeps until
the next chip event (a timer tick, a key, a serial byte) or host input, and guest time goes on.

Three detectors, each cheap enough to leave on:

- **Polls** (INT 16h AH=01h/11h that found no key, INT 28h, INT 2Fh AX=1680h): the CPU counts
  them and how many came in a row at most POLL_GAP instructions apart (engine/cpu). A guest
  whose last POLL_STREAK polls were that close, and which has not run POLL_GAP instructions
  since the last, is waiting: it does almost nothing but ask. The signal is the guest's
  behaviour over time, not the polls themselves: a program that polls between chunks of real
  work (a game, every frame) has gaps of its chunk's size and is never put to sleep, and the
  first long gap ends an idle spell. While idle the CPU stops at each poll (``break_on_poll``),
  so after a wake-up the guest sleeps again at its first poll instead of spinning for a slice.
- **Spins** on memory (``cmp ax,[es:6Ch] / je``, waiting for a flag an interrupt handler sets,
  ``jmp $``): at a slice's end, when every register but IP is what it was at the previous
  slice's end and the slice did no I/O, the loop is stepped once round; if that came back to the
  same place with the same registers, the same memory and no I/O, the loop is a fixed point that
  only an interrupt can leave, so sleeping until the next interrupt skips only iterations the
  guest cannot tell apart. A calibration loop that counts (Turbo Pascal's CRT does) changes a
  register or memory and is left alone. A failed check backs off, so it costs real work nothing.
- **Retrace waits**: a read of the display status port inside ``IN AL,DX / TEST|AND AL,mask /
  JZ|JNZ back`` (optionally with ``MOV DX,port`` inside the loop) that will loop again sleeps
  until the moment ``status & mask`` changes (the chip says when). Only waits of at least
  RETRACE_MIN are slept (the wait for a vertical retrace, and for its end: ~1 ms); the short
  per-line ones are cheaper to spin. The moment such a loop waits for is also ``watch``: the
  machine's clock never jumps past it when it catches up with the host (engine/clock.py
  ``sync(limit=)``), after a sleep the host overslept or a slice the host was slow to run, so
  a guest pacing itself on the vertical retrace sees every frame (59.92 a guest second),
  exactly as when it spins on real hardware.

The account of idle time (``stats``, ``share``) covers HLT too: what `xtbox vm status` shows.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass
from typing import Any

POLL_GAP = 2_000
"""Instructions between two polls that still count as "almost no other work": FreeDOS's loop
is ~190, loops with a mouse driver or a clock on screen a few hundred more; a game's frame of
work is thousands to hundreds of thousands."""
POLL_STREAK = 8
"""Polls in a row at most POLL_GAP apart before the guest counts as waiting."""
SPIN_WINDOW = 64
"""A spinning loop's IP stays within this many bytes, and one turn of it within SPIN_STEPS
instructions."""
SPIN_STEPS = 64
BACKOFF_MAX = 64
"""After a failed check, skip up to this many chances before the next (doubling)."""
POLL_RETRIES = 2
"""Comparisons in a row that an interrupt spoilt before the check counts as failed."""
POLL_PLACES = 4
"""Polls in one turn of a loop at most (DOS alternates INT 16h and INT 28h); engine/cpu keeps
the same number of places."""
RETRACE_MIN = 600  # PIT clocks (0.5 ms): shorter (per-line) retrace waits are spun
KINDS = ("hlt", "poll", "spin", "retrace")
SHARE_WINDOW = 1.0


@dataclass
class Wait:
    """A wait the machine should sleep through: until the next chip event, or ``until`` (then
    exactly: the machine does not wake early, and the clock stops there, ``watch``)."""

    kind: str
    until: int | None = None


HALT = Wait("hlt")


class IdleMonitor:
    """Watches one machine's CPU and display status port; see the module docstring."""

    def __init__(self, cpu: Any, bus: Any, video: Any, clock: Any, status_port: int) -> None:
        self.cpu = cpu
        self.bus = bus
        self.video = video
        self.clock = clock
        self.status_port = status_port
        cpu.poll_gap_limit = POLL_GAP
        bus.tap_read(status_port, self._status_read)
        self._pending: Wait | None = None
        self.watch: int | None = None
        """The moment (PIT clocks) the guest's retrace-wait loop waits for, None when it is in
        none: the clock's catch-up with the host stops there (engine/clock.py)."""
        self._ref: tuple[dict, int] | None = None
        self._ref_polls = 0
        self._poll_skip = 0
        self._poll_backoff = 1
        self._poll_retries = 0
        self._spin_io = -1
        self._spin_skip = 0
        self._spin_backoff = 1
        self.sleeps = dict.fromkeys(KINDS, 0)
        self.seconds = dict.fromkeys(KINDS, 0.0)
        self._spells: collections.deque[tuple[float, float]] = collections.deque()
        self._lock = threading.Lock()

    # ---- the run loop's hook ---------------------------------------------------------------
    def after_run(self, ran: int, budget: int) -> Wait | None:
        """Called after each ``cpu.run(budget)`` that did not end halted: the wait to sleep
        through, or None to go on running."""
        cpu = self.cpu
        at_poll = cpu.take_poll_break()
        pending, self._pending = self._pending, None
        if pending is not None:
            return pending
        if at_poll:
            return self._at_poll()
        if cpu.break_on_poll:
            if cpu.instructions - cpu.last_poll > POLL_GAP:
                self._disarm()                          # working without polling
            return None
        if ran < budget:
            return None
        if cpu.poll_streak_length >= POLL_STREAK and cpu.instructions - cpu.last_poll <= POLL_GAP:
            if self._poll_skip:
                self._poll_skip -= 1
            else:
                cpu.break_on_poll = True                # check at the next poll
            return None
        return self._spin_check()

    def _state(self) -> dict:
        state = self.cpu.get_state()
        state.pop("instructions")
        return state

    def _at_poll(self) -> Wait | None:
        """The CPU stopped at a poll: take the reference state, or compare with it when the loop
        is back at the reference's place. Equal registers, memory and no I/O: a pure wait."""
        cpu = self.cpu
        if cpu.poll_streak_length < POLL_STREAK:
            self._disarm()                              # the streak broke: real work
            return None
        if self._ref is None:
            self._ref = (self._state(), self.bus.io_count)
            self._ref_polls = POLL_PLACES
            cpu.snapshot_memory()
            return None
        state, io = self._ref
        if self._state() != state:
            self._ref_polls -= 1
            if self._ref_polls <= 0:
                self._poll_failed()
            return None
        if self.bus.io_count != io and self._poll_retries < POLL_RETRIES:
            # An interrupt came in between (the timer tick a wake-up arrived just before):
            # no verdict; start again from here.
            self._poll_retries += 1
            self._ref = None
            return self._at_poll()
        if self.bus.io_count == io and cpu.memory_unchanged():
            self._ref = None                            # a fresh reference after the wake-up
            self._poll_backoff = 1
            self._poll_retries = 0
            return Wait("poll")
        self._poll_failed()
        return None

    def _disarm(self) -> None:
        self.cpu.break_on_poll = False
        self._ref = None

    def _poll_failed(self) -> None:
        self._disarm()
        self._poll_retries = 0
        self._poll_skip = self._poll_backoff
        self._poll_backoff = min(2 * self._poll_backoff, BACKOFF_MAX)

    def _spin_check(self) -> Wait | None:
        io = self.bus.io_count
        quiet = io == self._spin_io
        self._spin_io = io
        if not self.cpu.same_place(SPIN_WINDOW) or not quiet:
            return None
        if self._spin_skip:
            self._spin_skip -= 1
            return None
        if self._fixed_point():
            self._spin_backoff = 1
            self._spin_io = self.bus.io_count
            return Wait("spin")
        self._spin_skip = self._spin_backoff
        self._spin_backoff = min(2 * self._spin_backoff, BACKOFF_MAX)
        return None

    def _fixed_point(self) -> bool:
        """Step the loop once round: whether it came back to where it was with every register
        and every byte of memory unchanged and no I/O (then only an interrupt can end it)."""
        cpu = self.cpu
        before = self._state()
        cpu.snapshot_memory()
        io = self.bus.io_count
        place = (before["cs"], before["ip"])
        for _ in range(SPIN_STEPS):
            if not cpu.step() or cpu.halted:
                return False
            if (cpu.get_reg("cs"), cpu.get_reg("ip")) == place:
                break
        else:
            return False
        return self._state() == before and self.bus.io_count == io and cpu.memory_unchanged()

    def _status_read(self, port: int, value: int) -> None:
        """A read of the display status port: is it a pure retrace-wait loop that will go on
        looping, and for long? Then stop the CPU and sleep until the bits change."""
        cpu = self.cpu
        cs, ip = cpu.get_reg("cs"), cpu.get_reg("ip")
        mem = cpu.mem
        base = cs << 4

        def byte(offset: int) -> int:
            return mem[(base + (offset & 0xFFFF)) & 0xFFFFF]

        if byte(ip - 1) != 0xEC:                       # IN AL,DX just ran
            return
        op, mask, jcc, rel = byte(ip), byte(ip + 1), byte(ip + 2), byte(ip + 3)
        if op not in (0xA8, 0x24) or jcc not in (0x74, 0x75):   # TEST/AND AL,imm ; JZ/JNZ
            return
        target = (ip + 4 + (rel - 256 if rel > 127 else rel)) & 0xFFFF
        in_at = (ip - 1) & 0xFFFF
        mov_dx = (byte(in_at - 3), byte(in_at - 2), byte(in_at - 1))
        if target != in_at and not (target == (in_at - 3) & 0xFFFF
                                    and mov_dx == (0xBA, port & 0xFF, port >> 8)):
            return
        now = self.clock()
        when = self.video.status_changes_at(now, mask)
        # The next change is watched even when this read ends the loop: the guest waits for
        # the other edge next (the end of the retrace, then the next one).
        self.watch = when
        if ((value & mask) == 0) != (jcc == 0x74):
            return                                      # this read ends the loop
        if when is None or when - now >= RETRACE_MIN:
            self._pending = Wait("retrace", when)
            cpu.request_stop()

    # ---- saved state -----------------------------------------------------------------------
    def get_state(self) -> dict:
        """What a resumed machine needs to go on as this one would: the moment the guest's
        retrace wait watches (guest time: the resumed clock's first catch-up must stop there
        too) and the account, so `vm status` continues. The detection in progress (a
        reference state, back-offs, the CPU's poll streak) is not kept: it is rebuilt within
        POLL_STREAK polls or one slice, before the guest could tell."""
        with self._lock:
            return {"watch": self.watch, "sleeps": dict(self.sleeps),
                    "seconds": dict(self.seconds)}

    def set_state(self, state: dict) -> None:
        """Take a saved state (``{}``: one saved before the detector kept any: a fresh start)."""
        self.reset()
        watch = state.get("watch")
        self.watch = None if watch is None else int(watch)
        with self._lock:
            for kind in KINDS:
                self.sleeps[kind] = int(state.get("sleeps", {}).get(kind, 0))
                self.seconds[kind] = float(state.get("seconds", {}).get(kind, 0.0))
            self._spells.clear()

    def reset(self) -> None:
        """Forget the detection in progress (the account stays: it is the host's)."""
        self._pending = None
        self.watch = None
        self._disarm()
        self._poll_skip = self._spin_skip = self._poll_retries = 0
        self._poll_backoff = self._spin_backoff = 1
        self._spin_io = -1

    # ---- the account -----------------------------------------------------------------------
    def slept(self, kind: str, start: float, end: float) -> None:
        """Record a sleep of the guest (host monotonic seconds), HLT included."""
        with self._lock:
            self.sleeps[kind] += 1
            self.seconds[kind] += end - start
            self._spells.append((start, end))
            while self._spells and self._spells[0][1] < end - 4 * SHARE_WINDOW:
                self._spells.popleft()

    def share(self, now: float | None = None) -> float:
        """The fraction of the last second the guest spent idle (asleep)."""
        now = time.monotonic() if now is None else now
        since = now - SHARE_WINDOW
        with self._lock:
            spells = list(self._spells)
        total = sum(max(0.0, min(end, now) - max(start, since)) for start, end in spells)
        return min(1.0, total / SHARE_WINDOW)

    def stats(self) -> dict:
        """Idle share of the last second, polls seen, and sleeps and seconds asleep by kind."""
        share = self.share()
        with self._lock:
            return {"share": round(share, 3), "polls": self.cpu.polls,
                    "sleeps": dict(self.sleeps),
                    "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}
