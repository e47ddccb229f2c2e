"""What the guest sends while no one is at the other end is kept for whoever comes next: a TCP
server before its first client, a pty nobody has opened yet (or whose client left). Shown
through real VMs (`xtbox vm start`) of tests/guests/banner_lab, which sends a banner on COM1
at power-on: a peer arriving 3 s later receives it whole; of 100 KiB sent with no peer, the
last 64 KiB (HOLD_BUFFER) arrive and the rest is counted as dropped in `xtbox vm status`."""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.serial.stream import HOLD_BUFFER, StreamBackend
from tests.engine.serial.lab import free_port, lfsr_pattern, open_raw

ROOT = Path(__file__).resolve().parents[3]
IMAGE = ROOT / "tests" / "guests" / "banner_lab.img"
BANNER = (b"banner_lab: this line left COM1 at power-on, before anyone listened\r\n"
          b"type g for 100 KiB of the LFSR pattern\r\n")
BURST = 100 * 1024


def xtbox(*args: str, timeout: float = 90) -> str:
    r = subprocess.run([sys.executable, "-m", "tui.cli", *args], cwd=ROOT, capture_output=True,
                       text=True, timeout=timeout)
    assert r.returncode == 0, f"xtbox {' '.join(args)}: {r.stdout}{r.stderr}"
    return r.stdout


def com1() -> dict:
    return json.loads(xtbox("vm", "status", "held", "--json"))["live"]["serial"][0]


def wait_for(predicate, what: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while not predicate(port := com1()):
        assert time.monotonic() < deadline, f"COM1 never {what}: {port}"
        time.sleep(0.1)
    return port


class PtyPeer:
    """A serial program on the pty: opens it raw (tcsetattr with TCSAFLUSH, as tty.setraw
    does), reads, closes."""

    def __init__(self, detail: str) -> None:
        self.fd = open_raw(detail)

    def read(self) -> bytes:
        return os.read(self.fd, 65536) if select.select([self.fd], [], [], 0.2)[0] else b""

    def close(self) -> None:
        os.close(self.fd)


class TcpPeer:
    def __init__(self, detail: str) -> None:
        host, port = detail.rsplit(" ", 1)[-1].rsplit(":", 1)
        self.conn = socket.create_connection((host, int(port)), timeout=10)

    def read(self) -> bytes:
        return self.conn.recv(65536) if select.select([self.conn], [], [], 0.2)[0] else b""

    def close(self) -> None:
        self.conn.close()


def receive(peer, n: int, timeout: float = 30) -> bytes:
    """n bytes, then whatever else comes within half a second (there should be nothing)."""
    got = bytearray()
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        got += peer.read()
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        got += peer.read()
    return bytes(got)


@pytest.mark.parametrize(("spec", "peer"), [("pty", PtyPeer),
                                            ("tcp-server:127.0.0.1:{port}", TcpPeer)],
                         ids=["pty", "tcp-server"])
def test_output_with_no_peer_is_held_for_the_next_one(tmp_path, monkeypatch, spec, peer):
    monkeypatch.setenv("XTBOX_HOME", str(tmp_path / "home"))
    image = tmp_path / "banner_lab.img"
    shutil.copy(IMAGE, image)
    xtbox("vm", "create", "held", "--fda", str(image), "--boot", "a",
          "--serial", spec.format(port=free_port()))
    xtbox("vm", "start", "held", "--headless")
    try:
        xtbox("vm", "expect", "held", "type g", "--timeout", "60")   # the banner has been sent
        port = wait_for(lambda p: p["held"] == len(BANNER), "held the banner")
        assert not port["connected"] and port["discarded"] == 0
        time.sleep(3)
        first = peer(port["detail"])
        try:
            assert receive(first, len(BANNER)) == BANNER
            wait_for(lambda p: p["connected"] and p["held"] == 0, "connected")
        finally:
            first.close()
        wait_for(lambda p: not p["connected"], "noticed its peer leave")

        xtbox("vm", "type", "held", "g")
        xtbox("vm", "expect", "held", "GDONE", "--timeout", "120")
        port = com1()
        assert (port["held"], port["discarded"]) == (HOLD_BUFFER, BURST - HOLD_BUFFER)
        text = xtbox("vm", "status", "held")
        assert f"{HOLD_BUFFER:,} guest bytes held" in text
        assert f"{BURST - HOLD_BUFFER:,} guest bytes dropped while no client" in text
        second = peer(port["detail"])
        try:
            got = receive(second, HOLD_BUFFER)
        finally:
            second.close()
        assert len(got) == HOLD_BUFFER and got == lfsr_pattern(BURST)[-HOLD_BUFFER:]
    finally:
        subprocess.run([sys.executable, "-m", "tui.cli", "vm", "stop", "held"], cwd=ROOT,
                       capture_output=True, timeout=60)


class Unplugged(StreamBackend):
    def _connect(self) -> bool:
        return False


def test_held_output_is_bounded_and_its_drops_counted():
    backend = Unplugged()
    assert backend.write(b"x" * (HOLD_BUFFER - 10)) == HOLD_BUFFER - 10
    assert backend.write(bytes(range(256)) * 4) == 1024          # the guest is never held back
    status = backend.status()
    assert status["held"] == HOLD_BUFFER
    assert status["discarded"] == 1024 - 10
    assert bytes(backend._out[-1024:]) == bytes(range(256)) * 4
