"""A qcow2 v3 image behind the block-device protocol: read, write, flush, close.

Write ordering for a guest write that needs a new cluster (why the steps come in this order):
1. the new cluster's refcount is raised (refcount.py),
2. its data is written,
3. the L2 entry is written, with COPIED (a new or copied L2 table is written whole, before
4. the L1 entry that points at it),
5. only then is the old cluster's refcount dropped.
A process killed between any two steps leaves at worst a leaked cluster, never an entry that
points at a cluster with refcount 0 or at unwritten data, and never COPIED on an entry whose
cluster has refcount 2 (the new cluster is private; the old one is no longer reachable from
the active L1 when its count drops). flush() is the durability barrier (fsync), as in QEMU.

A cluster is written in place only when its *refcount* is 1, whatever its COPIED flag says: a
damaged flag (or one left by an older writer) then costs one needless copy instead of
overwriting data a snapshot shares.

Operations that cannot keep refcounts and COPIED flags exact at every instant (snapshot
create, apply and delete, repair) run inside ``dirty()``: the header's dirty bit
(incompatible bit 0) is set and synced first and cleared after everything else is synced.
An image opened for writing with the bit set is repaired before anything else happens (as
QEMU does), and the repair is logged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
import zlib
from collections.abc import Iterator

from disks import backing as backing_rule
from disks.device import BlockDevice
from disks.errors import BackingFileError, DiskError, ImageFormatError
from disks.locking import lock
from disks.qcow2 import clusters as cl
from disks.qcow2.cache import TableCache, decode, encode
from disks.qcow2.header import INCOMPAT_DIRTY, Header, parse_header
from disks.qcow2.refcount import Refcounts

MAX_CHAIN = 64
log = logging.getLogger("xtbox.disks")


class Qcow2Image(BlockDevice):
    format = "qcow2"

    def __init__(self, path: str | os.PathLike, *, readonly: bool = False,
                 allow_outside_backing: bool = False, _chain: tuple[str, ...] = (),
                 checking: bool = False, share: bool = False) -> None:
        self.path = os.fspath(path)
        self.checking = checking          # opened by check/repair: tolerate damage, report it
        self.damage: list[str] = []       # what a tolerant open found (check reports it)
        self._dirty_depth = 0
        self.readonly = readonly
        self.allow_outside_backing = allow_outside_backing
        self.share = share
        self.fd = -1
        try:
            self.fd = os.open(self.path, os.O_RDONLY if readonly else os.O_RDWR)
        except OSError as exc:
            raise DiskError(f"{self.path}: cannot open ({exc.strerror})") from None
        try:
            self.in_use = not lock(self.fd, self.path, exclusive=not readonly, share=share)
            self._load(_chain)
        except BaseException:
            self.close()
            raise

    # ---- opening ---------------------------------------------------------------------------
    def _load(self, chain: tuple[str, ...]) -> None:
        self.file_end = os.fstat(self.fd).st_size
        head = os.pread(self.fd, 65536, 0)
        h = parse_header(head, self.path)
        if h.cluster_size > len(head):
            head = os.pread(self.fd, h.cluster_size, 0)
            h = parse_header(head, self.path)
        self.header: Header = h
        self.cs = h.cluster_size
        self.size = h.size
        self.l2_entries = self.cs // 8
        # A file may end inside its last cluster (QEMU does not pad); that cluster is in use.
        self.file_end = _round_up(self.file_end, self.cs)
        l1_end = h.l1_table_offset + 8 * h.l1_size
        if h.l1_size and (h.l1_table_offset == 0 or l1_end > self.file_end):
            raise ImageFormatError(f"{self.path}: L1 table at {h.l1_table_offset:#x} lies past "
                                   "the end of the file (truncated image?)")
        if h.refcount_table_offset + h.refcount_table_clusters * self.cs > self.file_end:
            raise ImageFormatError(f"{self.path}: refcount table lies past the end of the file")
        self.l1 = list(decode(self.pread(h.l1_table_offset, 8 * h.l1_size), "Q"))
        for i, e in enumerate(self.l1):
            off = e & cl.L1_OFFSET_MASK
            if off and (off % self.cs or off + self.cs > self.file_end):
                problem = (f"L1 entry {i} points at {off:#x}, which is unaligned or past the "
                           "end of the file")
                if not self.checking:
                    raise ImageFormatError(f"{self.path}: {problem}")
                self.damage.append(problem)
        self.l2cache = TableCache(self.fd, self.cs, "Q", capacity=256)
        self.refcounts = Refcounts(self)
        from disks.qcow2.snapshot import read_snapshots
        self.snapshots = read_snapshots(self)
        self._check_overlaps()
        self._zcache: tuple[int, bytes] | None = None
        self.backing = None
        if h.backing_file:
            self.backing = self._open_backing(h.backing_file, h.backing_format,
                                              chain + (os.path.realpath(self.path),))
        if not self.readonly and not self.checking and h.incompatible_features & INCOMPAT_DIRTY:
            self._repair_dirty()

    def _repair_dirty(self) -> None:
        """The last writer was killed inside a ``dirty()`` section: recount before writing."""
        from disks.qcow2.check import check
        result = check(self, repair=True)
        if result.corruptions:
            raise ImageFormatError(
                f"{self.path}: was not closed cleanly and the repair left "
                f"{len(result.corruptions)} problems (first: {result.corruptions[0]}); "
                "see `xtbox disk check`")
        log.warning("%s: was not closed cleanly (dirty bit set); repaired it: %d refcount and "
                    "flag problems fixed, %d leaked clusters reclaimed", self.path,
                    result.fixed_corruptions, result.fixed_leaks)

    def _open_backing(self, name: str, fmt: str | None, chain: tuple[str, ...]):
        from disks.images import open_image
        target = real = backing_rule.check(self.path, name,
                                           allow_outside=self.allow_outside_backing)
        if real in chain:
            raise BackingFileError(f"{self.path}: backing chain loops back to {target}")
        if len(chain) >= MAX_CHAIN:
            raise BackingFileError(f"{self.path}: backing chain is deeper than {MAX_CHAIN}")
        if not os.path.exists(target):
            raise BackingFileError(f"{self.path}: backing file {target} is missing")
        if fmt not in (None, "raw", "qcow2"):
            raise BackingFileError(f"{self.path}: backing format {fmt!r} is not supported")
        return open_image(target, readonly=True, fmt=fmt, share=self.share,
                          allow_outside_backing=self.allow_outside_backing, _chain=chain)

    def _check_overlaps(self) -> None:
        """Refuse images whose metadata regions overlap (a damaged or hostile image)."""
        regions = self.metadata_regions()
        regions.sort()
        for (_, a_end, a_name), (b_start, _, b_name) in zip(regions, regions[1:], strict=False):
            if b_start < a_end:
                problem = f"{a_name} overlaps {b_name} at {b_start:#x}"
                if not self.checking:
                    raise ImageFormatError(f"{self.path}: {problem}")
                self.damage.append(problem)

    def metadata_regions(self) -> list[tuple[int, int, str]]:
        h = self.header
        regions = [(0, self.cs, "header"),
                   (h.refcount_table_offset,
                    h.refcount_table_offset + h.refcount_table_clusters * self.cs,
                    "refcount table")]
        if h.l1_size:
            regions.append((h.l1_table_offset,
                            h.l1_table_offset + _round_up(8 * h.l1_size, self.cs), "L1 table"))
        if h.nb_snapshots:
            regions.append((h.snapshots_offset,
                            h.snapshots_offset + _round_up(self.snapshot_table_bytes, self.cs),
                            "snapshot table"))
        return regions

    # ---- low-level I/O --------------------------------------------------------------------
    def pread(self, offset: int, length: int) -> bytes:
        data = os.pread(self.fd, length, offset)
        return data + bytes(length - len(data))

    def meta_write(self, offset: int, data: bytes, what: str) -> None:
        """Write metadata, after the guard: never over another metadata structure."""
        if self.readonly:
            raise DiskError(f"{self.path}: opened read-only")
        end = offset + len(data)
        for start, stop, name in self.metadata_regions():
            if offset < stop and start < end and not _same_kind(what, name):
                raise ImageFormatError(f"{self.path}: refusing to write {what} at {offset:#x}: "
                                       f"it would overlap the {name}")
        os.pwrite(self.fd, data, offset)
        self.file_end = max(self.file_end, _round_up(end, self.cs))

    def data_write(self, offset: int, data: bytes) -> None:
        for start, stop, name in self.metadata_regions():
            if offset < stop and start < offset + len(data):
                raise ImageFormatError(f"{self.path}: refusing to write guest data at "
                                       f"{offset:#x}: it would overlap the {name}")
        os.pwrite(self.fd, data, offset)
        self.file_end = max(self.file_end, _round_up(offset + len(data), self.cs))

    def write_header(self) -> None:
        data = self.header.encode()
        if self.readonly:
            raise DiskError(f"{self.path}: opened read-only")
        os.pwrite(self.fd, data, 0)

    def sync(self) -> None:
        os.fsync(self.fd)

    @contextlib.contextmanager
    def dirty(self) -> Iterator[None]:
        """Run a metadata operation that is not consistent at every instant.

        Ordering: the dirty bit is written and synced before the first metadata write of the
        operation, and cleared only after all of them are synced, so a kill anywhere in
        between leaves the bit set and the next read-write open (ours or QEMU's) recounts the
        refcounts and rebuilds the COPIED flags before anything is written. Version 2
        images have no feature bits; there the ordering of each operation alone keeps the
        data safe (at worst leaks and stale COPIED flags that only cost a copy)."""
        h = self.header
        if self.readonly or h.version < 3 or self._dirty_depth:
            self._dirty_depth += 1
            try:
                yield
            finally:
                self._dirty_depth -= 1
            return
        self._dirty_depth = 1
        try:
            h.incompatible_features |= INCOMPAT_DIRTY
            self.write_header()
            self.sync()                 # the bit is on disk before the first unsafe write
            yield
            self.sync()                 # everything the operation wrote is stable...
            h.incompatible_features &= ~INCOMPAT_DIRTY
            self.write_header()         # ...before the bit says so (QEMU's mark_clean: a
            # clear bit lost to a power cut costs only a needless recount, so no sync here)
        finally:
            self._dirty_depth = 0

    @property
    def snapshot_table_bytes(self) -> int:
        return getattr(self, "_snapshot_table_bytes", 0)

    # ---- mapping ---------------------------------------------------------------------------
    def lookup(self, gc: int) -> cl.Mapping:
        l1i, l2i = divmod(gc, self.l2_entries)
        if l1i >= len(self.l1):
            return cl.Mapping(cl.UNALLOCATED)
        l2off = self.l1[l1i] & cl.L1_OFFSET_MASK
        if not l2off:
            return cl.Mapping(cl.UNALLOCATED)
        return cl.classify(self.l2cache.get(l2off)[l2i], self.header.cluster_bits)

    # ---- the block-device protocol ---------------------------------------------------------
    def read(self, offset: int, length: int) -> bytes:
        self.check_range(offset, length)
        within = offset % self.cs
        if within + length <= self.cs:
            # Fast path: the whole request lies in one allocated cluster (the common case
            # for sector and 4 KiB I/O).
            m = self.lookup(offset // self.cs)
            if m.kind == cl.NORMAL:
                return self.pread(m.host + within, length)
        out = bytearray()
        pos, end, cs = offset, offset + length, self.cs
        while pos < end:
            gc, within = divmod(pos, cs)
            n = min(cs - within, end - pos)
            m = self.lookup(gc)
            if m.kind == cl.NORMAL:
                # Coalesce a run of clusters that are contiguous on the host too.
                k = 1
                while pos + n < end and n < (1 << 20):
                    nxt = self.lookup(gc + k)
                    if nxt.kind != cl.NORMAL or nxt.host != m.host + k * cs:
                        break
                    n += min(cs, end - pos - n)
                    k += 1
                out += self.pread(m.host + within, n)
            elif m.kind == cl.UNALLOCATED:
                out += self._backing_read(pos, n)
            elif m.kind == cl.ZERO_CLUSTER:
                out += bytes(n)
            else:
                out += self._decompress(m)[within:within + n]
            pos += n
        return bytes(out)

    def write(self, offset: int, data: bytes) -> None:
        if self.readonly:
            raise DiskError(f"{self.path}: opened read-only")
        self.check_range(offset, len(data))
        pos, cs, view = offset, self.cs, memoryview(data)
        done = 0
        while done < len(data):
            gc, within = divmod(pos, cs)
            n = min(cs - within, len(data) - done)
            self._write_cluster(gc, within, view[done:done + n])
            pos += n
            done += n

    # ---- internals -------------------------------------------------------------------------
    def _backing_read(self, pos: int, n: int) -> bytes:
        b = self.backing
        if b is None or pos >= b.size:
            return bytes(n)
        avail = min(n, b.size - pos)
        return b.read(pos, avail) + bytes(n - avail)

    def _decompress(self, m: cl.Mapping) -> bytes:
        if self._zcache and self._zcache[0] == m.host:
            return self._zcache[1]
        raw = self.pread(m.host, m.length)
        try:
            d = zlib.decompressobj(-15)
            out = d.decompress(raw, self.cs)
        except zlib.error as exc:
            raise ImageFormatError(f"{self.path}: compressed cluster at {m.host:#x} is "
                                   f"damaged ({exc})") from None
        out = out + bytes(self.cs - len(out))
        self._zcache = (m.host, out)
        return out

    def _cluster_content(self, gc: int, m: cl.Mapping) -> bytes:
        cs = self.cs
        if m.kind == cl.NORMAL:
            return self.pread(m.host, cs)
        if m.kind == cl.COMPRESSED_CLUSTER:
            return self._decompress(m)
        if m.kind == cl.ZERO_CLUSTER:
            return bytes(cs)
        n = min(cs, self.size - gc * cs)
        return self._backing_read(gc * cs, n) + bytes(cs - n)

    def _write_cluster(self, gc: int, within: int, chunk: memoryview) -> None:
        m = self.lookup(gc)
        # In place only when nothing else holds the cluster: the refcount decides, not the
        # COPIED flag (which a crash or another writer may have left wrong).
        if m.kind == cl.NORMAL and self.refcounts.get(m.host // self.cs) == 1:
            self.data_write(m.host + within, bytes(chunk))
            if not m.copied:
                self._set_l2(gc, m.host | cl.COPIED)
            return
        if len(chunk) == self.cs:
            content = bytes(chunk)
        else:
            # Copy-on-write: the rest of the cluster comes from where it lived before.
            old = bytearray(self._cluster_content(gc, m))
            old[within:within + len(chunk)] = chunk
            content = bytes(old)
        new = self.refcounts.alloc(1)                 # 1. refcount first
        self.data_write(new, content)                 # 2. then the data
        self._set_l2(gc, new | cl.COPIED)             # 3./4. then L2 (and L1)
        self._release(m)                              # 5. the old cluster last

    def _release(self, m: cl.Mapping) -> None:
        if m.kind in (cl.NORMAL, cl.ZERO_CLUSTER) and m.host:
            self.refcounts.add(m.host, 1, -1)
        elif m.kind == cl.COMPRESSED_CLUSTER:
            for c in cl.compressed_clusters(m, self.cs):
                self.refcounts.set(c, self.refcounts.get(c) - 1)

    def _set_l2(self, gc: int, entry: int) -> None:
        l1i, l2i = divmod(gc, self.l2_entries)
        l1e = self.l1[l1i]
        l2off = l1e & cl.L1_OFFSET_MASK
        if l2off and self.refcounts.get(l2off // self.cs) == 1:
            table = self.l2cache.get(l2off)
            table[l2i] = entry
            self.meta_write(l2off + 8 * l2i, struct.pack(">Q", entry), "L2 table")
            if not l1e & cl.COPIED:
                self._set_l1(l1i, l2off | cl.COPIED)
            return
        # A new L2 table, or a private copy of one a snapshot shares.
        if l2off:
            table = decode(encode(self.l2cache.get(l2off)), "Q")
        else:
            table = decode(bytes(self.cs), "Q")
        table[l2i] = entry
        new = self.refcounts.alloc(1)
        self.meta_write(new, encode(table), "L2 table")
        self.l2cache.put_new(new, table)
        self._set_l1(l1i, new | cl.COPIED)
        if l2off:
            self.refcounts.add(l2off, 1, -1)

    def _set_l1(self, l1i: int, entry: int) -> None:
        self.l1[l1i] = entry
        self.meta_write(self.header.l1_table_offset + 8 * l1i, struct.pack(">Q", entry),
                        "L1 table")


def _same_kind(what: str, region: str) -> bool:
    """An in-place update of a structure may touch that structure; anything else, and every
    new structure ("new L1 table", "snapshot L1 table"), must overlap none of them."""
    return what == region


def _round_up(n: int, to: int) -> int:
    return -(-n // to) * to
