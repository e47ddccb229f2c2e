"""Lazy flags carried from one instruction to the next give the same results as flags made
concrete after every instruction.

The single-step vectors start every test from concrete flags, so they cannot see a mistake in
flags recorded by one instruction and read by a later one (ADD then INC then JC, CMP then
PUSHF, SUB then a rotate through carry...). Here the same program runs twice: once straight
through (flags stay lazy across instructions) and once a step at a time with FLAGS read and
written back after each step (which makes them concrete, the state every vector starts
from). Registers, flags and memory must agree after every run.
"""

import hashlib
import random

from engine.cpu import CPU

REGS = ("ax", "bx", "cx", "dx", "si", "di", "bp", "sp", "cs", "ds", "es", "ss", "ip", "flags")

# Instructions that set flags, read them, or both, in several encodings (register and memory
# operands, byte and word). Memory operands use [bx+si] / [di+disp8] inside the data segment.
FLAGGY = [
    b"\x01\xd8", b"\x00\xe3", b"\x11\xc8", b"\x18\xd1", b"\x29\xc3", b"\x19\xd8", b"\x39\xd0",
    b"\x38\xe0", b"\x21\xc8", b"\x09\xd0", b"\x31\xd8", b"\x85\xc3", b"\x84\xe0", b"\x83\xc0\x7f",
    b"\x83\xe8\x01", b"\x80\xd4\x80", b"\x3c\x00", b"\x3d\xff\x7f", b"\xa8\x01", b"\x40", b"\x48",
    b"\x43", b"\x4b", b"\xfe\xc0", b"\xfe\xcc", b"\xf7\xd8", b"\xf6\xdc", b"\xd1\xe0", b"\xd1\xe8",
    b"\xd1\xf8", b"\xd1\xc0", b"\xd1\xc8", b"\xd1\xd0", b"\xd1\xd8", b"\xd0\xe4", b"\xd3\xe0",
    b"\xd2\xc8", b"\xd0\xf0", b"\x9c\x58", b"\x50\x9d", b"\x9f", b"\x9e", b"\xf5", b"\xf8", b"\xf9",
    b"\xd6", b"\x27", b"\x2f", b"\x37", b"\x3f", b"\xd4\x0a", b"\xd5\x0a", b"\xf7\xe3", b"\xf6\xeb",
    b"\x01\x00", b"\x11\x45\x04", b"\x29\x05", b"\xff\x00", b"\xfe\x4d\x02", b"\xd1\x20",
    b"\x83\x3d\x00", b"\xa6", b"\xae", b"\x98", b"\x99", b"\x90",
    b"\x72\x00", b"\x73\x00", b"\x74\x00", b"\x75\x00", b"\x76\x00", b"\x77\x00", b"\x78\x00",
    b"\x79\x00", b"\x7a\x00", b"\x7b\x00", b"\x7c\x00", b"\x7d\x00", b"\x7e\x00", b"\x7f\x00",
    b"\x70\x00", b"\x71\x00", b"\xe1\x00", b"\xe0\x00",
]


class QuietIO:
    """Deterministic ports, so both runs read the same values."""

    def port_read(self, port: int, width: int) -> int:
        return (port * 0x9E37 + width) & 0xFFFF

    def port_write(self, port: int, value: int, width: int) -> None:
        pass


def make_cpu(seed: int, program: bytes) -> CPU:
    rng = random.Random(seed)
    cpu = CPU()
    cpu.mem[:] = bytes(rng.getrandbits(8) for _ in range(256)) * 4096
    for name in REGS[:-1]:
        cpu.set_reg(name, rng.getrandbits(16))
    cpu.set_reg("flags", rng.getrandbits(16) & ~0x0300)      # TF and IF off
    base = (cpu.get_reg("cs") * 16 + cpu.get_reg("ip")) & 0xFFFFF
    for i, b in enumerate(program):
        cpu.mem[(base + i) & 0xFFFFF] = b
    cpu.io = QuietIO()
    cpu.inta = lambda: 0x20
    return cpu


def state(cpu: CPU) -> tuple:
    return tuple(cpu.get_reg(n) for n in REGS), hashlib.sha1(bytes(cpu.mem)).hexdigest()


def compare(seed: int, program: bytes, steps: int) -> None:
    lazy, concrete = make_cpu(seed, program), make_cpu(seed, program)
    ran = lazy.run(steps)
    for _ in range(ran):
        assert concrete.step() == 1
        concrete.set_reg("flags", concrete.get_reg("flags"))
    assert state(lazy) == state(concrete), f"seed {seed}: differs after {ran} instructions"


def test_flag_heavy_sequences():
    for seed in range(150):
        rng = random.Random(seed)
        program = b"".join(rng.choice(FLAGGY) for _ in range(120))
        compare(seed, program, 200)


def test_random_programs():
    for seed in range(40):
        rng = random.Random(10_000 + seed)
        compare(10_000 + seed, rng.randbytes(256), 1500)
