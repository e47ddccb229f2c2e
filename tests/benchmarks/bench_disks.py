"""qcow2 throughput against a raw file, side by side, and snapshot cost on a full image.

    python -m tests.benchmarks disks [--runs N]

4 KiB sequential and random reads and writes through our block-device API on a 256 MiB
qcow2 image and on a 256 MiB raw file (the reference), medians of N runs, as ratios. Then
snapshot create, apply and delete on a 1 GiB qcow2 image filled to ~95% (metadata-only
work), each run timing the crash-safe operations (dirty bit, syncs, a new L1 for apply:
disks/qcow2/snapshot.py) beside the same operations as they were before that ordering
(``_reference_*`` below: no dirty bit, the L1 rewritten in place), on the same image.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time

from disks import create_image, open_image
from disks.qcow2 import clusters as cl
from disks.qcow2 import snapshot as qs
from disks.qcow2.cache import encode
from disks.qcow2.snapshot import apply_snapshot, create_snapshot, delete_snapshot

SIZE = 256 << 20
BLOCK = 4096
COUNT = 16384                      # 64 MiB of 4 KiB operations per pattern


def _pattern(kind: str, rng: random.Random) -> list[int]:
    if kind == "seq":
        return [i * BLOCK for i in range(COUNT)]
    return [rng.randrange(SIZE // BLOCK) * BLOCK for _ in range(COUNT)]


def _time(img, op: str, offsets: list[int]) -> float:
    data = os.urandom(BLOCK)
    start = time.perf_counter()
    if op == "write":
        for off in offsets:
            img.write(off, data)
        img.flush()
    else:
        for off in offsets:
            img.read(off, BLOCK)
    return time.perf_counter() - start


def throughput(folder: str, runs: int) -> None:
    raw, q = os.path.join(folder, "ref.raw"), os.path.join(folder, "b.qcow2")
    create_image(raw, SIZE, fmt="raw")
    create_image(q, SIZE)
    rng = random.Random(1)
    print(f"{'pattern':<12}{'raw MB/s':>10}{'qcow2 MB/s':>12}{'ratio':>8}")
    for kind in ("seq", "rand"):
        offsets = _pattern(kind, rng)
        for op in ("write", "read"):
            ratios, raw_rates, q_rates = [], [], []
            for _ in range(runs):
                with open_image(raw) as a, open_image(q) as b:
                    t_raw = _time(a, op, offsets)
                    t_q = _time(b, op, offsets)
                mb = COUNT * BLOCK / 1e6
                raw_rates.append(mb / t_raw)
                q_rates.append(mb / t_q)
                ratios.append(t_raw / t_q)
            print(f"{kind + ' ' + op:<12}{statistics.median(raw_rates):>10.0f}"
                  f"{statistics.median(q_rates):>12.0f}{statistics.median(ratios):>8.2f}")


def _reference_create(img, name: str) -> None:
    """Snapshot create as it was before the crash-safe ordering (the reference)."""
    clusters = -(-max(8 * len(img.l1), 1) // img.cs)
    l1_off = img.refcounts.alloc(clusters)
    img.meta_write(l1_off, encode(qs._array([e & ~cl.COPIED for e in img.l1]))
                   .ljust(clusters * img.cs, b"\0"), "snapshot L1 table")
    qs._walk(img, img.l1, +1)
    qs.fix_copied_flags(img)
    now = time.time()
    snap = qs.Snapshot(str(len(img.snapshots) + 1000), name, l1_off, len(img.l1), int(now))
    snap.disk_size = img.size
    qs._write_table(img, img.snapshots + [snap])


def _reference_apply(img, name: str) -> None:
    snap = qs._find(img, name)
    new_l1 = qs.snapshot_l1(img, snap)
    qs._walk(img, new_l1, +1)
    old = img.l1
    img.l1 = [e & ~cl.COPIED for e in new_l1]
    img.meta_write(img.header.l1_table_offset, encode(qs._array(img.l1)), "L1 table")
    qs._walk(img, old, -1)
    qs.fix_copied_flags(img)


def _reference_delete(img, name: str) -> None:
    snap = qs._find(img, name)
    snap_l1 = qs.snapshot_l1(img, snap)
    qs._write_table(img, [s for s in img.snapshots if s is not snap])
    qs._walk(img, snap_l1, -1)
    img.refcounts.add(snap.l1_table_offset, -(-max(8 * snap.l1_size, 1) // img.cs), -1)
    qs.fix_copied_flags(img)


IMPLEMENTATIONS = {
    "ordered": (create_snapshot, apply_snapshot, delete_snapshot),
    "reference": (_reference_create, _reference_apply, _reference_delete),
}


def snapshots(folder: str, runs: int) -> None:
    path = os.path.join(folder, "full.qcow2")
    size = 1 << 30
    create_image(path, size)
    chunk = os.urandom(1 << 20)
    times: dict[tuple[str, str], list[float]] = {}
    with open_image(path) as img:
        for off in range(0, int(size * 0.95), 1 << 20):
            img.write(off, chunk)
        img.flush()
        for i in range(runs):
            for impl, (create, apply, delete) in IMPLEMENTATIONS.items():
                name = f"{impl}{i}"
                for op, call in (("create", create), ("apply", apply), ("delete", delete)):
                    if op == "apply":
                        img.write(0, b"changed")      # something for apply to roll back
                    t = time.perf_counter()
                    call(img, name)
                    times.setdefault((impl, op), []).append(time.perf_counter() - t)
                img.flush()
    print(f"{'on a 95%-full 1 GiB image':<28}{'ordered ms':>12}{'reference ms':>14}{'ratio':>8}")
    for op in ("create", "apply", "delete"):
        new = statistics.median(times[("ordered", op)])
        old = statistics.median(times[("reference", op)])
        print(f"{'snapshot ' + op:<28}{new * 1e3:>12.1f}{old * 1e3:>14.1f}{new / old:>8.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks disks")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=("throughput", "snapshots"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=os.environ.get("XTBOX_BENCH_DIR")) as folder:
        if args.only != "snapshots":
            throughput(folder, args.runs)
        if args.only != "throughput":
            snapshots(folder, args.runs)
