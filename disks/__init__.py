"""Virtual disk images (raw and qcow2 v3) behind one block-device protocol.

    img = open_image(path, readonly=False)    # format detected from the content
    img.read(offset, length) / img.write(offset, data) / img.flush() / img.size / img.close()
    create_image(path, size, fmt="qcow2", backing=None, backing_fmt=None, cluster_size=65536)
"""

from disks.errors import BackingFileError, DiskError, ImageFormatError, ImageLockedError
from disks.images import create_image, open_image, probe
from disks.sizes import format_size, parse_size

__all__ = ["BackingFileError", "DiskError", "ImageFormatError", "ImageLockedError",
           "create_image", "format_size", "open_image", "parse_size", "probe"]
