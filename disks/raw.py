"""Raw images: the guest's bytes, one for one, in a plain file."""

from __future__ import annotations

import os

from disks.device import BlockDevice
from disks.errors import DiskError
from disks.locking import lock


class RawImage(BlockDevice):
    format = "raw"

    def __init__(self, path: str | os.PathLike, *, readonly: bool = False,
                 share: bool = False) -> None:
        self.path = os.fspath(path)
        self.readonly = readonly
        try:
            self.fd = os.open(self.path, os.O_RDONLY if readonly else os.O_RDWR)
        except OSError as exc:
            raise DiskError(f"{self.path}: cannot open ({exc.strerror})") from None
        try:
            self.in_use = not lock(self.fd, self.path, exclusive=not readonly, share=share)
        except Exception:
            os.close(self.fd)
            raise
        self.size = os.fstat(self.fd).st_size
        self.backing = None

    def read(self, offset: int, length: int) -> bytes:
        self.check_range(offset, length)
        data = os.pread(self.fd, length, offset)
        return data + bytes(length - len(data))

    def write(self, offset: int, data: bytes) -> None:
        if self.readonly:
            raise DiskError(f"{self.path}: opened read-only")
        self.check_range(offset, len(data))
        os.pwrite(self.fd, data, offset)


def create_raw(path: str | os.PathLike, size: int) -> None:
    with open(path, "xb") as f:
        f.truncate(size)
