"""Running one of our guests in this process, with its debug console (port E9h) collected:
for tests that drive a device (the mouse, the speaker's keys) while the guest runs."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from engine.machine import Machine, MachineConfig

HERE = Path(__file__).parent
class GuestRun:
    """``with GuestRun(tmp_path, "mouse_lab", mouse="com1") as g: g.wait_for("mouse: ")``"""

    def __init__(self, tmp_path: Path, guest: str, *, steady: bool = False, **config) -> None:
        image = tmp_path / f"{guest}.img"
        shutil.copy(HERE / f"{guest}.img", image)
        self.output = bytearray()
        self._lock = threading.Condition()
        if steady:
            # Guest time from instructions alone, paced at XT speed: a guest timing itself
            # measures what it meant however loaded (or descheduled) the host is.
            config.setdefault("speed", "xt")
            config["deterministic"] = True
        self.machine = Machine(MachineConfig(fda=str(image), **config))
        self.machine.debug_out = self._collect
        self.status: int | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _collect(self, data: bytes) -> None:
        with self._lock:
            self.output += data
            self._lock.notify_all()

    def _run(self) -> None:
        self.status = self.machine.run(max_seconds=60)
        with self._lock:
            self._lock.notify_all()

    def __enter__(self) -> GuestRun:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.machine.stop()
        self._thread.join(10)
        self.machine.close()

    @property
    def text(self) -> str:
        return self.output.decode("latin-1")

    def wait_for(self, needle: str, timeout: float = 20.0, start: int = 0) -> int:
        """Index in the output just after ``needle`` (searched from ``start``)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                i = self.text.find(needle, start)
                if i >= 0:
                    return i + len(needle)
                left = deadline - time.monotonic()
                if left <= 0 or (self.status is not None):
                    raise AssertionError(f"{needle!r} not in the guest's output: {self.text!r}")
                self._lock.wait(min(left, 0.1))

    def wait_end(self, timeout: float = 20.0) -> int:
        self._thread.join(timeout)
        assert self.status is not None, f"the guest did not finish: {self.text!r}"
        return self.status
