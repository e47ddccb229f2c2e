"""Peripherals: the speaker's latency and cost, the mouse's latency.

    python -m tests.benchmarks peripherals [--events N] [--runs R] [--seconds S]

- Speaker latency, key -> tone onset in the WAV timeline: our speaker_lab guest (a 50 ms
  1000 Hz beep for any key) with ``speaker = wav:PATH``; for each of N keys the machine's
  virtual time when the host queued the key, and the start of the next tone found in the WAV
  (tests/sound_analysis.py), both on the guest's timeline: keyboard interrupt, BIOS, the
  program, the PIT and port 61h. ``host`` adds its fixed queue lead and device buffer
  (engine/sound/host.py: LEAD + BUFFER_MS), printed beside it; with miniaudio and a device
  that path is live.
- CPU cost of a guest playing music: the VM process's CPU (% of one core) over S seconds
  while speaker_lab plays its tune (eight notes timed by the BIOS tick, the CPU halted in
  between; asked for again every second), against the same VM at its key prompt in the same
  run, with ``speaker = wav`` (rendered) and ``none`` (nothing rendered); R runs each,
  alternated, medians.
- Mouse event -> guest: mouse_lab reading the serial mouse; (a) in this process, from
  ``Machine.mouse_event`` to the guest's report of it on its debug console, against the
  line's own floor (the third byte 15 ms after the first at 1200 baud 7N1); (b) through a VM
  process, from the control command ``mouse`` to the screen event holding the guest's new
  line (what a console sees).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from tests.benchmarks.support import cpu_seconds, private_home
from tests.guests.harness import GuestRun
from tests.sound_analysis import read_wav, tones

ROOT = Path(__file__).resolve().parents[2]
GUESTS = ROOT / "tests" / "guests"
PIT_HZ = 1_193_182


def speaker_latency(folder: Path, events: int) -> tuple[list[float], list[float]]:
    """Per key, ms from the key to its tone's onset in the WAV, on the guest's timeline (the
    key placed where the host's clock puts guest time when it is queued: a halted guest's
    own clock stands still until it wakes), and ms of host time from the key to the guest's
    port 61h write that starts the tone (the cross-check)."""
    wav = folder / "lat.wav"
    keys: list[float] = []
    walls: list[float] = []
    with GuestRun(folder, "speaker_lab", speaker=f"wav:{wav}") as g:
        at = g.wait_for("played\n")
        m = g.machine
        set_data, started = m.speaker.set_data, []

        def traced(on: bool, now: int | None = None) -> None:     # port 61h bit 1
            if on and not started:
                started.append(time.perf_counter())
            set_data(on, now)
        m.speaker.set_data = traced
        for _ in range(events):
            time.sleep(0.3)                      # past the last beep's ring-out and gap
            started.clear()
            t0 = time.perf_counter()
            keys.append((m.clock.host_target() - m.speaker.origin) / PIT_HZ)
            m.type_text("x")
            at = g.wait_for("beep\n", start=at)
            if started:
                walls.append((started[0] - t0) * 1000)
        time.sleep(0.2)
    samples, rate = read_wav(wav)               # closed with the machine: complete
    onsets = [t.start for t in tones(samples, rate)]
    out = []
    for k in keys:
        onset = next(t for t in onsets if t >= k)
        out.append((onset - k) * 1000)
    return out, walls


def vm_cpu(name: str, seconds: float, music: bool) -> float:
    from tui.control import manager
    pid = manager.status(name)["pid"]
    stop = threading.Event()

    def play() -> None:
        while not stop.is_set():
            manager.type_text(name, "m")
            stop.wait(1.0)
    player = threading.Thread(target=play, daemon=True)
    if music:
        player.start()
        time.sleep(0.5)
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    c1, t1 = cpu_seconds(pid), time.monotonic()
    stop.set()
    if music:
        player.join()
        time.sleep(1.2)                          # the last tune ends before the next window
    return 100 * (c1 - c0) / (t1 - t0)


def music_cost(runs: int, seconds: float) -> dict[str, list[float]]:
    from tui.control import manager
    results: dict[str, list[float]] = {}
    with private_home("wav", "none") as home:
        for spec in ("wav", "none"):
            image = Path(home) / f"{spec}.img"
            shutil.copy(GUESTS / "speaker_lab.img", image)
            manager.create_vm(spec, fda=str(image),
                              speaker="wav:music.wav" if spec == "wav" else "none")
            manager.start_vm(spec)
        time.sleep(3)                            # the opening sounds played, at the prompt
        for _ in range(runs):
            for spec in ("wav", "none"):
                for music in (False, True):
                    key = f"{spec} {'music' if music else 'idle'}"
                    results.setdefault(key, []).append(vm_cpu(spec, seconds, music))
    return results


def mouse_engine_latency(folder: Path, events: int) -> list[float]:
    from engine.chips.serial_mouse import LEFT
    out = []
    with GuestRun(folder, "mouse_lab", mouse="com1:logitech") as g:
        at = g.wait_for("mouse: M3\n")
        for i in range(events):
            time.sleep(0.05)
            t0 = time.perf_counter()
            g.machine.mouse_event(1, 0, LEFT if i % 2 == 0 else 0)
            at = g.wait_for("\n", start=at)
            out.append((time.perf_counter() - t0) * 1000)
    return out


def mouse_control_latency(events: int) -> list[float]:
    from tui.control import manager
    out = []
    with private_home("mouse") as home:
        image = Path(home) / "mouse_lab.img"
        shutil.copy(GUESTS / "mouse_lab.img", image)
        manager.create_vm("mouse", fda=str(image), mouse="com1:logitech")
        manager.start_vm("mouse")
        assert manager.expect("mouse", "mouse: M3", timeout=30)
        events_in = manager.connect("mouse", timeout=None)
        feed = events_in.subscribe(("screen",))
        commands = manager.connect("mouse")
        next(feed)                                    # the full first screen
        for i in range(1, events + 1):
            time.sleep(0.05)
            want = f"X=+{i:05d}"
            t0 = time.perf_counter()
            commands.call("mouse", dx=1, dy=0)
            while True:
                data = next(feed)["data"]
                rows = data.get("lines", {}).values()
                if any(want in "".join(chr(c) for c, _attr in row) for row in rows):
                    break
            out.append((time.perf_counter() - t0) * 1000)
        events_in.close()
        commands.close()
    return out


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m tests.benchmarks peripherals")
    ap.add_argument("--events", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=4.0)
    args = ap.parse_args(argv)
    from engine.chips.speaker import RATE
    from engine.sound.host import BUFFER_MS, LEAD
    with tempfile.TemporaryDirectory(prefix="xtbox-bench-") as tmp:
        lat, walls = speaker_latency(Path(tmp), args.events)
        print(f"speaker key -> tone onset (WAV timeline): median "
              f"{statistics.median(lat):.2f} ms (min {min(lat):.2f}, max {max(lat):.2f}, "
              f"{len(lat)} keys); the host sink adds {LEAD * 1000 / RATE:.0f} ms queue lead "
              f"+ {BUFFER_MS} ms device buffer")
        if walls:
            print(f"  cross-check, host time key -> the guest's port 61h write: median "
                  f"{statistics.median(walls):.2f} ms ({len(walls)} keys)")
        eng = mouse_engine_latency(Path(tmp), args.events)
        print(f"mouse event -> guest's report (in process): median "
              f"{statistics.median(eng):.1f} ms (min {min(eng):.1f}, max {max(eng):.1f}); "
              f"the line's own floor: a report's third byte comes 15 ms after its first "
              f"(7.5 ms a byte at 1200 baud 7N1)")
    ctl = mouse_control_latency(args.events)
    print(f"mouse command -> screen event with the guest's line (VM process): median "
          f"{statistics.median(ctl):.1f} ms (min {min(ctl):.1f}, max {max(ctl):.1f})")
    cost = music_cost(args.runs, args.seconds)
    for key, values in cost.items():
        print(f"VM process CPU, speaker {key}: median {statistics.median(values):.1f} % of a "
              f"core ({', '.join(f'{v:.1f}' for v in values)})")
    for spec in ("wav", "none"):
        idle, music = (statistics.median(cost[f"{spec} {k}"]) for k in ("idle", "music"))
        print(f"music costs {music - idle:+.1f} points of a core over idle with speaker "
              f"{spec} ({music / max(idle, 0.01):.1f}x)")

