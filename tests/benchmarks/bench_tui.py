"""The console's cost and responsiveness.

    python -m tests.benchmarks tui [--renders N] [--keys N] [--idle-seconds S]

1. Render time of the console widget (Textual's Line API): a screen update changing all 25
   rows, and one changing a single row — the widget's work (the update applied, then every
   line Textual asks for redrawn), median of N, with the full-screen/one-row ratio.
2. Keystroke -> guest -> screen: in the real app (headless) on a real demo VM process, a key
   event posted to the app as the terminal driver posts it goes over the control socket to
   the guest, whose echo comes back as a screen event and changes the console widget. Median and p95 of N keys, against the
   control socket's bare `status` round trip measured in the same run.
3. Idle CPU of the TUI: `xtbox vm start demo` (the console) in a pseudo-terminal, the guest
   at its prompt; the TUI process's CPU time over S seconds (target: under 5% of a core),
   next to the VM process's own idle cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.benchmarks.support import cpu_seconds, end_process, private_home

ROOT = Path(__file__).resolve().parents[2]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def screen_update(rows: range, salt: int) -> dict:
    lines = {}
    for r in rows:
        text = f"{salt:6d} row {r:2d} " * 6
        lines[str(r)] = [[ord(c), 0x07 + ((r + salt) % 7) * 0x10] for c in text[:80]]
    return {"cols": 80, "rows": 25, "lines": lines, "cursor": [24, 0, True, 6, 7]}


async def render_times(n: int) -> tuple[list[float], list[float]]:
    from textual.app import App, ComposeResult

    from tui.widgets.console_view import ConsoleView

    class Host(App):
        def compose(self) -> ComposeResult:
            yield ConsoleView()

    app = Host()
    full, one = [], []
    async with app.run_test(size=(82, 27)) as pilot:
        view = app.query_one(ConsoleView)
        view.focus()
        await pilot.pause()
        for i in range(n):
            for rows, out in ((range(25), full), (range(12, 13), one)):
                data = screen_update(rows, i)
                t = time.perf_counter()
                view.apply(data)
                for r in data["lines"]:
                    view.render_line(int(r))
                out.append(time.perf_counter() - t)
    return full, one


async def key_round_trips(n: int) -> tuple[list[float], list[float]]:
    from textual import events

    from tests.tui.conftest import wait_for
    from tui.app import XtboxApp
    from tui.control import manager
    from tui.widgets.console_view import ConsoleView

    manager.create_vm("keys", demo=True)
    manager.start_vm("keys")
    manager.expect("keys", "xtbox>")
    with manager.connect("keys") as c:
        status = []
        for _ in range(200):
            t = time.perf_counter()
            c.call("status")
            status.append(time.perf_counter() - t)
    app = XtboxApp(console="keys")
    trips = []
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConsoleScreen")
        view = app.screen.query_one(ConsoleView)
        await wait_for(pilot, lambda: any("xtbox>" in ln for ln in view.text_lines()))
        await pilot.pause(0.5)

        def prompt_line() -> str:
            row = view.cursor[0]
            return view.text_lines()[row] if 0 <= row < len(view.text_lines()) else ""

        for i in range(n):
            key, char = ("x", "x") if i % 2 == 0 else ("backspace", "\b")
            before = prompt_line()
            t = time.perf_counter()
            app.post_message(events.Key(key, char))      # as the terminal driver delivers it
            while prompt_line() == before:
                await asyncio.sleep(0.0005)
                if time.perf_counter() - t > 5:
                    raise RuntimeError(f"no echo for key {key!r}")
            trips.append(time.perf_counter() - t)
            await pilot.pause(0.05)
    manager.stop_vm("keys")
    return trips, status


def idle_cpu(seconds: float) -> tuple[float, float]:
    import fcntl
    import struct
    import termios

    from tui.control import manager
    manager.create_vm("idle", demo=True)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 32, 100, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
    proc = subprocess.Popen([sys.executable, "-m", "tui.cli", "vm", "start", "idle"],
                            cwd=ROOT, stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True)
    os.close(slave)
    drained = bytearray()

    def drain(until: float) -> None:
        import select
        while time.monotonic() < until:
            if select.select([master], [], [], 0.05)[0]:
                try:
                    drained.extend(os.read(master, 65536))
                except OSError:
                    return
    try:
        drain(time.monotonic() + 3)                    # boot to the prompt, first frames
        manager.expect("idle", "xtbox>")
        drain(time.monotonic() + 1)
        vm_pid = manager.vm_info("idle").pid
        tui0, vm0, t0 = cpu_seconds(proc.pid), cpu_seconds(vm_pid), time.monotonic()
        drain(t0 + seconds)
        wall = time.monotonic() - t0
        tui = (cpu_seconds(proc.pid) - tui0) / wall
        vm = (cpu_seconds(vm_pid) - vm0) / wall
    finally:
        end_process(proc)
        os.close(master)
        manager.stop_vm("idle")
    return tui, vm


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m tests.benchmarks tui")
    ap.add_argument("--renders", type=int, default=300)
    ap.add_argument("--keys", type=int, default=60)
    ap.add_argument("--idle-seconds", type=float, default=10.0)
    args = ap.parse_args(argv)
    with private_home("keys", "idle"):
        full, one = asyncio.run(render_times(args.renders))
        mf, mo = statistics.median(full) * 1e3, statistics.median(one) * 1e3
        print(f"console render: full screen (25 rows) median {mf:.2f} ms (p95 "
              f"{p95(full) * 1e3:.2f}); one row {mo:.3f} ms (p95 {p95(one) * 1e3:.3f}); "
              f"ratio {mf / mo:.1f}x over {args.renders} updates")
        trips, status = asyncio.run(key_round_trips(args.keys))
        mt, ms = statistics.median(trips) * 1e3, statistics.median(status) * 1e3
        print(f"key -> guest -> console: median {mt:.1f} ms, p95 {p95(trips) * 1e3:.1f} ms "
              f"over {len(trips)} keys; bare status round trip {ms:.2f} ms "
              f"(ratio {mt / ms:.0f}x)")
        tui, vm = idle_cpu(args.idle_seconds)
        print(f"idle: TUI process {tui * 100:.1f}% of a core (target < 5%), VM process "
              f"{vm * 100:.1f}%, guest at its prompt, over {args.idle_seconds:.0f} s")
