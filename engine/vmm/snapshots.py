"""A VM snapshot: one internal qcow2 snapshot of the same name on every disk, all or none.

One implementation for both callers: the running VM (engine/vmm/process.py: paused, disks
flushed) and the powered-off VM's disks opened directly (tui/control/snapshots.py). Every
image is checked before any is changed, so a name missing on one disk or already taken on
another changes nothing; the change itself runs under the VM folder's intent record
(engine/vmm/snapshot_intent.py), which finishes a failure or a kill half-way: a take is
rolled back, a delete or restore completed on every disk.

Machine states. A snapshot taken of a running VM (or of a saved one) also keeps the
machine's state: the saved-state bytes of engine/vmm/savestate.py (its own versioned format
and checksum) in the qcow2 VM-state area of ONE disk, the holder: the first hard disk (C:,
else D:), else the first diskette (A:, else B:), as QEMU keeps its vmstate on one device.
Every disk of the snapshot gets the machine's clock in the entry's vm_clock_nsec (what
`qemu-img snapshot -l` shows as VM CLOCK), which marks the others: a snapshot with a clock
but no state on a disk has its state on another disk of the VM. Snapshots taken powered off
have neither. Restoring a snapshot with a state makes it the VM's saved state (the VM is then
``saved``; `xtbox vm start` resumes at the moment of the snapshot).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from disks import DiskError
from engine.errors import ConfigError
from engine.vmm import snapshot_intent

ACTIONS = ("take", "restore", "delete")


class SnapshotError(ConfigError):
    """A snapshot action refused or failed; the message names the disk and the snapshot."""


def raw_refusal(label: str, path: str) -> SnapshotError:
    return SnapshotError(f"drive {label} ({path}) is a raw image and raw images cannot hold "
                         f"snapshots (nor a machine state); convert it with `xtbox disk "
                         f"convert {path} NEW.qcow2` and attach the qcow2 copy, or suspend "
                         "the VM with `xtbox vm save` to keep its state")


def no_disk_refusal(vm: str, media: Sequence[str] = ()) -> SnapshotError:
    """A VM with no writable disk: a snapshot (and its machine state) lives in qcow2 disks,
    so there is nowhere to keep one; a saved state needs no disk. ``media``: the raw
    diskette images left out (see ``raw_medium``), named so the user sees the way out."""
    left_out = ""
    if media:
        left_out = (f" (diskette {', '.join(media)} is a raw image: a medium, left out of "
                    "snapshots; `xtbox disk convert` makes a qcow2 copy that can hold them)")
    return SnapshotError(f"VM {vm!r} has no writable qcow2 disk to hold a snapshot or its "
                         f"machine state{left_out}; `xtbox vm save {vm}` suspends it with "
                         "its whole state instead")


def raw_medium(letter: str) -> bool:
    """A raw image in a diskette drive is a medium, not one of the VM's disks: snapshots
    leave it out (as VirtualBox leaves removable media out), so a DOS boot floppy beside a
    qcow2 hard disk does not stop the hard disk's snapshots. A raw hard disk is refused
    (``raw_refusal``): its contents would not match the snapshot. A machine state taken
    without a diskette's contents tells the guest its medium changed (``mark_media``)."""
    return letter.lower().rstrip(":") in ("a", "b")


def mark_media(state: dict, letters: Sequence[str]) -> None:
    """In a machine state taken while the diskettes ``letters`` were left out: their change
    lines active, so that the resumed DOS re-reads them (their contents may have moved on
    since) instead of trusting the FAT and directories it had cached."""
    for letter in letters:
        floppy = state.get("floppies", {}).get(letter.lower().rstrip(":"))
        if floppy is not None:
            floppy["change_line"] = True


def check(images: Sequence[Any], action: str, name: str) -> None:
    """Refuse before anything changes: an empty name, a name already taken (take) or
    missing (restore, delete) on any image."""
    if action not in ACTIONS:
        raise SnapshotError(f"snapshot action {action!r}: expected one of {', '.join(ACTIONS)}")
    if not isinstance(name, str) or not name.strip():
        raise SnapshotError("a snapshot needs a name")
    if not images:
        raise SnapshotError("this VM has no disk to snapshot")
    for img in images:
        exists = any(s.name == name for s in img.snapshots)
        if action == "take" and exists:
            raise SnapshotError(f"{img.path}: a snapshot named {name!r} already exists")
        if action != "take" and not exists:
            names = ", ".join(s.name for s in img.snapshots) or "none"
            raise SnapshotError(f"{img.path}: no snapshot named {name!r} (snapshots: {names})")


def holder(images: Sequence[Any], letters: Sequence[str]) -> int:
    """Which image keeps a snapshot's machine state (``letters``: each image's drive letter):
    the first hard disk, else the first diskette (see the module docstring)."""
    order = sorted(range(len(images)), key=lambda i: (letters[i] not in "cd", letters[i]))
    return order[0]


def describe(images: Sequence[Any]) -> list[dict]:
    """The VM's snapshots (those of its first disk, in order), each with where and how big
    its machine state is: ``state_bytes`` 0 and ``state_disk`` None for a disk-only one."""
    out = []
    for s in images[0].snapshots if images else ():
        entry = {"name": s.name, "id": s.id, "date": s.date_sec,
                 "vm_clock_nsec": s.vm_clock_nsec, "state_bytes": 0, "state_disk": None}
        for img in images:
            mine = next((t for t in img.snapshots if t.name == s.name), None)
            if mine is not None and mine.vm_state_size:
                entry["state_bytes"], entry["state_disk"] = mine.vm_state_size, img.path
                break
        out.append(entry)
    return out


def state_of(images: Sequence[Any], name: str) -> tuple[bytes, str] | None:
    """(the machine state snapshot ``name`` holds, the disk it is on), or None."""
    from disks.qcow2 import snapshot as qs
    for img in images:
        snap = next((t for t in img.snapshots if t.name == name), None)
        if snap is not None and snap.vm_state_size:
            try:
                return qs.read_vm_state(img, name), img.path
            except DiskError as exc:
                raise SnapshotError(f"snapshot {name!r}: its machine state on {img.path} "
                                    f"cannot be read: {exc}") from None
    return None


def apply_all(folder: Path, images: Sequence[Any], action: str, name: str, *,
              state: bytes = b"", state_on: int = 0, clock_ns: int = 0) -> None:
    """``action`` (take, restore or delete) snapshot ``name`` on every image, each flushed
    before the next is touched, all or none across the VM in ``folder``. A take with
    ``state`` keeps it on ``images[state_on]`` and ``clock_ns`` on all; a restore of a
    snapshot with a state writes it as the VM's saved state once every disk is restored
    (inside the intent record, so a kill in between is finished by writing it then)."""
    from disks.qcow2 import snapshot as qs
    check(images, action, name)
    try:
        with snapshot_intent.intent(folder, action, name, list(images)):
            for i, img in enumerate(images):
                if action == "take":
                    qs.create_snapshot(img, name, state if i == state_on else b"", clock_ns)
                elif action == "restore":
                    qs.apply_snapshot(img, name)
                else:
                    qs.delete_snapshot(img, name)
                img.flush()
            if action == "restore":
                snapshot_intent.restore_state(folder, images, name)
    except (DiskError, ConfigError, OSError) as exc:
        outcome = "no disk keeps it" if action == "take" else "finished on every disk it could"
        raise SnapshotError(f"snapshot {action} {name!r}: {exc} ({outcome})") from None
