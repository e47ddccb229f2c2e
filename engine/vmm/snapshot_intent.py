"""All-or-none VM snapshots across several disks: an intent record in the VM's folder.

Each disk's snapshot operation is atomic by itself (disks/qcow2/snapshot.py: one header
write switches it); what a kill between two disks can break is the set, two disks of three
holding the snapshot. So a take, restore or delete across the VM's disks runs inside
``intent()``, in this order:
1. ``snapshot-intent.json`` (action, name, the disks) is written and synced, with its folder,
   before the first disk is touched;
2. the disks are changed one by one, each flushed;
3. the record is removed only after the last disk is flushed.
Whoever opens the VM's disks next (the VM process as it starts, any `xtbox vm snapshot`)
first calls ``recover()``, which finishes a leftover record: a take is rolled back (the
snapshot deleted from the disks that have it: the take never reported success), a delete is
rolled forward (deleted from the disks that still have it), a restore is done again on every
disk (applying a snapshot twice is applying it once, and nothing has run on the disks
since) and, when the snapshot holds a machine state, that state is written again as the VM's
saved state (engine/vmm/savestate.py; the write is atomic). An operation that fails by
itself, not killed, is finished the same way at once.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from engine.errors import ConfigError
from engine.vmm import runstate

RECORD = "snapshot-intent.json"


@contextlib.contextmanager
def intent(folder: Path, action: str, name: str, images: list) -> Iterator[None]:
    """Run a take/restore/delete of snapshot ``name`` on the open ``images`` all or none."""
    record = {"action": action, "name": name,
              "disks": [os.path.abspath(img.path) for img in images]}
    runstate.write_json(folder / RECORD, record)          # 1. before any disk changes
    try:
        yield                                             # 2. the caller's disk work
    except BaseException:
        try:
            finish(record, images, folder)
        except Exception:
            pass                 # the record stays: the next open of the disks finishes it
        else:
            _remove(folder)
        raise
    _remove(folder)                                       # 3. after the last flush


def restore_state(folder: Path, images: list, name: str) -> bool:
    """The machine state snapshot ``name`` holds, made the VM's saved state (the last step
    of a restore); False when the snapshot holds none."""
    from engine.vmm import savestate, snapshots
    found = snapshots.state_of(images, name)
    if found is None:
        return False
    savestate.write_bytes(folder, found[0])
    return True


def finish(record: dict, images: list, folder: Path | None = None) -> str:
    """Bring every disk to the same side of an interrupted operation; says what it did."""
    from disks.qcow2 import snapshot as qs
    action, name = record.get("action"), record.get("name")
    touched = []
    for img in images:
        has = any(s.name == name for s in img.snapshots)
        if action == "take" and has or action == "delete" and has:
            qs.delete_snapshot(img, name)
        elif action == "restore" and has:
            qs.apply_snapshot(img, name)
        else:
            continue
        img.flush()
        touched.append(os.path.basename(img.path))
    if action == "restore" and folder is not None and restore_state(folder, images, str(name)):
        touched.append("the machine state")
    verb = {"take": "rolled back (deleted from", "delete": "finished (deleted from",
            "restore": "finished (applied again to"}.get(str(action), "finished (")
    return (f"an interrupted snapshot {action} of {name!r} was {verb} "
            f"{', '.join(touched) or 'no disk'})")


def recover(folder: Path) -> str | None:
    """Finish a leftover intent record (opening its disks) and say so on stderr (the VM's
    log); returns what was done, None when there was nothing to do."""
    from disks import DiskError, open_image
    record = runstate.read_json(folder / RECORD)
    if record is None:
        return None
    images = []
    try:
        for path in record.get("disks", []):
            if os.path.exists(path):
                images.append(open_image(path, allow_outside_backing=True))
        message = finish(record, images, folder)
    except DiskError as exc:
        raise ConfigError(f"{folder / RECORD}: an interrupted snapshot operation could not "
                          f"be finished: {exc}") from None
    finally:
        for img in images:
            img.close()
    _remove(folder)
    print(f"xtbox: {message}", file=sys.stderr, flush=True)
    return message


def _remove(folder: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(folder / RECORD)
    dirfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)
