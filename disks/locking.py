"""Image locks: one writer per image, any number of readers (shared backing files).

Open-file-description locks (fcntl OFD, as QEMU uses) would also coexist with QEMU's own byte-
range locks; we take a whole-file flock(): a writer holds it exclusively, readers shared, so a
second writer — or a writer while a VM reads the image as a backing file — is refused with a
clear error instead of two processes corrupting one image.
"""

from __future__ import annotations

import fcntl

from disks.errors import ImageLockedError


def lock(fd: int, path: object, *, exclusive: bool, share: bool = False) -> bool:
    """Take the image's lock. A reader with ``share`` (qemu-img's -U, --force-share) goes on
    without a lock when a writer holds one: it then sees what the writer has written so far
    (our writers write through, in the order the qcow2 docstring gives) and returns False so
    the image can say it is in use."""
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        if share and not exclusive:
            return False
        what = "for writing" if exclusive else "for reading"
        raise ImageLockedError(
            f"{path}: the image is in use by another process (cannot open it {what}); "
            "stop the VM or program using it first") from None
    return True
