"""Image locks: one writer per image, any number of readers (shared backing files).

Open-file-description locks (fcntl OFD, as QEMU uses) would also coexist with QEMU's own byte-
range locks; we take a whole-file flock(): a writer holds it exclusively, readers shared, so a
second writer — or a writer while a VM reads the image as a backing file — is refused with a
clear error instead of two processes corrupting one image.
"""

from __future__ import annotations

import fcntl

from disks.errors import ImageLockedError


def lock(fd: int, path: object, *, exclusive: bool) -> None:
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        what = "for writing" if exclusive else "for reading"
        raise ImageLockedError(
            f"{path}: the image is in use by another process (cannot open it {what}); "
            "stop the VM or program using it first") from None
