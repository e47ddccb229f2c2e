"""The CPU workload through the whole machine, against the bare CPU; demo boot-to-prompt time.

    python -m tests.benchmarks machine [--runs N]

The machine boots workload/cpu_mix.img with our BIOS, with its CLI patched to STI so timer
interrupts run (18.2 Hz, serviced by the BIOS) while it computes; MIPS counts every guest
instruction executed. The bare-CPU figure is bench_cpu's run_ours on the same sector.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from tests.benchmarks.bench_cpu import IMAGE, run_ours


def _machine_run(image: Path) -> float:
    from engine.machine import Machine, MachineConfig
    m = Machine(MachineConfig(fda=str(image), boot="a"))
    start = time.perf_counter()
    status = m.run(max_seconds=120)
    elapsed = time.perf_counter() - start
    n = m.cpu.instructions
    m.close()
    if status != 1:
        raise RuntimeError(f"workload ended with status {status}, expected isa-debug-exit 0")
    return n / elapsed / 1e6


def _boot_to_prompt() -> float:
    from disks import create_image
    from engine.demo import demo_disk_path
    from engine.machine import Machine, MachineConfig
    with tempfile.TemporaryDirectory() as tmp:
        overlay = Path(tmp) / "demo.qcow2"
        create_image(overlay, backing=str(demo_disk_path()), allow_outside_backing=True)
        m = Machine(MachineConfig(fda=str(overlay)))
        start = time.perf_counter()
        thread = threading.Thread(target=m.run, kwargs={"max_seconds": 10})
        thread.start()
        while "xtbox>" not in "".join(m.text_screen().text_lines()):
            if time.perf_counter() - start > 10:
                break
            time.sleep(0.001)
        elapsed = time.perf_counter() - start
        m.stop()
        thread.join()
        m.close()
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks machine")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    data = bytearray(IMAGE.read_bytes())
    assert data[4] == 0xFA, "workload layout changed: CLI expected at offset 4"
    data[4] = 0xFB                                      # STI: let the timer interrupt it
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "workload.img"
        image.write_bytes(bytes(data))
        bare, whole = [], []
        for _ in range(args.runs):
            ran, elapsed = run_ours(bytes(data[:512]))
            bare.append(ran / elapsed / 1e6)
            whole.append(_machine_run(image))
    b, w = statistics.median(bare), statistics.median(whole)
    print(f"bare CPU     : {b:7.1f} MIPS (median of {args.runs})")
    print(f"whole machine: {w:7.1f} MIPS (median of {args.runs}), timer interrupts on")
    print(f"ratio        : {w / b:.2f} (target >= 0.90)")
    boots = [_boot_to_prompt() for _ in range(args.runs)]
    print(f"demo disk boot to prompt: median {statistics.median(boots) * 1000:.0f} ms")
