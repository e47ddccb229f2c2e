"""Real FreeDOS sees diskettes change under it (tests/dos_images.py finds the DOS floppy): it
boots from A: in a VM process, and `xtbox vm media` puts floppies formatted by mtools into B:
while DOS runs. Both floppies have the same volume serial number, so only the change line can
tell DOS that the disk is a different one; `dir b:` is typed right after each change."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli.test_vm_cli import home, xtbox  # noqa: F401  (the fixture and the CLI runner)
from tests.dos_images import copy_floppy, needs_dos_floppy
from tui.control import manager

needs_mtools = pytest.mark.skipif(shutil.which("mformat") is None, reason="mtools not installed")


def dos_floppy(folder: Path, label: str, kib: int) -> Path:
    """A fresh FAT floppy holding LABEL.TXT ("hello LABEL"), serial number 1234-5678."""
    image = folder / f"{label.lower()}.img"
    subprocess.run(["mformat", "-C", "-f", str(kib), "-N", "12345678", "-v", label,
                    "-i", str(image), "::"], check=True, capture_output=True)
    text = folder / f"{label}.TXT"
    text.write_text(f"hello {label}\r\n")
    subprocess.run(["mcopy", "-i", str(image), str(text), f"::{label}.TXT"], check=True,
                   capture_output=True)
    return image


@needs_dos_floppy
@needs_mtools
def test_dos_sees_floppies_change_in_b(home, tmp_path):  # noqa: F811
    boot = copy_floppy(tmp_path)
    one = dos_floppy(tmp_path, "ONE", 720)
    two = dos_floppy(tmp_path, "TWO", 360)
    xtbox("vm", "create", "dos", "--fda", str(boot))
    xtbox("vm", "start", "dos", "--headless")

    def screen() -> str:
        return "\n".join(manager.screen("dos")["text"])

    def run(command: str, until: str) -> str:
        manager.type_text("dos", "cls\n")           # the last command's answer must go first
        deadline = time.monotonic() + 30
        while until in screen() or "A:\\>" not in screen():
            assert time.monotonic() < deadline, screen()
            time.sleep(0.05)
        manager.type_text("dos", f"{command}\n")
        assert manager.expect("dos", until, timeout=30), screen()
        return screen()

    try:
        assert manager.expect("dos", "A:\\>", timeout=60), screen()
        xtbox("vm", "media", "dos", "b:", str(one))
        shown = run("dir b:", "bytes free")
        assert "ONE      TXT" in shown and "Volume in drive B is ONE" in shown
        assert "hello ONE" in run("type b:one.txt", "hello")

        xtbox("vm", "media", "dos", "b:", str(two))
        shown = run("dir b:", "bytes free")
        assert "TWO      TXT" in shown and "ONE" not in shown

        xtbox("vm", "media", "dos", "b:", str(two), "--read-only")
        shown = run("copy b:two.txt b:copy.txt", "(F)ail?")
        assert "write-protect" in shown.lower()
        manager.type_text("dos", "f")
        assert manager.expect("dos", "A:\\>", timeout=30), screen()

        xtbox("vm", "media", "dos", "b:", "--eject")
        shown = run("dir b:", "(F)ail?")
        assert "not ready" in shown.lower() and "drive B" in shown
        manager.type_text("dos", "f")
        assert manager.expect("dos", "A:\\>", timeout=30), screen()
    finally:
        manager.stop_vm("dos")
    listing = subprocess.run(["mdir", "-b", "-i", str(two), "::"], capture_output=True,
                             text=True).stdout
    assert "COPY" not in listing.upper()             # the write-protected disk kept as it was
