"""Whole-image operations behind `xtbox disk`: info, map, convert, commit, rebase, check,
snapshots. Each opens what it needs, does its work in bounded chunks and reports progress."""

from __future__ import annotations

import os
from collections.abc import Callable

from disks.errors import DiskError
from disks.images import create_image, open_image, probe

Progress = Callable[[int, int], None]
CHUNK = 1 << 20


def _qcow2(img, path) -> None:
    if img.format != "qcow2":
        raise DiskError(f"{path}: is a raw image; this needs qcow2 (convert it with "
                        f"`xtbox disk convert {path} NEW.qcow2 --format qcow2`)")


def info(path: str, *, chain: bool = False, allow_outside_backing: bool = False,
         share: bool = False) -> list[dict]:
    """Each layer's format and layout. ``share`` reads an image a running VM holds (its
    ``in-use`` is then true), as ``qemu-img info -U`` does."""
    out = []
    with open_image(path, readonly=True, allow_outside_backing=allow_outside_backing,
                    share=share) as img:
        layer = img
        while layer is not None:
            entry = {"filename": layer.path, "format": layer.format,
                     "virtual-size": layer.size,
                     "actual-size": os.stat(layer.path).st_blocks * 512,
                     "in-use": layer.in_use}
            if layer.format == "qcow2":
                h = layer.header
                entry.update({"cluster-size": layer.cs, "version": h.version,
                              "backing-filename": h.backing_file,
                              "backing-filename-format": h.backing_format,
                              "snapshots": [{"id": s.id, "name": s.name, "date": s.date_sec,
                                             "vm-state-size": s.vm_state_size}
                                            for s in layer.snapshots]})
            out.append(entry)
            if not chain:
                break
            layer = getattr(layer, "backing", None)
    return out


