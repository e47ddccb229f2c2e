"""Control-channel latency and the screen-update rate a subscriber receives.

    python -m tests.benchmarks control [--calls N] [--seconds S]

Latency: median round trip of the ``status`` command to a real VM process (idle demo VM),
against a reference measured in the same run: the same JSON-lines framing echoed by a bare
Unix-socket server thread in this process (the floor any socket protocol pays).
Screen rate: a VM booting workload/scroll.img prints numbered lines flat out; a subscriber
counts screen events per second and rows per event, against the protocol's cap (SCREEN_HZ),
and the guest's own line rate shows how much scrolling each update folds together.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

from engine.vmm import protocol
from tests.benchmarks.support import private_home

SCROLL = Path(__file__).parent / "workload" / "scroll.img"


def _echo_reference(calls: int) -> list[float]:
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "echo.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(1)

    def serve() -> None:
        conn, _ = server.accept()
        reader = protocol.LineReader(conn)
        while (line := reader.readline()) is not None:
            msg = protocol.decode(line)
            conn.sendall(protocol.encode({"return": {}, "id": msg.get("id")}))

    threading.Thread(target=serve, daemon=True).start()
    client = socket.socket(socket.AF_UNIX)
    client.connect(path)
    reader = protocol.LineReader(client)
    times = []
    for i in range(calls):
        t = time.perf_counter()
        client.sendall(protocol.encode({"execute": "status", "id": i}))
        reader.readline()
        times.append(time.perf_counter() - t)
    client.close()
    server.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return times


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m tests.benchmarks control")
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args(argv)
    with private_home("idle", "scroll"):
        from tui.control import manager
        manager.create_vm("idle", demo=True)
        manager.start_vm("idle")
        manager.expect("idle", "xtbox>")
        with manager.connect("idle") as c:
            ours = []
            for _ in range(args.calls):
                t = time.perf_counter()
                c.call("status")
                ours.append(time.perf_counter() - t)
        manager.stop_vm("idle")
        ref = _echo_reference(args.calls)
        mo, mr = statistics.median(ours) * 1e6, statistics.median(ref) * 1e6
        print(f"status round trip: median {mo:.0f} us (p90 "
              f"{statistics.quantiles(ours, n=10)[-1] * 1e6:.0f} us) over {args.calls} calls; "
              f"bare JSON-lines echo {mr:.0f} us; ratio {mo / mr:.1f}x")

        manager.create_vm("scroll", fda=str(SCROLL), boot="a")
        manager.start_vm("scroll", temporary=True)
        with manager.connect("scroll", timeout=None) as c:
            events = rows = 0
            first_line = last_line = None
            start = time.perf_counter()
            for event in c.subscribe(("screen",)):
                data = event["data"]
                events += 1
                rows += len(data["lines"])
                counters = [bytes(ch for ch, _a in row)[29:33] for row in data["lines"].values()]
                counters = [int(x, 16) for x in counters if x.strip()
                            and all(chr(b) in "0123456789ABCDEF" for b in x)]
                if counters:
                    first_line = min(counters) if first_line is None else first_line
                    last_line = max(counters)
                if time.perf_counter() - start >= args.seconds:
                    break
            elapsed = time.perf_counter() - start
        manager.stop_vm("scroll")
        rate = (events - 1) / elapsed
        lines = ((last_line or 0) - (first_line or 0)) / elapsed
        print(f"screen updates while scrolling flat out: {rate:.1f}/s (cap {protocol.SCREEN_HZ}/s,"
              f" ratio {rate / protocol.SCREEN_HZ:.2f}), {rows / max(events, 1):.1f} rows per "
              f"update; guest printed {lines:,.0f} lines/s")
