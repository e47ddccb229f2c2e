"""What a waiting guest costs, and that real work is not slowed (engine/idle.py).

    python -m tests.benchmarks idle [--seconds S] [--runs R]

- VM-process CPU (% of one core) of a real `xtbox run` process for each wait of our guest
  (tests/guests/idle_waits.img: INT 16h AH=01h/11h polls, INT 28h, INT 2Fh AX=1680h, HLT, a
  tick-count wait, a retrace wait) and for FreeDOS at its prompt when a DOS floppy is found
  (tests/dos_images.py), measured over S seconds once the wait runs; the reference is the same
  guest doing work flat out (mode 9), which costs a whole core.
- Work between polls: the guest's chunks of work per second with an INT 16h AH=01h poll after
  each chunk (mode 8) against the same chunks without the poll (mode 9): both guests booted in
  this process, run in turn (one paused while the other runs) for short windows, alternating
  which goes first, so each pair of windows sees the same host load; medians of each, the
  median of the paired ratios and its range, and the idle sleeps taken during the work
  windows (must be 0: the detector never throttles work; the ratio's spread is the host's).
- Key -> guest latency, the same run: from a key to the guest's exit on seeing it while it
  polls idle (mode 1, asleep in the poll detector), halted in INT 16h AH=00h (the HLT path), and
  busy (mode 8, working between polls: not idle).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.benchmarks.support import cpu_seconds
from tests.dos_images import dos_floppy

ROOT = Path(__file__).resolve().parents[2]
GUEST = ROOT / "tests" / "guests" / "idle_waits.img"
MODES = {1: "INT 16h AH=01h poll", 2: "INT 16h AH=11h poll", 3: "INT 28h loop",
         4: "INT 2Fh AX=1680h loop", 5: "HLT loop", 6: "tick-count wait", 7: "retrace wait",
         9: "work flat out (reference)"}
SETTLE = 3.0


def vm_cpu(image: Path, keys: str, seconds: float) -> float:
    """% of a core an `xtbox run` process uses over ``seconds``, SETTLE s after ``keys``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "run", "--fda", str(image), "--type", keys,
         "--type-after", "1", "--max-seconds", str(1 + SETTLE + seconds + 5)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1 + SETTLE)
        c0, t0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(seconds)
        c1, t1 = cpu_seconds(proc.pid), time.monotonic()
        return 100 * (c1 - c0) / (t1 - t0)
    finally:
        proc.kill()
        proc.wait()


def word(m, address: int) -> int:
    return m.cpu.mem[address] | m.cpu.mem[address + 1] << 8


def started_guest(folder: Path, mode: int):
    m, thread = prompt_guest(folder, f"guest{mode}.img")
    m.type_text(str(mode))
    while word(m, 0x500) != mode:
        time.sleep(0.001)
    return m, thread


def chunks(m) -> int:
    return word(m, 0x502) | word(m, 0x504) << 16


def work_between_polls(folder: Path, rounds: int, window: float) -> dict:
    """Modes 8 and 9 in turn, ``rounds`` pairs of ``window`` s: chunks/s of each, paired
    ratios, and the idle sleeps of each kind during mode 8's windows."""
    guests = {mode: started_guest(folder, mode) for mode in (8, 9)}
    for m, _ in guests.values():
        m.pause()
    rates: dict[int, list[float]] = {8: [], 9: []}
    slept = 0
    try:
        for i in range(rounds):
            for mode in ((8, 9) if i % 2 == 0 else (9, 8)):
                m = guests[mode][0]
                m.resume()
                time.sleep(0.05)
                s0, c0, t0 = m.idle.stats()["sleeps"], chunks(m), time.monotonic()
                time.sleep(window)
                s1, c1, t1 = m.idle.stats()["sleeps"], chunks(m), time.monotonic()
                m.pause()
                rates[mode].append((c1 - c0) / (t1 - t0))
                if mode == 8:
                    slept += sum(s1.values()) - sum(s0.values())
    finally:
        for m, thread in guests.values():
            m.stop()
            thread.join()
            m.close()
    return {"polled": rates[8], "plain": rates[9], "slept": slept,
            "ratios": [a / b for a, b in zip(rates[8], rates[9], strict=True)]}


def key_latency(folder: Path, mode: int) -> float:
    """Seconds from a key to the guest's exit on it (modes 1 and 8); mode 0 waits in INT 16h
    AH=00h: the prompt itself, where our BIOS halts."""
    m, thread = (started_guest(folder, mode) if mode else prompt_guest(folder))
    try:
        time.sleep(0.5)                              # well into its wait
        t0 = time.monotonic()
        m.type_text("1" if not mode else "x")
        if mode:
            while m.exit_status is None:
                time.sleep(0.0002)
        else:
            while word(m, 0x500) != 1:
                time.sleep(0.0002)
        return time.monotonic() - t0
    finally:
        m.stop()
        thread.join()
        m.close()


def prompt_guest(folder: Path, name: str = "prompt.img"):
    """The idle_waits guest booted to its "mode 1-9?" prompt (halted in INT 16h AH=00h)."""
    from engine.machine import Machine, MachineConfig
    image = folder / name
    shutil.copy(GUEST, image)
    m = Machine(MachineConfig(fda=str(image)))
    thread = threading.Thread(target=m.run, daemon=True)
    thread.start()
    while "mode 1-9?" not in "".join(m.text_screen().text_lines()):
        time.sleep(0.01)
    return m, thread


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.benchmarks idle")
    p.add_argument("--seconds", type=float, default=5.0, help="measuring time per guest")
    p.add_argument("--runs", type=int, default=5, help="paired runs and latency samples")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="xtbox-bench-idle-") as tmp:
        folder = Path(tmp)
        image = folder / "idle_waits.img"
        shutil.copy(GUEST, image)
        print("VM-process CPU while the guest waits (% of one core):")
        for mode, name in MODES.items():
            print(f"  {name:28s} {vm_cpu(image, str(mode), args.seconds):6.1f} %", flush=True)
        dos = dos_floppy()
        if dos is not None:
            copy = folder / "dos.img"
            shutil.copyfile(dos, copy)
            print(f"  {'FreeDOS at its prompt':28s} {vm_cpu(copy, '', args.seconds):6.1f} %")
        else:
            print("  FreeDOS at its prompt: not measured (set XTBOX_DOS_FLOPPY)")

        work = work_between_polls(folder, 2 * args.runs, 0.5)
        ratios = work["ratios"]
        print(f"work between polls ({len(ratios)} alternating pairs of 0.5 s windows): "
              f"{statistics.median(work['polled']):,.0f} chunks/s with a poll after each, "
              f"{statistics.median(work['plain']):,.0f} without; median paired ratio "
              f"{statistics.median(ratios):.3f} (range {min(ratios):.3f}-{max(ratios):.3f}); "
              f"idle sleeps while working: {work['slept']}", flush=True)

        latency = {name: [key_latency(folder, mode) for _ in range(args.runs)]
                   for name, mode in (("idle, polling", 1), ("idle, halted in INT 16h", 0),
                                      ("busy, working between polls", 8))}
        print(f"key -> guest (medians of {args.runs}): " + "; ".join(
            f"{name} {1000 * statistics.median(v):.2f} ms" for name, v in latency.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
