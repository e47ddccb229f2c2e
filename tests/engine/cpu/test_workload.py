"""The benchmark workload: our own source rebuilds to the committed image, and it executes the
instruction count its header states (the benchmark's MIPS figure rests on that count)."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.benchmarks.bench_cpu import IMAGE, instruction_count, run_ours, workload_outer


@pytest.mark.skipif(shutil.which("nasm") is None, reason="nasm not installed")
def test_workload_image_rebuilds_identically(tmp_path: Path):
    out = tmp_path / "cpu_mix.bin"
    subprocess.run(["nasm", "-f", "bin", "-o", str(out), str(IMAGE.with_suffix(".asm"))],
                   check=True)
    built = out.read_bytes()
    assert len(built) == 512
    committed = IMAGE.read_bytes()
    assert len(committed) == 1_474_560
    assert committed[:512] == built and not any(committed[512:])


def test_workload_runs_its_stated_instruction_count():
    sector = bytearray(IMAGE.read_bytes()[:512])
    sector[2:4] = (3).to_bytes(2, "little")          # OUTER = 3 keeps the test quick
    ran, _ = run_ours(bytes(sector))
    assert ran == instruction_count(3) == 13 + 3 * 35_003
    assert workload_outer(IMAGE.read_bytes()) == 2000


@pytest.mark.skipif(shutil.which("nasm") is None, reason="nasm not installed")
def test_scroll_workload_rebuilds_identically(tmp_path: Path):
    image = IMAGE.with_name("scroll.img")
    out = tmp_path / "scroll.bin"
    subprocess.run(["nasm", "-f", "bin", "-o", str(out), str(image.with_suffix(".asm"))],
                   check=True)
    committed = image.read_bytes()
    assert committed[:512] == out.read_bytes() and not any(committed[512:])
