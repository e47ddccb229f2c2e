"""Every disk image xtbox knows of: the VMs' drives, their backing chains and the shared
bases, with the VMs that use each — what the disk manager shows."""

from __future__ import annotations

import os
from pathlib import Path

from disks import DiskError, probe
from disks.ops import info
from engine.vmm import home, runstate
from engine.vmm.profile import Profile, ProfileError
from tui.control.vms import _folders


def list_disks() -> list[dict]:
    users: dict[str, set[str]] = {}
    order: list[str] = []

    def note(path: Path, vm: str | None) -> None:
        key = str(path.resolve())
        if key not in users:
            users[key] = set()
            order.append(key)
        if vm:
            users[key].add(vm)

    for folder in _folders():
        try:
            profile = Profile.load(folder)
        except ProfileError:
            continue
        for path in profile.disk_paths().values():
            note(path, profile.name)
        for drive in profile.folder_drives():      # a folder drive's disk, once built
            if profile.folder_disk(drive).exists():
                note(profile.folder_disk(drive), profile.name)
    for base in sorted(home.bases_dir().iterdir()):
        if base.is_file() and not base.name.endswith(".tmp"):
            note(base, None)
    out = []
    seen = set()
    i = 0
    while i < len(order):                 # backing files join the list as they turn up
        key = order[i]
        i += 1
        entry = describe(key, sorted(users.get(key, ())))
        out.append(entry)
        seen.add(key)
        for b in entry["backing"]:
            if b not in seen and b not in order:
                order.append(b)
    # Backing files are used by every VM that uses an overlay on them.
    by_path = {d["path"]: d for d in out}
    for d in out:
        for b in d["backing"]:
            if b in by_path:
                by_path[b]["used_by"] = sorted(set(by_path[b]["used_by"]) | set(d["used_by"]))
    return out


def running_users(path: str | os.PathLike) -> list[str]:
    """The running VMs that have ``path`` as one of their drives (and so hold it for
    writing)."""
    key = Path(path).resolve()
    names = []
    for folder in _folders():
        if runstate.running_pid(folder) is None:
            continue
        try:
            profile = Profile.load(folder)
        except ProfileError:
            continue
        held = [*profile.disk_paths().values(),
                *(profile.folder_disk(d) for d in profile.folder_drives())]
        if any(p.resolve() == key for p in held):
            names.append(profile.name)
    return names


def in_use_note(path: str | os.PathLike) -> str:
    """Who holds an image for writing, for messages: "VM 'dos' (running)" or "another
    process"."""
    names = running_users(path)
    if names:
        return ", ".join(f"VM {n!r}" for n in names) + " (running)"
    return "another process"


def describe(path: str, used_by: list[str]) -> dict:
    """One image as the disk manager shows it; an image a running VM holds is read without
    a lock (``in_use``: what the guest has written so far)."""
    entry = {"path": path, "format": None, "virtual_size": None, "file_size": None,
             "backing": [], "used_by": used_by, "snapshots": 0, "error": None,
             "in_use": False}
    try:
        entry["file_size"] = os.stat(path).st_blocks * 512
        entry["format"] = probe(path)
        chain = info(path, chain=True, allow_outside_backing=True, share=True)
    except (DiskError, OSError) as exc:
        entry["error"] = str(exc)
        return entry
    entry["in_use"] = chain[0]["in-use"]
    entry["virtual_size"] = chain[0]["virtual-size"]
    entry["snapshots"] = len(chain[0].get("snapshots", []))
    entry["backing"] = [str(Path(e["filename"]).resolve()) for e in chain[1:]]
    return entry
