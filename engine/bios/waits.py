"""Services that wait for hardware (INT 14h's UART, INT 17h's printer), waiting in guest time.

The IBM BIOS polls a status port until the bits it wants appear or the port's timeout in the
BIOS data area (40:7Ch for COM1-4, 40:78h for LPT1-4) runs out: an outer loop of that many
counts around an inner loop of 65,536 polls (WAIT_FOR_STATUS; a count of 0 is 256). Our
services run on the host inside one trap, where no guest time passes, so a poll loop there
never sees the hardware move: the UART's transmitter empties and its receiver fills only as
guest time runs. So a service checks once; when the hardware is not ready it asks ``until``,
which remembers the step it waits at and its deadline, points the caller at the ROM's
``hw_wait`` loop (STI, HLT, trap again; rom.asm) and arms a wake-up for the moment the hardware
will next move when the service knows it (the transmitter emptying, a byte in flight
arriving), else the deadline. The machine sleeps until then, as it does in INT 16h's wait: a
waiting `copy com1 FILE` costs nothing. Whatever else wakes the machine (a byte or modem change
from the host, which wakes it at once; a timer tick) wakes the CPU from that HLT too
(``tick``), and the service runs again from the top: so it sees a byte at once without
re-checking every millisecond. A service must therefore change nothing the caller sees before its last
``until`` has passed: writing control registers again is fine, reading data or returning
registers is not.

    WAITING = {0x14, 0x17}                   # engine/bios/__init__.py: vectors that may wait
    def int14(self, r):                      # called on the first trap and each retry
        ready = waits.until(1, bool(lsr & THRE), timeout_count)
        if ready is None: return             # waiting: the caller's registers untouched
        if not ready: ...time-out result...  # the deadline passed
        ...the result...

A wait in progress is keyed by the caller's SS:SP, so a service called again from an interrupt
handler while another call waits gets its own deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.bios import layout
from engine.bios.regs import Regs

# One count of the IBM timeout: 65,536 polls of a ~37-clock loop on a 4.77 MHz XT (~0.5 s),
# in PIT clocks (the CPU clock / 4).
COUNT = 65536 * 37 // 4


class Waits:
    def __init__(self, bios: Any) -> None:
        self.bios = bios
        self.jobs: dict[tuple[int, int], list[int]] = {}   # (ss, sp) -> [vector, step, deadline]
        self.wake_at: int | None = None
        self._key: tuple[int, int] | None = None
        self._vector = 0
        self._waiting = False

    def call(self, r: Regs, vector: int, handler: Callable[[Regs], None]) -> None:
        """Run a service that may wait (its first trap, from the vector's stub)."""
        key = (r.ss, r.sp)
        self.jobs.pop(key, None)
        self._run(r, key, vector, handler, again=False)

    def retry(self, r: Regs, handlers: dict[int, Callable[[Regs], None]]) -> None:
        """``hw_wait`` traps again: run the waiting service from the top."""
        key = (r.ss, r.sp)
        job = self.jobs.get(key)
        if job is None or job[0] not in handlers:   # nothing known of it (a reset between)
            r.live_carry(False)
            return
        self._run(r, key, job[0], handlers[job[0]], again=True)

    def _run(self, r: Regs, key: tuple[int, int], vector: int,
             handler: Callable[[Regs], None], again: bool) -> None:
        self._key, self._vector, self._waiting = key, vector, False
        try:
            handler(r)
        except Exception:
            self.jobs.pop(key, None)          # a failed call ends its wait (and is reported)
            r.live_carry(False)
            raise
        if self._waiting:
            if not again:
                r.set(cs=layout.ROM_SEGMENT, ip=layout.HW_WAIT)
            r.live_carry(True)
        else:
            self.jobs.pop(key, None)
            r.live_carry(False)

    def until(self, step: int, ready: bool, count: int,
              next_change: int | None = None) -> bool | None:
        """True when ``ready``; else None while step ``step`` (numbered in the order the
        service waits) is within ``count`` timeout counts of when it started waiting, False once
        that has passed. ``next_change``: the earliest moment (PIT clocks) the condition could
        change, when the service knows it; otherwise it is re-checked when something wakes the
        machine (host input, a timer tick) and at the deadline."""
        if ready:
            return True
        now = self.bios.machine.now()
        job = self.jobs.get(self._key)
        if job is None or job[1] != step:
            job = [self._vector, step, now + (count or 256) * COUNT]
            self.jobs[self._key] = job
        deadline = job[2]
        if now >= deadline:
            return False
        self._waiting = True
        wake = deadline if next_change is None else min(deadline, max(now + 1, next_change))
        self.wake_at = wake if self.wake_at is None else min(self.wake_at, wake)
        return None

    # ---- the machine's side: a timed device ------------------------------------------------
    def next_event(self, now: int) -> int | None:
        return self.wake_at

    def tick(self, now: int) -> None:
        """The machine woke (its wake-up, another event, host input): a service waiting in
        ``hw_wait`` asks again (and arms its next wake-up)."""
        if self.wake_at is not None and now >= self.wake_at:
            self.wake_at = None
        if not self.jobs:
            return
        cpu = self.bios.machine.cpu
        if cpu.halted and cpu.get_reg("cs") == layout.ROM_SEGMENT \
                and cpu.get_reg("ip") == layout.HW_WAIT_HALTED:
            self.wake_at = None
            cpu.wake()

    def reset(self) -> None:
        self.jobs.clear()
        self.wake_at = None

    def get_state(self) -> dict:
        return {"jobs": [[ss, sp, *job] for (ss, sp), job in self.jobs.items()],
                "wake_at": self.wake_at}

    def set_state(self, state: dict) -> None:
        self.jobs = {(ss, sp): [vector, step, deadline]
                     for ss, sp, vector, step, deadline in state.get("jobs", [])}
        self.wake_at = state.get("wake_at")
