"""The files a running VM leaves in its folder, and how anyone tells whether it still runs.

    control.sock   the control socket (owner-only), present while the VM runs
    vm.pid         JSON {pid, supervisor, started, temporary}: written when the VM is up
    last-run.json  JSON {state, reason, ended}: how the last run ended (written at exit by
                   the VM, or by its supervisor when the VM process died)
    vm.log         the VM process's log (stderr), appended to

A VM killed with SIGKILL cleans nothing up, so every reader checks the pid against the
process table and treats a dead one as "crashed" (and removes the stale files).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

SOCKET = "control.sock"
PIDFILE = "vm.pid"
LAST_RUN = "last-run.json"
LOG = "vm.log"
LOCK = "vm.lock"


def read_json(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def write_json(path: Path, value: dict) -> None:
    from engine.vmm.profile import atomic_write
    atomic_write(path, (json.dumps(value, indent=1) + "\n").encode())


def pid_alive(pid: int) -> bool:
    """Alive and one of ours (pids are reused: check the command line too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[-1].split()[0]
    except OSError:
        return True                      # no /proc: trust kill(0)
    return state != b"Z" and b"engine.vmm" in cmdline


def running_pid(folder: Path) -> int | None:
    info = read_json(folder / PIDFILE)
    if not info or not isinstance(info.get("pid"), int):
        return None
    return info["pid"] if pid_alive(info["pid"]) else None


def record_end(folder: Path, state: str, reason: str) -> None:
    write_json(folder / LAST_RUN, {"state": state, "reason": reason, "t": time.time(),
                                   "ended": time.strftime("%Y-%m-%dT%H:%M:%S%z")})


def last_run(folder: Path) -> dict:
    return read_json(folder / LAST_RUN) or {"state": "poweroff", "reason": None}


def clean_stale(folder: Path) -> bool:
    """Remove the socket and pid file of a VM process that is gone. True if it had crashed
    without telling anyone (no supervisor record newer than its start)."""
    info = read_json(folder / PIDFILE)
    if info is None:
        for name in (SOCKET,):
            _unlink(folder / name)
        return False
    if isinstance(info.get("pid"), int) and pid_alive(info["pid"]):
        return False
    sup = info.get("supervisor")
    if isinstance(sup, int) and sup != info.get("pid") and pid_alive(sup):
        return False                     # the supervisor is still writing its record
    ended = last_run(folder)
    if not isinstance(ended.get("t"), float) or ended["t"] < info.get("t", 0.0):
        record_end(folder, "crashed", f"the VM process (pid {info.get('pid')}) ended without "
                   "powering off and no supervisor recorded why")
    _unlink(folder / SOCKET)
    _unlink(folder / PIDFILE)
    return True


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
