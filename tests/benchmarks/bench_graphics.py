"""CGA graphics: the console's render cost, the frame rate a client receives, the TUI's CPU.

    python -m tests.benchmarks graphics [--renders N] [--seconds S]

Render: the half-block renderer (tui/widgets/graphics_view.py) at 100x32 applying a frame
in which every line changed, against one in which a single line did (the ratio is what
sending only changed lines buys); the same for the kitty renderer (PNG of the frame). Rate: a VM booting workload/animate.img refills video
memory flat out in mode 4 (every line of every frame differs); a subscriber counts graphics
events per second against the protocol's cap (SCREEN_HZ) and the bytes each costs. TUI CPU:
the real console (`xtbox vm start` on a pty) showing that animation, against the same TUI
with the demo VM idle at its prompt in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import select
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from engine.chips.cga import CGA
from engine.vmm import protocol
from engine.vmm.screen_feed import ScreenFeed
from tests.benchmarks.support import cpu_seconds, end_process, private_home

ANIMATE = Path(__file__).parent / "workload" / "animate.img"
ROOT = Path(__file__).resolve().parents[2]


def frames(n: int):
    """n successive updates of the CGA feed: alternately every line new and one line new."""
    cga = CGA()
    cga.write(0x3D8, 0x0A)
    cga.write(0x3D9, 0x30)
    mem = bytearray(0x100000)
    feed = ScreenFeed()
    yield "first", feed.update(cga.screen(mem))
    for i in range(n):
        mem[0xB8000:0xBC000] = bytes([(i * 37 + k) & 0xFF for k in range(256)]) * 64
        yield "full", feed.update(cga.screen(mem))
        mem[0xB8000 + 80 * 20 + i % 80] ^= 0xFF
        yield "one", feed.update(cga.screen(mem))


async def render_times(n: int, renderer: str = "halfblocks") -> tuple[list[float], list[float]]:
    """Kitty: apply() is the whole cost (expand, PNG, base64, escapes); no row repaints."""
    from textual.app import App, ComposeResult

    from tui.widgets.graphics_view import GraphicsView

    class Host(App):
        CSS = "GraphicsView { display: block; }"

        def compose(self) -> ComposeResult:
            view = GraphicsView(renderer=renderer)
            view.emit = self.sent.append
            yield view

    Host.sent = []

    app = Host()
    times: dict[str, list[float]] = {"full": [], "one": []}
    async with app.run_test(size=(100, 32)) as pilot:
        view = app.query_one(GraphicsView)
        await pilot.pause()
        for kind, update in frames(n):
            t = time.perf_counter()
            view.apply(update)                      # decode, expand, rebuild touched rows
            if renderer == "kitty":
                pass
            elif kind == "full":                      # then the compositor asks for them
                for y in range(view.size.height):
                    view.render_line(y)
            elif kind == "one":
                view.render_line(min(view._rows_of.get(20, {0})))   # the row of line 20
            if kind in times:
                times[kind].append(time.perf_counter() - t)
    return times["full"], times["one"]


def client_rate(seconds: float) -> tuple[float, float]:
    from tui.control import manager
    manager.create_vm("anim", fda=str(ANIMATE), boot="a")
    manager.start_vm("anim", temporary=True)
    events = size = 0
    with manager.connect("anim", timeout=None) as c:
        start = None
        for event in c.subscribe(("screen",)):
            if not event["data"].get("graphics"):
                continue
            if start is None:                       # from the first graphics frame on
                start = time.perf_counter()
                continue
            events += 1
            size += len(json.dumps(event))
            if time.perf_counter() - start >= seconds:
                break
        elapsed = time.perf_counter() - start
    manager.stop_vm("anim")
    return events / elapsed, size / max(events, 1)


def tui_cpu(name: str, seconds: float, **create) -> float:
    """The console's CPU share over ``seconds`` with VM ``name`` on a 100x32 pty."""
    from tui.control import manager
    manager.create_vm(name, **create)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 32, 100, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
    proc = subprocess.Popen([sys.executable, "-m", "tui.cli", "vm", "start", name],
                            cwd=ROOT, stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True)
    os.close(slave)

    def drain(until: float) -> int:
        total = 0
        while time.monotonic() < until:
            if select.select([master], [], [], 0.05)[0]:
                try:
                    total += len(os.read(master, 1 << 16))
                except OSError:
                    break
        return total
    try:
        drain(time.monotonic() + 4)                 # boot, the first frames
        t0, c0 = time.monotonic(), cpu_seconds(proc.pid)
        drain(t0 + seconds)
        return (cpu_seconds(proc.pid) - c0) / (time.monotonic() - t0)
    finally:
        end_process(proc)
        os.close(master)
        manager.stop_vm(name)


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m tests.benchmarks graphics")
    ap.add_argument("--renders", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args(argv)
    full, one = asyncio.run(render_times(args.renders))
    mf, mo = statistics.median(full) * 1e3, statistics.median(one) * 1e3
    print(f"graphics render (half blocks, 100x32): full frame median {mf:.2f} ms; one line "
          f"{mo:.3f} ms; ratio {mf / mo:.1f}x over {args.renders} updates each")
    full, one = asyncio.run(render_times(args.renders, "kitty"))
    kf, ko = statistics.median(full) * 1e3, statistics.median(one) * 1e3
    print(f"graphics render (kitty PNG, 100x32): full frame median {kf:.2f} ms; one line "
          f"{ko:.2f} ms (the whole frame is sent either way); against half blocks' full "
          f"frame {kf / mf:.2f}x")
    with private_home("anim", "idle", "anim-tui"):
        rate, size = client_rate(args.seconds)
        print(f"graphics frames while the guest animates flat out: {rate:.1f}/s (cap "
              f"{protocol.SCREEN_HZ}/s, ratio {rate / protocol.SCREEN_HZ:.2f}), "
              f"{size / 1024:.1f} KiB an event (every line changed)")
        idle = tui_cpu("idle", args.seconds, demo=True)
        busy = tui_cpu("anim-tui", args.seconds, fda=str(ANIMATE), boot="a")
        print(f"TUI CPU while the guest animates: {busy * 100:.1f}% of a core; with the demo "
              f"VM idle at its prompt {idle * 100:.1f}%; ratio {busy / max(idle, 1e-3):.1f}x")
