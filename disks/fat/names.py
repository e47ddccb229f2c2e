"""File names on a FAT volume: DOS's 8.3 names, the short names we give longer host names,
and VFAT long names.

Our rule for names that are not 8.3 (README, "Files in disk images"): the file gets a
DOS-style short name, as Windows makes one (``Long File Name.txt`` -> ``LONGFI~1.TXT``),
which is all DOS sees, and the copy says so; a VFAT long name beside it keeps the host name
for Windows, Linux, mtools and our own tools (so copying the file again replaces it).
All-lower-case names are stored upper case with Windows NT's case bits, so they come back
lower case; DOS itself does not care about case.
"""

from __future__ import annotations

from disks.errors import DiskError

# What DOS allows in a name besides letters and digits (MS-DOS Programmer's Reference).
_SPECIAL = set("!#$%&'()-@^_`{}~")
_ILLEGAL = set('"*+,./:;<=>?[\\]| ')


def legal_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in _SPECIAL) or (not ch.isascii() and _cp437(ch))


def _cp437(ch: str) -> bool:
    try:
        return ch.encode("cp437")[0] >= 0x80
    except UnicodeEncodeError:
        return False


def split83(name: str) -> tuple[str, str] | None:
    """(base, extension) upper-cased when ``name`` is a valid 8.3 name, else None."""
    if name in (".", "..") or not name:
        return None
    base, dot, ext = name.partition(".")
    if not base or len(base) > 8 or len(ext) > 3 or "." in ext:
        return None
    upper = (base + ext).upper()
    if not all(legal_char(ch) for ch in upper):
        return None
    return base.upper(), ext.upper()


def raw83(base: str, ext: str) -> bytes:
    """The 11 bytes of a directory entry's name (a leading E5h is stored as 05h)."""
    raw = base.encode("cp437").ljust(8) + ext.encode("cp437").ljust(3)
    return b"\x05" + raw[1:] if raw[0] == 0xE5 else raw


def display83(raw: bytes) -> str:
    """``FOO.TXT`` from the entry's 11 bytes."""
    if raw[0] == 0x05:
        raw = b"\xE5" + raw[1:]
    base = raw[:8].decode("cp437").rstrip()
    ext = raw[8:11].decode("cp437").rstrip()
    return f"{base}.{ext}" if ext else base


def short_name(name: str, taken: set[str]) -> tuple[str, str]:
    """A DOS-style short name for a host name that is not 8.3, unique among ``taken``
    (display forms, upper case): the basis name of the Windows algorithm with ``~N``."""
    stem, dot, ext = name.lstrip(".").rpartition(".")
    if not dot:
        stem, ext = ext, ""

    def clean(text: str) -> str:
        out = []
        for ch in text.upper():
            if ch == " " or ch == ".":
                continue
            out.append(ch if legal_char(ch) else "_")
        return "".join(out)

    base, ext = clean(stem) or "_", clean(ext)[:3]
    for n in range(1, 1_000_000):
        tail = f"~{n}"
        candidate = base[:8 - len(tail)] + tail
        shown = f"{candidate}.{ext}" if ext else candidate
        if shown not in taken:
            return candidate, ext
    raise DiskError(f"no free short name for {name!r}")


LOWER_BASE, LOWER_EXT = 0x08, 0x10         # Windows NT's case bits (entry byte 0Ch)


def dos_name(name: str, taken: set[str]) -> tuple[str, str, int, bool]:
    """(base, ext, case bits, shortened) to store ``name`` under in a directory holding
    ``taken``. An all-lower-case part keeps its case for Windows, Linux and mtools through
    the case bits; DOS sees the upper-case name either way."""
    parts = split83(name)
    if parts is not None:
        base, _, ext = name.partition(".")
        case = (LOWER_BASE if base.islower() else 0) | (LOWER_EXT if ext.islower() else 0)
        return parts[0], parts[1], case, False
    if not name or name in (".", ".."):
        raise DiskError(f"{name!r} cannot be a file name")
    base, ext = short_name(name, taken)
    return base, ext, 0, True


def cased(base: str, ext: str, case: int) -> str:
    """The name with the case bits applied (as Windows and Linux show it)."""
    base = base.lower() if case & LOWER_BASE else base
    ext = ext.lower() if case & LOWER_EXT else ext
    return f"{base}.{ext}" if ext else base


def lfn_part(entry: bytes) -> tuple[int, int, str]:
    """(sequence, checksum, text) of one long-name entry (attribute 0Fh)."""
    seq = entry[0]
    raw = entry[1:11] + entry[14:26] + entry[28:32]
    text = raw.decode("utf-16-le", "replace")
    end = text.find("\x00")
    return seq, entry[13], text if end < 0 else text[:end]


def lfn_checksum(raw11: bytes) -> int:
    s = 0
    for b in raw11:
        s = (((s & 1) << 7) + (s >> 1) + b) & 0xFF
    return s


def lfn_entries(name: str, raw11: bytes) -> list[bytes]:
    """The VFAT long-name records for ``name``, in the order they are stored (the last part
    first, each record holding 13 UTF-16 characters), for the short entry ``raw11``."""
    units = name.encode("utf-16-le")
    chars = [units[i:i + 2] for i in range(0, len(units), 2)]
    if len(chars) > 255:
        raise DiskError(f"{name!r}: longer than the 255 characters a long name may have")
    count = -(-len(chars) // 13)
    chars += [b"\x00\x00"] if len(chars) % 13 else []
    chars += [b"\xff\xff"] * (count * 13 - len(chars))
    check = lfn_checksum(raw11)
    out = []
    for seq in range(count, 0, -1):
        part = b"".join(chars[(seq - 1) * 13:seq * 13])
        out.append(bytes((seq | (0x40 if seq == count else 0),)) + part[:10]
                   + bytes((0x0F, 0, check)) + part[10:22] + b"\x00\x00" + part[22:26])
    return out
