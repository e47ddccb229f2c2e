"""Real DOS's own COM1 device (INT 14h underneath) on a pty, used as DOS users use it:
`copy FILE com1` and `copy com1 FILE` (the host ends its text with Ctrl+Z), through a VM
started with `xtbox vm start`. tests/guests/com9600.com does what `mode com1:9600,n,8,1`
does (FreeDOS's MODE is not on its boot floppy)."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.dos_images import copy_floppy, needs_dos_floppy
from tests.engine.serial.lab import open_raw

ROOT = Path(__file__).resolve().parents[3]
MODE = ROOT / "tests" / "guests" / "com9600.com"
needs_mtools = pytest.mark.skipif(shutil.which("mcopy") is None, reason="mtools not installed")


def xtbox(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "tui.cli", *args], cwd=ROOT, capture_output=True,
                       text=True, timeout=timeout)
    assert r.returncode == 0, f"xtbox {' '.join(args)}: {r.stdout}{r.stderr}"
    return r


def read_exactly(fd: int, n: int, timeout: float) -> bytes:
    got = bytearray()
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.5)[0]:
            got += os.read(fd, 4096)
    return bytes(got)


@pytest.mark.slow
@needs_dos_floppy
@needs_mtools
def test_dos_copies_a_file_to_com1_and_from_com1(tmp_path, monkeypatch):
    monkeypatch.setenv("XTBOX_HOME", str(tmp_path / "home"))
    floppy = copy_floppy(tmp_path)
    text = b"".join(b"line %04d: the quick brown fox jumps over the lazy dog\r\n" % i
                    for i in range(60))                      # 3,600 bytes
    (tmp_path / "send.txt").write_bytes(text)
    for f in (MODE, tmp_path / "send.txt"):
        subprocess.run(["mcopy", "-i", str(floppy), str(f), "::"], check=True)
    xtbox("vm", "create", "dos", "--fda", str(floppy), "--serial", "pty")
    xtbox("vm", "start", "dos", "--headless")
    try:
        live = json.loads(xtbox("vm", "status", "dos", "--json").stdout)["live"]
        fd = open_raw(live["serial"][0]["detail"])
        xtbox("vm", "expect", "dos", "A:\\>", "--timeout", "90")
        xtbox("vm", "type", "dos", r"com9600\ncopy send.txt com1\n")
        got = read_exactly(fd, len(text), timeout=90)
        assert got == text, f"{len(got)} of {len(text)} bytes arrived"

        xtbox("vm", "type", "dos", r"copy com1 recv.txt\n")
        xtbox("vm", "expect", "dos", "com1 => recv.txt", "--timeout", "60")
        reply = text.replace(b"fox", b"cat")
        os.write(fd, reply + b"\x1a")
        # Typed now, read by DOS only once the copy has ended (Ctrl+Z) and its prompt is back.
        xtbox("vm", "type", "dos", r"echo copy-ended\n")
        xtbox("vm", "expect", "dos", "copy-ended", "--timeout", "90")
        os.close(fd)
    finally:
        subprocess.run([sys.executable, "-m", "tui.cli", "vm", "stop", "dos"], cwd=ROOT,
                       capture_output=True, timeout=60)
    received = subprocess.run(["mcopy", "-i", str(floppy), "::RECV.TXT", "-"], check=True,
                              capture_output=True).stdout
    assert received.rstrip(b"\x1a") == reply
