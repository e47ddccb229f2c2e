"""REP MOVS/STOS run as one host copy or fill when that is exactly what the iterations would
do (engine/cpu/strings.pxi, rep_block). This checks the result against a model of the 8086's
iterations, one element at a time, with offsets wrapping at 64 KiB and addresses at 1 MiB, on
cases chosen to sit on every condition of the fast path: overlapping copies in both
directions (the fill idiom), wraps, ROM in the destination, DF set, a segment override."""

import random

import pytest

from engine.cpu import CPU

MEG = 1 << 20
ROM = (0xF0000, 0x100000)


def model(mem: bytearray, op: int, regs: dict, src_seg: int, rom: tuple[int, int]) -> None:
    """The 8086's REP MOVS/STOS, one element at a time."""
    size = 2 if op & 1 else 1
    step = -size if regs["flags"] & 0x400 else size
    while regs["cx"]:
        if op in (0xA4, 0xA5):      # the whole element is read before it is written
            values = [mem[((src_seg << 4) + ((regs["si"] + k) & 0xFFFF)) & (MEG - 1)]
                      for k in range(size)]
        else:
            values = [(regs["ax"] >> (8 * k)) & 0xFF for k in range(size)]
        for k in range(size):
            dst = ((regs["es"] << 4) + ((regs["di"] + k) & 0xFFFF)) & (MEG - 1)
            if not rom[0] <= dst < rom[1]:
                mem[dst] = values[k]
        if op in (0xA4, 0xA5):
            regs["si"] = (regs["si"] + step) & 0xFFFF
        regs["di"] = (regs["di"] + step) & 0xFFFF
        regs["cx"] -= 1


def run_case(op: int, override: int | None, regs: dict, seed: int) -> None:
    rnd = random.Random(seed)
    cpu = CPU()
    cpu.write_protect(*ROM)
    noise = bytes(rnd.getrandbits(8) for _ in range(4096))
    image = bytearray(noise * (MEG // len(noise)))
    cpu.mem[:] = image
    code = bytes(([override] if override is not None else []) + [0xF3, op])
    cs, ip = 0x0800, 0x0000
    base = cs << 4
    cpu.mem[base:base + len(code)] = code
    image[base:base + len(code)] = code
    for name, value in regs.items():
        cpu.set_reg(name, value)
    cpu.set_reg("cs", cs)
    cpu.set_reg("ip", ip)
    assert cpu.step() == 1
    src_seg = regs["ds"] if override is None else {0x26: regs["es"], 0x2E: cs,
                                                    0x36: regs["ss"], 0x3E: regs["ds"]}[override]
    expected = dict(regs)
    model(image, op, expected, src_seg, ROM)
    for name in ("cx", "si", "di"):
        assert cpu.get_reg(name) == expected[name], name
    assert cpu.get_reg("ip") == len(code)
    got = bytes(cpu.mem)
    if got != bytes(image):
        first = next(i for i in range(MEG) if got[i] != image[i])
        pytest.fail(f"memory differs first at {first:#07x}: {got[first]:#04x} != {image[first]:#04x}")


CASES = [
    # (op, override, ds, si, es, di, cx, df)
    (0xA4, None, 0x1000, 0x0000, 0x2000, 0x0000, 300, 0),      # plain copy
    (0xA5, None, 0x1000, 0x0010, 0x1000, 0x0011, 200, 0),      # word copy, dst one byte up
    (0xA4, None, 0x1000, 0x0100, 0x1000, 0x0101, 500, 0),      # fill idiom: replicate a byte
    (0xA5, None, 0x1000, 0x0102, 0x1000, 0x0100, 500, 0),      # overlap, dst below src
    (0xA4, None, 0x1000, 0xFF00, 0x2000, 0x0000, 0x200, 0),    # source offset wraps
    (0xA5, None, 0x1000, 0x0000, 0x2000, 0xFFF1, 0x20, 0),     # destination offset wraps
    (0xA4, None, 0xFFF0, 0x0000, 0x3000, 0x0000, 0x200, 0),    # source address wraps at 1 MiB
    (0xA5, None, 0x1000, 0x0000, 0xEFF0, 0xFF00, 0x100, 0),    # destination runs into ROM
    (0xA5, None, 0x1000, 0x0040, 0x1000, 0x0000, 0x40, 1),     # DF set: downwards
    (0xA4, 0x26, 0x1000, 0x0000, 0x2000, 0x1000, 100, 0),      # ES: override on the source
    (0xA4, 0x2E, 0x1000, 0x0000, 0x2000, 0x1000, 100, 0),      # CS: override
    (0xAA, None, 0x1000, 0x0000, 0x2000, 0x0003, 1000, 0),     # byte fill
    (0xAB, None, 0x1000, 0x0000, 0x2000, 0x0001, 1000, 0),     # word fill, odd address
    (0xAB, None, 0x1000, 0x0000, 0x2000, 0xFFF0, 0x10, 0),     # word fill wraps its offset
    (0xAA, None, 0x1000, 0x0000, 0xEFFF, 0xFFF0, 0x40, 0),     # fill into ROM
    (0xAB, None, 0x1000, 0x0000, 0x2000, 0x0100, 0x80, 1),     # DF set
    (0xA5, None, 0x1000, 0x0000, 0x2000, 0x0000, 0, 0),        # CX = 0: nothing
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]:02X}-{i}" for i, c in enumerate(CASES)])
def test_rep_block_matches_iterations(case):
    op, override, ds, si, es, di, cx, df = case
    regs = {"ds": ds, "si": si, "es": es, "di": di, "cx": cx, "ss": 0x3000,
            "ax": 0xA55A, "flags": 0x0002 | (0x400 if df else 0)}
    run_case(op, override, regs, seed=cx + si + di)


def test_rep_block_random_cases():
    rnd = random.Random(8086)
    for i in range(40):
        op = rnd.choice([0xA4, 0xA5, 0xAA, 0xAB])
        near = rnd.choice([0, 1, 2])
        si = rnd.randrange(0x10000) if near == 0 else rnd.randrange(0xFF00, 0x10000)
        di = si + rnd.randrange(-4, 5) if near == 1 else rnd.randrange(0x10000)
        regs = {"ds": rnd.randrange(0x10000), "si": si & 0xFFFF, "es": rnd.randrange(0x10000),
                "di": di & 0xFFFF, "cx": rnd.randrange(0, 600), "ss": 0x3000,
                "ax": rnd.randrange(0x10000), "flags": 0x0002 | (0x400 * rnd.randrange(2))}
        if near == 1:
            regs["es"] = regs["ds"]
        run_case(op, rnd.choice([None, 0x26, 0x2E, 0x36, 0x3E]), regs, seed=i)
