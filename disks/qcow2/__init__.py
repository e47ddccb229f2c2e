"""qcow2 v3, split by concern as QEMU's block layer: header, clusters (L1/L2 mapping),
refcount, snapshot, cache and check; image.py ties them into one block device."""
