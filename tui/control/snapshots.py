"""VM snapshots: one internal qcow2 snapshot of the same name on every disk of the VM.

A running VM takes and deletes them itself (paused, disks flushed; a take keeps the
machine's state too); a powered-off VM's disks are changed here directly; both through
engine/vmm/snapshots.py (all or none). A saved (suspended) VM's snapshot keeps its saved
state. Restore needs the VM powered off: rolling disks back under a running guest would
corrupt its file systems. Restoring a snapshot with a machine state makes that state the
VM's saved state (checked first: damaged, or no longer fitting the profile, is refused).
"""

from __future__ import annotations

import time

from disks import DiskError, open_image
from engine.errors import ConfigError
from engine.vmm import runstate, savestate, snapshot_intent
from engine.vmm.profile import DRIVE_LETTERS, Profile
from engine.vmm.snapshots import (
    SnapshotError,
    apply_all,
    describe,
    holder,
    mark_media,
    no_disk_refusal,
    raw_medium,
    raw_refusal,
    state_of,
)
from tui.control.runtime import command
from tui.control.vms import VMError, load, require_stopped


def _open_all(profile: Profile, *, readonly: bool) -> tuple[list, list[str], list[str]]:
    """The VM's snapshot images, their drive letters, and the raw diskettes left out."""
    try:
        snapshot_intent.recover(profile.folder)   # a kill's half-done snapshot, finished
    except ConfigError as exc:
        raise VMError(str(exc)) from None
    images, letters, left_out = [], [], []
    try:
        for drive, path in profile.disk_paths().items():
            if drive in profile.write_protected:
                continue            # never written, as in the running VM: not in snapshots
            try:
                img = open_image(str(path), readonly=readonly, allow_outside_backing=True)
            except DiskError as exc:
                raise VMError(str(exc)) from None
            if img.format != "qcow2" and raw_medium(DRIVE_LETTERS[drive]):
                img.close()         # a raw diskette is a medium: left out, as when running
                left_out.append(DRIVE_LETTERS[drive])
                continue
            images.append(img)
            letters.append(DRIVE_LETTERS[drive][0].lower())
            if img.format != "qcow2":
                raise VMError(str(raw_refusal(DRIVE_LETTERS[drive], str(path))))
        if not images:
            raise VMError(str(no_disk_refusal(profile.name, left_out)))
    except BaseException:
        for img in images:
            img.close()
        raise
    return images, letters, left_out


def state_label(snap: dict) -> str:
    """How `xtbox vm snapshot list` and the snapshot screen say what a snapshot holds."""
    n = snap.get("state_bytes") or 0
    return f"machine state {max(1, round(n / 1024)):,} KiB" if n else "disks only"


def _with_time(snaps: list[dict]) -> list[dict]:
    for s in snaps:
        s["time"] = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(s["date"]))
    return snaps


def offline_list(profile: Profile) -> list[dict]:
    images, _letters, _media = _open_all(profile, readonly=True)
    try:
        return _with_time(describe(images))
    finally:
        for img in images:
            img.close()


def _running(profile: Profile) -> bool:
    runstate.clean_stale(profile.folder)
    return runstate.running_pid(profile.folder) is not None


def list_snapshots(name: str) -> list[dict]:
    profile = load(name)
    if _running(profile):
        return _with_time(command(name, "snapshot", action="list")["snapshots"])
    return offline_list(profile)


def take_snapshot(name: str, snap: str) -> dict:
    """Running: the disks and the machine's state. Saved: the disks and the saved state.
    Powered off: the disks alone. Returns what the VM process says (running) or {}."""
    profile = load(name)
    if not snap or not snap.strip():
        raise VMError("a snapshot needs a name")
    if _running(profile):
        return command(name, "snapshot", action="take", name=snap)
    _offline(profile, "take", snap)
    return {}


def delete_snapshot(name: str, snap: str) -> None:
    profile = load(name)
    if _running(profile):
        command(name, "snapshot", action="delete", name=snap)
        return
    _offline(profile, "delete", snap)


def restore_snapshot(name: str, snap: str) -> None:
    profile = load(name)
    require_stopped(profile, "restoring a snapshot (restore needs the VM powered off)")
    if savestate.exists(profile.folder):
        raise VMError(f"VM {name!r} holds a saved state, which restoring snapshot {snap!r} "
                      f"would lose; resume it and stop it, or `xtbox vm discard-state {name}`, "
                      "first")
    _offline(profile, "restore", snap)


def profile_fit(profile: Profile) -> dict:
    """What a machine state needs of this profile (as the VM process computes it)."""
    disks = {d: str(p) for d, p in profile.disk_paths().items() if d in ("hda", "hdb")}
    disks.update({d: str(profile.folder_disk(d)) for d in profile.folder_drives()})
    return savestate.fit_of(profile.memory_kib, profile.display, disks, mouse=profile.mouse)


def _check_state(profile: Profile, images: list, snap: str) -> None:
    """Refuse, before any disk changes, a restore whose machine state is damaged or no
    longer fits the profile."""
    found = state_of(images, snap)
    if found is None:
        return
    data, disk = found
    where = f"the machine state of snapshot {snap!r} (on {disk})"
    try:
        _state, fit = savestate.decode(data, where)
    except savestate.StateError as exc:
        raise VMError(f"{exc}; the snapshot cannot be restored (delete it, or restore "
                      "another)") from None
    changed = savestate.misfit(fit, profile_fit(profile))
    if changed:
        raise VMError(f"{where} no longer fits VM {profile.name!r}: {'; '.join(changed)} since "
                      "it was taken (undo the change to restore it)")


def _offline(profile: Profile, action: str, snap: str) -> None:
    images, letters, media = _open_all(profile, readonly=False)
    try:
        extra: dict = {}
        if action == "restore" and any(s.name == snap for s in images[0].snapshots):
            _check_state(profile, images, snap)
        if action == "take" and savestate.exists(profile.folder):
            # A suspended VM: its snapshot keeps the state it resumes from.
            data = (profile.folder / savestate.STATE_FILE).read_bytes()
            state, fit = savestate.decode(data, str(profile.folder / savestate.STATE_FILE))
            if media:
                mark_media(state, media)
                data = savestate.encode(state, fit)
            extra = {"state": data, "state_on": holder(images, letters),
                     "clock_ns": int((state.get("vm") or {}).get("guest_ns", 0))}
        apply_all(profile.folder, images, action, snap, **extra)
    except (SnapshotError, savestate.StateError) as exc:
        raise VMError(str(exc)) from None
    finally:
        for img in images:
            img.close()
