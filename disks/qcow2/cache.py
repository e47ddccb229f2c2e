"""Metadata table cache: L2 tables and refcount blocks decoded once, kept in an LRU.

Writes are write-through (one small pwrite per changed entry, issued in the order the caller
chooses), so the cache never holds dirty state a crash could lose out of order; what it saves
is the re-reading and re-decoding of whole tables on every guest access.
"""

from __future__ import annotations

import os
from array import array
from collections import OrderedDict
from collections.abc import Callable

_BIG_ENDIAN_HOST = array("H", [1]).tobytes() == b"\x00\x01"


def decode(raw: bytes, typecode: str) -> array:
    table = array(typecode, raw)
    if not _BIG_ENDIAN_HOST:
        table.byteswap()
    return table


def encode(table: array) -> bytes:
    if _BIG_ENDIAN_HOST:
        return table.tobytes()
    copy = array(table.typecode, table)
    copy.byteswap()
    return copy.tobytes()


class TableCache:
    """LRU of decoded big-endian tables (typecode 'Q' for L2, 'H' for 16-bit refcounts)."""

    def __init__(self, fd: int, table_bytes: int, typecode: str, capacity: int = 64) -> None:
        self.fd = fd
        self.table_bytes = table_bytes
        self.typecode = typecode
        self.capacity = capacity
        self.entries: OrderedDict[int, array] = OrderedDict()
        self._last_offset = -1
        self._last_table: array = array(typecode)

    def get(self, offset: int) -> array:
        if offset == self._last_offset:
            return self._last_table            # sequential I/O stays in one table
        table = self.entries.get(offset)
        if table is not None:
            self.entries.move_to_end(offset)
            self._last_offset, self._last_table = offset, table
            return table
        raw = os.pread(self.fd, self.table_bytes, offset)
        raw += bytes(self.table_bytes - len(raw))
        table = decode(raw, self.typecode)
        self.entries[offset] = table
        if len(self.entries) > self.capacity:
            self.entries.popitem(last=False)
        return table

    def put_new(self, offset: int, table: array) -> None:
        self._last_offset = -1
        self.entries[offset] = table
        self.entries.move_to_end(offset)
        if len(self.entries) > self.capacity:
            self.entries.popitem(last=False)

    def forget(self, offset: int) -> None:
        self.entries.pop(offset, None)
        self._last_offset = -1

    def clear(self) -> None:
        self.entries.clear()
        self._last_offset = -1


WriteFn = Callable[[int, bytes], None]
