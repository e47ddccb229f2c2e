"""Removable media as the guest sees it, through the real VM process: our floppy_media guest
checks the change line, "not ready" and "write protected" with INT 13h directly while
`xtbox vm media` changes drive B: under it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_vm_cli import home, xtbox  # noqa: F401  (the fixture and the CLI runner)
from tui.control import manager

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def medium(path: Path, size: int, marker: bytes) -> Path:
    data = bytearray(size)
    data[:len(marker)] = marker
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("temporary", [False, True], ids=["kept", "temporary"])
def test_media_changes_while_the_guest_runs(home, tmp_path, temporary):  # noqa: F811
    guest = tmp_path / "guest.img"
    shutil.copy(HERE / "floppy_media.img", guest)
    disk1 = medium(tmp_path / "disk1.img", 737_280, b"MEDIA TEST DISK 1")
    disk2 = medium(tmp_path / "disk2.qcow2.src", 1_228_800, b"MEDIA TEST DISK 2")
    qcow = tmp_path / "disk2.qcow2"              # any image format: the second one is qcow2
    subprocess.run([sys.executable, "-m", "tui.cli", "disk", "convert", str(disk2), str(qcow)],
                   cwd=ROOT, check=True, capture_output=True)
    xtbox("vm", "create", "media", "--fda", str(guest))
    xtbox("vm", "start", "media", "--headless", *(["--temporary"] if temporary else []))

    def wait_for(text: str) -> None:
        # The manager's calls are the CLI's `vm expect/type/screenshot` without a process each.
        assert manager.expect("media", text, timeout=20), "\n".join(
            manager.screen("media")["text"])

    try:
        for prompt, media_args in [("insert disk 1", ["b:", str(disk1)]),
                                   ("insert disk 2", ["b:", str(qcow), "--read-only"]),
                                   ("eject B:", ["b:", "--eject"])]:
            wait_for(prompt)
            xtbox("vm", "media", "media", *media_args)
            b = manager.status("media")["media"][1]
            assert b["image"] == (media_args[1] if media_args[1] != "--eject" else None)
            assert b.get("temporary", False) == (temporary and media_args[1] == str(disk1))
            manager.type_text("media", "x")
        wait_for("all media checks passed")
    finally:
        manager.stop_vm("media")
    # A temporary run's writes went to an overlay, gone with the run.
    written = disk1.read_bytes()[512:532] == b"WRITTEN BY THE GUEST"
    assert written != temporary
    assert b"WRITTEN" not in disk2.read_bytes()
    # Without --save the running VM's changes stay out of its profile.
    profile = (home / "vms" / "media" / "vm.toml").read_text()
    assert "fdb" not in profile and "write_protected" not in profile
