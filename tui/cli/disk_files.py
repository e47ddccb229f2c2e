"""`xtbox disk ls/cp/rm/mkdir`: files inside FAT12/FAT16 disk images, paths written as scp
writes remote ones (``IMAGE:PATH``; ``IMAGE:`` is the root directory).

An image that a running VM holds is read without a lock (what the guest has written so far)
and marked so; writing to it is refused, naming the VM.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from disks import DiskError, ImageLockedError, format_size
from disks.fat import transfer
from disks.fat.dirent import ARCHIVE, DIRECTORY, HIDDEN, READ_ONLY, SYSTEM
from disks.fat.image import check_partition, open_volume
from disks.fat.volume import FatError, split_path

IMAGE_SUFFIXES = (".img", ".ima", ".qcow2", ".raw", ".vfd", ".dsk", ".hdd")


def register(dsub: argparse._SubParsersAction, guard, progress_bar) -> None:
    part = argparse.ArgumentParser(add_help=False)
    part.add_argument("--partition", type=check_partition_arg, metavar="N",
                      help="partition number (default: the first FAT partition)")

    p = dsub.add_parser("ls", parents=[part], help="list a directory of a FAT disk image")
    p.add_argument("target", metavar="IMAGE[:DIR]")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=guard(_ls))

    p = dsub.add_parser("cp", parents=[part], help="copy files into or out of a FAT image "
                        "(IMAGE:PATH on either side, as scp)")
    p.add_argument("-r", "--recursive", action="store_true", help="copy directories")
    p.add_argument("paths", nargs="+", metavar="SRC... DEST")
    p.set_defaults(handler=guard(lambda a: _cp(a, progress_bar)))

    p = dsub.add_parser("rm", parents=[part], help="remove files from a FAT image")
    p.add_argument("-r", "--recursive", action="store_true", help="remove directories")
    p.add_argument("targets", nargs="+", metavar="IMAGE:PATH")
    p.set_defaults(handler=guard(_rm))

    p = dsub.add_parser("mkdir", parents=[part], help="make directories in a FAT image")
    p.add_argument("-p", "--parents", action="store_true", help="make parents as needed")
    p.add_argument("targets", nargs="+", metavar="IMAGE:PATH")
    p.set_defaults(handler=guard(_mkdir))


def check_partition_arg(value: str) -> int:
    try:
        return check_partition(value)
    except DiskError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def split_target(arg: str) -> tuple[str, str] | None:
    """(image, path inside) for ``IMAGE:PATH``, None for a host path."""
    image, colon, inside = arg.partition(":")
    if not colon or not image:
        return None
    if os.path.isfile(image):
        return image, inside
    if image.lower().endswith(IMAGE_SUFFIXES):
        raise DiskError(f"{image}: no such image")
    return None


def _need_image(arg: str) -> tuple[str, str]:
    t = split_target(arg)
    if t is None:
        if os.path.isfile(arg):
            return arg, ""
        raise DiskError(f"{arg}: expected IMAGE:PATH (an image file, a colon, a path in it)")
    return t


@contextmanager
def _volume(image: str, args, *, write: bool):
    try:
        with open_volume(image, partition=args.partition, readonly=not write,
                         share=not write) as vol:
            if vol.in_use and not write:
                from tui.control.inventory import in_use_note
                print(f"xtbox: note: {image} is in use by {in_use_note(image)}: showing what "
                      "its guest has written so far", file=sys.stderr)
            yield vol
    except ImageLockedError:
        from tui.control.inventory import in_use_note
        raise DiskError(f"{image}: in use by {in_use_note(image)}; it is locked while the VM "
                        "runs, so files cannot be written to it now (stop the VM first; "
                        "`xtbox disk ls` and copying out still work)") from None


def report_names(report: transfer.Report) -> None:
    """What a copy into an image changed or left out, on stderr."""
    for host, dos in report.renamed:
        print(f"{host}: not an 8.3 name; DOS sees it as {dos}", file=sys.stderr)
    for host, why in report.skipped:
        print(f"{host}: skipped: {why}", file=sys.stderr)


def _attrs(attr: int) -> str:
    return "".join(c if attr & bit else "-" for c, bit in
                   (("d", DIRECTORY), ("r", READ_ONLY), ("h", HIDDEN), ("s", SYSTEM),
                    ("a", ARCHIVE)))


def _ls(args) -> int:
    image, inside = _need_image(args.target)
    with _volume(image, args, write=False) as vol:
        entries = vol.listdir(inside)
        if args.json:
            print(json.dumps({
                "image": image, "volume": vol.located, "label": vol.label,
                "fat": vol.bpb.fat_bits, "cluster-size": vol.cluster_bytes,
                "total-bytes": vol.total_bytes, "free-bytes": vol.free_bytes,
                "in-use": vol.in_use,
                "entries": [{"name": e.name, "long-name": e.long_name, "directory": e.is_dir,
                             "size": e.size, "modified": e.modified.isoformat(),
                             "attributes": _attrs(e.attr)} for e in entries]}, indent=2))
            return 0
        print(f"{image}: {vol.located}, FAT{vol.bpb.fat_bits}, label {vol.label}"
              f"{' (in use by a running VM)' if vol.in_use else ''}")
        for e in entries:
            size = "<DIR>" if e.is_dir else str(e.size)
            extra = f"  ({e.long_name})" if e.long_name else ""
            print(f"{_attrs(e.attr)}  {size:>10}  {e.modified:%Y-%m-%d %H:%M:%S}  "
                  f"{e.name}{extra}")
        files = [e for e in entries if not e.is_dir]
        print(f"{len(files)} file(s), {sum(e.size for e in files):,} bytes; "
              f"{vol.free_bytes:,} bytes free of {vol.total_bytes:,} "
              f"({format_size(vol.cluster_bytes)} clusters)")
    return 0


def _cp(args, progress_bar) -> int:
    if len(args.paths) < 2:
        raise DiskError("cp needs a source and a destination (SRC... DEST)")
    *sources, dest = args.paths
    dest_t = split_target(dest)
    src_t = [split_target(s) for s in sources]
    if dest_t is not None:
        if any(t is not None for t in src_t):
            raise DiskError("copying between images is not supported: copy out to a host "
                            "folder first")
        return _copy_in([Path(s) for s in sources], *dest_t, args, progress_bar)
    if any(t is None for t in src_t):
        raise DiskError("one side must be IMAGE:PATH (for a host-to-host copy use cp)")
    images = {t[0] for t in src_t}
    if len(images) > 1:
        raise DiskError("sources from several images: copy from one image at a time")
    return _copy_out([t[1] for t in src_t], next(iter(images)), Path(dest), args)


def _copy_in(sources: list[Path], image: str, inside: str, args, progress_bar) -> int:
    for s in sources:
        if not s.exists():
            raise DiskError(f"{s}: no such file or directory")
    report = transfer.Report(total=sum(transfer.tree_bytes(s) for s in sources))
    if report.total > 4 << 20:
        report.progress = progress_bar("copy")
    with _volume(image, args, write=True) as vol:
        parts = split_path(inside)
        try:
            target = vol.lookup(inside)
        except FatError:
            target = None
        if target is not None and target.is_dir:
            for s in sources:
                transfer.copy_in(vol, s, target, s.name, recursive=args.recursive,
                                 report=report, shown="/".join(["", *parts, s.name]))
        else:
            if len(sources) > 1:
                raise DiskError(f"{image}:{inside}: is not a directory (several sources)")
            if not parts:
                raise DiskError(f"{image}: no destination name")
            parent = vol.lookup("/".join(parts[:-1]))
            transfer.copy_in(vol, sources[0], parent, parts[-1], recursive=args.recursive,
                             report=report, shown="/" + "/".join(parts))
    report_names(report)
    print(f"copied {report.files} file(s), {report.bytes:,} bytes"
          + (f", {report.dirs} directories" if report.dirs else "") + f" into {image}")
    return 0


def _copy_out(insides: list[str], image: str, dest: Path, args) -> int:
    report = transfer.Report()
    with _volume(image, args, write=False) as vol:
        entries = [vol.lookup(i) for i in insides]
        if dest.is_dir():
            for e in entries:
                name = e.shown if e.cluster or not e.is_dir else Path(image).stem
                transfer.copy_out(vol, e, dest / name, recursive=args.recursive,
                                  report=report)
        elif len(entries) > 1:
            raise DiskError(f"{dest}: is not a directory (several sources)")
        else:
            if not dest.parent.is_dir():
                raise DiskError(f"{dest.parent}: no such directory")
            transfer.copy_out(vol, entries[0], dest, recursive=args.recursive, report=report)
    print(f"copied {report.files} file(s), {report.bytes:,} bytes out of {image}")
    return 0


def _by_image(targets: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for t in targets:
        image, inside = _need_image(t)
        if not split_path(inside):
            raise DiskError(f"{t}: needs a path inside the image")
        out.setdefault(image, []).append(inside)
    return out


def _rm(args) -> int:
    for image, insides in _by_image(args.targets).items():
        report = transfer.Report()
        with _volume(image, args, write=True) as vol:
            for inside in insides:
                transfer.remove(vol, vol.lookup(inside), recursive=args.recursive,
                                report=report)
        print(f"removed {report.files} file(s)"
              + (f", {report.dirs} directories" if report.dirs else "") + f" from {image}")
    return 0


def _mkdir(args) -> int:
    for image, insides in _by_image(args.targets).items():
        with _volume(image, args, write=True) as vol:
            for inside in insides:
                parts = split_path(inside)
                parent = vol.lookup("")
                for i, part in enumerate(parts):
                    found = vol.find(parent.cluster, part)
                    last = i == len(parts) - 1
                    if found is not None and found.is_dir and (not last or args.parents):
                        parent = found
                        continue
                    if found is not None:
                        raise DiskError(f"{image}:/{'/'.join(parts[:i + 1])}: already exists")
                    if not last and not args.parents:
                        raise DiskError(f"{image}:/{'/'.join(parts[:i + 1])}: no such "
                                        "directory (use -p)")
                    parent, shortened = vol.mkdir(parent, part)
                    if shortened:
                        print(f"{part}: not an 8.3 name; made as {parent.name}",
                              file=sys.stderr)
    return 0
