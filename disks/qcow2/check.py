"""Consistency check and repair, as `qemu-img check`: recount every reference and compare.

A cluster whose stored refcount is below its real number of references is corruption (a
write could reuse it while it is in use); one above is a leak (space lost, nothing else).
Repair rewrites the refcounts to the recounted values and the COPIED flags to match.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from disks.qcow2 import clusters as cl
from disks.qcow2.cache import decode
from disks.qcow2.header import INCOMPAT_DIRTY

if TYPE_CHECKING:
    from disks.qcow2.image import Qcow2Image


@dataclass
class CheckResult:
    corruptions: list[str] = field(default_factory=list)
    leaks: list[int] = field(default_factory=list)
    repaired: bool = False

    @property
    def clean(self) -> bool:
        return not self.corruptions and not self.leaks


def _count_references(img: Qcow2Image, problems: list[str]) -> Counter:
    cs, h = img.cs, img.header
    refs: Counter = Counter()
    end = img.file_end // cs

    def ref(offset: int, count: int = 1, what: str = "") -> None:
        for c in range(offset // cs, offset // cs + count):
            if c >= end:
                problems.append(f"{what} at {offset:#x} points past the end of the file")
                return
            refs[c] += 1

    ref(0, 1, "header")
    ref(h.refcount_table_offset, h.refcount_table_clusters, "refcount table")
    for block in img.refcounts.block_offsets():
        ref(block, 1, "refcount block")
    ref(h.l1_table_offset, max(1, -(-8 * h.l1_size // cs)), "L1 table")
    if h.nb_snapshots:
        ref(h.snapshots_offset, -(-img.snapshot_table_bytes // cs), "snapshot table")

    def walk(l1: list[int]) -> None:
        for e in l1:
            l2off = e & cl.L1_OFFSET_MASK
            if not l2off:
                continue
            if l2off % cs:
                problems.append(f"L2 table offset {l2off:#x} is not cluster aligned")
                continue
            ref(l2off, 1, "L2 table")
            if l2off // cs >= end:
                continue
            for entry in img.l2cache.get(l2off):
                if not entry:
                    continue
                m = cl.classify(entry, h.cluster_bits)
                if m.kind in (cl.NORMAL, cl.ZERO_CLUSTER) and m.host:
                    if m.host % cs:
                        problems.append(f"data cluster {m.host:#x} is not aligned")
                    else:
                        ref(m.host, 1, "data cluster")
                elif m.kind == cl.COMPRESSED_CLUSTER:
                    for c in cl.compressed_clusters(m, cs):
                        ref(c * cs, 1, "compressed cluster")

    walk(img.l1)
    for snap in img.snapshots:
        ref(snap.l1_table_offset, max(1, -(-8 * snap.l1_size // cs)), "snapshot L1 table")
        walk(list(decode(img.pread(snap.l1_table_offset, 8 * snap.l1_size), "Q")))
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


def check(img: Qcow2Image, *, repair: bool = False) -> CheckResult:
    result = CheckResult()
    for _attempt in range(4):
        result = CheckResult()
        refs = _count_references(img, result.corruptions)
        last = _last_cluster(img, refs)
        fixes: list[tuple[int, int]] = []
        for c in range(last):
            stored, wanted = img.refcounts.get(c), refs.get(c, 0)
            if stored < wanted:
                result.corruptions.append(f"cluster {c} (offset {c * img.cs:#x}) has refcount "
                                          f"{stored} but {wanted} references")
                fixes.append((c, wanted))
            elif stored > wanted:
                result.leaks.append(c)
                fixes.append((c, wanted))
        if not repair or not fixes:
            break
        for c, wanted in fixes:
            img.refcounts.set(c, wanted)
        from disks.qcow2.snapshot import _fix_copied_flags
        _fix_copied_flags(img)
        result.repaired = True
    if repair and img.header.incompatible_features & INCOMPAT_DIRTY:
        img.header.incompatible_features &= ~INCOMPAT_DIRTY
        img.write_header()
    if repair:
        img.flush()
        final = CheckResult()
        _refs = _count_references(img, final.corruptions)
        final.repaired = result.repaired
        for c in range(_last_cluster(img, _refs)):
            stored, wanted = img.refcounts.get(c), _refs.get(c, 0)
            if stored < wanted:
                final.corruptions.append(f"cluster {c} still has refcount {stored} < {wanted}")
            elif stored > wanted:
                final.leaks.append(c)
        return final
    return result
