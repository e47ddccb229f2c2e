"""``wav:PATH``: the speaker's sound as 16-bit mono PCM, sample 0 at power-on (virtual time).

Silence costs nothing while the VM runs: gaps are written as zeros when the sound resumes (or
at power-off), so the file's timeline is the guest's. The header's sizes are patched after
each write, so a VM killed half-way leaves a playable file.
"""

from __future__ import annotations

import struct
import sys
from array import array

from engine.chips.speaker import RATE
from engine.errors import ConfigError

HEADER = 44
ZEROS = bytes(64 * 1024)


class WavSink:
    live = False

    def __init__(self, path: str, rate: int = RATE) -> None:
        self.path = path
        self.rate = rate
        self.samples = 0              # written so far
        try:
            self.file = open(path, "wb")  # noqa: SIM115 - lives as long as the VM
        except OSError as exc:
            raise ConfigError(f"speaker wav:{path}: cannot create ({exc.strerror})") from None
        self.file.write(self._header())

    def _header(self) -> bytes:
        data = self.samples * 2
        return (b"RIFF" + struct.pack("<I", 36 + data) + b"WAVEfmt "
                + struct.pack("<IHHIIHH", 16, 1, 1, self.rate, self.rate * 2, 2, 16)
                + b"data" + struct.pack("<I", data))

    def _pad(self, upto: int) -> None:
        gap = (upto - self.samples) * 2
        while gap > 0:
            chunk = min(gap, len(ZEROS))
            self.file.write(ZEROS[:chunk])
            gap -= chunk
        self.samples = max(self.samples, upto)

    def write(self, first: int, samples: array) -> None:
        if first < self.samples:              # never rewrite the past
            samples = samples[self.samples - first:]
            first = self.samples
        self._pad(first)
        if sys.byteorder != "little":
            samples = array("h", samples)
            samples.byteswap()
        self.file.write(samples.tobytes())
        self.samples += len(samples)
        self._patch()

    def _patch(self) -> None:
        here = self.file.tell()
        self.file.seek(0)
        self.file.write(self._header())
        self.file.seek(here)
        self.file.flush()

    def sound(self, on: bool, at: int) -> None:
        pass

    def close(self, end: int) -> None:
        if self.file.closed:
            return
        self._pad(end)
        self._patch()
        self.file.close()
