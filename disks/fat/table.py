"""The file allocation table, held in memory while a volume is open (at most 128 KiB for
FAT16) and written back sector by sector where it changed, to every copy.

Entry values: 0 free, 2.. the next cluster of a chain, FF7h/FFF7h a bad cluster, FF8h../
FFF8h.. the end of a chain.
"""

from __future__ import annotations

from disks.errors import DiskError, ImageFormatError


class DiskFullError(DiskError):
    """No room left on the volume for what was asked."""

SECTOR = 512


class Fat:
    def __init__(self, raw: bytes, bits: int, clusters: int, where: str) -> None:
        self.data = bytearray(raw)
        self.bits = bits
        self.max = clusters + 1             # the highest valid cluster number
        self.where = where
        self.eoc = 0xFF8 if bits == 12 else 0xFFF8
        self.bad = self.eoc - 1
        self.dirty: set[int] = set()        # sectors of the FAT to write back
        self.hint = 2
        self._free: int | None = None

    def __getitem__(self, n: int) -> int:
        if self.bits == 16:
            return self.data[2 * n] | self.data[2 * n + 1] << 8
        i = n + (n >> 1)
        v = self.data[i] | self.data[i + 1] << 8
        return v >> 4 if n & 1 else v & 0xFFF

    def __setitem__(self, n: int, value: int) -> None:
        if self._free is not None:
            self._free += (self[n] != 0) - (value != 0)
        if self.bits == 16:
            self.data[2 * n] = value & 0xFF
            self.data[2 * n + 1] = value >> 8
            self.dirty.add(2 * n // SECTOR)
            return
        i = n + (n >> 1)
        if n & 1:
            self.data[i] = (self.data[i] & 0x0F) | (value << 4) & 0xF0
            self.data[i + 1] = value >> 4 & 0xFF
        else:
            self.data[i] = value & 0xFF
            self.data[i + 1] = (self.data[i + 1] & 0xF0) | value >> 8 & 0x0F
        self.dirty.update((i // SECTOR, (i + 1) // SECTOR))

    def is_end(self, value: int) -> bool:
        return value >= self.eoc

    def free_count(self) -> int:
        if self._free is None:
            self._free = sum(1 for n in range(2, self.max + 1) if self[n] == 0)
        return self._free

    def chain(self, first: int) -> list[int]:
        """The clusters of a chain, checked: every link in range, no loop."""
        out: list[int] = []
        n = first
        seen = set()
        while True:
            if not 2 <= n <= self.max:
                raise ImageFormatError(f"{self.where}: cluster chain from {first} reaches "
                                       f"cluster {n}, outside 2..{self.max} (run fsck.fat)")
            if n in seen:
                raise ImageFormatError(f"{self.where}: cluster chain from {first} loops at "
                                       f"cluster {n} (run fsck.fat)")
            seen.add(n)
            out.append(n)
            nxt = self[n]
            if self.is_end(nxt):
                return out
            if nxt == 0 or nxt == self.bad:
                raise ImageFormatError(f"{self.where}: cluster chain from {first} runs into "
                                       f"a {'free' if nxt == 0 else 'bad'} cluster at {n}")
            n = nxt

    def allocate(self, count: int, after: int | None = None) -> list[int]:
        """``count`` free clusters linked into a chain (appended to ``after``'s chain when
        given), taken in ascending order from the last allocation so files stay contiguous."""
        if count <= 0:
            return []
        if self.free_count() < count:
            raise DiskFullError(f"{self.where}: disk full (needs {count} clusters, "
                            f"{self.free_count()} free)")
        got: list[int] = []
        n = self.hint
        span = self.max - 1
        for _ in range(span):
            if n > self.max:
                n = 2
            if self[n] == 0:
                got.append(n)
                if len(got) == count:
                    break
            n += 1
        self.hint = n + 1
        for a, b in zip(got, got[1:], strict=False):
            self[a] = b
        self[got[-1]] = 0xFFF if self.bits == 12 else 0xFFFF
        if after is not None:
            self[after] = got[0]
        return got

    def free_chain(self, first: int) -> None:
        for n in self.chain(first):
            self[n] = 0
        self.hint = min(self.hint, first)

    def dirty_sectors(self) -> list[tuple[int, bytes]]:
        out = [(s, bytes(self.data[s * SECTOR:(s + 1) * SECTOR])) for s in sorted(self.dirty)]
        self.dirty.clear()
        return out
