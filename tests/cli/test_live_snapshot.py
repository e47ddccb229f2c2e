"""Live snapshots through the real CLI and VM processes: `xtbox vm snapshot NAME take` on a
running VM keeps the machine state in the qcow2 VM-state area (qemu-img sees its size and
checks the image clean), the VM runs on, and `restore` + `start` resumes at that moment;
the counting guest, the demo shell, FreeDOS at its prompt, two disks, raw disks, a changed
profile and a damaged state."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

from disks import open_image
from disks.qcow2 import snapshot as qs
from engine.vmm import savestate
from tests.cli.test_savestate import COUNTER, TICK_HZ, count, view, wait_count
from tests.cli.test_vm_cli import home, status, xtbox  # noqa: F401
from tests.disks.conftest import QEMU_IMG, qemu, qemu_check
from tests.dos_images import copy_floppy, needs_dos_floppy
from tui.control import manager


def overlay_of(image: Path, name: str, folder: Path) -> Path:
    """A qcow2 overlay, in ``folder``, of a copy of ``image`` (raw images cannot hold
    snapshots)."""
    base = folder / f"{name}-base{image.suffix}"
    shutil.copy(image, base)
    out = folder / f"{name}.qcow2"
    xtbox("disk", "create", str(out), "--backing", str(base))
    return out


def counter_vm(home: Path, *extra: str) -> tuple[str, Path]:  # noqa: F811
    disk = overlay_of(COUNTER, "counter", home.parent)
    xtbox("vm", "create", "cnt", "--fda", str(disk), *extra)
    xtbox("vm", "start", "cnt", "--headless")
    assert manager.expect("cnt", "count ", timeout=30)
    wait_count("cnt", 3)
    return "cnt", disk


def snaps(name: str) -> dict[str, dict]:
    listed = json.loads(xtbox("vm", "snapshot", name, "list", "--json").stdout)
    return {s["name"]: s for s in listed}


def machine_point(name: str) -> tuple[int, int]:
    """Where the machine is: its instruction count and its own clock (guest ns)."""
    now = manager.status(name)
    return now["instructions"], now["guest_ns"]


def take_paused(name: str, snap: str) -> tuple[list[str], list, tuple[int, int]]:
    """Pause, read the screen, take the snapshot, resume: the screen (and the machine's
    instruction count and clock) it must come back to."""
    xtbox("vm", "pause", name)
    screen = view(name)
    point = machine_point(name)
    out = xtbox("vm", "snapshot", name, "take", snap).stdout
    assert "machine state" in out
    xtbox("vm", "resume", name)
    return (*screen, point)


def restore_and_start(name: str, snap: str) -> tuple:
    """Restore, start; the screen, and when it comes back paused the machine's point too."""
    out = xtbox("vm", "snapshot", name, "restore", snap).stdout
    assert "resumes it" in out
    assert status(name)["state"] == "saved"
    xtbox("vm", "start", name, "--headless")
    screen = view(name)
    if manager.status(name)["state"] == "paused":
        return (*screen, machine_point(name))
    return screen


def test_counting_guest_resumes_at_the_snapshot_and_runs_on_after_the_take(home):  # noqa: F811
    name, disk = counter_vm(home)
    taken = count(name)                                        # the snapshot's count or less
    xtbox("vm", "snapshot", name, "take", "running")         # taken while it runs
    assert manager.status(name)["state"] == "running"         # the VM goes on running
    wait_count(name, taken + 5)
    before = take_paused(name, "paused")
    at = int(before[0][1].split()[1])
    wait_count(name, at + 5)
    listed = snaps(name)
    assert listed["paused"]["state_bytes"] > 0 and listed["paused"]["state_disk"] == str(disk)
    assert "machine state" in xtbox("vm", "snapshot", name, "list").stdout
    xtbox("vm", "stop", name)
    # qemu-img sees the state and finds the image clean.
    if QEMU_IMG:
        listing = qemu("snapshot", "-l", str(disk)).stdout
        for snap in ("running", "paused"):
            line = next(ln for ln in listing.splitlines() if f" {snap} " in ln)
            assert re.search(r"\d(\.\d)? KiB", line) and not re.search(r" 0 B ", line), line
        assert qemu_check(disk).returncode == 0
    assert restore_and_start(name, "paused") == before   # screen, instructions, clock: at once
    assert manager.status(name)["state"] == "paused"           # taken paused: resumes paused
    t0 = time.monotonic()
    xtbox("vm", "resume", name)
    time.sleep(1.0)
    now = count(name)
    elapsed = time.monotonic() - t0
    # From the snapshot's count on: not a restart, not the count it had reached later.
    assert at < now <= at + int(elapsed * TICK_HZ) + 3
    xtbox("vm", "stop", name)
    restore_and_start(name, "running")
    assert manager.status(name)["state"] == "running"
    assert taken <= count(name) < at
    xtbox("vm", "stop", name)
    if QEMU_IMG:
        assert qemu_check(disk).returncode == 0
        qemu("snapshot", "-d", "paused", str(disk))           # QEMU deletes ours cleanly
        assert qemu_check(disk).returncode == 0
        assert list(snaps(name)) == ["running"]


