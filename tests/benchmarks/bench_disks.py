"""qcow2 throughput against a raw file, side by side, and snapshot cost on a full image.

    python -m tests.benchmarks disks [--runs N]

4 KiB sequential and random reads and writes through our block-device API on a 256 MiB
qcow2 image and on a 256 MiB raw file (the reference), medians of N runs, as ratios. Then
snapshot create and apply on a 1 GiB qcow2 image filled to ~95%: metadata-only work.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time

from disks import create_image, open_image
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


def snapshots(folder: str, runs: int) -> None:
    path = os.path.join(folder, "full.qcow2")
    size = 1 << 30
    create_image(path, size)
    chunk = os.urandom(1 << 20)
    with open_image(path) as img:
        for off in range(0, int(size * 0.95), 1 << 20):
            img.write(off, chunk)
        img.flush()
        creates, applies = [], []
        for i in range(runs):
            t = time.perf_counter()
            create_snapshot(img, f"s{i}")
            creates.append(time.perf_counter() - t)
            img.write(0, b"changed")
            t = time.perf_counter()
            apply_snapshot(img, f"s{i}")
            applies.append(time.perf_counter() - t)
            delete_snapshot(img, f"s{i}")
    print(f"snapshot create on a 95%-full 1 GiB image: median {statistics.median(creates)*1e3:.0f} ms")
    print(f"snapshot apply  on a 95%-full 1 GiB image: median {statistics.median(applies)*1e3:.0f} ms")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks disks")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=os.environ.get("XTBOX_BENCH_DIR")) as folder:
        throughput(folder, args.runs)
        snapshots(folder, args.runs)
