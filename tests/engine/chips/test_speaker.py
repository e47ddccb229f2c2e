"""The PC speaker model: PIT channel 2 through port 61h, rendered on the virtual clock."""

from array import array

import pytest

from engine.chips.base import PIT_HZ
from engine.chips.i8253 import PIT8253
from engine.chips.i8255 import XTSystemPPI
from engine.chips.speaker import RATE, PCSpeaker
from tests.sound_analysis import tones


class Capture:
    """A sink that keeps every sample on one timeline (gaps as zeros), as the WAV sink."""

    live = False
    rate = RATE

    def __init__(self):
        self.samples = array("h")
        self.events = []
        self.closed_at = None

    def write(self, first, samples):
        assert first >= len(self.samples), "a sink is never asked to rewrite the past"
        self.samples.extend([0] * (first - len(self.samples)))
        self.samples.extend(samples)

    def sound(self, on, at):
        self.events.append((on, len(self.samples)))

    def close(self, end):
        self.samples.extend([0] * (end - len(self.samples)))
        self.closed_at = end


class Board:
    def __init__(self, sink=None):
        self.t = 0
        clock = lambda: self.t  # noqa: E731
        self.pit = PIT8253(0x40, clock=clock)
        self.ppi = XTSystemPPI(0x60, timer=self.pit)
        self.sink = sink if sink is not None else Capture()
        self.speaker = PCSpeaker(self.pit, clock=clock, sink=self.sink)
        self.pit.before_ch2_change = self.speaker.changing
        self.ppi.speaker = self.speaker

    def at(self, seconds):
        self.t = int(seconds * PIT_HZ)
        self.speaker.tick(self.t)

    def tone(self, hz):
        count = round(PIT_HZ / hz)
        self.pit.write(0x43, 0xB6)
        self.pit.write(0x42, count & 0xFF)
        self.pit.write(0x42, count >> 8)

    def port61(self, value):
        self.ppi.write(0x61, value)


@pytest.mark.parametrize("hz", [220, 440, 1000, 3000])
def test_pit_tone_has_its_pitch_and_duration(hz):
    b = Board()
    b.tone(hz)
    b.at(0.1)
    b.port61(0x03)
    for i in range(1, 31):              # ticks at arbitrary moments change nothing
        b.at(0.1 + i * 0.01)
    b.at(0.4)
    b.port61(0x00)
    b.at(1.0)
    b.speaker.close()
    found = tones(b.sink.samples, RATE)
    assert len(found) == 1
    t = found[0]
    assert t.frequency == pytest.approx(PIT_HZ / round(PIT_HZ / hz), rel=0.01)
    assert t.start == pytest.approx(0.1, abs=0.002)
    assert t.duration == pytest.approx(0.3, abs=0.004)
    assert b.sink.closed_at == RATE                 # the timeline is virtual time: 1 s


def test_bit1_toggled_by_the_program_plays_pwm():
    """Gate low (OUT2 stays high): the cone follows bit 1, toggled 2 x 500 times a second."""
    b = Board()
    b.tone(1000)                   # programmed, but GATE2 stays low
    t = 0.05
    for i in range(200):
        b.at(t)
        b.port61(0x02 if i % 2 == 0 else 0x00)
        t += 0.001
    b.at(0.5)
    b.speaker.close()
    found = tones(b.sink.samples, RATE)
    assert len(found) == 1
    assert found[0].frequency == pytest.approx(500, rel=0.01)
    assert found[0].duration == pytest.approx(0.2, abs=0.004)


def test_reprogramming_mid_note_changes_pitch_at_that_moment():
    b = Board()
    b.tone(500)
    b.port61(0x03)
    b.at(0.2)
    b.tone(2000)
    b.at(0.4)
    b.port61(0x00)
    b.at(0.6)
    b.speaker.close()
    s = b.sink.samples
    low = tones(s[:int(0.19 * RATE)], RATE)
    high = tones(s[int(0.21 * RATE):], RATE)
    assert low[0].frequency == pytest.approx(500, rel=0.01)
    assert high[0].frequency == pytest.approx(2000, rel=0.01)


def test_silence_costs_nothing_and_no_sink_renders_nothing():
    b = Board()
    b.port61(0x01)                  # gate on, speaker data off: silent
    b.tone(1000)
    for i in range(1, 100):
        b.at(i * 0.1)
    assert len(b.sink.samples) == 0 and b.speaker._out == array("h")
    assert not b.speaker.sounding
    quiet = Board(sink=None)
    quiet.speaker.sink = None
    quiet.tone(1000)
    quiet.port61(0x03)
    quiet.at(1.0)
    assert quiet.speaker.changes > 0 and not quiet.speaker.sounding


def test_sound_events_bracket_each_beep():
    b = Board()
    b.tone(1000)
    for start in (0.1, 0.5):
        b.at(start)
        b.port61(0x03)
        b.at(start + 0.1)
        b.port61(0x00)
    b.at(1.0)
    b.speaker.close()
    assert [on for on, _ in b.sink.events] == [True, False, True, False]


def test_bell_rings_for_each_beep_after_a_silence_and_once_for_a_tune():
    """The bell sink measures the silence before a beep on the speaker's sample clock: a
    beep a second after the last rings again; notes a tenth of a second apart ring once."""
    from engine.sound import BellSink
    rings = []
    b = Board(sink=BellSink(lambda: rings.append(b.t)))
    b.tone(1000)
    t = 0.1
    for gap in (1.0, 1.0, 0.1, 0.1, 1.0, 0.0):
        b.at(t)
        b.port61(0x03)
        b.at(t + 0.05)
        b.port61(0x00)
        t += 0.05 + gap
    b.at(t)
    # beeps 1, 2, 3 (with 4 and 5 a tune: one ring) and 6, each rung when the speaker
    # renders it (at its end here, where the board next ticks)
    assert [round(r / PIT_HZ, 2) for r in rings] == [0.15, 1.2, 2.25, 3.6]
