"""What every image format shares: the file descriptor's lifetime, bounds checks, and the
context-manager protocol of the block-device interface."""

from __future__ import annotations

import os

from disks.errors import DiskError


class BlockDevice:
    path: str
    fd: int
    size: int
    readonly: bool
    in_use: bool = False          # read without a lock while a writer (a VM) holds it
    backing: BlockDevice | None = None

    def check_range(self, offset: int, length: int) -> None:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise DiskError(f"{self.path}: access at {offset}+{length} is outside the image "
                            f"({self.size} bytes)")

    def flush(self) -> None:
        if not self.readonly:
            os.fsync(self.fd)

    def close(self) -> None:
        if self.backing is not None:
            self.backing.close()
            self.backing = None
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
