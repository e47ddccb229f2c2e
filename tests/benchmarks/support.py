"""What several benchmarks share: a process's CPU time and its ending, and a private data
folder whose VMs are powered off however the benchmark ends."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def end_process(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it has not gone within 5 s."""
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextlib.contextmanager
def private_home(*vms: str) -> Iterator[str]:
    """XTBOX_HOME in a temporary folder; the named VMs are stopped and the folder removed."""
    home = tempfile.mkdtemp(prefix="xtbox-bench-")
    os.environ["XTBOX_HOME"] = home
    try:
        yield home
    finally:
        from tui.control import manager
        for vm in vms:
            with contextlib.suppress(Exception):
                manager.stop_vm(vm)
        shutil.rmtree(home, ignore_errors=True)
