"""INT 14h waits as the IBM BIOS does, in guest time: tests/guests/int14_lab.img talks to COM1
only through the BIOS, from 300 to 115200 baud, while the host reads slowly; and the machine
keeps running (the timer ticks) while a call waits."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

from engine.bios import bda
from engine.bios.waits import COUNT
from engine.chips.serial_backend import MemoryBackend, NullBackend
from engine.machine import PIT_HZ
from tests.engine.serial.lab import open_raw

ROOT = Path(__file__).resolve().parents[3]
IMAGE = ROOT / "tests" / "guests" / "int14_lab.img"
COUNTS = (16, 64, 256, 1024, 2048)          # int14_lab.asm's bytes per rate


def slow_read(fd: int, n: int, timeout: float = 60) -> bytes:
    """Read ``n`` bytes at most 32 at a time with a pause after each: a host slower than the
    faster line rates."""
    got = bytearray()
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.5)[0]:
            got += os.read(fd, min(32, n - len(got)))
            time.sleep(0.01)
    return bytes(got)


def test_int14_lab_at_every_rate_with_a_slow_reader(tmp_path):
    image = tmp_path / "lab.img"
    image.write_bytes(IMAGE.read_bytes())
    proc = subprocess.Popen([sys.executable, "-m", "tui.cli", "run", "--fda", str(image),
                             "--serial", "pty", "--max-seconds", "120"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = proc.stderr.readline().decode()
        path = re.search(r"(/dev/pts/\d+)", line).group(1)
        fd = open_raw(path)
        for i, n in enumerate(COUNTS):
            block = slow_read(fd, 2 + n)
            assert block == b"R" + bytes([48 + i]) + bytes((13 * k + i) & 0xFF
                                                            for k in range(n)), f"rate {i}"
            answer = bytes((7 * k + 3 * i) & 0xFF for k in range(n))
            os.write(fd, answer)
            total = sum(answer) & 0xFFFF
            assert slow_read(fd, 3) == b"S" + total.to_bytes(2, "little"), f"rate {i}"
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert b"int14 ok" in out, out + err
    assert proc.returncode == 1                     # isa-debug-exit 0 -> (0 << 1) | 1


# ---- the waits inside one machine ---------------------------------------------------------
def machine_with(tmp_path, backend, program: bytes):
    """A machine booting ``program`` as its boot sector, COM1 on ``backend``."""
    from engine.machine import Machine, MachineConfig
    image = tmp_path / "boot.img"
    image.write_bytes(program.ljust(510, b"\x90") + b"\x55\xaa" + bytes(368640 - 512))
    m = Machine(MachineConfig(fda=str(image)))
    m.uarts[0].backend = backend
    return m


# Sends X, Y, Z through INT 14h AH=01h, keeping AX after each at 0:500h, 0:502h, 0:508h and the
# tick count before and after the third at 0:504h, 0:506h; then exits through port F4h.
SEND_THREE = bytes([0x31, 0xC0, 0x8E, 0xD8,              # xor ax,ax; mov ds,ax
                    0xB8, 0x58, 0x01, 0x31, 0xD2,        # mov ax,0158h; xor dx,dx
                    0xCD, 0x14, 0xA3, 0x00, 0x05,        # int 14h; mov [500h],ax
                    0xB8, 0x59, 0x01,                    # mov ax,0159h
                    0xCD, 0x14, 0xA3, 0x02, 0x05,        # int 14h; mov [502h],ax
                    0xA1, 0x6C, 0x04, 0xA3, 0x04, 0x05,  # mov ax,[46Ch]; mov [504h],ax
                    0xB8, 0x5A, 0x01,                    # mov ax,015Ah
                    0xCD, 0x14, 0xA3, 0x08, 0x05,        # int 14h; mov [508h],ax
                    0xA1, 0x6C, 0x04, 0xA3, 0x06, 0x05,  # mov ax,[46Ch]; mov [506h],ax
                    0xB0, 0x00, 0xE6, 0xF4, 0xFA, 0xF4])  # mov al,0; out F4h,al; cli; hlt


def word(m, addr: int) -> int:
    return m.cpu.mem[addr] | m.cpu.mem[addr + 1] << 8


def test_send_to_a_stalled_peer_times_out_after_the_bda_count_in_guest_time(tmp_path):
    # The peer takes nothing: the holding register stays full after two bytes, and the BIOS
    # gives up on the third after 40:7Ch's count.
    m = machine_with(tmp_path, MemoryBackend(capacity=0), SEND_THREE)
    try:
        assert m.run(max_seconds=20) == 1
        first, second, third = word(m, 0x500), word(m, 0x502), word(m, 0x508)
        # X fills the shift register (and stays there), Y the holding register: both at once.
        assert first >> 8 & 0x80 == 0 and first & 0xFF == 0x58
        assert second >> 8 & 0x80 == 0 and second & 0xFF == 0x59
        assert third >> 8 & 0x80                     # Z: a time-out...
        assert third >> 8 & 0x20 == 0                # ...with THRE clear, the real status
        # One count (40:7Ch = 1 after POST) in guest time: the timer kept ticking meanwhile.
        ticks = word(m, 0x506) - word(m, 0x504)
        assert ticks >= int(COUNT / 65536) - 1
        assert m.cpu.mem[bda.RS232_TIMEOUT] == 1
    finally:
        m.close()


def test_send_waits_for_a_slow_peer_instead_of_failing(tmp_path):
    backend = MemoryBackend(capacity=0)
    m = machine_with(tmp_path, backend, SEND_THREE)
    t = threading.Thread(target=m.run, kwargs={"max_seconds": 20})
    t.start()
    try:
        time.sleep(0.2)
        backend.capacity = 3                         # the peer catches up within the timeout
        t.join(timeout=30)
        assert word(m, 0x508) >> 8 & 0x80 == 0, hex(word(m, 0x508))
        m.uarts[0].tick(m.now() + PIT_HZ)            # what is still in the UART goes out
        assert bytes(backend.output) == b"XYZ"
        assert m.bios.waits.jobs == {}
    finally:
        m.stop()
        t.join()
        m.close()


def test_no_cable_no_dsr_send_times_out_on_the_modem_lines(tmp_path):
    m = machine_with(tmp_path, NullBackend(), SEND_THREE)
    try:
        assert m.run(max_seconds=20) == 1
        first = word(m, 0x500)
        assert first >> 8 & 0x80                    # AH: the MSR with bit 7 set
        assert first >> 8 & 0x30 == 0               # neither DSR nor CTS
    finally:
        m.close()


def test_count_unit_is_about_half_a_second():
    assert 0.4 < COUNT / PIT_HZ < 0.6


# Waits for one byte through INT 14h AH=02h (COM1 timeout 10 counts, ~5 s) and keeps AX at
# 0:500h; then exits through port F4h.
RECEIVE_ONE = bytes([0x31, 0xC0, 0x8E, 0xD8,              # xor ax,ax; mov ds,ax
                     0xC6, 0x06, 0x7C, 0x04, 0x0A,        # mov byte [47Ch],10
                     0xB4, 0x02, 0x31, 0xD2,              # mov ah,2; xor dx,dx
                     0xCD, 0x14, 0xA3, 0x00, 0x05,        # int 14h; mov [500h],ax
                     0xB0, 0x00, 0xE6, 0xF4, 0xFA, 0xF4])  # mov al,0; out F4h,al; cli; hlt


def test_a_receive_wait_costs_nothing_and_wakes_on_a_byte_at_once(tmp_path):
    """`copy com1 FILE` waiting for the peer: the service must not be re-run every
    millisecond (it was: ~50 calls per timer tick), the guest sleeps halted, and a byte from the
    host ends the wait within the tick it came in."""
    backend = MemoryBackend()
    m = machine_with(tmp_path, backend, RECEIVE_ONE)
    backend.on_input = m._wake.set
    calls = []
    service = m.bios.handlers[0x14]
    m.bios.handlers[0x14] = lambda r: (calls.append(r.ah), service(r))
    t = threading.Thread(target=m.run, kwargs={"max_seconds": 30})
    t.start()
    try:
        deadline = time.monotonic() + 20
        while not m.bios.waits.jobs:
            assert time.monotonic() < deadline, "the receive never waited"
            time.sleep(0.01)
        tick0, calls0, hlt0 = word(m, 0x46C), len(calls), m.idle.stats()["sleeps"]["hlt"]
        while (word(m, 0x46C) - tick0) & 0xFFFF < 8:
            assert time.monotonic() < deadline, "the timer stopped"
            time.sleep(0.01)
        ticks = (word(m, 0x46C) - tick0) & 0xFFFF
        assert len(calls) - calls0 <= 2 * ticks + 2       # asked again at most per wake-up
        assert m.idle.stats()["sleeps"]["hlt"] - hlt0 >= ticks // 2   # asleep meanwhile
        fed = word(m, 0x46C)
        backend.feed(b"Q")
        backend.on_input()                                # as every real backend does
        t.join(timeout=20)
        assert m.exit_status == 1
        ax = word(m, 0x500)
        assert ax & 0xFF == 0x51 and not ax >> 8 & 0x80, hex(ax)
        assert (word(m, 0x46C) - fed) & 0xFFFF <= 1       # at once: within the tick
    finally:
        m.stop()
        t.join()
        m.close()
