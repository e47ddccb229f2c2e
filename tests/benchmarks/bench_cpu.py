"""Guest MIPS of the bare CPU on our cpu_mix workload, side by side with 8086tiny.

    python -m tests.benchmarks cpu [--runs N]

The workload (workload/cpu_mix.asm) executes exactly 13 + OUTER * 35,003 instructions. Our CPU
runs it loaded at 0000:7C00 with no devices. For the reference, set XTBOX_8086TINY (its
binary, built without graphics) and XTBOX_8086TINY_BIOS (its BIOS file): it boots the same
floppy image. Its MIPS = instructions / (wall time - its start-up time), the start-up time
being measured with OUTER = 1 in the same run. We never ship or build 8086tiny.
"""

from __future__ import annotations

import argparse
import os
import statistics
import struct
import subprocess
import tempfile
import time
from pathlib import Path

from engine.cpu import CPU

IMAGE = Path(__file__).parent / "workload" / "cpu_mix.img"
BODY, OUTER_TAIL, FIXED = 35, 3, 13


def instruction_count(outer: int) -> int:
    return FIXED + outer * (1000 * BODY + OUTER_TAIL)


def workload_outer(sector: bytes) -> int:
    return struct.unpack_from("<H", sector, 2)[0]


class _ExitPort:
    """isa-debug-exit at F4h: the end of the workload."""

    def __init__(self, cpu: CPU) -> None:
        self.cpu = cpu
        self.exited = False

    def port_read(self, port: int, width: int) -> int:
        return 0xFF

    def port_write(self, port: int, value: int, width: int) -> None:
        if port == 0xF4:
            self.exited = True
            self.cpu.request_stop()


def run_ours(sector: bytes) -> tuple[int, float]:
    cpu = CPU()
    cpu.mem[0x7C00:0x7E00] = sector
    cpu.set_reg("ip", 0x7C00)
    io = _ExitPort(cpu)
    cpu.io = io
    start = time.perf_counter()
    ran = cpu.run(1 << 62)
    elapsed = time.perf_counter() - start
    if not io.exited:
        raise RuntimeError("workload did not reach its exit port")
    return ran, elapsed


def run_8086tiny(binary: str, bios: str, image: Path) -> float:
    start = time.perf_counter()
    subprocess.run([binary, bios, str(image)], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, check=False, timeout=600)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks cpu")
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args(argv)
    sector = IMAGE.read_bytes()[:512]
    expected = instruction_count(workload_outer(sector))

    binary, bios = os.environ.get("XTBOX_8086TINY"), os.environ.get("XTBOX_8086TINY_BIOS")
    with tempfile.TemporaryDirectory() as tmp:
        short = Path(tmp) / "startup.img"
        data = bytearray(IMAGE.read_bytes())
        struct.pack_into("<H", data, 2, 1)
        short.write_bytes(bytes(data))
        # Each of our runs is paired with a run of 8086tiny right after it: this machine is
        # shared and its speed swings by up to 2x over seconds, so the ratio of each pair
        # (both measured in the same few seconds) is steadier than a ratio of two medians.
        ours, tiny, ratios = [], [], []
        for _ in range(args.runs):
            ran, elapsed = run_ours(sector)
            if ran != expected:
                raise RuntimeError(f"workload ran {ran} instructions, expected {expected}")
            ours.append(ran / elapsed / 1e6)
            if binary and bios:
                startup = run_8086tiny(binary, bios, short)
                full = run_8086tiny(binary, bios, IMAGE)
                tiny.append((expected - instruction_count(1)) / (full - startup) / 1e6)
                ratios.append(ours[-1] / tiny[-1])
    ours_mips = statistics.median(ours)
    print(f"xtbox CPU : {ours_mips:7.1f} MIPS median of {args.runs} "
          f"(min {min(ours):.1f}, max {max(ours):.1f}); {expected:,} instructions a run")
    if not tiny:
        print("8086tiny  : not measured (set XTBOX_8086TINY and XTBOX_8086TINY_BIOS)")
        return
    tiny_mips = statistics.median(tiny)
    print(f"8086tiny  : {tiny_mips:7.1f} MIPS median of {args.runs} "
          f"(min {min(tiny):.1f}, max {max(tiny):.1f}), start-up subtracted")
    print(f"ratio     : {statistics.median(ratios):.2f}x median of the {args.runs} paired runs "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f}); ratio of the medians "
          f"{ours_mips / tiny_mips:.2f}x (target >= 3x)")
