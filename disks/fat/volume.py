"""A FAT12/FAT16 volume on any block device: look up, list, read, write, make and remove.

Write ordering (why a killed copy leaves at worst lost clusters, never a file pointing at
another's data or at clusters marked free):
1. a new file's or directory's clusters are taken in the in-memory FAT and its data written;
2. the FAT sectors that changed are written, to every copy of the FAT;
3. only then is the directory entry written (or changed, when a file is replaced);
4. a replaced or removed file's entry is changed or freed first, and its old clusters freed
   in the FAT after that.
``flush()`` writes the FAT and then flushes the device (the durability barrier).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

from disks.errors import DiskError, ImageFormatError
from disks.fat import dirent
from disks.fat.bpb import BPB, FLOPPY_FORMATS, SECTOR, parse_bpb
from disks.fat.dirent import DIRECTORY, ENTRY, LFN, VOLUME, Entry
from disks.fat.names import cased, dos_name, lfn_checksum, lfn_entries, lfn_part, raw83
from disks.fat.table import Fat

RUN = 1 << 20                       # the largest single write of file data


class FatError(DiskError):
    """A file operation that cannot be done (no such file, not a directory, disk full...)."""


def root_entry() -> Entry:
    return Entry(b"\\" + b" " * 10, DIRECTORY, 0, 0, 0, 0)


class Volume:
    """``dev`` is a block device (read/write/flush/size); the volume starts at byte
    ``base`` (0 for a floppy, the partition's first sector on a hard disk)."""

    def __init__(self, dev, base: int = 0, length: int | None = None, *,
                 where: str = "") -> None:
        self.dev = dev
        self.base = base
        self.where = where or getattr(dev, "path", "volume")
        self.readonly = bool(getattr(dev, "readonly", False))
        length = dev.size - base if length is None else length
        boot = dev.read(base, SECTOR)
        self.bpb = self._bpb(boot, length)
        if self.bpb.total_sectors * SECTOR > length:
            raise ImageFormatError(f"{self.where}: the file system claims "
                                   f"{self.bpb.total_sectors} sectors, but its space holds "
                                   f"{length // SECTOR}")
        b = self.bpb
        self.cluster_bytes = b.cluster_bytes
        raw = dev.read(base + b.fat_start * SECTOR, b.sectors_per_fat * SECTOR)
        self.fat = Fat(raw, b.fat_bits, b.clusters, self.where)

    def _bpb(self, boot: bytes, length: int) -> BPB:
        try:
            return parse_bpb(boot, self.where)
        except ImageFormatError as exc:
            # DOS 1.x floppies have no BPB: the size and FAT[0]'s media byte tell the format.
            fmt = FLOPPY_FORMATS.get(length)
            if self.base == 0 and fmt is not None and \
                    self.dev.read(SECTOR, 1)[0] == fmt.media:
                return fmt.bpb("NO NAME", 0)
            raise ImageFormatError(f"{exc} (not a FAT12/FAT16 file system?)") from None

    # ---- sizes ------------------------------------------------------------------------------
    @property
    def total_bytes(self) -> int:
        return self.bpb.clusters * self.cluster_bytes

    @property
    def free_bytes(self) -> int:
        return self.fat.free_count() * self.cluster_bytes

    @property
    def label(self) -> str:
        for e in self.entries(0, labels=True):
            if e.is_label:
                return e.name.replace(".", "")
        return self.bpb.label

    # ---- directories ------------------------------------------------------------------------
    def _cluster_offset(self, n: int) -> int:
        return self.base + self.bpb.cluster_sector(n) * SECTOR

    def _spans(self, cluster: int) -> list[tuple[int, int]]:
        """(byte offset, length) of each piece of a directory (0: the root)."""
        if cluster == 0:
            return [(self.base + self.bpb.root_start * SECTOR, self.bpb.root_entries * ENTRY)]
        return [(self._cluster_offset(n), self.cluster_bytes) for n in self.fat.chain(cluster)]

    def _records(self, cluster: int) -> Iterator[tuple[int, bytes]]:
        for offset, length in self._spans(cluster):
            data = self.dev.read(offset, length)
            for i in range(0, length, ENTRY):
                yield offset + i, data[i:i + ENTRY]

    def entries(self, cluster: int, *, labels: bool = False) -> list[Entry]:
        """The live entries of a directory ('.' and '..' left out), with long names joined."""
        out: list[Entry] = []
        parts: list[tuple[int, int, str]] = []
        lfn_at: list[int] = []
        for offset, rec in self._records(cluster):
            first = rec[0]
            if first == dirent.END:
                break
            if first == dirent.FREE:
                parts, lfn_at = [], []
                continue
            if rec[11] == LFN:
                parts.append(lfn_part(rec))
                lfn_at.append(offset)
                continue
            e = dirent.decode(rec, offset)
            if parts and all(c == lfn_checksum(rec[:11]) for _, c, _ in parts):
                e.long_name = "".join(t for _, _, t in reversed(parts))
                e.lfn_offsets = tuple(lfn_at)
            parts, lfn_at = [], []
            if rec[:2] in (b". ", b".."):
                continue
            if e.is_label and not labels:
                continue
            if e.attr & VOLUME and e.is_dir:
                continue
            out.append(e)
        return out

    def lookup(self, path: str) -> Entry:
        """The entry at ``path`` ('/' or '\\' separated, any case; '' or '/' the root)."""
        entry = root_entry()
        walked = ""
        for part in split_path(path):
            if not entry.is_dir:
                raise FatError(f"{self.where}:{walked}: is not a directory")
            found = self.find(entry.cluster, part)
            walked += "/" + part
            if found is None:
                raise FatError(f"{self.where}:{walked}: no such file or directory")
            entry = found
        return entry

    def find(self, cluster: int, name: str) -> Entry | None:
        key = name.upper()
        for e in self.entries(cluster):
            if e.name == key or (e.long_name and e.long_name.casefold() == name.casefold()):
                return e
        return None

    def listdir(self, path: str) -> list[Entry]:
        e = self.lookup(path)
        if not e.is_dir:
            return [e]
        return self.entries(e.cluster)

    def walk(self, cluster: int, prefix: str = "") -> Iterator[tuple[str, Entry]]:
        """Every entry below a directory, parents before their contents."""
        for e in self.entries(cluster):
            yield prefix + e.shown, e
            if e.is_dir:
                yield from self.walk(e.cluster, prefix + e.shown + "/")

    # ---- reading ----------------------------------------------------------------------------
    def read_chunks(self, e: Entry) -> Iterator[bytes]:
        """A file's data, in runs of contiguous clusters."""
        if e.is_dir:
            raise FatError(f"{self.where}: {e.shown} is a directory")
        if e.size == 0 or e.cluster == 0:
            return
        clusters = self.fat.chain(e.cluster)
        need = -(-e.size // self.cluster_bytes)
        if len(clusters) < need:
            raise ImageFormatError(f"{self.where}: {e.shown} has {e.size} bytes but only "
                                   f"{len(clusters)} clusters (run fsck.fat)")
        left = e.size
        for start, count in _runs(clusters[:need], RUN // self.cluster_bytes):
            n = min(left, count * self.cluster_bytes)
            yield self.dev.read(self._cluster_offset(start), n)
            left -= n

    def read_file(self, path: str) -> bytes:
        return b"".join(self.read_chunks(self.lookup(path)))

    # ---- writing ----------------------------------------------------------------------------
    def _writable(self) -> None:
        if self.readonly:
            raise FatError(f"{self.where}: opened read-only")

    def commit_fat(self) -> None:
        """Write the FAT sectors that changed, to every copy."""
        b = self.bpb
        for sector, data in self.fat.dirty_sectors():
            for copy in range(b.fats):
                self.dev.write(self.base + (b.fat_start + copy * b.sectors_per_fat + sector)
                               * SECTOR, data)

    def flush(self) -> None:
        if not self.readonly:
            self.commit_fat()
            self.dev.flush()

    def _taken(self, cluster: int) -> set[str]:
        return {e.name for e in self.entries(cluster, labels=True)}

    def _slots(self, cluster: int, count: int) -> list[int]:
        """Byte offsets of ``count`` consecutive free records in a directory, growing a
        subdirectory by zeroed clusters when it has no such run."""
        records = list(self._records(cluster))
        run: list[int] = []
        for i, (offset, rec) in enumerate(records):
            if rec[0] == dirent.END:
                # Everything from the end mark on is free; records after it may hold old
                # bytes, so the mark is kept after what we write.
                rest = [o for o, _ in records[i:]]
                if len(run) + len(rest) >= count:
                    used = count - len(run)
                    if used < len(rest) and records[i + used][1][0] != dirent.END:
                        self.dev.write(rest[used], b"\x00")
                    return run + rest[:used]
                run += rest
                break
            run = run + [offset] if rec[0] == dirent.FREE else []
            if len(run) == count:
                return run
        if cluster == 0:
            raise FatError(f"{self.where}: the root directory is full "
                           f"({self.bpb.root_entries} entries); use a subdirectory")
        per = self.cluster_bytes // ENTRY
        grow = -(-(count - len(run)) // per)
        last = self.fat.chain(cluster)[-1]
        new = self.fat.allocate(grow, after=last)
        for n in new:
            self.dev.write(self._cluster_offset(n), bytes(self.cluster_bytes))
        self.commit_fat()
        added = [self._cluster_offset(n) + i * ENTRY for n in new for i in range(per)]
        return (run + added)[:count]

    def _claim(self, parent: Entry, name: str) -> _Name:
        """Room in ``parent`` for ``name``, found before any data is written (so a full
        root directory costs nothing): its 8.3 name (a short name when it has none), case
        bits, and a long name for other systems when the 8.3 form would lose something."""
        base, ext, case, shortened = dos_name(name, self._taken(parent.cluster))
        raw = raw83(base, ext)
        longs = lfn_entries(name, raw) if cased(base, ext, case) != name else []
        return _Name(raw, case, longs, shortened, name,
                     self._slots(parent.cluster, len(longs) + 1))

    def _place(self, claim: _Name, entry: Entry) -> tuple[Entry, bool]:
        """Write the entry (long-name records first) into the room claimed for it."""
        entry.raw_name, entry.case = claim.raw, claim.case
        for offset, rec in zip(claim.offsets, claim.longs, strict=False):
            self.dev.write(offset, rec)
        entry.offset = claim.offsets[-1]
        entry.lfn_offsets = tuple(claim.offsets[:-1])
        entry.long_name = claim.name if claim.longs else None
        self.dev.write(entry.offset, entry.encode())
        return entry, claim.shortened

    def _write_data(self, source, size: int) -> int:
        """Clusters for ``size`` bytes from ``source`` (bytes or a binary file), written;
        the first cluster (0 for an empty file)."""
        if size == 0:
            return 0
        clusters = self.fat.allocate(-(-size // self.cluster_bytes))
        view = memoryview(source) if isinstance(source, bytes | bytearray) else None
        pos = 0
        try:
            for start, count in _runs(clusters, RUN // self.cluster_bytes):
                n = min(size - pos, count * self.cluster_bytes)
                chunk = bytes(view[pos:pos + n]) if view is not None else source.read(n)
                if len(chunk) != n:
                    raise FatError(f"{self.where}: the source ended after {pos + len(chunk)} "
                                   f"of {size} bytes (changed while copying?)")
                pad = -n % SECTOR
                self.dev.write(self._cluster_offset(start), chunk + bytes(pad))
                pos += n
        except BaseException:
            self.fat.free_chain(clusters[0])
            raise
        return clusters[0]

    def write_file(self, parent: Entry, name: str, source, size: int, *,
                   mtime: float | None = None, attr: int = dirent.ARCHIVE) -> tuple[Entry, bool]:
        """Create or replace the file ``name`` in directory ``parent``; returns the entry
        and whether the name had to be shortened to 8.3."""
        self._writable()
        if not parent.is_dir:
            raise FatError(f"{self.where}: {parent.shown} is not a directory")
        old = self.find(parent.cluster, name)
        if old is not None and old.is_dir:
            raise FatError(f"{self.where}: {old.shown} is a directory")
        claim = self._claim(parent, name) if old is None else None
        first = self._write_data(source, size)
        self.commit_fat()
        mdate, mt = dirent.to_dos(time.time() if mtime is None else mtime)
        cdate, ct = dirent.to_dos(time.time())
        if old is not None:
            entry = replace(old, size=size, cluster=first, mdate=mdate, mtime=mt, adate=cdate,
                            attr=attr | (old.attr & (dirent.HIDDEN | dirent.SYSTEM)))
            self.dev.write(old.offset, entry.encode())
            if old.cluster:
                self.fat.free_chain(old.cluster)
                self.commit_fat()
            return entry, False
        assert claim is not None
        return self._place(claim, Entry(b"", attr, size, first, mdate, mt, cdate, ct, 0, cdate))

    def mkdir(self, parent: Entry, name: str, *, mtime: float | None = None
              ) -> tuple[Entry, bool]:
        self._writable()
        if not parent.is_dir:
            raise FatError(f"{self.where}: {parent.shown} is not a directory")
        if self.find(parent.cluster, name) is not None:
            raise FatError(f"{self.where}: {name} already exists")
        claim = self._claim(parent, name)
        mdate, mt = dirent.to_dos(time.time() if mtime is None else mtime)
        cluster = self.fat.allocate(1)[0]
        block = bytearray(self.cluster_bytes)
        dot = Entry(b".          ", DIRECTORY, 0, cluster, mdate, mt, mdate, mt, 0, mdate)
        dotdot = replace(dot, raw_name=b"..         ", cluster=parent.cluster)
        block[:ENTRY] = dot.encode()
        block[ENTRY:2 * ENTRY] = dotdot.encode()
        self.dev.write(self._cluster_offset(cluster), bytes(block))
        self.commit_fat()
        return self._place(claim, replace(dot))

    def remove(self, e: Entry) -> None:
        """Remove a file or an empty directory."""
        self._writable()
        if e.cluster == 0 and e.is_dir:
            raise FatError(f"{self.where}: cannot remove the root directory")
        if e.is_dir and self.entries(e.cluster, labels=True):
            raise FatError(f"{self.where}: {e.shown} is not empty (use -r)")
        for offset in (*e.lfn_offsets, e.offset):
            self.dev.write(offset, bytes((dirent.FREE,)))
        if e.cluster:
            self.fat.free_chain(e.cluster)
            self.commit_fat()

    def set_label(self, label: str) -> None:
        """The volume label, in the root directory (where DOS's VOL reads it)."""
        self._writable()
        raw = label.upper().encode("cp437").ljust(11)[:11]
        d, t = dirent.to_dos(time.time())
        entry = Entry(raw, dirent.ARCHIVE | VOLUME, 0, 0, d, t)
        entry.offset = self._slots(0, 1)[0]
        self.dev.write(entry.offset, entry.encode())


@dataclass
class _Name:
    raw: bytes
    case: int
    longs: list[bytes]
    shortened: bool
    name: str
    offsets: list[int]


def split_path(path: str) -> list[str]:
    return [p for p in path.replace("\\", "/").split("/") if p and p != "."]


def _runs(clusters: list[int], most: int) -> Iterator[tuple[int, int]]:
    """(first, count) of each run of consecutive cluster numbers, at most ``most`` long."""
    i = 0
    most = max(1, most)
    while i < len(clusters):
        j = i + 1
        while j < len(clusters) and clusters[j] == clusters[j - 1] + 1 and j - i < most:
            j += 1
        yield clusters[i], j - i
        i = j
