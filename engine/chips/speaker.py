"""The PC speaker: PIT channel 2's OUT, gated by port 61h, turned into samples in virtual time.

On the PC the speaker is driven by ``OUT2 AND (port 61h bit 1)``; bit 0 is channel 2's GATE.
Programs play tones with the PIT (mode 3 square wave, both bits set) or drive the cone
themselves, toggling bit 1 with the gate low (OUT2 then stays high): PWM and "sampled"
sound. Both reach this model the same way: the PPI and the PIT call ``changing(now)`` just
before a change that can move the cone (a port 61h write touching bits 0-1, any write to
channel 2), and the speaker first renders everything up to that moment under the old state.
Between changes the level is a pure function of time (the PIT is lazy: ``out(t)``), so no
per-clock work is ever done, and the output depends only on the virtual clock: pitch and
duration are right at any CPU speed.

Rendering: each sample is the average level over its interval (a box filter, computed
exactly for a square wave, which keeps high notes from aliasing), through a DC-blocking
high-pass as the speaker's coupling does (a cone held out is silent). Once the level has been
constant long enough for that filter to settle, the speaker is *quiet*: it computes nothing,
and the sink is told where the sound resumes (a WAV gets the gap as zeros in one write).
Without a sink (``--speaker none``) nothing is rendered at all.

Sinks (engine/sound/) receive ``write(first_sample, samples)`` (16-bit signed, ``rate`` Hz,
sample 0 at the speaker's creation), ``sound(on, at)`` when the speaker starts or stops sounding at sample ``at``
(the terminal bell), and ``close(end_sample)``; ``live`` sinks (the host's audio device) get
samples at least every RENDER_PERIOD through ``next_event``.
"""

from __future__ import annotations

from array import array
from typing import Any, Protocol

from engine.chips.base import PIT_HZ, Chip, Clock

RATE = 22_050
AMPLITUDE = 20_000
DC_KEEP = 0.995             # high-pass pole: ~18 Hz at 22 kHz
QUIET_LEVEL = 0.5 / AMPLITUDE  # filter output below half an LSB: silence
RENDER_PERIOD = PIT_HZ // 100  # live sinks get samples every 10 ms of virtual time


class Sink(Protocol):
    rate: int
    live: bool

    def write(self, first: int, samples: array) -> None: ...
    def sound(self, on: bool, at: int) -> None: ...
    def close(self, end: int) -> None: ...


