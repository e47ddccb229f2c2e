"""Loading and running the real-hardware 8086 single-step vectors (../shared/cpu-tests/8086).

Kept separate from the test module so the fuzz and report scripts can reuse it.
"""

from __future__ import annotations

import gzip
import json
import os
from functools import cache
from pathlib import Path

from engine.cpu import CPU

REPO = Path(__file__).resolve().parents[3]
REGS = ("ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp", "bp", "si", "di", "ip", "flags")


def suite_dir() -> Path:
    return Path(os.environ.get("XTBOX_CPU_TESTS", REPO.parent / "shared" / "cpu-tests" / "8086"))


def vector_files() -> list[Path]:
    d = suite_dir()
    return sorted(d.glob("*.json.gz")) if d.is_dir() else []


@cache
def metadata() -> dict:
    return json.loads((suite_dir() / "metadata.json").read_text())["opcodes"]


def flags_mask(path: Path, test: dict) -> int:
    """The defined-flags mask for this file/test (README: 'Undefined flags')."""
    stem = path.name.removesuffix(".json.gz")
    parts = stem.split(".")
    entry = metadata().get(parts[0].upper(), {})
    if len(parts) == 2:
        entry = entry.get("reg", {}).get(parts[1], entry)
    elif "reg" in entry and "flags-mask" not in entry:
        # 8F, C6, C7: one file, reg from the ModR/M byte after any prefixes.
        raw = test["bytes"]
        i = 0
        while raw[i] in (0x26, 0x2E, 0x36, 0x3E, 0xF0, 0xF1, 0xF2, 0xF3):
            i += 1
        reg = str((raw[i + 1] >> 3) & 7) if i + 1 < len(raw) else "0"
        entry = entry["reg"].get(reg, entry)
    return entry.get("flags-mask", 0xFFFF)


def load(path: Path) -> list[dict]:
    with gzip.open(path, "rb") as f:
        return json.loads(f.read())


def run_file(path: Path, masked: bool = True, cpu: CPU | None = None) -> list[str]:
    """Run all tests of one file; return a description of each failure."""
    cpu = cpu or CPU()
    mem = cpu.mem
    failures = []
    for test in load(path):
        init, final = test["initial"], test["final"]
        for addr, value in init["ram"]:
            mem[addr] = value
        for name, value in init["regs"].items():
            cpu.set_reg(name, value)
        cpu.step()
        mask = flags_mask(path, test) if masked else 0xFFFF
        want = dict(init["regs"], **final["regs"])
        diffs = []
        for name in REGS:
            got = cpu.get_reg(name)
            exp = want[name]
            if name == "flags":
                got, exp = got & mask, exp & mask
            if got != exp:
                diffs.append(f"{name}={got:04x} want {exp:04x}")
        sp_flags = _pushed_flags_addr(want) if mask != 0xFFFF else None
        for addr, value in final["ram"]:
            got = mem[addr]
            if sp_flags is not None and addr in sp_flags:
                bits = mask >> (8 * sp_flags.index(addr)) & 0xFF
                got, value = got & bits, value & bits
            if got != value:
                diffs.append(f"[{addr:05x}]={got:02x} want {value:02x}")
        if diffs:
            failures.append(f"{path.name} #{test['idx']} {test['name']}: " + ", ".join(diffs))
    return failures


def _pushed_flags_addr(regs: dict) -> tuple[int, int] | None:
    """Where a divide-error entry pushed FLAGS (SS:SP+4), when the test ends in the handler."""
    if regs["cs"] != 0 or regs["ip"] != 0x400:
        return None
    base = regs["ss"] << 4
    lo = (base + ((regs["sp"] + 4) & 0xFFFF)) & 0xFFFFF
    hi = (base + ((regs["sp"] + 5) & 0xFFFF)) & 0xFFFFF
    return (lo, hi)
