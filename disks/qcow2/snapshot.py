"""Internal snapshots: the snapshot table, and create / list / apply / delete.

Refcount semantics (as QEMU's update_snapshot_refcount): every L1 table — the active one and
each snapshot's — holds one reference on each L2 table and each data cluster it reaches. So
taking a snapshot adds one to all of them, deleting one subtracts one, and the COPIED flag of
an active entry is set exactly when its refcount is 1.

Ordering. Each operation switches from the old state to the new one with a single header
write (one sector in cluster 0, which a kill cannot tear): the snapshot table (create,
delete) or the active L1 table (apply) is written anew elsewhere and the header is then
pointed at it, so the guest view and every snapshot's view are always entirely old or
entirely new. Around that switch, references are only ever added before the structure that
makes them reachable is named, and dropped after it is no longer named, so a refcount is
never below its number of references (QEMU: "increase the refcounts of all clusters and make
sure everything is stable on disk before updating the snapshot table"). What cannot be kept
exact at every instant is the COPIED flag of active entries while their refcounts move
between 1 and 2: the operations run inside ``img.dirty()`` so that a kill in the middle
makes the next read-write open recount and rebuild the flags. Our own writer copies on
write by refcount, not by flag, so even a stale flag never exposes shared data.

VM state (the spec's snapshot VM-state area). A snapshot may carry a machine state of
``vm_state_size`` bytes (the 32-bit field and the 64-bit one in the extra data), stored like
guest data "at the first cluster described by the first L1 table entry that doesn't describe
a regular guest cluster": guest offset ``vm_state_offset`` = the disk size rounded up to what
one L1 entry maps (512 MiB with 64 KiB clusters), as QEMU's qcow2_vm_state_offset. QEMU
writes it through the active L1 and then discards it there; we write it straight into the
snapshot's own copy of the L1 (which is then longer than the active one, as QEMU allows: its
revert grows the active L1), so the active view never maps it and a kill before the header
switch leaves only leaks. Its clusters are referenced by that snapshot alone: deleting the
snapshot frees them, `qemu-img snapshot -l` shows the size and `qemu-img check` counts them.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from disks.errors import DiskError, ImageFormatError
from disks.qcow2 import clusters as cl
from disks.qcow2.cache import decode, encode

if TYPE_CHECKING:
    from disks.qcow2.image import Qcow2Image

_ENTRY = struct.Struct(">QIHHIIQII")      # 40 bytes
_EXTRA = struct.Struct(">QQ")             # vm_state_size_large, disk_size (16 bytes)


@dataclass
class Snapshot:
    id: str
    name: str
    l1_table_offset: int
    l1_size: int
    date_sec: int
    date_nsec: int = 0
    vm_clock_nsec: int = 0
    vm_state_size: int = 0
    disk_size: int = 0
    extra: bytes = b""

    def encode(self) -> bytes:
        extra = bytearray(self.extra.ljust(16, b"\0"))
        _EXTRA.pack_into(extra, 0, self.vm_state_size, self.disk_size)
        ident, name = self.id.encode(), self.name.encode()
        out = _ENTRY.pack(self.l1_table_offset, self.l1_size, len(ident), len(name),
                          self.date_sec, self.date_nsec, self.vm_clock_nsec,
                          min(self.vm_state_size, 0xFFFFFFFF), len(extra))
        out += bytes(extra) + ident + name
        return out + bytes((-len(out)) % 8)


def read_snapshots(img: Qcow2Image) -> list[Snapshot]:
    h = img.header
    img._snapshot_table_bytes = 0
    if not h.nb_snapshots:
        return []
    if h.nb_snapshots > 65536:
        raise ImageFormatError(f"{img.path}: snapshot table claims {h.nb_snapshots} entries")
    pos, snaps = h.snapshots_offset, []
    for i in range(h.nb_snapshots):
        if pos + _ENTRY.size > img.file_end:
            raise ImageFormatError(f"{img.path}: snapshot table entry {i} is truncated")
        (l1_off, l1_size, id_len, name_len, dsec, dnsec, vmclk, vmsize,
         extra_len) = _ENTRY.unpack(img.pread(pos, _ENTRY.size))
        if extra_len > 1024 or pos + 40 + extra_len + id_len + name_len > img.file_end:
            raise ImageFormatError(f"{img.path}: snapshot table entry {i} is corrupt")
        extra = img.pread(pos + 40, extra_len)
        ident = img.pread(pos + 40 + extra_len, id_len).decode(errors="replace")
        name = img.pread(pos + 40 + extra_len + id_len, name_len).decode(errors="replace")
        if l1_off % img.cs or l1_off + 8 * l1_size > img.file_end or l1_size > (1 << 22):
            raise ImageFormatError(f"{img.path}: snapshot {name!r} has an invalid L1 table")
        vm_large, disk = (_EXTRA.unpack_from(extra.ljust(16, b"\0")) if extra_len >= 8
                          else (vmsize, h.size))
        if extra_len < 16:
            disk = h.size
        # The 64-bit size, where the extra data has it, is the one (the spec: the 32-bit
        # field is then ignored).
        snaps.append(Snapshot(ident, name, l1_off, l1_size, dsec, dnsec, vmclk,
                              vm_large if extra_len >= 8 else vmsize, disk, bytes(extra)))
        pos += 40 + extra_len + id_len + name_len
        pos += (-pos) % 8
    img._snapshot_table_bytes = pos - h.snapshots_offset
    return snaps


def _write_table(img: Qcow2Image, snaps: list[Snapshot]) -> None:
    """Write a new snapshot table elsewhere, switch the header to it, free the old one.

    Ordering: new table written -> sync (the table, and every refcount and L1 copy the
    caller raised or wrote before, are stable) -> header names it (the atomic switch) ->
    the old table's clusters freed (a kill before that leaks them, nothing more)."""
    h = img.header
    old_off, old_bytes = h.snapshots_offset, img.snapshot_table_bytes
    data = b"".join(s.encode() for s in snaps)
    new_off = 0
    if data:
        clusters = -(-len(data) // img.cs)
        new_off = img.refcounts.alloc(clusters)
        img.meta_write(new_off, data + bytes(clusters * img.cs - len(data)),
                       "new snapshot table")
    img.sync()                 # table and refcounts are on disk before the header names them
    h.nb_snapshots = len(snaps)
    h.snapshots_offset = new_off
    img._snapshot_table_bytes = len(data)
    img.write_header()
    img.snapshots = snaps
    if old_off and old_bytes:
        img.refcounts.add(old_off, -(-old_bytes // img.cs), -1)


def _reached(img: Qcow2Image, l1: list[int]) -> list[int]:
    """Every L2 table and data cluster ``l1`` reaches, once per reference (host clusters)."""
    touched: list[int] = []
    for e in l1:
        l2off = e & cl.L1_OFFSET_MASK
        if not l2off:
            continue
        for entry in img.l2cache.get(l2off):
            if not entry:
                continue
            m = cl.classify(entry, img.header.cluster_bits)
            if m.kind in (cl.NORMAL, cl.ZERO_CLUSTER) and m.host:
                touched.append(m.host // img.cs)
            elif m.kind == cl.COMPRESSED_CLUSTER:
                touched.extend(cl.compressed_clusters(m, img.cs))
        touched.append(l2off // img.cs)
    return touched


def _walk(img: Qcow2Image, l1: list[int], delta: int) -> None:
    """Add ``delta`` to the refcount of every L2 table and data cluster ``l1`` reaches."""
    img.refcounts.add_many(_reached(img, l1), delta)


def fix_copied_flags(img: Qcow2Image) -> int:
    """Set COPIED on active L1/L2 entries exactly where the refcount is 1; return how many
    entries changed.

    Like QEMU, the flags of a shared L2 table are rewritten in place: they only have meaning
    for the active L1, so the snapshots sharing the table are unaffected. A table is
    rewritten whole; a kill mid-write leaves each entry old or new, both valid pointers."""
    cs = img.cs
    changed_entries = 0
    for l1i, e in enumerate(img.l1):
        l2off = e & cl.L1_OFFSET_MASK
        if not l2off:
            continue
        private = img.refcounts.get(l2off // cs) == 1
        table = img.l2cache.get(l2off)
        changed = False
        for i, entry in enumerate(table):
            if not entry:
                continue
            if entry & cl.COMPRESSED:
                if entry & cl.COPIED:            # never valid on compressed clusters
                    table[i] = entry & ~cl.COPIED
                    changed = True
                    changed_entries += 1
                continue
            host = entry & cl.OFFSET_MASK
            if not host:
                continue
            want = img.refcounts.get(host // cs) == 1
            if bool(entry & cl.COPIED) != want:
                table[i] = entry | cl.COPIED if want else entry & ~cl.COPIED
                changed = True
                changed_entries += 1
        if changed:
            img.meta_write(l2off, encode(table), "L2 table")
        new = l2off | cl.COPIED if private else l2off
        if new != e:
            img.l1[l1i] = new
            img.meta_write(img.header.l1_table_offset + 8 * l1i, struct.pack(">Q", new),
                           "L1 table")
            changed_entries += 1
    return changed_entries


def _find(img: Qcow2Image, name: str) -> Snapshot:
    for s in img.snapshots:
        if s.name == name or s.id == name:
            return s
    names = ", ".join(s.name for s in img.snapshots) or "none"
    raise DiskError(f"{img.path}: no snapshot named {name!r} (snapshots: {names})")


def _guest_entries(img: Qcow2Image) -> int:
    """How many L1 entries map the guest's disk (the rest can only map a VM state)."""
    return -(-img.size // (img.cs * img.l2_entries))


def vm_state_offset(img: Qcow2Image, disk_size: int | None = None) -> int:
    """Guest offset where a snapshot's VM state starts: the first L1 entry past the disk."""
    span = img.cs * img.l2_entries                 # what one L1 entry maps
    size = img.size if disk_size is None else disk_size
    return -(-size // span) * span


def read_vm_state(img: Qcow2Image, name: str) -> bytes:
    """The VM state snapshot ``name`` holds (b"" when it holds none), read through the
    snapshot's own L1 as the spec places it; unallocated clusters read as zeros."""
    snap = _find(img, name)
    if not snap.vm_state_size:
        return b""
    if snap.vm_state_size > (1 << 32):
        raise ImageFormatError(f"{img.path}: snapshot {name!r} claims a VM state of "
                               f"{snap.vm_state_size:,} bytes")
    l1 = snapshot_l1(img, snap)
    cs = img.cs
    start = vm_state_offset(img, snap.disk_size)
    out = bytearray()
    for gc in range(start // cs, -(-(start + snap.vm_state_size) // cs)):
        l1i, l2i = divmod(gc, img.l2_entries)
        l2off = l1[l1i] & cl.L1_OFFSET_MASK if l1i < len(l1) else 0
        m = cl.classify(img.l2cache.get(l2off)[l2i], img.header.cluster_bits) if l2off \
            else cl.Mapping(cl.UNALLOCATED)
        if m.kind == cl.NORMAL:
            if m.host % cs or m.host + cs > img.file_end:
                raise ImageFormatError(f"{img.path}: snapshot {name!r}: VM state cluster at "
                                       f"{m.host:#x} lies past the end of the file")
            out += img.pread(m.host, cs)
        elif m.kind == cl.COMPRESSED_CLUSTER:
            out += img._decompress(m)
        else:
            out += bytes(cs)
    return bytes(out[:snap.vm_state_size])


def _write_vm_state(img: Qcow2Image, data: bytes, l1: list[int]) -> list[int]:
    """Write ``data`` to new clusters mapped from new L2 tables at the VM-state offset;
    return ``l1`` extended with them (the snapshot's L1). Nothing names them yet: a kill
    from here to the table switch leaks them, nothing more."""
    cs, per_l2 = img.cs, img.l2_entries
    n = -(-len(data) // cs)
    first = vm_state_offset(img) // cs
    host = img.refcounts.alloc(n)
    img.data_write(host, data.ljust(n * cs, b"\0"))
    l1 = l1 + [0] * max(0, -(-(first + n) // per_l2) - len(l1))
    for l1i in range(first // per_l2, -(-(first + n) // per_l2)):
        table = [0] * per_l2
        for gc in range(max(first, l1i * per_l2), min(first + n, (l1i + 1) * per_l2)):
            # No COPIED: only the active L1's entries carry it, and this L2 is not there.
            table[gc - l1i * per_l2] = host + (gc - first) * cs
        l2off = img.refcounts.alloc(1)
        img.meta_write(l2off, encode(_array(table)), "new snapshot L2 table")
        l1[l1i] = l2off
    return l1


def list_snapshots(img: Qcow2Image) -> list[Snapshot]:
    return list(img.snapshots)


def snapshot_l1(img: Qcow2Image, snap: Snapshot) -> list[int]:
    return list(decode(img.pread(snap.l1_table_offset, 8 * snap.l1_size), "Q"))


def read_snapshot(img: Qcow2Image, name: str, offset: int, length: int) -> bytes:
    """Guest data as snapshot ``name`` holds it (the image itself is not changed)."""
    snap = _find(img, name)
    l1 = snapshot_l1(img, snap)
    l1 += [0] * (len(img.l1) - len(l1))
    active = img.l1
    img.l1 = l1
    try:
        return img.read(offset, length)
    finally:
        img.l1 = active


def create_snapshot(img: Qcow2Image, name: str, vm_state: bytes = b"",
                    vm_clock_nsec: int = 0) -> Snapshot:
    """``vm_state``: a machine state to keep in the snapshot's VM-state area (see the module
    docstring); ``vm_clock_nsec``: the guest's clock at the snapshot (the spec's field, which
    `qemu-img snapshot -l` shows as VM CLOCK).

    Ordering (inside the dirty bit):
    0. the VM state, if any, goes to new data clusters and new L2 tables (unnamed: leaks);
    1. the snapshot's copy of the L1 table is written to new clusters (unnamed: a leak);
    2. every cluster the active L1 reaches gains a reference (refcount 1 -> 2);
    3. COPIED is cleared on the active entries that are now shared;
    4. a new snapshot table naming the L1 copy is written, synced, and the header switched
       to it (_write_table): the snapshot exists from this one write on.
    A kill before 4 leaves no snapshot, only leaks (and flags the dirty-bit repair fixes)."""
    if any(s.name == name for s in img.snapshots):
        raise DiskError(f"{img.path}: a snapshot named {name!r} already exists")
    h = img.header
    with img.dirty():
        # The guest's entries of the active L1: whatever it maps past the disk (a VM state a
        # QEMU revert left there) is not the new snapshot's.
        guest = _guest_entries(img)
        snap_l1 = [e & ~cl.COPIED for e in img.l1[:guest]] + [0] * (len(img.l1) - guest)
        referenced = list(snap_l1)
        if vm_state:
            snap_l1 = _write_vm_state(img, vm_state, snap_l1)
        clusters = -(-max(8 * len(snap_l1), 1) // img.cs)
        l1_off = img.refcounts.alloc(clusters)
        img.meta_write(l1_off, encode(_array(snap_l1)).ljust(clusters * img.cs, b"\0"),
                       "snapshot L1 table")
        _walk(img, referenced, +1)
        fix_copied_flags(img)
        ids = [int(s.id) for s in img.snapshots if s.id.isdigit()]
        now = time.time()
        snap = Snapshot(str(max(ids, default=0) + 1), name, l1_off, len(snap_l1), int(now),
                        int((now % 1) * 1e9), vm_clock_nsec, len(vm_state), h.size)
        _write_table(img, img.snapshots + [snap])
    return snap


def apply_snapshot(img: Qcow2Image, name: str) -> None:
    """Ordering (inside the dirty bit):
    1. every cluster the snapshot reaches gains the active L1's reference (it keeps its own);
    2. the new active L1 (the snapshot's, COPIED cleared) is written to new clusters and
       synced;
    3. the header is switched to it: the guest sees the snapshot from this one write on;
    4. the old active L1's references are dropped and its clusters freed;
    5. COPIED is set again where a refcount came back to 1.
    A kill before 3 leaves the old view and leaks; after it, the new view and leaks."""
    snap = _find(img, name)
    if snap.disk_size > img.size:
        raise DiskError(f"{img.path}: snapshot {name!r} is of a {snap.disk_size:,}-byte disk, "
                        f"larger than the image's {img.size:,} bytes")
    h = img.header
    # The guest's part of the snapshot's L1 only: its VM-state entries stay the snapshot's
    # (the active view never maps a VM state; it is read from the snapshot itself).
    new_l1 = snapshot_l1(img, snap)[:min(_guest_entries(img), len(img.l1))]
    new_l1 += [0] * (len(img.l1) - len(new_l1))
    new_l1 = [e & ~cl.COPIED for e in new_l1]
    with img.dirty():
        _walk(img, new_l1, +1)
        clusters = -(-max(8 * len(new_l1), 1) // img.cs)
        l1_off = img.refcounts.alloc(clusters)
        img.meta_write(l1_off, encode(_array(new_l1)).ljust(clusters * img.cs, b"\0"),
                       "new L1 table")
        img.sync()             # refcounts and the new L1 are stable before the header names it
        old_l1, old_off = img.l1, h.l1_table_offset
        h.l1_table_offset = l1_off
        img.write_header()
        img.l1 = new_l1
        _walk(img, old_l1, -1)
        img.refcounts.add(old_off, clusters, -1)
        fix_copied_flags(img)


def delete_snapshot(img: Qcow2Image, name: str) -> None:
    """Ordering (inside the dirty bit), QEMU's:
    1. a snapshot table without the entry is written and the header switched to it: from
       this one write on the snapshot is gone and its clusters are only over-counted;
    2. the references it held are dropped and its L1 copy freed;
    3. COPIED is set where an active cluster's refcount came back to 1.
    A kill after 1 leaves leaks and missing flags, which only cost a copy (and the dirty-bit
    repair fixes them)."""
    snap = _find(img, name)
    snap_l1 = snapshot_l1(img, snap)
    with img.dirty():
        _write_table(img, [s for s in img.snapshots if s is not snap])
        _walk(img, snap_l1, -1)
        img.refcounts.add(snap.l1_table_offset, -(-max(8 * snap.l1_size, 1) // img.cs), -1)
        fix_copied_flags(img)


def _array(values: list[int]):
    from array import array
    return array("Q", values)
