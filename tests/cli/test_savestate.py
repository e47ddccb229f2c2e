"""Suspend and resume through the real CLI and VM processes: `xtbox vm save`, `start`,
`discard-state`; the counting guest, the demo shell with keys in flight, FreeDOS at its
prompt; a profile changed since and a damaged state are refused clearly."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from tests.cli.test_vm_cli import ROOT, home, status, xtbox  # noqa: F401
from tests.dos_images import copy_floppy, needs_dos_floppy
from tui.control import manager

COUNTER = ROOT / "tests" / "guests" / "counter.img"
TICK_HZ = 1_193_182 / 65536


def count(name: str) -> int:
    line = manager.screen(name)["text"][1]
    match = re.fullmatch(r"count (\d{10}) *", line)
    assert match, line
    return int(match.group(1))


def wait_count(name: str, at_least: int, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while (n := count(name)) < at_least:
        assert time.monotonic() < deadline, f"the count stayed at {n}"
        time.sleep(0.05)
    return n


def view(name: str) -> tuple[list[str], list]:
    """What the guest shows: the text and the cursor (row, column, shape)."""
    screen = manager.screen(name)
    return screen["text"], screen["cursor"]


def suspend(name: str) -> tuple[list[str], list]:
    """Pause, read the screen, save; the VM is then gone and listed as saved."""
    xtbox("vm", "pause", name)
    screen = view(name)
    out = xtbox("vm", "save", name).stdout
    assert "state saved" in out
    assert status(name)["state"] == "saved"
    assert re.search(rf"^{name} +saved ", xtbox("vm", "list").stdout, re.M)
    return screen


def resume(name: str) -> tuple[list[str], list]:
    """Start (it comes back paused, as it was saved) and read the screen at once."""
    xtbox("vm", "start", name, "--headless")
    assert manager.status(name)["state"] == "paused"
    return view(name)


def counter_vm(home: Path) -> str:  # noqa: F811
    image = home.parent / "counter.img"
    shutil.copy(COUNTER, image)
    xtbox("vm", "create", "cnt", "--fda", str(image))
    xtbox("vm", "start", "cnt", "--headless")
    assert manager.expect("cnt", "count ", timeout=30)
    wait_count("cnt", 5)
    return "cnt"


def test_counting_guest_continues_its_count(home):  # noqa: F811
    name = counter_vm(home)
    before = suspend(name)
    saved = int(before[0][1].split()[1])
    assert saved >= 5
    assert (home / "vms" / name / "saved-state.xtstate").exists()
    assert resume(name) == before                     # the same screen, at once
    t0 = time.monotonic()
    xtbox("vm", "resume", name)
    time.sleep(1.0)
    now = count(name)
    elapsed = time.monotonic() - t0             # at least the time it ran since resuming
    # Neither a restart (from 0) nor a gap (time that passed while saved) nor a standstill.
    assert saved < now <= saved + int(elapsed * TICK_HZ) + 3
    assert not (home / "vms" / name / "saved-state.xtstate").exists()   # resumed: used up
    xtbox("vm", "stop", name)
    assert status(name)["state"] == "poweroff"


def test_demo_shell_resumes_with_its_keys_still_pending(home):  # noqa: F811
    xtbox("vm", "create", "demo", "--demo")
    xtbox("vm", "start", "demo", "--headless")
    assert manager.expect("demo", "xtbox>", timeout=30)
    xtbox("vm", "pause", "demo")
    xtbox("vm", "type", "demo", "echo kept across\\n")   # queued while paused
    screen = view("demo")
    xtbox("vm", "save", "demo")
    assert resume("demo") == screen
    assert "kept across" not in "\n".join(screen[0])
    xtbox("vm", "resume", "demo")
    assert manager.expect("demo", "kept across", timeout=20)
    xtbox("vm", "stop", "demo")


@needs_dos_floppy
def test_freedos_at_its_prompt_resumes_exactly(home):  # noqa: F811
    floppy = copy_floppy(home.parent)
    xtbox("vm", "create", "dos", "--fda", str(floppy))
    xtbox("vm", "start", "dos", "--headless")
    assert manager.expect("dos", "A:\\>", timeout=60)
    manager.type_text("dos", "echo before\n")
    assert manager.expect("dos", "before", timeout=20)
    before = suspend("dos")
    assert resume("dos") == before
    xtbox("vm", "resume", "dos")
    manager.type_text("dos", "echo resumed\n")
    assert manager.expect("dos", "resumed", timeout=20)
    xtbox("vm", "stop", "dos")


def test_state_that_no_longer_fits_is_refused_with_what_changed(home):  # noqa: F811
    name = counter_vm(home)
    suspend(name)
    xtbox("vm", "modify", name, "--memory", "512")
    refused = xtbox("vm", "start", name, "--headless", check=False)
    assert refused.returncode == 2
    assert "memory 640 KiB -> 512 KiB" in refused.stderr and "discard-state" in refused.stderr
    assert status(name)["state"] == "saved"
    xtbox("vm", "modify", name, "--memory", "640")    # undone: it resumes
    xtbox("vm", "start", name, "--headless")
    assert count(name) >= 5
    xtbox("vm", "stop", name)


def test_damaged_state_is_reported_and_can_be_discarded(home):  # noqa: F811
    name = counter_vm(home)
    suspend(name)
    state = home / "vms" / name / "saved-state.xtstate"
    state.write_bytes(state.read_bytes()[:-100])        # truncated
    refused = xtbox("vm", "start", name, "--headless", check=False)
    assert refused.returncode == 2 and "damaged or truncated" in refused.stderr
    assert str(state) in refused.stderr
    assert "discarded" in xtbox("vm", "discard-state", name).stdout
    assert status(name)["state"] == "poweroff" and not state.exists()
    again = xtbox("vm", "discard-state", name, check=False)
    assert again.returncode == 2 and "no saved state" in again.stderr
    xtbox("vm", "start", name, "--headless")            # boots afresh
    assert manager.expect(name, "count ", timeout=30)
    assert count(name) < 40
    xtbox("vm", "stop", name)


def test_hard_disk_replaced_by_another_size_is_refused(home):  # noqa: F811
    disk = home.parent / "c.qcow2"
    xtbox("disk", "create", str(disk), "2M")
    image = home.parent / "counter.img"
    shutil.copy(COUNTER, image)
    xtbox("vm", "create", "cnt", "--fda", str(image), "--hda", str(disk))
    xtbox("vm", "start", "cnt", "--headless")
    assert manager.expect("cnt", "count ", timeout=30)
    suspend("cnt")
    disk.unlink()
    xtbox("disk", "create", str(disk), "4M")       # the same path, another disk
    refused = xtbox("vm", "start", "cnt", "--headless", check=False)
    assert refused.returncode == 2
    assert "resized from 2,097,152 to 4,194,304 bytes" in refused.stderr
    assert "discard-state" in refused.stderr and status("cnt")["state"] == "saved"


def test_a_folder_drive_is_kept_as_it_was_saved(home):  # noqa: F811
    share = home.parent / "share"
    share.mkdir()
    (share / "old.txt").write_text("old\n")
    image = home.parent / "counter.img"
    shutil.copy(COUNTER, image)
    xtbox("vm", "create", "cnt", "--fda", str(image), "--hda", f"folder:{share}")
    xtbox("vm", "start", "cnt", "--headless")
    assert manager.expect("cnt", "count ", timeout=30)
    overlay = home / "vms" / "cnt" / "folder-hda.qcow2"
    base = overlay.with_name("folder-hda-base.img")
    built = base.stat().st_ino
    suspend("cnt")
    (share / "new.txt").write_text("new\n")              # the host changes the folder
    xtbox("vm", "start", "cnt", "--headless")            # resumes: the disk it was saved with
    assert base.stat().st_ino == built
    listing = xtbox("disk", "ls", f"{overlay}:").stdout
    assert "OLD" in listing and "NEW" not in listing
    xtbox("vm", "stop", "cnt")
    xtbox("vm", "start", "cnt", "--headless")            # a fresh start builds it afresh
    assert "NEW" in xtbox("disk", "ls", f"{overlay}:").stdout
    xtbox("vm", "stop", "cnt")
