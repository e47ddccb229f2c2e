"""Real DOS on our BIOS. DOS images are not ours to ship: tests/dos_images.py finds them
(XTBOX_DOS_FLOPPY, or the FreeDOS floppies in ../shared/dos; XTBOX_DOS_HDD for a hard disk with
a bootable DOS partition), and these tests skip without them.

A FreeDOS boot floppy can make such a hard disk inside xtbox itself: boot the floppy with an
empty --hda image and run `fdisk /auto`, `fdisk /mbr`, then `format c: /s /u`."""

import shutil
import subprocess
import sys
from pathlib import Path

from tests.dos_images import copy_floppy, dos_hdd, needs_dos_floppy, needs_dos_hdd

ROOT = Path(__file__).resolve().parents[3]


def run(tmp_path, *args, seconds=25):
    dump = tmp_path / "screen.txt"
    r = subprocess.run([sys.executable, "-m", "tui.cli", "run", *map(str, args),
                        "--max-seconds", str(seconds), "--screen-dump", str(dump)],
                       cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60)
    assert r.returncode == 0, r.stderr
    return dump.read_text()


@needs_dos_floppy
def test_dos_floppy_boots_to_prompt_lists_and_runs(tmp_path):
    image = copy_floppy(tmp_path)                    # DOS may write to its boot disk
    screen = run(tmp_path, "--fda", image, "--type", r"dir\nver\necho typed-ok\n",
                 "--type-after", "10")
    assert "A:\\>" in screen
    assert "Directory of A:\\" in screen or "bytes free" in screen
    assert "typed-ok" in screen


@needs_dos_hdd
def test_dos_hard_disk_boots_from_c(tmp_path):
    image = tmp_path / "hdd.img"
    shutil.copy(dos_hdd(), image)
    # Two Enters first: without an AUTOEXEC.BAT, DOS asks for the date and the time.
    screen = run(tmp_path, "--hda", image, "--boot", "c", "--type", r"\n\ndir\n",
                 "--type-after", "10")
    assert "C:\\>" in screen
    assert "bytes free" in screen
