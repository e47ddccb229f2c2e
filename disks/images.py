"""Opening and creating images of any supported format (detected by content, not by name)."""

from __future__ import annotations

import os
import struct

from disks import backing as backing_rule
from disks.errors import BackingFileError, DiskError
from disks.qcow2.header import MAGIC, Header
from disks.raw import RawImage, create_raw

FORMATS = ("qcow2", "raw")


def probe(path: str | os.PathLike) -> str:
    """'qcow2' when the file starts with the qcow2 magic, else 'raw'."""
    try:
        with open(path, "rb") as f:
            return "qcow2" if f.read(4) == MAGIC else "raw"
    except FileNotFoundError:
        raise DiskError(f"{path}: no such image") from None
    except OSError as exc:
        raise DiskError(f"{path}: cannot read ({exc.strerror})") from None


def open_image(path: str | os.PathLike, *, readonly: bool = False, fmt: str | None = None,
               allow_outside_backing: bool = False, share: bool = False,
               _chain: tuple[str, ...] = ()):
    """Open a raw or qcow2 image as a block device (read/write/flush/size/close).

    ``share`` (read-only opens only) reads an image that a running VM holds for writing, as
    ``qemu-img -U`` does, instead of failing; the device's ``in_use`` then says so."""
    fmt = fmt or probe(path)
    if share and not readonly:
        raise DiskError(f"{path}: an image can be shared only for reading")
    if fmt == "raw":
        return RawImage(path, readonly=readonly, share=share)
    if fmt == "qcow2":
        from disks.qcow2.image import Qcow2Image
        return Qcow2Image(path, readonly=readonly, allow_outside_backing=allow_outside_backing,
                          share=share, _chain=_chain)
    raise DiskError(f"{path}: unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def create_image(path: str | os.PathLike, size: int | None = None, *, fmt: str = "qcow2",
                 backing: str | os.PathLike | None = None, backing_fmt: str | None = None,
                 cluster_size: int = 65536, allow_outside_backing: bool = False) -> None:
    """Create a new image. An overlay (``backing``) takes the backing file's size by default
    and always records its format, as current qemu-img requires."""
    path = os.fspath(path)
    if os.path.exists(path):
        raise DiskError(f"{path}: already exists (refusing to overwrite)")
    if fmt not in FORMATS:
        raise DiskError(f"{path}: unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    backing_name = None
    if backing is not None:
        if fmt != "qcow2":
            raise DiskError(f"{path}: only qcow2 images can have a backing file")
        backing = os.fspath(backing)
        folder = os.path.realpath(os.path.dirname(os.path.abspath(path)))
        target = backing_rule.resolve(path, backing)
        if not os.path.exists(target):
            raise BackingFileError(f"{path}: backing file {target} does not exist")
        backing_rule.check(path, backing, allow_outside=allow_outside_backing)
        # Inside the overlay's folder the link is recorded relative (the pair can move
        # together); anywhere else, absolute.
        rel = os.path.relpath(target, folder)
        backing_name = os.path.abspath(target) if rel.startswith(os.pardir) else rel
        backing_fmt = backing_fmt or probe(target)
        with open_image(target, readonly=True, fmt=backing_fmt,
                        allow_outside_backing=allow_outside_backing) as b:
            if size is None:
                size = b.size
    if size is None or size <= 0:
        raise DiskError(f"{path}: a size is needed (bytes > 0)")
    if fmt == "raw":
        create_raw(path, size)
        return
    _create_qcow2(path, size, cluster_size, backing_name, backing_fmt)


def _create_qcow2(path: str, size: int, cluster_size: int, backing: str | None,
                  backing_fmt: str | None) -> None:
    if cluster_size & (cluster_size - 1) or not 512 <= cluster_size <= 2 << 20:
        raise DiskError(f"{path}: cluster size {cluster_size} must be a power of two "
                        "from 512 to 2M")
    if size > 8 << 40:
        raise DiskError(f"{path}: size {size} is too large")
    cs = cluster_size
    bits = cs.bit_length() - 1
    l1_size = -(-size // (cs * (cs // 8)))
    l1_clusters = max(1, -(-8 * l1_size // cs))
    per_block = cs // 2
    rt, rb = 1, 1
    while True:
        total = 1 + rt + rb + l1_clusters
        need_rb = -(-total // per_block)
        need_rt = -(-8 * need_rb // cs)
        if (need_rb, need_rt) == (rb, rt):
            break
        rb, rt = need_rb, need_rt
    h = Header(cluster_bits=bits, size=size, l1_size=l1_size,
               l1_table_offset=(1 + rt + rb) * cs, refcount_table_offset=cs,
               refcount_table_clusters=rt, backing_file=backing, backing_format=backing_fmt)
    total = 1 + rt + rb + l1_clusters
    image = bytearray(total * cs)
    head = h.encode()
    image[:len(head)] = head
    for i in range(rb):
        struct.pack_into(">Q", image, cs + 8 * i, (1 + rt + i) * cs)
    for c in range(total):
        struct.pack_into(">H", image, (1 + rt) * cs + 2 * c, 1)
    tmp = path + ".creating"
    with open(tmp, "wb") as f:
        f.write(image)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