class PCSpeaker(Chip):
    """See the module docstring. ``timer`` is the PIT (channel 2 is read, never changed)."""

    name = "speaker"

    def __init__(self, timer: Any, *, clock: Clock | None = None, sink: Sink | None = None
                 ) -> None:
        super().__init__(clock=clock)
        self.timer = timer
        self.sink = sink
        self.rate = sink.rate if sink is not None else RATE
        self.data_bit = False            # port 61h bit 1
        self.origin = self.now()         # virtual time of sample 0
        self.changes = 0                 # state changes seen (PWM toggles count here)
        self.sounding = False
        self._n = 0                      # next sample to finish
        self._acc = 0.0                  # level x clocks gathered for sample _n so far
        self._acc_from = self.origin     # ... up to this time
        self._x = 0.0                    # filter input and output of the last sample
        self._y = 0.0
        self._out = array("h")

    def reset(self) -> None:
        self.changing(self.now())
        self.data_bit = False

    # ---- what the PPI and the PIT call -----------------------------------------------------
    def set_data(self, on: bool, now: int | None = None) -> None:
        """Port 61h bit 1 (called before the PPI applies bit 0, GATE2, itself)."""
        now = self.now() if now is None else now
        self.changing(now)
        self.data_bit = bool(on)

    def changing(self, now: int) -> None:
        """The cone's drive is about to change at ``now``: render up to there first."""
        self.changes += 1
        if self.sink is not None:
            self._render(now)

    # ---- time ------------------------------------------------------------------------------
    def tick(self, now: int) -> None:
        super().tick(now)
        if self.sink is not None and (self.sounding or self._constant() is None):
            self._render(now)

    def next_event(self, now: int) -> int | None:
        if self.sink is None or not self.sink.live or not self.sounding:
            return None
        return now + RENDER_PERIOD

    def close(self) -> None:
        if self.sink is not None:
            self._render(self.now())
            self._flush()
            self.sink.close(self._n)

    # ---- the level as a function of time ---------------------------------------------------
    def _constant(self) -> bool | None:
        """The level while nothing changes, if it stays constant from now on; else None."""
        if not self.data_bit:
            return False
        ch = self.timer.channels[2]
        if not ch.armed:
            return ch.mode != 0
        if ch.mode in (2, 3):
            return True if not ch.gate else None
        if ch.mode in (0, 1) and ch.frozen is None:
            edge = ch.start + ch.n
            return True if self._acc_from >= edge else None
        return ch.out(self._acc_from)    # modes 4/5 (a one-clock strobe) and frozen counts

    def _high(self, a: int, b: int) -> float:
        """Clocks of [a, b) during which the cone is driven high."""
        if not self.data_bit or b <= a:
            return 0.0
        ch = self.timer.channels[2]
        ch.sync(a)
        if ch.next_start is not None and a < ch.next_start < b:    # count change mid-way
            return self._high(a, ch.next_start) + self._high(ch.next_start, b)
        if ch.armed and ch.gate and ch.frozen is None and a >= ch.start:
            if ch.mode == 3:
                n = ch.period()
                half = (n + 1) // 2
                ea, eb = a - ch.start, b - ch.start
                return float((eb // n - ea // n) * half + min(eb % n, half) - min(ea % n, half))
            if ch.mode in (0, 1):
                edge = ch.start + ch.n
                return float(max(0, b - max(a, edge)))
        return float(b - a) if ch.out((a + b) >> 1) else 0.0

    # ---- rendering -------------------------------------------------------------------------
    def _time_of(self, n: int) -> int:
        return self.origin + n * PIT_HZ // self.rate

    def _render(self, until: int) -> None:
        if until <= self._acc_from:
            return
        level = self._constant()
        if not self.sounding:
            if level is not None and float(level) == self._x:
                self._skip(until, level)          # still, and where the cone already is
                return
            self._start_sound()                   # a tone, or a step (PWM) to render
        n, acc, start = self._n, self._acc, self._acc_from
        x, y = self._x, self._y
        out = self._out
        end = self._time_of(n + 1)
        while True:
            stop = end if end < until else until
            acc += self._high(start, stop)
            start = stop
            if stop < end:
                break
            t0 = self._time_of(n)
            frac = acc / (end - t0)
            y = frac - x + DC_KEEP * y
            x = frac
            out.append(int(y * AMPLITUDE))
            n += 1
            acc = 0.0
            end = self._time_of(n + 1)
            if level is not None and -QUIET_LEVEL < y < QUIET_LEVEL:
                break                     # settled: the rest is silence
        self._n, self._acc, self._acc_from, self._x, self._y = n, acc, start, x, y
        if len(out) >= 1024 or start < until or self.sink.live:
            self._flush()
        if start < until:                 # settled before `until`
            self._stop_sound()
            self._skip(until, level)

    def _skip(self, until: int, level: bool) -> None:
        """Silence up to ``until``: only the sample counter moves (the sink fills the gap)."""
        n = (until - self.origin) * self.rate // PIT_HZ
        if n > self._n:
            self._n = n
            self._acc = 0.0
            self._acc_from = self._time_of(n)
        self._acc += (until - self._acc_from) if level else 0
        self._acc_from = until
        self._x = 1.0 if level else 0.0
        self._y = 0.0

    def _start_sound(self) -> None:
        self.sounding = True
        self.sink.sound(True, self._n)
        if self.sink.live:
            self.rescheduled()          # the host's device wants samples from now on

    def _stop_sound(self) -> None:
        self._flush()
        self.sounding = False
        self.sink.sound(False, self._n)

    def _flush(self) -> None:
        if self._out:
            first = self._n - len(self._out)
            self.sink.write(first, self._out)
            self._out = array("h")

    # ---- state -----------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {"data_bit": self.data_bit}      # the sound already made stays where it went

    def set_state(self, state: dict[str, Any]) -> None:
        self.changing(self.now())
        self.data_bit = state["data_bit"]
