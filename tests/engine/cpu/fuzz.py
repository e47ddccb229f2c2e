"""Hostile input for the CPU: random programs from random register states.

The CI test runs a small batch; the full run from the issue (10,000 programs x 100,000
instructions) is a command, best run against a bounds-checked / AddressSanitizer build:

    XTBOX_DEBUG=1 XTBOX_SANITIZE=1 python setup.py build_ext --inplace --force
    LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0 \
        python -m tests.engine.cpu.fuzz --programs 10000 --instructions 100000

(then rebuild the normal -O3 build). Every address is masked to 20 bits by construction, so an
access outside the 1 MiB buffer would be a bug the sanitizer reports.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from engine.cpu import CPU

REGS = ("ax", "bx", "cx", "dx", "si", "di", "bp", "sp", "cs", "ds", "es", "ss", "ip")


class RandomIO:
    """Devices that answer anything: ports return random data, writes are swallowed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def port_read(self, port: int, width: int) -> int:
        return self.rng.getrandbits(16)

    def port_write(self, port: int, value: int, width: int) -> None:
        pass


def run_program(seed: int, instructions: int) -> int:
    """Run one random 256-byte program; return how many instructions ran."""
    rng = random.Random(seed)
    cpu = CPU()
    for name in REGS:
        cpu.set_reg(name, rng.getrandbits(16))
    cpu.set_reg("flags", rng.getrandbits(16) & ~0x0100)   # TF off: traps are tested elsewhere
    base = (cpu.get_reg("cs") * 16 + cpu.get_reg("ip")) & 0xFFFFF
    program = rng.randbytes(256)
    for i, b in enumerate(program):
        cpu.mem[(base + i) & 0xFFFFF] = b
    # A random interrupt vector table, so INT n / faults jump somewhere arbitrary as well.
    cpu.mem[0:1024] = rng.randbytes(1024)
    cpu.io = RandomIO(rng)
    cpu.inta = lambda: rng.getrandbits(8)
    done = 0
    while done < instructions:
        ran = cpu.run(instructions - done)
        done += ran
        if ran == 0:                 # halted with IF=0 and nothing pending: poke it
            if rng.random() < 0.5:
                cpu.nmi()
            else:
                cpu.set_intr(True)
                cpu.set_reg("flags", cpu.get_reg("flags") | 0x200)
            if cpu.run(1) == 0:
                break
            done += 1
            cpu.set_intr(False)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=10_000)
    parser.add_argument("--instructions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    total = 0
    for i in range(args.programs):
        total += run_program(args.seed + i, args.instructions)
        if (i + 1) % 1000 == 0:
            print(f"{i + 1} programs, {total:,} instructions", file=sys.stderr)
    elapsed = time.perf_counter() - start
    print(f"{args.programs} programs, {total:,} instructions, no crash ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
