"""`xtbox run --deterministic`: time from instructions only, so two runs of the same images
with the same options end at the same instruction with the same screen, and the guest's
clock reads guest seconds from 2000-01-01 00:00 (not the host's time of day)."""

from __future__ import annotations

import re

from tests.cli.test_vm_cli import xtbox


def run_demo(tmp_path, n: int) -> tuple[str, int]:
    dump = tmp_path / f"screen{n}.txt"
    proc = xtbox("run", "--deterministic", "--type", "time\\nmem\\n", "--type-after", "7.5",
                 "--max-seconds", "20", "--screen-dump", str(dump), "--stats")
    instructions = int(re.search(r"instructions: ([\d,]+)", proc.stderr).group(1)
                       .replace(",", ""))
    return dump.read_text(), instructions


def test_two_runs_are_the_same_run(tmp_path):
    first, second = run_demo(tmp_path, 1), run_demo(tmp_path, 2)
    assert first == second
    screen, instructions = first
    # Typed at 7.5 guest seconds: the BIOS clock says 00:00:07 whatever the host's time.
    assert re.search(r"xtbox> time\n00:00:07\n", screen), screen
    assert "640 KiB" in screen and instructions > 5_000


def test_deterministic_needs_no_display():
    refused = xtbox("run", "--deterministic", "--display", "tui", check=False)
    assert refused.returncode == 2 and "--display none" in refused.stderr
