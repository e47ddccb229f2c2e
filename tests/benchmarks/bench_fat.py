"""`xtbox disk cp` of a 10 MB tree into a qcow2 image, against mtools' `mcopy` of the same
tree into a raw image, paired in the same run.

    python -m tests.benchmarks fat [--runs N]

The tree: 8 folders of 25 files of 50 KB (10,000,000 bytes, 208 entries), random data. Each
run makes two fresh 64 MiB FAT16 disks (`disk create --fat`: qcow2 for us, raw for mtools),
then times the whole command as a user runs it (process start included): `xtbox disk cp -r
TREE IMG.qcow2:` and `mcopy -s -i IMG.raw@@32256 TREE ::`. Prints the medians and the median
of the paired ratios (this shared machine's speed swings within seconds).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PART = 63 * 512


def make_tree(root: Path) -> int:
    total = 0
    for d in range(8):
        folder = root / f"dir{d}"
        folder.mkdir(parents=True)
        for f in range(25):
            (folder / f"file{f:02d}.bin").write_bytes(os.urandom(50_000))
            total += 50_000
    return total


def timed(cmd: list[str], env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT, env=env)
    return time.perf_counter() - start


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="bench_fat")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    if shutil.which("mcopy") is None:
        print("mtools not installed: no reference to compare with")
        return
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    xtbox = [sys.executable, "-m", "tui.cli", "disk"]
    ours, theirs, ratios = [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-fat-") as tmp:
        tree = Path(tmp) / "tree"
        total = make_tree(tree)
        for i in range(args.runs):
            q, raw = Path(tmp) / f"o{i}.qcow2", Path(tmp) / f"m{i}.img"
            subprocess.run([*xtbox, "create", str(q), "64M", "--fat"], check=True,
                           capture_output=True, cwd=ROOT)
            subprocess.run([*xtbox, "create", str(raw), "64M", "--fat", "--format", "raw"],
                           check=True, capture_output=True, cwd=ROOT)
            a = timed([*xtbox, "cp", "-r", str(tree), f"{q}:"])
            b = timed(["mcopy", "-s", "-i", f"{raw}@@{PART}", str(tree), "::"], env)
            ours.append(a)
            theirs.append(b)
            ratios.append(a / b)
    mb = total / 1e6
    print(f"tree: {mb:.0f} MB in 200 files, {args.runs} runs")
    print(f"xtbox disk cp -> qcow2: median {statistics.median(ours):.3f} s "
          f"({mb / statistics.median(ours):.1f} MB/s)")
    print(f"mcopy -> raw:           median {statistics.median(theirs):.3f} s "
          f"({mb / statistics.median(theirs):.1f} MB/s)")
    print(f"ratio xtbox/mcopy: median of paired {statistics.median(ratios):.2f}, "
          f"of medians {statistics.median(ours) / statistics.median(theirs):.2f}")
