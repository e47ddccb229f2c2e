"""The qcow2 header (cluster 0): fixed fields, header extensions and the backing file name.

Unknown header extensions are kept byte for byte and written back, as the spec asks.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from disks.errors import ImageFormatError

MAGIC = b"QFI\xfb"
EXT_END = 0
EXT_BACKING_FORMAT = 0xE2792ACA
EXT_FEATURE_TABLE = 0x6803F857

INCOMPAT_DIRTY = 1 << 0
INCOMPAT_CORRUPT = 1 << 1
INCOMPAT_EXTERNAL_DATA = 1 << 2
INCOMPAT_COMPRESSION_TYPE = 1 << 3
INCOMPAT_EXTENDED_L2 = 1 << 4
COMPAT_LAZY_REFCOUNTS = 1 << 0
KNOWN_INCOMPAT = INCOMPAT_DIRTY | INCOMPAT_CORRUPT

_FIXED = struct.Struct(">4sIQIIQIIQQIIQ")       # the 72 bytes of a version 2 header
_V3 = struct.Struct(">QQQII")                     # 72..104


@dataclass
class Header:
    version: int = 3
    backing_file_offset: int = 0
    backing_file_size: int = 0
    cluster_bits: int = 16
    size: int = 0
    crypt_method: int = 0
    l1_size: int = 0
    l1_table_offset: int = 0
    refcount_table_offset: int = 0
    refcount_table_clusters: int = 0
    nb_snapshots: int = 0
    snapshots_offset: int = 0
    incompatible_features: int = 0
    compatible_features: int = 0
    autoclear_features: int = 0
    refcount_order: int = 4
    header_length: int = 112
    compression_type: int = 0
    backing_file: str | None = None
    backing_format: str | None = None
    unknown_extensions: list[tuple[int, bytes]] = field(default_factory=list)

    @property
    def cluster_size(self) -> int:
        return 1 << self.cluster_bits

    def encode(self) -> bytes:
        """The header, its extensions and the backing name: all of it lives in cluster 0.

        The feature-name table is optional help for tools; with small clusters it is left out
        when it would not fit."""
        try:
            return self._encode(with_feature_table=self.version >= 3)
        except ImageFormatError:
            return self._encode(with_feature_table=False)

    def _encode(self, with_feature_table: bool) -> bytes:
        out = bytearray(_FIXED.pack(
            MAGIC, self.version, 0, 0, self.cluster_bits, self.size, self.crypt_method,
            self.l1_size, self.l1_table_offset, self.refcount_table_offset,
            self.refcount_table_clusters, self.nb_snapshots, self.snapshots_offset))
        if self.version >= 3:
            # Autoclear bits we do not understand must be cleared by a writer (spec).
            out += _V3.pack(self.incompatible_features, self.compatible_features, 0,
                            self.refcount_order, 112)
            out += bytes([self.compression_type]) + bytes(7)
        if self.backing_format:
            out += _extension(EXT_BACKING_FORMAT, self.backing_format.encode())
        if with_feature_table:
            out += _extension(EXT_FEATURE_TABLE, _feature_table())
        for ext_type, data in self.unknown_extensions:
            out += _extension(ext_type, data)
        out += struct.pack(">II", EXT_END, 0)
        if self.backing_file:
            name = self.backing_file.encode()
            struct.pack_into(">QI", out, 8, len(out), len(name))
            out += name
        if len(out) > self.cluster_size:
            raise ImageFormatError("header, extensions and backing name exceed one cluster")
        return bytes(out)


def _extension(ext_type: int, data: bytes) -> bytes:
    pad = (-len(data)) % 8
    return struct.pack(">II", ext_type, len(data)) + data + bytes(pad)


def _feature_table() -> bytes:
    names = [(0, 0, "dirty bit"), (0, 1, "corrupt bit"), (0, 2, "external data file"),
             (0, 3, "compression type"), (0, 4, "extended L2 entries"),
             (1, 0, "lazy refcounts"), (2, 0, "bitmaps"), (2, 1, "raw external data")]
    return b"".join(struct.pack(">BB46s", t, b, n.encode()) for t, b, n in names)


def parse_header(data: bytes, path: object) -> Header:
    """Parse and validate cluster 0. Raises ImageFormatError naming the file and the field."""
    def bad(problem: str) -> ImageFormatError:
        return ImageFormatError(f"{path}: {problem}")

    if len(data) < 72:
        raise bad("file is too short to be a qcow2 image (truncated header)")
    (magic, version, bf_off, bf_size, cluster_bits, size, crypt, l1_size, l1_off, rt_off,
     rt_clusters, nb_snap, snap_off) = _FIXED.unpack_from(data, 0)
    if magic != MAGIC:
        raise bad("not a qcow2 image (wrong magic)")
    if version not in (2, 3):
        raise bad(f"unsupported qcow2 version {version} (expected 2 or 3)")
    if not 9 <= cluster_bits <= 21:
        raise bad(f"cluster_bits {cluster_bits} is outside 9..21")
    h = Header(version=version, backing_file_offset=bf_off, backing_file_size=bf_size,
               cluster_bits=cluster_bits, size=size, crypt_method=crypt, l1_size=l1_size,
               l1_table_offset=l1_off, refcount_table_offset=rt_off,
               refcount_table_clusters=rt_clusters, nb_snapshots=nb_snap,
               snapshots_offset=snap_off)
    if version == 3:
        if len(data) < 104:
            raise bad("truncated version 3 header")
        (h.incompatible_features, h.compatible_features, h.autoclear_features,
         h.refcount_order, h.header_length) = _V3.unpack_from(data, 72)
        if h.header_length < 104 or h.header_length % 8:
            raise bad(f"header_length {h.header_length} is invalid")
        if h.header_length > 104 and len(data) > 104:
            h.compression_type = data[104]
    else:
        h.header_length = 72
    unknown = h.incompatible_features & ~KNOWN_INCOMPAT
    if unknown:
        raise bad(f"uses incompatible features this version cannot handle (bits {unknown:#x})")
    if h.incompatible_features & INCOMPAT_CORRUPT:
        raise bad("is marked corrupt; repair it with `xtbox disk check --repair` or qemu-img")
    if crypt:
        raise bad("is encrypted; encrypted images are not supported")
    if h.refcount_order > 6:
        raise bad(f"refcount_order {h.refcount_order} is invalid (at most 6)")
    cs = h.cluster_size
    for name in ("l1_table_offset", "refcount_table_offset", "snapshots_offset"):
        value = getattr(h, name)
        if value % cs:
            raise bad(f"{name} {value:#x} is not aligned to the cluster size ({cs})")
    if h.refcount_table_clusters == 0 or h.refcount_table_offset == 0:
        raise bad("has no refcount table")
    if size > (1 << 50):
        raise bad(f"virtual size {size} is implausibly large")
    l2_entries = cs // 8
    needed = -(-size // (cs * l2_entries)) if size else 0
    if l1_size < needed:
        raise bad(f"L1 table has {l1_size} entries, {needed} are needed for its size")
    if l1_size > (32 << 20) // 8:
        raise bad(f"L1 table size {l1_size} is too large")
    _parse_extensions(h, data, path)
    if bf_off:
        if bf_size > 1023 or bf_off + bf_size > min(len(data), cs):
            raise bad("backing file name lies outside the header cluster")
        try:
            h.backing_file = data[bf_off:bf_off + bf_size].decode()
        except UnicodeDecodeError:
            raise bad("backing file name is not valid UTF-8") from None
    return h


def _parse_extensions(h: Header, data: bytes, path: object) -> None:
    if h.version < 3:
        return
    pos = h.header_length
    end = min(len(data), h.cluster_size)
    while True:
        if pos + 8 > end:
            raise ImageFormatError(f"{path}: header extensions run past the header cluster")
        ext_type, length = struct.unpack_from(">II", data, pos)
        pos += 8
        if ext_type == EXT_END:
            return
        if pos + length > end:
            raise ImageFormatError(f"{path}: header extension {ext_type:#x} is truncated")
        payload = bytes(data[pos:pos + length])
        pos += length + (-length) % 8
        if ext_type == EXT_BACKING_FORMAT:
            h.backing_format = payload.decode(errors="replace")
        elif ext_type == EXT_FEATURE_TABLE:
            pass                      # we write our own, complete table back
        else:
            h.unknown_extensions.append((ext_type, payload))
