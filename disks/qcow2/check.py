"""Consistency check and repair, as strict as `qemu-img check`: recount every reference and
compare, then check the COPIED flags against the refcounts.

What counts as corruption (exit 2), as in QEMU's qcow2-refcount.c:
- a refcount below the cluster's number of references (a later allocation could hand the
  cluster out again while it is in use); this is also how a cluster referenced twice, or a
  data cluster that overlaps metadata, shows;
- an active L1 or L2 entry whose COPIED flag disagrees with its cluster's refcount (COPIED on
  a shared cluster lets a writer overwrite a snapshot's data in place), or COPIED on a
  compressed cluster;
- an L2 table or data cluster that is not aligned, or lies past the end of the file, and a
  refcount block that does;
- metadata structures that overlap one another, and guest data stored in a metadata cluster.
A refcount above the number of references is a leak (exit 3): space lost, nothing else.

Repair keeps every guest view (the active one and each snapshot's) byte for byte wherever
it is defined: entries past the end of the file (which read as zeros) become zero clusters,
guest data found in a metadata cluster is copied out to a cluster of its own, refcounts are
set to the recounted references (new refcount blocks where needed), and the COPIED flags
are rebuilt from them. Ordering: the dirty bit is set while repairing, so a repair that is
itself killed is simply done again at the next open.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from disks.qcow2 import clusters as cl
from disks.qcow2.cache import encode
from disks.qcow2.header import INCOMPAT_DIRTY

if TYPE_CHECKING:
    from disks.qcow2.image import Qcow2Image


@dataclass
class CheckResult:
    corruptions: list[str] = field(default_factory=list)
    leaks: list[int] = field(default_factory=list)
    repaired: bool = False
    fixed_corruptions: int = 0
    fixed_leaks: int = 0
    found: list[str] = field(default_factory=list)      # what a repair found and fixed
    dirty: bool = False                                  # the header's dirty bit is set

    @property
    def clean(self) -> bool:
        return not self.corruptions and not self.leaks


@dataclass
class _Tables:
    """The L1 tables of the image (active first) and the metadata clusters, by kind."""

    l1s: list[tuple[str, int, list[int]]]          # (name, offset, entries)
    meta: dict[int, str]                           # host cluster -> fixed metadata kind
    l2: set[int]                                   # host clusters holding L2 tables


def _tables(img: Qcow2Image) -> _Tables:
    from disks.qcow2.snapshot import snapshot_l1
    cs, h = img.cs, img.header
    meta: dict[int, str] = {0: "header"}

    def claim(offset: int, nbytes: int, kind: str) -> None:
        for c in range(offset // cs, -(-(offset + max(nbytes, 1)) // cs)):
            meta.setdefault(c, kind)

    claim(h.refcount_table_offset, h.refcount_table_clusters * cs, "refcount table")
    for block in img.refcounts.block_offsets():
        claim(block, cs, "refcount block")
    claim(h.l1_table_offset, 8 * h.l1_size, "active L1 table")
    if h.nb_snapshots:
        claim(h.snapshots_offset, img.snapshot_table_bytes, "snapshot table")
    l1s = [("active L1 table", h.l1_table_offset, img.l1)]
    for snap in img.snapshots:
        claim(snap.l1_table_offset, 8 * snap.l1_size, f"L1 table of snapshot {snap.name!r}")
        l1s.append((f"L1 table of snapshot {snap.name!r}", snap.l1_table_offset,
                    snapshot_l1(img, snap)))
    l2 = {(e & cl.L1_OFFSET_MASK) // cs for _n, _o, l1 in l1s for e in l1
          if e & cl.L1_OFFSET_MASK}
    return _Tables(l1s, meta, l2)


def _structure(img: Qcow2Image, t: _Tables, problems: list[str], repair: bool) -> None:
    """Entries that point where nothing valid can be: unaligned, past the end of the file,
    into metadata; with ``repair`` each is fixed as the module docstring says."""
    cs, h = img.cs, img.header
    end = img.file_end
    zero_entry = cl.ZERO if h.version >= 3 else 0
    seen: set[int] = set()               # an L2 table shared by several L1s: once
    for name, l1_off, l1 in t.l1s:
        for i, e in enumerate(l1):
            l2off = e & cl.L1_OFFSET_MASK
            if not l2off:
                continue
            bad = None
            if l2off % cs:
                bad = f"{name} entry {i}: L2 table offset {l2off:#x} is not cluster aligned"
            elif l2off + cs > end:
                bad = (f"{name} entry {i}: L2 table at {l2off:#x} lies past the end of the "
                       "file")
            elif l2off // cs in t.meta:
                bad = (f"{name} entry {i}: L2 table at {l2off:#x} overlaps the "
                       f"{t.meta[l2off // cs]}")
            if bad:
                problems.append(bad)
                if repair:          # nothing valid is mapped there: unallocated it is
                    l1[i] = 0
                    img.meta_write(l1_off + 8 * i, bytes(8),
                                   "L1 table" if l1 is img.l1 else "snapshot L1 fix")
                continue
            if l2off in seen:
                continue
            seen.add(l2off)
            table = img.l2cache.get(l2off)
            changed = False
            for j, entry in enumerate(table):
                if not entry:
                    continue
                m = cl.classify(entry, h.cluster_bits)
                if m.kind == cl.COMPRESSED_CLUSTER:
                    if m.host + m.length > end:
                        problems.append(f"compressed cluster at {m.host:#x} (L2 table "
                                        f"{l2off:#x} entry {j}) lies past the end of the file")
                        if repair:
                            table[j] = zero_entry
                            changed = True
                    continue
                if m.kind not in (cl.NORMAL, cl.ZERO_CLUSTER) or not m.host:
                    continue
                bad = None
                if m.host % cs:
                    bad = f"data cluster {m.host:#x} is not cluster aligned"
                elif m.host + cs > end:
                    bad = f"data cluster {m.host:#x} lies past the end of the file"
                if bad:
                    # It reads as zeros (or fails): a zero cluster keeps that view.
                    problems.append(f"{bad} (L2 table {l2off:#x} entry {j})")
                    if repair:
                        table[j] = zero_entry
                        changed = True
                    continue
                c = m.host // cs
                kind = t.meta.get(c) or ("L2 table" if c in t.l2 else None)
                if kind:
                    problems.append(f"data cluster {m.host:#x} (L2 table {l2off:#x} entry "
                                    f"{j}) overlaps the {kind}")
                    if repair and m.kind == cl.NORMAL:
                        # The guest reads these bytes today: give it a copy of its own, taken
                        # before any refcount changes, placed past everything the file holds
                        # (a free-looking cluster may be in use while refcounts are wrong).
                        content = img.pread(m.host, cs)   # before alloc changes a block
                        img.refcounts.free_hint = img.file_end // cs
                        new = img.refcounts.alloc(1)
                        img.data_write(new, content)
                        table[j] = (entry & ~cl.OFFSET_MASK) | new
                        changed = True
                    elif repair:
                        table[j] = zero_entry
                        changed = True
            if changed:
                img.meta_write(l2off, encode(table), "L2 table")


def _count_references(img: Qcow2Image, t: _Tables, problems: list[str]) -> Counter:
    cs, h = img.cs, img.header
    refs: Counter = Counter()
    end = img.file_end // cs

    def ref(offset: int, nbytes: int, what: str) -> None:
        first, last = offset // cs, -(-(offset + max(nbytes, 1)) // cs)
        if last > end:
            problems.append(f"{what} at {offset:#x} extends past the end of the file")
        for c in range(first, last):
            refs[c] += 1

    ref(0, cs, "header")
    ref(h.refcount_table_offset, h.refcount_table_clusters * cs, "refcount table")
    for block in img.refcounts.block_offsets():
        ref(block, cs, "refcount block")
    if h.nb_snapshots:
        ref(h.snapshots_offset, img.snapshot_table_bytes, "snapshot table")
    for name, l1_off, l1 in t.l1s:
        ref(l1_off, 8 * len(l1), name)
        for e in l1:
            l2off = e & cl.L1_OFFSET_MASK
            if not l2off or l2off % cs or l2off // cs >= end:
                continue                    # reported by _structure
            refs[l2off // cs] += 1
            for entry in img.l2cache.get(l2off):
                if not entry:
                    continue
                m = cl.classify(entry, h.cluster_bits)
                if m.kind in (cl.NORMAL, cl.ZERO_CLUSTER) and m.host:
                    if m.host % cs == 0 and m.host // cs < end:
                        refs[m.host // cs] += 1
                elif m.kind == cl.COMPRESSED_CLUSTER and m.host + m.length <= img.file_end:
                    for c in cl.compressed_clusters(m, cs):
                        refs[c] += 1
    return refs


def _last_cluster(img: Qcow2Image, refs: Counter) -> int:
    """One past the highest cluster that is in the file, referenced, or has a refcount."""
    last = max(img.file_end // img.cs, max(refs, default=-1) + 1)
    rc = img.refcounts
    for ti, block in enumerate(rc.table):
        if block:
            table = rc.blocks.get(block)
            for bi in range(len(table) - 1, -1, -1):
                if table[bi]:
                    last = max(last, ti * rc.per_block + bi + 1)
                    break
    return last


def _refcounts(img: Qcow2Image, refs: Counter, result: CheckResult) -> list[tuple[int, int]]:
    fixes: list[tuple[int, int]] = []
    for c in range(_last_cluster(img, refs)):
        stored, wanted = img.refcounts.get(c), refs.get(c, 0)
        if stored < wanted:
            result.corruptions.append(f"cluster {c} (offset {c * img.cs:#x}) has refcount "
                                      f"{stored} but {wanted} references")
            fixes.append((c, wanted))
        elif stored > wanted:
            result.leaks.append(c)
            fixes.append((c, wanted))
    return fixes


def _copied_flags(img: Qcow2Image, problems: list[str]) -> None:
    """QEMU's check_oflag_copied: active entries only, COPIED exactly when refcount is 1."""
    cs = img.cs
    for i, e in enumerate(img.l1):
        l2off = e & cl.L1_OFFSET_MASK
        if not l2off or l2off % cs or l2off + cs > img.file_end:
            continue
        rc = img.refcounts.get(l2off // cs)
        if (rc == 1) != bool(e & cl.COPIED):
            problems.append(f"COPIED flag of L2 table {l2off:#x} (L1 entry {i}) does not "
                            f"match its refcount {rc}")
        for entry in img.l2cache.get(l2off):
            if not entry:
                continue
            if entry & cl.COMPRESSED:
                if entry & cl.COPIED:
                    problems.append(f"compressed cluster entry {entry:#x} has the COPIED flag")
                continue
            host = entry & cl.OFFSET_MASK
            if not host or host % cs:
                continue
            rc = img.refcounts.get(host // cs)
            if (rc == 1) != bool(entry & cl.COPIED):
                problems.append(f"COPIED flag of data cluster {host:#x} (L2 entry "
                                f"{entry:#x}) does not match its refcount {rc}")


def _fix_refcounts(img: Qcow2Image) -> None:
    for _attempt in range(8):
        # New refcount blocks made by the fixes are themselves referenced: count again.
        refs = _count_references(img, _tables(img), [])
        fixes = _refcounts(img, refs, CheckResult())
        if not fixes:
            return
        for c, wanted in fixes:
            img.refcounts.set(c, wanted)


def _scan(img: Qcow2Image) -> tuple[CheckResult, _Tables, Counter]:
    result = CheckResult(dirty=bool(img.header.incompatible_features & INCOMPAT_DIRTY))
    result.corruptions.extend(img.damage)
    t = _tables(img)
    _structure(img, t, result.corruptions, repair=False)
    refs = _count_references(img, t, result.corruptions)
    _refcounts(img, refs, result)
    _copied_flags(img, result.corruptions)
    return result, t, refs


def check(img: Qcow2Image, *, repair: bool = False) -> CheckResult:
    """Check the image; with ``repair``, fix what was found and return the state after."""
    first, _t, _refs = _scan(img)
    if not repair or (first.clean and not img.header.incompatible_features & INCOMPAT_DIRTY):
        return first
    from disks.qcow2.snapshot import fix_copied_flags
    with img.dirty():
        # Entries first (copies out of metadata see the bytes the guest saw), then every
        # refcount from the recount, then the COPIED flags from those refcounts.
        _structure(img, _tables(img), [], repair=True)
        _fix_refcounts(img)
        fix_copied_flags(img)
    img.damage = []
    final, _t, _refs = _scan(img)
    final.repaired = True
    final.found = first.corruptions + [f"leaked cluster {c}" for c in first.leaks]
    final.fixed_corruptions = len(first.corruptions) - len(final.corruptions)
    final.fixed_leaks = len(first.leaks) - len(final.leaks)
    return final
