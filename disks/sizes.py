"""Disk sizes as people write them: 360K, 1.44M, 10M, 2G or plain bytes.

Units are binary (K = 1024, M = 1024 K, G = 1024 M). The floppy names keep the meaning they
have always had, which is not the arithmetic one: "1.44M" is 1,474,560 bytes (1440 KiB) and
"1.2M" 1,228,800 bytes, so a decimal fraction of M means that many thousand K.
"""

from __future__ import annotations

import re

from disks.errors import DiskError

_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}
_FORMAT = re.compile(r"^\s*(\d+)(?:\.(\d+))?\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    m = _FORMAT.match(str(text))
    if not m:
        raise DiskError(f"size {text!r} is not understood; expected bytes or a number with "
                        "K, M or G (e.g. 360K, 1.44M, 10M, 2G)")
    whole, frac, unit = m.group(1), m.group(2), m.group(3).upper()
    if frac is None:
        size = int(whole) * _UNITS[unit]
    elif unit == "M":
        # Floppy convention: 1.44M = 1440 K, 1.2M = 1200 K.
        size = (int(whole) * 1000 + int(frac.ljust(3, "0")[:3])) * 1024
    elif unit in ("G", "T"):
        size = int(round(float(f"{whole}.{frac}") * _UNITS[unit]))
    else:
        raise DiskError(f"size {text!r}: a fraction needs M or G (e.g. 1.44M, 1.5G)")
    if size <= 0:
        raise DiskError(f"size {text!r} must be larger than zero")
    return size


def format_size(size: int) -> str:
    for unit in ("T", "G", "M", "K"):
        if size >= _UNITS[unit] and size % _UNITS[unit] == 0:
            return f"{size // _UNITS[unit]}{unit}"
    return f"{size}B"
