"""Serial throughput through a pty, and what it costs the host.

    python -m tests.benchmarks serial [--bytes N] [--runs R]

A real `xtbox run` process boots tests/guests/serial_lab.img (115200 baud, FIFOs, interrupts);
COM1 is a pty this benchmark holds open raw. Measured, median of R runs each:
- guest -> host: the guest sends N bytes of its pattern (command G), we read them off the pty;
- host -> guest: we write N bytes into the pty, the guest counts them (sink mode);
- both ways: the guest echoes N bytes we write while we read the echo.
Throughput is compared with the line's own rate (115200 baud 8N1 = 11,520 bytes/s): a ratio
near 1.0 means the emulated UART keeps its line busy. CPU cost is the VM process's user+system
time over wall time (% of one core), against the same VM measured idle in this run.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import tempfile
import time
from pathlib import Path

from tests.benchmarks.support import cpu_seconds
from tests.engine.serial.lab import (
    Lab,
    complement,
    fd_reader,
    fd_writer,
    lfsr_pattern,
    open_raw,
    pump,
)

LINE_RATE = 115_200 / 10


class Meter:
    """Wall time and the VM process's CPU time over a stretch of work."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def __enter__(self) -> Meter:
        self.cpu0, self.t0 = cpu_seconds(self.pid), time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.monotonic() - self.t0
        self.cpu = (cpu_seconds(self.pid) - self.cpu0) / self.wall


def guest_to_host(lab: Lab, fd: int, n: int) -> Meter:
    read = fd_reader(fd)
    with Meter(lab.proc.pid) as m:
        lab.send(b"G" + n.to_bytes(4, "little"))
        got = bytearray()
        deadline = time.monotonic() + n / LINE_RATE * 3 + 30
        while len(got) < n and time.monotonic() < deadline:
            got += read()
    assert lab.reply() == "G" and lab.reply() == "GDONE"
    assert bytes(got) == pattern(n), f"guest -> host: {len(got)} of {n} bytes, or wrong ones"
    return m


pattern = functools.lru_cache(lfsr_pattern)    # every G sends the same bytes


def host_to_guest(lab: Lab, fd: int, n: int) -> Meter:
    assert lab.command(b"K") == "K"
    start = lab.received()
    data = os.urandom(n)
    with Meter(lab.proc.pid) as m:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view[:4096]):]
        deadline = time.monotonic() + n / LINE_RATE * 3 + 30
        while lab.received() - start < n:
            assert time.monotonic() < deadline, "host -> guest: the guest stopped counting"
            time.sleep(0.02)
    assert lab.command(b"K") == "K"
    return m


def both_ways(lab: Lab, fd: int, n: int) -> Meter:
    data = os.urandom(n)
    with Meter(lab.proc.pid) as m:
        got = pump(fd_writer(fd), fd_reader(fd), data, n, timeout=n / LINE_RATE * 3 + 30)
    assert got == complement(data)
    return m


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks serial")
    parser.add_argument("--bytes", type=int, default=128 * 1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, Lab(Path(tmp), "pty") as lab:
        fd = open_raw(lab.stderr_match(r"redirected to (\S+) \(label com1\)").group(1))
        try:
            idle = []
            for _ in range(args.runs):
                with Meter(lab.proc.pid) as m:
                    time.sleep(3)
                idle.append(m.cpu)
            idle_cpu = statistics.median(idle)
            print(f"line rate (115200 8N1): {LINE_RATE:,.0f} bytes/s; idle VM CPU "
                  f"{idle_cpu * 100:.1f}% of a core (median of {args.runs})")
            for name, work in (("guest -> host", guest_to_host), ("host -> guest", host_to_guest),
                               ("both ways (echo)", both_ways)):
                runs = [work(lab, fd, args.bytes) for _ in range(args.runs)]
                rate = statistics.median(args.bytes / r.wall for r in runs)
                cpu = statistics.median(r.cpu for r in runs)
                print(f"{name:17s} {rate:9,.0f} bytes/s = {rate / LINE_RATE:.2f} x line rate; "
                      f"VM CPU {cpu * 100:5.1f}% of a core ({cpu / max(idle_cpu, 1e-3):.1f} x "
                      f"idle); {args.bytes:,} bytes, median of {args.runs}")
        finally:
            os.close(fd)
