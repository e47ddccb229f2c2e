"""speaker_lab (our guest) plays known tones; the WAV the speaker writes must hold them with
their frequencies and lengths, at full speed and at XT speed alike.

The guest times its notes with the PIT. These runs use the harness's steady clock (time from
the guest's own progress), so what the guest measures does not depend on how loaded the host
is; the WAV is checked against the programmed pitches and lengths and against the moments
the guest wrote port 61h."""

import time

import pytest

from engine.chips.base import PIT_HZ
from tests.guests.harness import GuestRun
from tests.sound_analysis import read_wav, tones


def record_port61(machine):
    """(virtual seconds, speaker data bit) at each port 61h write that touches bits 0-1."""
    speaker, log = machine.speaker, []
    set_data = speaker.set_data

    def traced(on, now=None):
        log.append(((machine.now() - speaker.origin) / PIT_HZ, bool(on)))
        set_data(on, now)
    speaker.set_data = traced
    return log


@pytest.mark.parametrize("speed", ["max", "xt"])
def test_tones_and_pwm_have_the_programmed_pitch_and_length(tmp_path, speed):
    wav = tmp_path / "out.wav"
    g = GuestRun(tmp_path, "speaker_lab", steady=True, speaker=f"wav:{wav}", speed=speed)
    log = record_port61(g.machine)           # before the guest runs
    with g:
        g.wait_for("played\n")
        g.machine.type_text("q")
        assert g.wait_end() == 1
    samples, rate = read_wav(wav)
    found = tones(samples, rate)
    assert [round(t.frequency) for t in found] == [440, 1000, 600], found
    a, b, c = found
    assert a.duration == pytest.approx(0.300, abs=0.002)
    assert b.duration == pytest.approx(0.150, abs=0.002)
    assert c.duration == pytest.approx(0.250, abs=0.002)
    assert b.start - a.start == pytest.approx(0.500, abs=0.002)
    assert c.start - b.start == pytest.approx(0.350, abs=0.002)
    ons = [t for t, on in log if on]
    assert [round(t.start, 3) for t in found] == [round(t, 3) for t in ons[:3]]
    assert len(log) == 2 + 2 + 300          # every PWM toggle reached the speaker...
    i, j = int(c.start * rate) - 1, int(c.end * rate) + 1
    rising = sum(1 for k in range(i + 1, j) if samples[k - 1] < 0 <= samples[k])
    assert 1 + rising == 150    # ...and each "on" a rising edge in the WAV (the first: the onset)


def test_a_key_beeps_and_a_tune_plays(tmp_path):
    wav = tmp_path / "out.wav"
    g = GuestRun(tmp_path, "speaker_lab", steady=True, speaker=f"wav:{wav}")
    log = record_port61(g.machine)
    with g:
        at = g.wait_for("played\n")
        g.machine.type_text("x")
        at = g.wait_for("beep\n", start=at)
        time.sleep(0.2)                      # a pause (the guest halts) between the two sounds
        g.machine.type_text("m")
        g.wait_for("tune\n", start=at)
        g.machine.type_text("q")
        g.wait_end()
    samples, rate = read_wav(wav)
    found = tones(samples, rate)
    assert len(found) == 5, found
    beep, tune = found[3], found[4]
    assert beep.frequency == pytest.approx(PIT_HZ / 1193, rel=0.003)
    assert beep.duration == pytest.approx(0.050, abs=0.002)
    assert tune.start == pytest.approx(log[-2][0], abs=0.001)
    assert tune.duration == pytest.approx(8 * 2 * 65536 / PIT_HZ, abs=0.056)  # 16 ticks
    notes = tones(samples[int(tune.start * rate):int((tune.start + 0.05) * rate)], rate)
    assert notes[0].frequency == pytest.approx(PIT_HZ / 4560, rel=0.01)   # C4, at least a tick


def test_no_speaker_renders_nothing(tmp_path):
    with GuestRun(tmp_path, "speaker_lab") as g:
        g.wait_for("played\n")
        g.machine.type_text("q")
        g.wait_end()
        assert g.machine.speaker.sink is None and g.machine.speaker.changes > 300