def test_demo_shell_live_snapshot_with_keys_pending(home):  # noqa: F811
    xtbox("vm", "create", "demo", "--demo")
    xtbox("vm", "start", "demo", "--headless")
    assert manager.expect("demo", "xtbox>", timeout=30)
    xtbox("vm", "pause", "demo")
    xtbox("vm", "type", "demo", "echo from the snapshot\\n")   # queued, not yet seen
    screen = view("demo")
    xtbox("vm", "snapshot", "demo", "take", "keys")
    xtbox("vm", "resume", "demo")
    assert manager.expect("demo", "from the snapshot", timeout=20)
    xtbox("vm", "type", "demo", "echo later\\n")
    assert manager.expect("demo", "later", timeout=20)
    xtbox("vm", "stop", "demo")
    assert restore_and_start("demo", "keys")[:2] == screen
    assert "from the snapshot" not in "\n".join(screen[0])
    xtbox("vm", "resume", "demo")
    assert manager.expect("demo", "from the snapshot", timeout=20)   # still pending
    assert "later" not in "\n".join(manager.screen("demo")["text"])
    xtbox("vm", "stop", "demo")


@needs_dos_floppy
def test_freedos_at_its_prompt_live_snapshot(home):  # noqa: F811
    disk = overlay_of(copy_floppy(home.parent), "dos", home.parent)
    xtbox("vm", "create", "dos", "--fda", str(disk))
    xtbox("vm", "start", "dos", "--headless")
    assert manager.expect("dos", "A:\\>", timeout=60)
    manager.type_text("dos", "echo before\n")
    assert manager.expect("dos", "before", timeout=20)
    before = take_paused("dos", "prompt")
    manager.type_text("dos", "echo after\n")
    assert manager.expect("dos", "after", timeout=20)
    xtbox("vm", "stop", "dos")
    assert restore_and_start("dos", "prompt") == before
    xtbox("vm", "resume", "dos")
    manager.type_text("dos", "echo restored\n")
    assert manager.expect("dos", "restored", timeout=20)
    assert "after" not in "\n".join(manager.screen("dos")["text"])
    xtbox("vm", "stop", "dos")
    if QEMU_IMG:
        assert qemu_check(disk).returncode == 0


def test_two_disks_state_on_the_hard_disk_others_marked(home):  # noqa: F811
    hda = home.parent / "c.qcow2"
    xtbox("disk", "create", str(hda), "2M")
    name, floppy = counter_vm(home, "--hda", str(hda))
    xtbox("vm", "snapshot", name, "take", "both")
    assert snaps(name)["both"]["state_disk"] == str(hda)
    xtbox("vm", "stop", name)
    with open_image(hda, readonly=True) as c, open_image(floppy, readonly=True) as a:
        on_c, on_a = c.snapshots[0], a.snapshots[0]
    assert on_c.vm_state_size > 0 and on_a.vm_state_size == 0      # one disk holds it
    assert on_a.vm_clock_nsec == on_c.vm_clock_nsec > 0            # the other is marked
    restore_and_start(name, "both")
    assert count(name) >= 3
    xtbox("vm", "stop", name)


def test_raw_disk_is_refused_with_the_way_out(home):  # noqa: F811
    image = home.parent / "counter.img"
    shutil.copy(COUNTER, image)
    xtbox("vm", "create", "raw", "--fda", str(image))
    xtbox("vm", "start", "raw", "--headless")
    refused = xtbox("vm", "snapshot", "raw", "take", "s", check=False)
    assert refused.returncode == 2
    assert "raw image" in refused.stderr and "xtbox vm save" in refused.stderr
    assert manager.status("raw")["state"] == "running"
    xtbox("vm", "stop", "raw")


