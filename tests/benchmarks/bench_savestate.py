"""Save and resume of a 640 KiB machine, and the state's size.

    python -m tests.benchmarks savestate [--runs N]

Save is what `xtbox vm save` does once the VM is paused: Machine.get_state, encode (RAM
zlib-compressed, CRC) and the atomic write with fsync. Resume is what a start does before
the CPU runs: read, check, decode and Machine.set_state. Two machines: the counting guest
booted (RAM mostly untouched, as a small DOS session), and the same with all 640 KiB of
conventional memory filled with random bytes (incompressible: the worst case). The
reference is writing and fsyncing a raw 1 MiB file in the same folder, in the same run.
Target: under 100 ms each.

Live snapshots: what `xtbox vm snapshot NAME take` does in the paused VM, on the same two
machines booted from a qcow2 overlay: get_state, encode and the all-or-none take with the
state in the qcow2 VM-state area (engine/vmm/snapshots.apply_all, the intent record and its
fsyncs included), against a disk-only take of the same image in the same run; restore is
the powered-off restore (disks back, the state checked and written as the saved state)
plus the resume's read and set_state. Each take is deleted again, untimed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

COUNTER = Path(__file__).resolve().parents[1] / "guests" / "counter.img"


def _median_ms(func, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _measure(folder: Path, fill: bool, runs: int) -> tuple[float, float, int]:
    from engine.machine import Machine, MachineConfig
    from engine.vmm import savestate
    image = folder / "c.img"
    shutil.copy(COUNTER, image)
    m = Machine(MachineConfig(fda=str(image), memory_kib=640, deterministic=True))
    m.run(instructions=300_000)
    if fill:
        m.cpu.mem[0x10000:0xA0000] = os.urandom(0x90000)   # above the guest's code and BDA
    fit = savestate.fit_of(640, "cga", {})
    save_ms = _median_ms(lambda: savestate.write(folder, m.get_state(), fit), runs)
    size = (folder / savestate.STATE_FILE).stat().st_size
    m.close()
    target = Machine(MachineConfig(fda=str(image), memory_kib=640, deterministic=True))

    def resume() -> None:
        state, _fit = savestate.read(folder)
        target.set_state(state)

    resume_ms = _median_ms(resume, runs)
    target.close()
    return save_ms, resume_ms, size


def _live(folder: Path, fill: bool, runs: int) -> tuple[float, float, float, int]:
    """(take with state, take disks only, restore + resume) medians in ms, state bytes."""
    from disks import create_image, open_image
    from engine.machine import Machine, MachineConfig
    from engine.vmm import savestate, snapshots
    base = folder / "live-base.img"
    shutil.copy(COUNTER, base)
    disk = folder / f"live-{int(fill)}.qcow2"
    create_image(disk, backing=str(base), allow_outside_backing=True)
    m = Machine(MachineConfig(fda=str(disk), memory_kib=640, deterministic=True))
    m.run(instructions=300_000)
    if fill:
        m.cpu.mem[0x10000:0xA0000] = os.urandom(0x90000)
    img = m.floppies["a"].medium.image
    fit = savestate.fit_of(640, "cga", {})
    takes, plain, size = [], [], 0
    for i in range(runs):
        t0 = time.perf_counter()
        m.flush_disks()
        blob = savestate.encode(m.get_state(), fit)
        snapshots.apply_all(folder, [img], "take", f"s{i}", state=blob,
                            clock_ns=m.clock.nanoseconds())
        takes.append(time.perf_counter() - t0)
        size = len(blob)
        snapshots.apply_all(folder, [img], "delete", f"s{i}")
        t0 = time.perf_counter()
        m.flush_disks()
        snapshots.apply_all(folder, [img], "take", f"d{i}")
        plain.append(time.perf_counter() - t0)
        snapshots.apply_all(folder, [img], "delete", f"d{i}")
    snapshots.apply_all(folder, [img], "take", "keep", state=savestate.encode(
        m.get_state(), fit))
    m.close()
    other = folder / "live-target.img"            # the resuming machine's own boot disk
    shutil.copy(COUNTER, other)
    target = Machine(MachineConfig(fda=str(other), memory_kib=640, deterministic=True))
    restores = []
    with open_image(disk) as image:
        for _ in range(runs):
            t0 = time.perf_counter()
            snapshots.apply_all(folder, [image], "restore", "keep")
            state, _fit = savestate.read(folder)
            target.set_state(state)
            restores.append(time.perf_counter() - t0)
    target.close()
    savestate.discard(folder)
    return (statistics.median(takes) * 1000, statistics.median(plain) * 1000,
            statistics.median(restores) * 1000, size)


def _raw_write_ms(folder: Path, runs: int) -> float:
    data = os.urandom(1 << 20)

    def write() -> None:
        with open(folder / "raw.bin", "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return _median_ms(write, runs)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench savestate")
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        raw = _raw_write_ms(folder, args.runs)
        print(f"reference: raw 1 MiB write + fsync {raw:7.1f} ms median of {args.runs}")
        for label, fill in (("booted guest", False), ("640 KiB random", True)):
            save, resume, size = _measure(folder, fill, args.runs)
            print(f"{label:15}: save {save:6.1f} ms ({save / raw:4.2f}x raw)  "
                  f"resume {resume:6.1f} ms  state {size:,} bytes")
        for label, fill in (("booted guest", False), ("640 KiB random", True)):
            take, plain, restore, size = _live(folder, fill, args.runs)
            print(f"{label:15}: live snapshot take {take:6.1f} ms (disk-only take "
                  f"{plain:6.1f} ms, {take / plain:4.2f}x)  restore+resume {restore:6.1f} ms  "
                  f"state in the VM-state area {size:,} bytes")
    return 0
