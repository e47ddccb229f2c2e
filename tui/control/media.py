"""Removable media: change or eject a VM's diskette, live when it runs, in its profile when not.

A running VM takes the new medium at once through its control socket (``media``); the profile
changes too only when asked (``save``), as a VirtualBox medium mounted at run time stays out
of the machine's settings unless it is made permanent. A VM that is powered off has only its
profile, so that is what changes.
"""

from __future__ import annotations

from engine.vmm import runstate
from tui.control.runtime import command
from tui.control.vms import VMError, check_floppy_image, check_image, load

DRIVE_KEYS = {"a": "fda", "b": "fdb"}


def parse_drive(text: str) -> str:
    """``a``, ``a:``, ``A:`` (or ``fda``) -> ``a``; the same for B:."""
    t = text.strip().lower().rstrip(":")
    t = {"fda": "a", "fdb": "b"}.get(t, t)
    if t not in DRIVE_KEYS:
        raise VMError(f"drive {text!r}: expected a: or b: (the diskette drives)")
    return t


def change_media(name: str, drive: str, image: str | None, *, readonly: bool = False,
                 save: bool = False) -> dict:
    """Put ``image`` in diskette drive ``drive`` of VM ``name`` (``image`` None ejects).

    Returns {"running", "saved", and the drive's state when running: "image", "format",
    "readonly"}."""
    drive = parse_drive(drive)
    key = DRIVE_KEYS[drive]
    profile = load(name)
    runstate.clean_stale(profile.folder)
    running = runstate.running_pid(profile.folder) is not None
    # A running VM checks the size itself when it opens the image (which it may hold open
    # already: the same diskette again, now write-protected).
    check = check_image if running else check_floppy_image
    path = check(key, image) if image is not None else None
    out: dict = {"running": running, "saved": not running or save}
    if running:
        out.update(command(name, "media", drive=drive, image=path, readonly=readonly))
    if out["saved"]:
        profile = load(name)
        profile.drives[key] = path
        protected = set(profile.write_protected) - {key}
        if readonly and path is not None:
            protected.add(key)
        profile.write_protected = sorted(protected)
        profile.save()
    return out