def test_changed_profile_and_damaged_state_refuse_the_restore(home):  # noqa: F811
    name, disk = counter_vm(home)
    xtbox("vm", "snapshot", name, "take", "s")
    xtbox("vm", "stop", name)
    xtbox("vm", "modify", name, "--memory", "512")
    refused = xtbox("vm", "snapshot", name, "restore", "s", check=False)
    assert refused.returncode == 2 and "memory 640 KiB -> 512 KiB" in refused.stderr
    xtbox("vm", "modify", name, "--memory", "640")
    xtbox("vm", "modify", name, "--display", "mda")
    refused = xtbox("vm", "snapshot", name, "restore", "s", check=False)
    assert refused.returncode == 2 and "display adapter cga -> mda" in refused.stderr
    xtbox("vm", "modify", name, "--display", "cga")
    assert status(name)["state"] == "poweroff"            # nothing changed by the refusals
    with open_image(disk) as img:                         # one byte of the state flipped
        snap = img.snapshots[0]
        l1 = qs.snapshot_l1(img, snap)
        first = qs.vm_state_offset(img) // img.cs
        l2 = img.l2cache.get(l1[first // img.l2_entries] & 0x00FFFFFFFFFFFE00)
        host = l2[first % img.l2_entries] & 0x00FFFFFFFFFFFE00
        byte = img.pread(host + 100, 1)[0]
        os.pwrite(img.fd, bytes([byte ^ 0x40]), host + 100)
    refused = xtbox("vm", "snapshot", name, "restore", "s", check=False)
    assert refused.returncode == 2 and "damaged" in refused.stderr and "'s'" in refused.stderr
    assert status(name)["state"] == "poweroff"
    xtbox("vm", "start", name, "--headless")              # the VM still boots as it was
    assert manager.expect(name, "count ", timeout=30)
    xtbox("vm", "stop", name)


def test_restore_with_a_saved_state_is_refused_and_a_saved_vm_snapshot_keeps_it(home):  # noqa: F811
    name, _disk = counter_vm(home)
    xtbox("vm", "pause", name)
    screen = view(name)
    xtbox("vm", "save", name)
    xtbox("vm", "snapshot", name, "take", "suspended")     # powered off, but saved
    assert snaps(name)["suspended"]["state_bytes"] > 0
    refused = xtbox("vm", "snapshot", name, "restore", "suspended", check=False)
    assert refused.returncode == 2 and "discard-state" in refused.stderr
    xtbox("vm", "discard-state", name)
    xtbox("vm", "snapshot", name, "take", "off")           # powered off: disks only
    assert snaps(name)["off"]["state_bytes"] == 0
    assert "disks only" in xtbox("vm", "snapshot", name, "list").stdout
    assert restore_and_start(name, "suspended")[:2] == screen
    xtbox("vm", "stop", name)


def test_truncated_snapshot_state_is_named(home):  # noqa: F811
    name, disk = counter_vm(home)
    xtbox("vm", "snapshot", name, "take", "s")
    xtbox("vm", "stop", name)
    with open_image(disk) as img:              # the entry claims fewer bytes than were kept
        snap = img.snapshots[0]
        snap.vm_state_size -= 1000
        qs._write_table(img, list(img.snapshots))
    refused = xtbox("vm", "snapshot", name, "restore", "s", check=False)
    assert refused.returncode == 2 and "damaged or truncated" in refused.stderr


def test_no_writable_disk_is_refused_running_or_not(home):  # noqa: F811
    disk = overlay_of(COUNTER, "counter", home.parent)
    xtbox("vm", "create", "ro", "--fda", str(disk))
    toml = home / "vms" / "ro" / "vm.toml"
    toml.write_text(toml.read_text().replace("[drives]", 'write_protected = ["fda"]\n\n[drives]'))
    for running in (False, True):
        if running:
            xtbox("vm", "start", "ro", "--headless")
        refused = xtbox("vm", "snapshot", "ro", "take", "s", check=False)
        assert refused.returncode == 2, refused
        assert "no writable qcow2 disk" in refused.stderr
        assert "xtbox vm save ro" in refused.stderr
    with open_image(disk, readonly=True) as img:
        assert img.snapshots == []              # the write-protected disk was not touched
    xtbox("vm", "stop", "ro")


def test_raw_diskette_beside_a_qcow2_hard_disk_is_left_out(home):  # noqa: F811
    """A raw boot floppy is a medium: the hard disk's snapshots go on without it, running or
    powered off, and the state tells the resumed guest its diskette changed (DOS re-reads it
    rather than trust what it cached of a medium that may have moved on)."""
    floppy = home.parent / "counter.img"
    shutil.copy(COUNTER, floppy)
    hda = home.parent / "c.qcow2"
    xtbox("disk", "create", str(hda), "2M")
    xtbox("vm", "create", "mix", "--fda", str(floppy), "--hda", str(hda))
    xtbox("vm", "start", "mix", "--headless")
    assert manager.expect("mix", "count ", timeout=30)
    wait_count("mix", 3)
    xtbox("vm", "snapshot", "mix", "take", "live")
    listed = snaps("mix")
    assert listed["live"]["state_disk"] == str(hda) and listed["live"]["state_bytes"] > 0
    xtbox("vm", "stop", "mix")
    xtbox("vm", "snapshot", "mix", "take", "off")             # powered off: the disk alone
    assert snaps("mix")["off"]["state_bytes"] == 0
    xtbox("vm", "snapshot", "mix", "restore", "live")
    state, _fit = savestate.decode((home / "vms" / "mix" / savestate.STATE_FILE).read_bytes())
    assert state["floppies"]["a"]["change_line"] is True
    xtbox("vm", "start", "mix", "--headless")
    assert count("mix") >= 3
    xtbox("vm", "stop", "mix")
    if QEMU_IMG:
        assert qemu_check(hda).returncode == 0
