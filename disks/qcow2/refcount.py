"""Cluster refcounts: the refcount table, 16-bit refcount blocks, allocation and freeing.

Ordering (why the writes below happen in the order they do):
- a new refcount block is written, already counting itself, before the table entry that
  points at it, so a crash leaves either an unreferenced cluster past the old end or a
  complete block;
- callers raise a cluster's refcount (here) before any L2/L1 entry points at the cluster, so
  a crash can leave a leak (refcount 1, unreferenced: harmless, `check --repair` reclaims it)
  but never a referenced cluster with refcount 0, which would be corruption;
- a grown refcount table and its blocks are complete on disk before the header names them;
  the old table is freed only after that.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from disks.errors import ImageFormatError
from disks.qcow2.cache import TableCache, decode, encode

if TYPE_CHECKING:
    from disks.qcow2.image import Qcow2Image

OFFSET_MASK = 0x00FFFFFFFFFFFE00


class Refcounts:
    def __init__(self, img: Qcow2Image) -> None:
        self.img = img
        h = img.header
        if h.refcount_order != 4:
            self.width_ok = False
        else:
            self.width_ok = True
        self.cs = img.cs
        self.per_block = self.cs * 8 // (1 << h.refcount_order)
        raw = img.pread(h.refcount_table_offset, h.refcount_table_clusters * self.cs)
        self.table = [e & OFFSET_MASK for e in decode(raw, "Q")]
        self.lost_blocks: list[int] = []
        for i, e in enumerate(self.table):
            if e and (e % self.cs or e >= img.file_end):
                problem = (f"refcount block {i} at {e:#x} is unaligned or lies past the end "
                           "of the file")
                if not img.checking:
                    raise ImageFormatError(f"{img.path}: {problem}")
                # check reports it; a repair gives the range a new block (_block_for)
                img.damage.append(problem)
                self.table[i] = 0
                self.lost_blocks.append(i)
        self.blocks = TableCache(img.fd, self.cs, "H", capacity=64)
        self.free_hint = 0

    # ---- reading --------------------------------------------------------------------------
    def get(self, cluster: int) -> int:
        ti, bi = divmod(cluster, self.per_block)
        if ti >= len(self.table) or not self.table[ti]:
            return 0
        return self.blocks.get(self.table[ti])[bi]

    def block_offsets(self) -> list[int]:
        return [e for e in self.table if e]

    # ---- writing --------------------------------------------------------------------------
    def set(self, cluster: int, value: int) -> None:
        if not self.width_ok:
            raise ImageFormatError(f"{self.img.path}: only 16-bit refcounts can be written")
        if not 0 <= value <= 0xFFFF:
            raise ImageFormatError(f"{self.img.path}: refcount of cluster {cluster} would "
                                   f"overflow ({value})")
        ti, bi = divmod(cluster, self.per_block)
        block = self._block_for(ti)
        table = self.blocks.get(block)
        table[bi] = value
        self.img.meta_write(block + 2 * bi, struct.pack(">H", value), "refcount block")
        if value == 0 and cluster < self.free_hint:
            self.free_hint = cluster

    def add(self, offset: int, count: int, delta: int) -> None:
        """Change the refcount of ``count`` clusters starting at host ``offset``."""
        first = offset // self.cs
        for c in range(first, first + count):
            self.set(c, self.get(c) + delta)

    def add_many(self, clusters: list[int], delta: int) -> None:
        """Change many refcounts, writing each touched refcount block once (snapshots)."""
        by_block: dict[int, list[int]] = {}
        for c in clusters:
            by_block.setdefault(c // self.per_block, []).append(c % self.per_block)
        for ti, indexes in sorted(by_block.items()):
            block = self._block_for(ti)
            table = self.blocks.get(block)
            for bi in indexes:
                value = table[bi] + delta
                if not 0 <= value <= 0xFFFF:
                    raise ImageFormatError(f"{self.img.path}: refcount of cluster "
                                           f"{ti * self.per_block + bi} would become {value}")
                table[bi] = value
                if value == 0:
                    self.free_hint = min(self.free_hint, ti * self.per_block + bi)
            self.img.meta_write(block, encode(table), "refcount block")

    def alloc(self, count: int = 1) -> int:
        """Find ``count`` contiguous free clusters, give them refcount 1, return the offset."""
        end_cluster = self.img.file_end // self.cs
        start = self._find_free_run(count, end_cluster)
        if start is None:
            start = end_cluster
        # Reserve the clusters before the refcount update may need a new block at the end.
        self.img.file_end = max(self.img.file_end, (start + count) * self.cs)
        for c in range(start, start + count):
            self.set(c, 1)
        self.free_hint = start + count
        return start * self.cs

    def _find_free_run(self, count: int, end_cluster: int) -> int | None:
        run_start, run = None, 0
        for c in range(max(self.free_hint, 1), end_cluster):
            if self.get(c) == 0:
                if run == 0:
                    run_start = c
                run += 1
                if run == count:
                    return run_start
            else:
                run = 0
        # a free run that reaches the end of the file can continue past it
        if run and run_start is not None and run_start + run == end_cluster:
            return run_start
        return None

    def _block_for(self, ti: int) -> int:
        if ti >= len(self.table):
            self._grow_table(ti + 1)
        if not self.table[ti]:
            self._new_block(ti)
        return self.table[ti]

    def _new_block(self, ti: int) -> None:
        img = self.img
        cluster = img.file_end // self.cs
        img.file_end += self.cs
        table = decode(bytes(self.cs), "H")
        if cluster // self.per_block == ti:
            table[cluster % self.per_block] = 1          # the block counts itself
        img.meta_write(cluster * self.cs, encode(table), "new refcount block")
        self.blocks.put_new(cluster * self.cs, table)
        self.table[ti] = cluster * self.cs
        img.meta_write(img.header.refcount_table_offset + 8 * ti,
                       struct.pack(">Q", cluster * self.cs), "refcount table")
        if cluster // self.per_block != ti:
            self.set(cluster, 1)

    def _grow_table(self, min_entries: int) -> None:
        img = self.img
        h = img.header
        per_cluster = self.cs // 8
        new_clusters = max(-(-min_entries // per_cluster), 2 * h.refcount_table_clusters)
        start = img.file_end // self.cs
        entries = self.table + [0] * (new_clusters * per_cluster - len(self.table))
        # New blocks go right after the new table; find how many are needed to cover
        # the table and themselves (a fixed point: each block may need covering too).
        new_blocks: list[int] = []
        while True:
            end = start + new_clusters + len(new_blocks)
            missing = [ti for ti in range(start // self.per_block, (end - 1) // self.per_block + 1)
                       if ti >= len(entries) or not entries[ti]]
            if len(missing) == len(new_blocks):
                new_blocks = missing
                break
            new_blocks = missing
        end = start + new_clusters + len(new_blocks)
        if any(ti >= len(entries) for ti in new_blocks):
            raise ImageFormatError(f"{img.path}: refcount table growth does not converge")
        img.file_end = end * self.cs
        for k, ti in enumerate(new_blocks):
            where = (start + new_clusters + k) * self.cs
            table = decode(bytes(self.cs), "H")
            for c in range(start, end):
                if c // self.per_block == ti:
                    table[c % self.per_block] = 1
            img.meta_write(where, encode(table), "new refcount block")
            self.blocks.put_new(where, table)
            entries[ti] = where
        img.meta_write(start * self.cs, encode(_q(entries)), "new refcount table")
        old_offset, old_clusters = h.refcount_table_offset, h.refcount_table_clusters
        self.table = entries
        # Clusters of the new table/blocks that fall under blocks which already existed.
        for c in range(start, end):
            if (c // self.per_block) not in new_blocks:
                self.set(c, 1)
        img.sync()                       # the new table is complete before the header names it
        h.refcount_table_offset = start * self.cs
        h.refcount_table_clusters = new_clusters
        img.write_header()
        self.add(old_offset, old_clusters, -1)


def _q(values: list[int]):
    from array import array
    return array("Q", values)
