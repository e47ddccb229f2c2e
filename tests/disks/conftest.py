import shutil
import subprocess

import pytest

QEMU_IMG = shutil.which("qemu-img")
needs_qemu = pytest.mark.skipif(QEMU_IMG is None, reason="qemu-img not installed")


def qemu(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([QEMU_IMG or "qemu-img", *args], capture_output=True, text=True,
                          check=check)


def qemu_check(path) -> subprocess.CompletedProcess:
    """qemu-img check: 0 clean, 2 corrupt, 3 leaks only."""
    return qemu("check", str(path), check=False)
