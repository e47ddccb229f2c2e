"""Guest-to-host cluster mapping: L1/L2 entries, their flags, and compressed descriptors."""

from __future__ import annotations

from typing import NamedTuple

COPIED = 1 << 63
COMPRESSED = 1 << 62
ZERO = 1
OFFSET_MASK = 0x00FFFFFFFFFFFE00
L1_OFFSET_MASK = 0x00FFFFFFFFFFFE00

# Kinds of guest cluster, as a lookup tells them.
UNALLOCATED, ZERO_CLUSTER, NORMAL, COMPRESSED_CLUSTER = range(4)


class Mapping(NamedTuple):
    """Where a guest cluster lives (a NamedTuple: built on every guest access, so cheap)."""

    kind: int
    host: int = 0          # host offset of the cluster (normal) or of the compressed bytes
    length: int = 0        # compressed: bytes to read
    copied: bool = False


def classify(entry: int, cluster_bits: int) -> Mapping:
    if entry & COMPRESSED:
        x = 62 - (cluster_bits - 8)
        host = entry & ((1 << x) - 1)
        sectors = ((entry >> x) & ((1 << (62 - x)) - 1)) + 1
        # The byte count runs to the end of the last 512-byte sector.
        length = sectors * 512 - (host & 511)
        return Mapping(COMPRESSED_CLUSTER, host, length)
    host = entry & OFFSET_MASK
    if entry & ZERO:
        return Mapping(ZERO_CLUSTER, host, copied=bool(entry & COPIED))
    if host == 0:
        return Mapping(UNALLOCATED)
    return Mapping(NORMAL, host, copied=bool(entry & COPIED))


def compressed_clusters(m: Mapping, cluster_size: int) -> range:
    """Host clusters a compressed cluster's bytes touch (each holds a refcount for it)."""
    first = m.host // cluster_size
    last = (m.host + m.length - 1) // cluster_size
    return range(first, last + 1)
