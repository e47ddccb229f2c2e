"""Every IBM PC diskette format boots a guest of ours, which checks the BIOS's geometry, drive
type, parameter table and media state against the BPB mtools wrote."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from engine.machine import Machine, MachineConfig

HERE = Path(__file__).parent
BOOT = HERE / "floppy_geometry.img"
FORMATS = {"160K": 160, "180K": 180, "320K": 320, "360K": 360, "720K": 720, "1.2M": 1200,
           "1.44M": 1440, "2.88M": 2880}


def formatted(path: Path, kib: int) -> Path:
    """An mformat-ed diskette with our boot code around its BPB, a marker in its last sector."""
    subprocess.run(["mformat", "-C", "-i", str(path), "-f", str(kib), "::"], check=True,
                   capture_output=True)
    image = bytearray(path.read_bytes())
    assert len(image) == kib * 1024
    code = BOOT.read_bytes()
    image[0:3] = code[0:3]
    image[0x3E:512] = code[0x3E:512]
    image[-512:-512 + 11] = b"LAST SECTOR"
    path.write_bytes(image)
    return path


@pytest.mark.skipif(shutil.which("mformat") is None, reason="mtools not installed")
@pytest.mark.parametrize("name", FORMATS)
def test_every_floppy_format_boots_our_guest(tmp_path, name):
    image = formatted(tmp_path / f"{name}.img", FORMATS[name])
    out = bytearray()
    m = Machine(MachineConfig(fda=str(image), boot="a"))
    m.debug_out = out.extend
    try:
        status = m.run(max_seconds=20)
    finally:
        m.close()
    assert (status, bytes(out)) == (1, b"+"), f"failed check {status >> 1}"   # 0 -> (0<<1)|1
    assert image.read_bytes()[-512:-510] == b"OK"                 # the guest's write landed
