"""Reading tones back out of the speaker's output (WAV files or sample arrays), for tests and
benchmarks: where the sound is, and its pitch by zero crossings."""

from __future__ import annotations

import struct
import wave
from array import array
from dataclasses import dataclass

GAP = 0.02          # s of silence that separates two tones
THRESHOLD = 1000    # |sample| above this is sound


@dataclass
class Tone:
    start: float     # s
    end: float
    frequency: float  # Hz

    @property
    def duration(self) -> float:
        return self.end - self.start


def read_wav(path) -> tuple[array, int]:
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        rate = w.getframerate()
        data = w.readframes(w.getnframes())
    samples = array("h")
    samples.frombytes(data)
    if struct.pack("=h", 1) != struct.pack("<h", 1):
        samples.byteswap()
    return samples, rate


def tones(samples, rate: int) -> list[Tone]:
    """Runs of sound separated by at least GAP of silence, each with its frequency: rising
    zero crossings (on the DC-free signal) over the span between the first and the last.
    A run starts at its first loud sample and ends half a period after its last zero
    crossing (the speaker's coupling lets a step die away without crossing zero)."""
    gap = int(GAP * rate)
    loud = [i for i, v in enumerate(samples) if abs(v) > THRESHOLD]
    runs: list[list[int]] = []
    for i in loud:
        if runs and i - runs[-1][1] <= gap:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    out = []
    for a, b in runs:
        rising = [i for i in range(a + 1, b + 1) if samples[i - 1] < 0 <= samples[i]]
        freq, end = 0.0, (b + 1) / rate
        if len(rising) >= 2:
            freq = (len(rising) - 1) * rate / (rising[-1] - rising[0])
            last = max(i for i in range(a + 1, b + 1) if (samples[i - 1] < 0) != (samples[i] < 0))
            end = last / rate + 0.5 / freq
        out.append(Tone(a / rate, end, freq))
    return out
