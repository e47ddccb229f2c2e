"""Our boot code on new FAT disks, through the real `xtbox run`: the MBR starts the active
partition's boot sector as DOS's does (DL = the drive, DS:SI = its table entry), and says why
when it cannot; a volume with no DOS yet says so instead of hanging. (tests/test_assembled.py
checks that the committed binaries are what their sources assemble to.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from disks.fat.image import create_fat_image

ROOT = Path(__file__).resolve().parents[3]
PROBE = ROOT / "tests" / "guests" / "vbr_probe.img"
PART = 63 * 512


def boot(tmp_path, *args: str, seconds: float = 4) -> tuple[subprocess.CompletedProcess, str]:
    dump = tmp_path / "screen.txt"
    r = subprocess.run([sys.executable, "-m", "tui.cli", "run", *args, "--max-seconds",
                        str(seconds), "--screen-dump", str(dump)], cwd=ROOT,
                       capture_output=True, text=True, timeout=seconds + 60)
    return r, dump.read_text() if dump.exists() else ""


def test_mbr_starts_the_active_partition_as_dos_expects(tmp_path):
    image = tmp_path / "hd.img"
    create_fat_image(image, 10 << 20, fmt="raw")
    data = bytearray(image.read_bytes())
    data[PART + 0x3E:PART + 512] = PROBE.read_bytes()[0x3E:]      # the BPB stays
    image.write_bytes(data)
    r, _ = boot(tmp_path, "--hda", str(image), "--boot", "c")
    assert "vbr-probe DL=80 SI=07BE status=80" in r.stdout, r.stdout + r.stderr
    assert r.returncode == 1                                      # isa-debug-exit 0


@pytest.mark.parametrize("damage,message", [
    (None, "This disk has no operating system (formatted by xtbox)."),
    ("inactive", "No active partition (make one active with FDISK)"),
    ("no-signature", "Missing operating system (run SYS C: from a DOS floppy)"),
    ("two-active", "Invalid partition table")])
def test_mbr_and_empty_volume_say_why_nothing_boots(tmp_path, damage, message):
    image = tmp_path / "hd.img"
    create_fat_image(image, 10 << 20, fmt="raw")
    data = bytearray(image.read_bytes())
    if damage == "inactive":
        data[0x1BE] = 0
    elif damage == "no-signature":
        data[PART + 510:PART + 512] = bytes(2)
    elif damage == "two-active":
        data[0x1CE:0x1DE] = data[0x1BE:0x1CE]
    image.write_bytes(data)
    _, screen = boot(tmp_path, "--hda", str(image), "--boot", "c")
    assert message in screen


def test_empty_floppy_says_it_has_no_system(tmp_path):
    image = tmp_path / "a.img"
    create_fat_image(image, 368_640, fmt="raw")
    _, screen = boot(tmp_path, "--fda", str(image), "--boot", "a")
    assert "This disk has no operating system" in screen
    assert "press a key to boot again" in screen
