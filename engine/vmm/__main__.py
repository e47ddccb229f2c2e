"""``python -m engine.vmm FOLDER [--temporary]``: the supervisor of one VM process.

It holds the VM's lock (so a second start of the same VM fails clearly), runs the worker
(engine/vmm/process.py) as its child and waits. A worker killed by a signal or dying of an
emulator bug cannot record anything itself, so the supervisor does: the reason ("killed by
SIGKILL", the last line of its log), the cleanup of the stale socket, pid file and temporary
overlays. Managers started the supervisor in its own session, so it outlives them.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from engine.vmm import runstate
from engine.vmm.launch import child_env, vmm_command


def _log_tail(folder: Path) -> str:
    try:
        with open(folder / runstate.LOG, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 4096))
            lines = [ln for ln in f.read().decode(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1].strip() if lines else ""


def supervise(folder: Path, temporary: bool) -> int:
    lock = open(folder / runstate.LOCK, "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        print(f"xtbox: error: VM in {folder} is already running", file=sys.stderr)
        return 3
    runstate.clean_stale(folder)
    started = time.time()
    cmd = vmm_command(folder, "--worker", *(["--temporary"] if temporary else []))
    worker = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, cwd=folder, env=child_env())

    def forward(signum: int, _frame: object) -> None:
        try:
            worker.send_signal(signum)
        except OSError:
            pass

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    code = worker.wait()
    ended = runstate.last_run(folder)
    recorded = isinstance(ended.get("t"), float) and ended["t"] >= started
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ \
            else f"signal {-code}"
        runstate.record_end(folder, "crashed", f"the VM process (pid {worker.pid}) was "
                            f"killed by {name}")
    elif code != 0 and not recorded:
        tail = _log_tail(folder)
        runstate.record_end(folder, "crashed", f"the VM process (pid {worker.pid}) exited "
                            f"with status {code}" + (f": {tail}" if tail else ""))
    for name in (runstate.SOCKET, runstate.PIDFILE):
        runstate._unlink(folder / name)
    shutil.rmtree(folder / f".temporary-{worker.pid}", ignore_errors=True)
    return code if code >= 0 else 128 - code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.vmm")
    parser.add_argument("folder")
    parser.add_argument("--temporary", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    folder = Path(args.folder).resolve()
    if args.worker:
        from engine.vmm.process import main as worker_main
        return worker_main(str(folder), temporary=args.temporary)
    return supervise(folder, args.temporary)


if __name__ == "__main__":
    sys.exit(main())