def allocation_map(path: str, *, allow_outside_backing: bool = False,
                   share: bool = False) -> list[dict]:
    """Runs of the guest disk and where their data lives (like `qemu-img map`)."""
    from disks.qcow2 import clusters as cl
    runs: list[dict] = []
    with open_image(path, readonly=True, allow_outside_backing=allow_outside_backing,
                    share=share) as img:
        if img.format == "raw":
            return [{"start": 0, "length": img.size, "data": True, "file": img.path,
                     "offset": 0}]
        for gc in range(-(-img.size // img.cs)):
            start = gc * img.cs
            length = min(img.cs, img.size - start)
            layer, depth, m = img, 0, img.lookup(gc)
            while m.kind == cl.UNALLOCATED and getattr(layer, "backing", None) is not None:
                layer, depth = layer.backing, depth + 1
                m = layer.lookup(gc) if layer.format == "qcow2" else cl.Mapping(cl.NORMAL, start)
            kind = {cl.UNALLOCATED: "zero", cl.ZERO_CLUSTER: "zero", cl.NORMAL: "data",
                    cl.COMPRESSED_CLUSTER: "compressed"}[m.kind]
            run = {"start": start, "length": length, "data": kind != "zero", "kind": kind,
                   "depth": depth, "file": layer.path if kind != "zero" else None,
                   "offset": m.host if kind == "data" else None}
            prev = runs[-1] if runs else None
            if (prev and prev["kind"] == kind and prev["depth"] == depth
                    and prev["file"] == run["file"]
                    and (kind != "data" or prev["offset"] + prev["length"] == m.host)):
                prev["length"] += length
            else:
                runs.append(run)
    return runs


def convert(src: str, dst: str, *, fmt: str = "qcow2", progress: Progress | None = None,
            allow_outside_backing: bool = False) -> None:
    """Copy the guest view of ``src`` (its whole chain) into a new standalone ``dst``."""
    with open_image(src, readonly=True, allow_outside_backing=allow_outside_backing) as s:
        create_image(dst, s.size, fmt=fmt)
        try:
            with open_image(dst) as d:
                for pos in range(0, s.size, CHUNK):
                    data = s.read(pos, min(CHUNK, s.size - pos))
                    if data.count(0) != len(data):     # keep zero runs sparse
                        d.write(pos, data)
                    if progress:
                        progress(min(pos + CHUNK, s.size), s.size)
                d.flush()
        except BaseException:
            os.unlink(dst)
            raise


def commit(overlay: str, *, progress: Progress | None = None,
           allow_outside_backing: bool = False) -> str:
    """Write the overlay's own clusters into its backing file. Returns the backing path.

    Ordering: the overlay is only read, so its view never changes; each cluster goes into
    the backing file through that image's own ordered write path (refcount, data, L2, as
    in qcow2/image.py), and the backing file is flushed at the end. A kill half-way leaves
    the backing file consistent, holding part of the commit (cluster by cluster, as
    qemu-img commit does): running the commit again completes it."""
    from disks.qcow2 import clusters as cl
    with open_image(overlay, readonly=True, allow_outside_backing=allow_outside_backing) as o:
        _qcow2(o, overlay)
        if o.backing is None:
            raise DiskError(f"{overlay}: has no backing file to commit into")
        base_path, base_fmt = o.backing.path, o.backing.format
        o.backing.close()
        o.backing = None
        with open_image(base_path, fmt=base_fmt,
                        allow_outside_backing=allow_outside_backing) as base:
            total = -(-o.size // o.cs)
            for gc in range(total):
                m = o.lookup(gc)
                if m.kind != cl.UNALLOCATED:
                    start = gc * o.cs
                    n = min(o.cs, o.size - start, max(0, base.size - start))
                    if n > 0:
                        base.write(start, o._cluster_content(gc, m)[:n])
                if progress and gc % 64 == 0:
                    progress(gc, total)
            base.flush()
    return base_path


def rebase(overlay: str, new_backing: str, *, allow_outside_backing: bool = False) -> None:
    """Point ``overlay`` at ``new_backing`` keeping its guest view: clusters where the old and
    new backing differ are first copied into the overlay (qemu-img rebase's safe mode).

    Ordering: 1. each differing cluster is copied in through the ordered write path, with
    the bytes the overlay shows today, so its view is the same before and after each copy;
    2. flush: every copy is stable before 3. the header names the new backing file (one
    write in cluster 0, which a kill cannot tear); 4. flush. A kill anywhere leaves the
    overlay on the old backing file or the new one, with the same guest view either way."""
    from disks.qcow2 import clusters as cl
    with open_image(overlay, allow_outside_backing=allow_outside_backing) as o:
        _qcow2(o, overlay)
        folder = os.path.dirname(os.path.abspath(overlay))
        target = new_backing if os.path.isabs(new_backing) else os.path.join(folder,
                                                                               new_backing)
        rel = os.path.relpath(os.path.realpath(target), os.path.realpath(folder))
        name = os.path.abspath(target) if rel.startswith(os.pardir) else rel
        if rel.startswith(os.pardir) and not allow_outside_backing:
            raise DiskError(f"{overlay}: new backing file {target} lies outside the overlay's "
                            "folder; allow it explicitly (--allow-outside-backing)")
        new_fmt = probe(target)
        with open_image(target, readonly=True, fmt=new_fmt,
                        allow_outside_backing=allow_outside_backing) as nb:
            for gc in range(-(-o.size // o.cs)):
                if o.lookup(gc).kind != cl.UNALLOCATED:
                    continue
                start = gc * o.cs
                n = min(o.cs, o.size - start)
                old = o._backing_read(start, n)
                avail = max(0, min(n, nb.size - start))
                new = (nb.read(start, avail) if avail else b"") + bytes(n - avail)
                if old != new:
                    o.write(start, old)
        o.flush()
        o.header.backing_file = name
        o.header.backing_format = new_fmt
        o.write_header()
        o.flush()


def check_image(path: str, *, repair: bool = False):
    """Check (and optionally repair) an image; raw images have nothing to check."""
    from disks.qcow2.check import CheckResult, check
    from disks.qcow2.image import Qcow2Image
    if probe(path) == "raw":
        open_image(path, readonly=True).close()
        return CheckResult()
    # A checking open tolerates (and reports) damage a normal open refuses, and does not
    # repair a dirty image by itself: that is what --repair is for.
    with Qcow2Image(path, readonly=not repair, allow_outside_backing=True,
                    checking=True) as img:
        return check(img, repair=repair)


def snapshot(path: str, action: str, name: str | None = None):
    from disks.qcow2 import snapshot as snap
    with open_image(path, readonly=action == "list", allow_outside_backing=True) as img:
        _qcow2(img, path)
        if action == "list":
            return snap.list_snapshots(img)
        if not name:
            raise DiskError(f"{path}: snapshot {action} needs a snapshot name")
        if action == "create":
            return snap.create_snapshot(img, name)
        if action == "apply":
            return snap.apply_snapshot(img, name)
        if action == "delete":
            return snap.delete_snapshot(img, name)
    raise DiskError(f"unknown snapshot action {action!r}; expected create, list, apply, delete")
