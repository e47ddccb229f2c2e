"""The machine's own clock: guest time in PIT input clocks, advanced by executed instructions.

Why instructions: a chip asked for "now" in the middle of an IN/OUT (a loop polling the PIT
counter or the CGA retrace bit) must see time move by what the guest did, not by how busy
the host was; and time that is a function of the instruction count can be saved, restored
and replayed. So the clock is piecewise linear in the CPU's instruction count::

    now = base + (instructions - anchor) * num // den        (PIT clocks)

``num/den`` is PIT clocks per instruction. Between slices the machine moves the clock on
without instructions (a halted guest skips to its next event) and keeps it in step with the
host, depending on the mode:

- **deterministic** (``realtime=False``, as QEMU's ``-icount``): the rate is fixed
  (``PIT_HZ / ips``) and time comes from instructions and warps only, so the same state and
  the same inputs give the same outputs. A halted guest warps to its next event at once
  (``speed="xt"`` still sleeps so the guest runs at XT pace).
- **realtime** at ``speed="xt"``: the rate is fixed at the XT's; the machine sleeps when the
  guest is ahead of the host and runs flat out to catch up when it is behind (a lag of more
  than ``MAX_LAG`` is dropped, e.g. after the host stopped the process).
- **realtime** at ``speed="max"``: the CPU runs flat out and the rate is re-measured every
  CALIBRATION_WINDOW (the machine thread's CPU time per instruction), so guest time follows
  the host's; at each sync a clock that fell behind the host jumps forward, one that ran
  ahead slows down (it never goes back). A halted guest's clock moves on by the time the host
  slept. A jump stops at a moment the guest watches for (``sync(limit=)``: the retrace a
  wait loop waits for), so no frame is skipped.

Pauses do not count: ``anchor_host()`` re-ties the host reference after one. ``get_state``
keeps the anchor itself (not the value folded into it), so a restored clock computes exactly
what the uninterrupted one would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

PIT_HZ = 1_193_182
NS_PER_S = 1_000_000_000
MAX_LAG = PIT_HZ // 4          # realtime xt: behind the host by more than this, drop the lag
CALIBRATION_WINDOW = 0.002     # s of host time per re-measurement of the rate at speed max
FIRST_GUESS_IPS = 20_000_000   # speed max before the first measurement


class VirtualClock:
    """Guest time (see the module docstring). ``now()`` is what the chips' ``clock=`` reads."""

    def __init__(self, instructions: Callable[[], int], *, ips: int, realtime: bool,
                 calibrate: bool) -> None:
        self._instructions = instructions
        self.realtime = realtime
        self.calibrate = realtime and calibrate   # max speed: the rate follows the host's
        self.num, self.den = PIT_HZ, FIRST_GUESS_IPS if self.calibrate else ips
        self.base = 0
        self.anchor = instructions()
        self._host_t0 = time.monotonic()
        self._host_base = 0
        self._window: tuple[float, int] | None = None  # calibration: since when, from which

    # ---- reading ---------------------------------------------------------------------------
    def now(self) -> int:
        """Guest time in PIT clocks, exact to the instruction running now."""
        return self.base + (self._instructions() - self.anchor) * self.num // self.den

    def nanoseconds(self) -> int:
        return self.now() * NS_PER_S // PIT_HZ

    def instructions_until(self, t: int) -> int:
        """How many instructions bring the clock to ``t`` (at least 1). Exact: the count
        lands on the first instruction at which ``now() >= t`` whatever instruction it is
        asked from, so slices end at the same instructions in a replay as in the first run."""
        done = self._instructions() - self.anchor
        need = -(-(t - self.base) * self.den // self.num)
        return max(1, need - done)

    # ---- moving it on ----------------------------------------------------------------------
    def _rebase(self, value: int) -> None:
        self.base = value
        self.anchor = self._instructions()

    def warp(self, t: int) -> None:
        """Skip to ``t`` without instructions (a halted guest's next event); never back."""
        if t > self.now():
            self._rebase(t)

    def host_target(self) -> int:
        """Where the host's clock says guest time should be now."""
        return self._host_base + int((time.monotonic() - self._host_t0) * PIT_HZ)

    def anchor_host(self) -> None:
        """Tie the host reference to the clock as it stands (start, resume, restore)."""
        self._host_t0 = time.monotonic()
        self._host_base = self.now()
        self._window = None             # (maybe another thread's): the next sync starts one

    def ahead(self) -> float:
        """Seconds the guest is ahead of the host (negative: behind)."""
        return (self.now() - self.host_target()) / PIT_HZ

    def sync(self, *, idle: float | None = None, limit: int | None = None) -> None:
        """Between slices: keep guest time in step with the host. ``idle``: the guest was
        halted while the host slept that many seconds, so that much guest time passed too.
        ``limit``: a moment the guest is watching for (the retrace a wait loop waits for,
        engine/idle.py): a jump forward stops there rather than skip it, so the guest sees
        every such moment however late the host was; the rest of the lag is made up at a later
        sync, once the guest watches nothing nearer."""
        now, target = self.now(), self.host_target()
        if limit is not None and limit < now:
            limit = None                # passed: the guest has seen it
        if idle is not None:
            if self.realtime:
                value = max(target, now + int(idle * PIT_HZ))
                if limit is not None:
                    value = min(value, limit)
                self._rebase(value)
                if value > target:
                    self.anchor_host()  # it ran ahead (a bounded calibration error): it leads
            self._window = (time.thread_time(), self._instructions())
            return
        if self.calibrate:
            host, instr = time.thread_time(), self._instructions()
            h0, i0 = self._window or (host, instr)
            if self._window is None:
                self._window = (host, instr)
            elif host - h0 >= CALIBRATION_WINDOW and instr > i0:
                # The machine thread's CPU time per instruction over the window, as PIT
                # clocks per 2^32 instructions (integers keep now() exact and cheap). CPU
                # time, not the host's clock: time the thread was not running (another
                # process had the core, another thread the GIL) would make every instruction
                # of the next window seem that much slower, so guest time would leap by
                # milliseconds per instruction and a loop polling the retrace would step
                # over whole frames; that time is made up by the jump below instead.
                rate = (host - h0) * PIT_HZ / (instr - i0)
                self._rebase(now)
                self.num, self.den = max(1, int(rate * (1 << 32))), 1 << 32
                self._window = (host, instr)
            if target > now:
                self._rebase(target if limit is None else min(target, limit))
            elif now > target:
                # Ahead (the rate over-estimated the host's time per instruction): it cannot
                # go back, so it slows down until the host has caught up.
                self._rebase(now)
                self.num = max(1, self.num // 2)
        elif target - now > MAX_LAG:
            self.anchor_host()          # pacing only: the guest's time is not touched

    # ---- state -----------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {"base": self.base, "anchor": self.anchor, "num": self.num, "den": self.den}

    def set_state(self, state: dict[str, Any]) -> None:
        """Take a saved clock; the CPU's instruction count must be restored first (the
        anchor is in its terms)."""
        rate = self.num, self.den
        self.base, self.anchor = int(state["base"]), int(state["anchor"])
        self.num, self.den = int(state["num"]), int(state["den"])
        if not self.calibrate and (self.num, self.den) != rate:
            value = self.now()          # saved at another rate: continue from its value
            self.num, self.den = rate
            self._rebase(value)
        self.anchor_host()
