"""`xtbox disk …`: create, inspect, check, snapshot, commit, rebase, convert and map images."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys

from disks import DiskError, create_image, format_size, ops, parse_size
from disks import backing as backing_rule


def register(sub: argparse._SubParsersAction) -> None:
    disk = sub.add_parser("disk", help="virtual disk images (qcow2, raw)")
    dsub = disk.add_subparsers(dest="disk_command", metavar="ACTION", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--allow-outside-backing", action="store_true",
                        help="trust backing files outside the image's folder or absolute paths")

    p = dsub.add_parser("create", parents=[common], help="create a new image")
    p.add_argument("path")
    p.add_argument("size", nargs="?", help="360K, 1.44M, 10M, 2G or bytes "
                   "(an overlay defaults to its backing file's size)")
    p.add_argument("--format", choices=("qcow2", "raw"), default="qcow2")
    p.add_argument("--backing", metavar="FILE", help="create a copy-on-write overlay on FILE")
    p.add_argument("--cluster-size", default="64K")
    p.add_argument("--fat", action="store_true", help="format it for DOS: a FAT12 floppy for "
                   "floppy sizes, else an MBR with one FAT12/FAT16 partition")
    p.add_argument("--label", metavar="NAME", help="volume label (with --fat)")
    p.add_argument("--from", dest="from_dir", metavar="DIR",
                   help="copy a host folder's contents onto it (with --fat)")
    p.set_defaults(handler=_create)

    p = dsub.add_parser("info", parents=[common], help="show an image's format and layout")
    p.add_argument("path")
    p.add_argument("--chain", action="store_true", help="the whole backing chain")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_info)

    p = dsub.add_parser("check", help="check consistency (exit 0 clean, 2 corrupt, 3 leaks)")
    p.add_argument("path")
    p.add_argument("--repair", action="store_true", help="fix refcounts, COPIED flags and bad entries, reclaim leaks "
                   "(every snapshot's data is kept)")
    p.set_defaults(handler=_check)

    p = dsub.add_parser("snapshot", help="internal snapshots of a qcow2 image")
    p.add_argument("path")
    p.add_argument("action", choices=("create", "list", "apply", "delete"))
    p.add_argument("name", nargs="?")
    p.set_defaults(handler=_snapshot)

    p = dsub.add_parser("commit", parents=[common], help="write an overlay into its backing")
    p.add_argument("overlay")
    p.set_defaults(handler=_commit)

    p = dsub.add_parser("rebase", parents=[common], help="move an overlay to a new backing")
    p.add_argument("overlay")
    p.add_argument("--backing", required=True, metavar="NEW")
    p.set_defaults(handler=_rebase)

    p = dsub.add_parser("convert", parents=[common], help="copy an image (and its chain)")
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--format", choices=("qcow2", "raw"), default="qcow2")
    p.set_defaults(handler=_convert)

    p = dsub.add_parser("map", parents=[common], help="where each part of the disk lives")
    p.add_argument("path")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_map)

    from tui.cli import disk_files
    disk_files.register(dsub, _guard, ProgressBar)


def _guard(fn):
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args) or 0
        except DiskError as exc:
            print(f"xtbox: error: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("xtbox: interrupted", file=sys.stderr)
            return 130
    return run


class ProgressBar:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        pct = 100 * done // max(total, 1)
        if pct == self.last:
            return
        self.last = pct
        bar = "#" * (pct // 4) + "-" * (25 - pct // 4)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{self.label} [{bar}] {pct:3d}% "
                         f"{done / 2**20:.1f}/{total / 2**20:.1f} MiB{end}")
        sys.stderr.flush()


@_guard
def _create(args) -> int:
    size = parse_size(args.size) if args.size else None
    if args.fat or args.label or args.from_dir:
        return _create_fat(args, size)
    create_image(args.path, size, fmt=args.format, backing=args.backing,
                 cluster_size=parse_size(args.cluster_size),
                 allow_outside_backing=args.allow_outside_backing)
    what = f"overlay on {args.backing}" if args.backing else args.format
    print(f"created {args.path} ({what})")
    return 0


def _create_fat(args, size: int | None) -> int:
    from pathlib import Path

    from disks.fat import transfer
    from disks.fat.image import create_fat_image, open_volume
    from tui.cli.disk_files import report_names
    if not args.fat:
        raise DiskError("--label and --from need --fat")
    if args.backing:
        raise DiskError("--fat makes a new file system; it cannot go on an overlay (--backing)")
    if size is None:
        raise DiskError(f"{args.path}: a size is needed (e.g. 1.44M or 32M)")
    source = Path(args.from_dir) if args.from_dir else None
    if source is not None and not source.is_dir():
        raise DiskError(f"--from {source}: no such folder")
    what = create_fat_image(args.path, size, fmt=args.format, label=args.label)
    report = transfer.Report()
    if source is not None:
        report.total = transfer.tree_bytes(source)
        if report.total > 4 << 20:
            report.progress = ProgressBar("copy")
        try:
            with open_volume(args.path, readonly=False) as vol:
                transfer.fill(vol, source, report)
        except BaseException:
            os.unlink(args.path)
            raise
        report_names(report)
    print(f"created {args.path} ({args.format}, {what}"
          + (f", {report.files} files from {source}" if source is not None else "") + ")")
    return 0


@_guard
def _info(args) -> int:
    layers = ops.info(args.path, chain=args.chain,
                      allow_outside_backing=args.allow_outside_backing, share=True)
    if layers[0]["in-use"]:
        from tui.control.inventory import in_use_note
        layers[0]["in-use-by"] = in_use_note(args.path)
    if args.json:
        print(json.dumps(layers if args.chain else layers[0], indent=2))
        return 0
    for layer in layers:
        print(f"image: {layer['filename']}")
        print(f"  format: {layer['format']}")
        print(f"  virtual size: {format_size(layer['virtual-size'])} "
              f"({layer['virtual-size']} bytes)")
        print(f"  disk size: {format_size(layer['actual-size'])}")
        if layer.get("in-use-by"):
            print(f"  in use: by {layer['in-use-by']}; read without its lock, as it was "
                  "last written")
        if layer["format"] == "qcow2":
            print(f"  cluster size: {layer['cluster-size']}")
            if layer["backing-filename"]:
                print(f"  backing file: {layer['backing-filename']} "
                      f"({layer['backing-filename-format'] or 'format not recorded'})")
            for s in layer["snapshots"]:
                when = datetime.datetime.fromtimestamp(s["date"]).isoformat(" ", "seconds")
                state = (f", VM state {s['vm-state-size']:,} bytes"
                         if s.get("vm-state-size") else "")
                print(f"  snapshot {s['id']}: {s['name']} ({when}{state})")
    return 0


@_guard
def _check(args) -> int:
    for image, name, target in backing_rule.refused_links(args.path):
        print(f"warning: {image}: backing file {name!r} resolves to {target}, outside the "
              "image's folder: other commands refuse it without --allow-outside-backing")
    result = ops.check_image(args.path, repair=args.repair)
    if result.repaired:
        for problem in result.found:
            print(f"Repairing {problem}")
        print(f"{result.fixed_corruptions} errors and {result.fixed_leaks} leaked clusters "
              "were repaired; checking the repaired image again")
    if result.dirty:
        print("the image was not closed cleanly (dirty bit set): its next read-write open, "
              "or --repair, recounts it")
    for problem in result.corruptions:
        print(f"ERROR {problem}")
    if result.corruptions:
        print(f"{len(result.corruptions)} errors were found on the image: data may be "
              "corrupted, or further writes to the image may corrupt it "
              f"(`xtbox disk check --repair {args.path}` fixes what can be fixed)")
        return 2
    if result.leaks:
        print(f"{len(result.leaks)} leaked clusters were found on the image: this wastes "
              "disk space but harms no data (`--repair` reclaims them)")
        return 3
    print("no errors were found on the image")
    return 0


@_guard
def _snapshot(args) -> int:
    out = ops.snapshot(args.path, args.action, args.name)
    if args.action == "list":
        for s in out:
            when = datetime.datetime.fromtimestamp(s.date_sec).isoformat(" ", "seconds")
            state = f"  VM state {s.vm_state_size:,} bytes" if s.vm_state_size else ""
            print(f"{s.id:<6} {s.name:<24} {when}{state}")
    else:
        print(f"snapshot {args.name}: {args.action} done")
    return 0


@_guard
def _commit(args) -> int:
    base = ops.commit(args.overlay, progress=ProgressBar("commit"),
                      allow_outside_backing=args.allow_outside_backing)
    print(f"committed {args.overlay} into {base}")
    return 0


@_guard
def _rebase(args) -> int:
    ops.rebase(args.overlay, args.backing, allow_outside_backing=args.allow_outside_backing)
    print(f"{args.overlay} now backed by {args.backing}")
    return 0


@_guard
def _convert(args) -> int:
    ops.convert(args.src, args.dst, fmt=args.format, progress=ProgressBar("convert"),
                allow_outside_backing=args.allow_outside_backing)
    return 0


@_guard
def _map(args) -> int:
    runs = ops.allocation_map(args.path, allow_outside_backing=args.allow_outside_backing,
                              share=True)
    from disks import open_image
    with open_image(args.path, readonly=True, share=True) as img:
        if img.in_use:
            from tui.control.inventory import in_use_note
            print(f"xtbox: note: {args.path} is in use by {in_use_note(args.path)}: the map "
                  "is as it was last written", file=sys.stderr)
    if args.json:
        print(json.dumps(runs, indent=2))
        return 0
    print(f"{'offset':>12} {'length':>12}  kind        file")
    for r in runs:
        print(f"{r['start']:>12} {r['length']:>12}  {r.get('kind', 'data'):<10}  "
              f"{r['file'] or '-'}")
    return 0
