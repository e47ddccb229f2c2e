"""Where the PC speaker's sound goes: the ``--speaker`` / profile ``speaker`` specs and sinks.

    none        nothing is rendered (no CPU spent on sound)
    bell        the terminal bell rings when a beep starts (``on_bell``)
    wav:PATH    16-bit mono PCM in a WAV file, on the virtual-time line from power-on
    host        live through the host's audio device (the optional ``miniaudio`` package);
                without it or without a device xtbox says so once and stays silent

Sinks implement the protocol in engine/chips/speaker.py (``write``, ``sound``, ``close``).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import NamedTuple

from engine.chips.speaker import RATE
from engine.errors import ConfigError

SPEAKER_ACCEPTED = "none, bell, wav:PATH or host"


class SpeakerSpec(NamedTuple):
    kind: str           # none bell wav host
    path: str = ""


def parse_speaker_spec(spec: str) -> SpeakerSpec:
    if not isinstance(spec, str):
        raise ConfigError(f"speaker {spec!r}: expected a string; accepted: {SPEAKER_ACCEPTED}")
    s = spec.strip()
    low = s.lower()
    if low in ("", "none", "off"):
        return SpeakerSpec("none")
    if low in ("bell", "host"):
        return SpeakerSpec(low)
    if low.startswith("wav:"):
        if not s[4:]:
            raise ConfigError(f"speaker {spec!r}: wav: needs a file path; accepted: "
                              f"{SPEAKER_ACCEPTED}")
        return SpeakerSpec("wav", s[4:])
    raise ConfigError(f"speaker {spec!r}: not a form xtbox knows; accepted: {SPEAKER_ACCEPTED}")


class BellSink:
    """Rings ``on_bell`` at the start of each beep (at most every MIN_GAP samples: a tune
    of short notes is one ring, not a buzz)."""

    live = False
    MIN_GAP = RATE // 4

    def __init__(self, on_bell: Callable[[], None], rate: int = RATE) -> None:
        self.rate = rate
        self.on_bell = on_bell
        self.rings = 0
        self._last_end = -self.MIN_GAP
        self._n = 0

    def write(self, first: int, samples: array) -> None:
        pass

    def sound(self, on: bool, at: int) -> None:
        # ``at`` is the speaker's sample clock, silences included (the samples written
        # stop at each sound's end, so they cannot measure the gap before the next).
        if on and at - self._last_end >= self.MIN_GAP:
            self.rings += 1
            self.on_bell()
        if not on:
            self._last_end = at

    def close(self, end: int) -> None:
        pass


def open_sink(spec: str, *, on_bell: Callable[[], None] | None = None,
              log: Callable[[str], None] | None = None):
    """The sink a spec names, or None for ``none``; a bad spec is a ConfigError."""
    parsed = parse_speaker_spec(spec)
    if parsed.kind == "none":
        return None
    if parsed.kind == "bell":
        return BellSink(on_bell or (lambda: None))
    if parsed.kind == "wav":
        from engine.sound.wav import WavSink
        return WavSink(parsed.path)
    from engine.sound.host import HostSink
    return HostSink(log=log)
