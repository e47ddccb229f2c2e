"""Every binary we commit beside its nasm source (the ROM, the demo disk, guest programs,
benchmark workloads, the FAT disks' boot code) is exactly what that source assembles to: one
test for all of them, so a new guest is covered the moment its .asm and .img/.bin are
committed.

A committed floppy image may be the assembled bytes padded with zeros to a floppy size."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _pairs() -> list[tuple[Path, Path]]:
    pairs = []
    for source in sorted(ROOT.glob("[det]*/**/*.asm")):
        if "build" in source.parts:
            continue
        for suffix in (".bin", ".img", ".com"):
            binary = source.with_suffix(suffix)
            if binary.exists():
                pairs.append((source, binary))
    return pairs


PAIRS = _pairs()


def test_the_known_binaries_are_covered():
    names = {b.name for _, b in PAIRS}
    assert {"rom.bin", "demo.img", "bios_services.img", "cpu_mix.img",
                     "mbr.bin", "vbr.bin"} <= names


@pytest.mark.skipif(shutil.which("nasm") is None, reason="nasm not installed")
@pytest.mark.parametrize("source,binary", PAIRS, ids=[str(b.relative_to(ROOT)) for _, b in PAIRS])
def test_binary_rebuilds_identically(tmp_path, source, binary):
    out = tmp_path / "built"
    subprocess.run(["nasm", "-f", "bin", "-o", str(out), source.name], cwd=source.parent,
                   check=True)
    built, committed = out.read_bytes(), binary.read_bytes()
    assert len(committed) >= len(built)
    assert committed[:len(built)] == built, f"{binary.name} differs from {source.name}"
    assert not any(committed[len(built):]), f"{binary.name} has more than zero padding"
