"""Directory entries: the 32-byte records of FAT directories, and DOS's date and time.

DOS keeps local time, to 2 seconds, from 1980 to 2107; a host time outside that is clamped
to the nearest end (as mtools does) rather than refused.
"""

from __future__ import annotations

import datetime
import struct
import time
from dataclasses import dataclass

from disks.fat.names import cased, display83

READ_ONLY, HIDDEN, SYSTEM, VOLUME, DIRECTORY, ARCHIVE = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
LFN = 0x0F
FREE, END = 0xE5, 0x00
ENTRY = 32
_FORMAT = "<11sBBBHHHHHHHI"


@dataclass
class Entry:
    """One file, directory or volume label, with where it lives (``offset``: the byte of
    its 32-byte record on the volume) so it can be changed in place."""

    raw_name: bytes
    attr: int
    size: int
    cluster: int
    mdate: int
    mtime: int
    cdate: int = 0
    ctime: int = 0
    ctenth: int = 0
    adate: int = 0
    case: int = 0
    offset: int = -1
    long_name: str | None = None
    lfn_offsets: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        return display83(self.raw_name)

    @property
    def shown(self) -> str:
        """The name people see: the long name where another system left one, else the 8.3
        name in the case its case bits give."""
        if self.long_name:
            return self.long_name
        base, _, ext = self.name.partition(".")
        return cased(base, ext, self.case)

    @property
    def is_dir(self) -> bool:
        return bool(self.attr & DIRECTORY)

    @property
    def is_label(self) -> bool:
        return bool(self.attr & VOLUME) and not self.is_dir

    @property
    def modified(self) -> datetime.datetime:
        return from_dos(self.mdate, self.mtime)

    def encode(self) -> bytes:
        return struct.pack(_FORMAT, self.raw_name, self.attr, self.case, self.ctenth,
                           self.ctime, self.cdate, self.adate, 0, self.mtime, self.mdate,
                           self.cluster, self.size)


def decode(raw: bytes, offset: int) -> Entry:
    (name, attr, case, ctenth, ctime, cdate, adate, _hi, mtime, mdate, cluster,
     size) = struct.unpack(_FORMAT, raw)
    return Entry(name, attr, size, cluster, mdate, mtime, cdate, ctime, ctenth, adate, case,
                 offset)


def to_dos(stamp: float) -> tuple[int, int]:
    """(date, time) in DOS's packed form for a host timestamp, in local time."""
    t = time.localtime(stamp)
    year = min(max(t.tm_year, 1980), 2107)
    if year != t.tm_year:
        return _clamped(year)
    date = ((year - 1980) << 9) | (t.tm_mon << 5) | t.tm_mday
    tm = (t.tm_hour << 11) | (t.tm_min << 5) | (min(t.tm_sec, 59) // 2)
    return date, tm


def _clamped(year: int) -> tuple[int, int]:
    if year == 1980:
        return (1 << 5) | 1, 0                                 # 1980-01-01 00:00:00
    return (127 << 9) | (12 << 5) | 31, (23 << 11) | (59 << 5) | 29   # 2107-12-31 23:59:58


def from_dos(date: int, tm: int) -> datetime.datetime:
    """The local time a DOS date and time mean (an invalid field reads as 1980-01-01)."""
    try:
        return datetime.datetime(1980 + (date >> 9), (date >> 5) & 15, date & 31,
                                 tm >> 11, (tm >> 5) & 63, (tm & 31) * 2)
    except ValueError:
        return datetime.datetime(1980, 1, 1)


def timestamp(date: int, tm: int) -> float:
    """Host seconds since the epoch for a DOS date and time (local)."""
    return time.mktime(from_dos(date, tm).timetuple())
