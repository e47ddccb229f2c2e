"""``host``: the speaker live through the host's audio device, via the optional ``miniaudio``
package (pip install miniaudio).

The speaker renders in virtual time, in bursts between CPU slices; the device pulls in real
time from its own thread. A small queue sits between them: when a sound starts it is primed
with LEAD of silence so the device never runs dry mid-note, and it never holds more than
MAX_QUEUE (a producer running ahead, e.g. a virtual clock faster than the wall, loses its
oldest samples instead of piling up delay). Latency is LEAD plus the device's own buffer
(BUFFER_MS): about 50 ms. Without miniaudio or without a device the sink says so once (the
VM's log) and stays silent; the VM runs on.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Callable

from engine.chips.speaker import RATE

LEAD = RATE * 25 // 1000
MAX_QUEUE = RATE * 80 // 1000
BUFFER_MS = 20


class HostSink:
    live = True

    def __init__(self, rate: int = RATE, log: Callable[[str], None] | None = None) -> None:
        self.rate = rate
        self.log = log or (lambda message: None)
        self.available = False
        self.underruns = 0
        self.dropped = 0
        self._queue = array("h")
        self._lock = threading.Lock()
        self._device = None
        try:
            import miniaudio
        except ImportError:
            self.log("speaker host: the miniaudio package is not installed (pip install "
                     "'xtbox[sound]', or miniaudio); the speaker stays silent")
            return
        try:
            self._device = miniaudio.PlaybackDevice(
                output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=rate,
                buffersize_msec=BUFFER_MS)
            generator = self._generate()
            next(generator)
            self._device.start(generator)
            self.available = True
        except Exception as exc:          # no device, no backend, a busy device...
            self._device = None
            self.log(f"speaker host: no audio device ({exc}); the speaker stays silent")

    def _generate(self):
        """miniaudio's pull: each send() asks for a number of frames."""
        frames = yield b""
        while True:
            with self._lock:
                chunk = self._queue[:frames]
                del self._queue[:frames]
            if len(chunk) < frames:
                if len(chunk):
                    self.underruns += 1       # a sound ran dry mid-way
                chunk.extend(array("h", bytes(2 * (frames - len(chunk)))))
            frames = yield chunk.tobytes()

    def write(self, first: int, samples: array) -> None:
        if not self.available:
            return
        with self._lock:
            self._queue.extend(samples)
            excess = len(self._queue) - MAX_QUEUE
            if excess > 0:
                del self._queue[:excess]
                self.dropped += excess

    def sound(self, on: bool, at: int) -> None:
        if on and self.available:
            with self._lock:
                if len(self._queue) < LEAD:
                    self._queue[0:0] = array("h", [0]) * (LEAD - len(self._queue))

    def close(self, end: int) -> None:
        if self._device is not None:
            try:
                self._device.close()
            except Exception:
                pass
            self._device = None
