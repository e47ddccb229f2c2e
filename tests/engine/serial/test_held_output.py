"""What the guest sends while no client is connected is kept for the next one: serial_lab's G
command on a tcp-server COM1 nobody has connected to yet. A small burst arrives whole to a
client connecting seconds later; of 100 KiB, the last 64 KiB (HOLD_BUFFER) arrive and the rest
is counted as dropped."""

from __future__ import annotations

import socket
import time

from engine.serial.stream import HOLD_BUFFER, StreamBackend
from tests.engine.serial.lab import Lab, free_port, lfsr_pattern


def receive(port: int, n: int, timeout: float = 30) -> bytes:
    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    got = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while len(got) < n and time.monotonic() < deadline:
            conn.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            got += chunk
    finally:
        conn.close()
    return bytes(got)


def test_output_before_the_first_client_is_kept_for_it(tmp_path):
    port = free_port()
    with Lab(tmp_path, f"tcp-server:127.0.0.1:{port}") as lab:
        assert lab.command(b"G" + (1000).to_bytes(4, "little")) == "G"
        assert lab.reply(timeout=30) == "GDONE"         # the banner left the UART: no one there
        time.sleep(3)
        assert receive(port, 1000) == lfsr_pattern(1000)
        time.sleep(1)                                    # the server notices the client left
        n = 100 * 1024
        assert lab.command(b"G" + n.to_bytes(4, "little")) == "G"   # the client has gone
        assert lab.reply(timeout=60) == "GDONE"
        got = receive(port, HOLD_BUFFER, timeout=30)
        assert got == lfsr_pattern(n)[-HOLD_BUFFER:]


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
