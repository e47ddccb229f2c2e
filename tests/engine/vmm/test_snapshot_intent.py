"""VM snapshots across several disks stay all or none when the process taking, restoring or
deleting them is killed at any of its image writes (engine/vmm/snapshot_intent.py)."""

from __future__ import annotations

import json
import os
import random
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from disks import create_image, open_image
from disks.qcow2 import snapshot as qs
from tests.disks.conftest import QEMU_IMG, qemu_check
from tests.disks.crash_harness import _Killer, fork_call

ROOT = Path(__file__).resolve().parents[3]
DISKS = ("hda", "hdb")
KILLS = 18                       # per action; each is a fork and a few small images


@pytest.fixture
def vm(tmp_path, monkeypatch):
    """A powered-off VM with two qcow2 hard disks, snapshot "old" on both."""
    monkeypatch.setenv("XTBOX_HOME", str(tmp_path / "home"))
    from tui.control import vms
    paths = {}
    for i, d in enumerate(DISKS):
        paths[d] = tmp_path / f"{d}.qcow2"
        create_image(paths[d], 1 << 20, cluster_size=4096)
        with open_image(paths[d]) as img:
            img.write(0, bytes([0x10 + i]) * 8192)
            qs.create_snapshot(img, "old")
            img.write(0, bytes([0x20 + i]) * 8192)
    vms.create_vm("v", hda=str(paths["hda"]), hdb=str(paths["hdb"]))
    return {d: str(p) for d, p in paths.items()}


def _run(action: str, k: int) -> tuple[bool, int]:
    """Run the VM snapshot action in a child killed at its k-th image write or sync;
    returns (whether it finished, the writes and syncs it counted)."""
    def work(w: int) -> None:
        from tui.control import snapshots
        killer = _Killer(k, torn=False, rng=random.Random(k))
        killer.install()
        {"take": lambda: snapshots.take_snapshot("v", "new"),
         "restore": lambda: snapshots.restore_snapshot("v", "old"),
         "delete": lambda: snapshots.delete_snapshot("v", "old")}[action]()
        os.write(w, struct.pack("<I", killer.count))

    failed, raw = fork_call(work)
    assert not failed, "the child failed"
    return bool(raw), (struct.unpack("<I", raw)[0] if raw else 0)


def _state(paths: dict) -> list[tuple[tuple[str, ...], bytes]]:
    out = []
    for d in DISKS:
        with open_image(paths[d], readonly=True) as img:
            out.append((tuple(s.name for s in img.snapshots), img.read(0, 8192)))
    return out


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
@pytest.mark.parametrize("action", ["take", "restore", "delete"])
def test_killed_vm_snapshot_leaves_all_disks_or_none(vm, tmp_path, action):
    from tui.control import snapshots
    pristine = {d: Path(p).read_bytes() for d, p in vm.items()}
    before = _state(vm)
    finished, total = _run(action, 1 << 30)          # the dry run counts the kill points
    assert finished and total > 4
    after = _state(vm)
    assert after != before
    outcomes = set()
    for point in range(KILLS):
        for d, p in vm.items():
            Path(p).write_bytes(pristine[d])
        k = 1 + point * (total - 1) // (KILLS - 1)      # from the first to the last
        _run(action, k)
        snapshots.list_snapshots("v")             # the next use finishes the operation
        got = _state(vm)
        assert got in (before, after), f"{action} killed at {k}/{total}: {got}"
        outcomes.add(got == after)
        assert not (Path(os.environ["XTBOX_HOME"]) / "vms" / "v" /
                    "snapshot-intent.json").exists()
        if QEMU_IMG:
            for p in vm.values():
                r = qemu_check(p)
                assert r.returncode == 0, f"{action} killed at {k}/{total}: {r.stdout}"
    assert outcomes == {True, False}, "the kills should land on both sides of the switch"


def test_vm_start_finishes_an_interrupted_take(vm, tmp_path):
    """A take killed between the disks: the VM's own start rolls it back, and says so."""
    folder = Path(os.environ["XTBOX_HOME"]) / "vms" / "v"
    with open_image(vm["hda"]) as img:
        qs.create_snapshot(img, "half")
    (folder / "snapshot-intent.json").write_text(json.dumps(
        {"action": "take", "name": "half", "disks": [vm["hda"], vm["hdb"]]}))
    env = dict(os.environ, PYTHONPATH=str(ROOT))

    def xtbox(*args):
        return subprocess.run([sys.executable, "-m", "tui.cli", *args], cwd=ROOT, env=env,
                              text=True, capture_output=True, timeout=60)

    try:
        assert xtbox("vm", "start", "v", "--headless").returncode == 0
        deadline = time.monotonic() + 30
        listed = None
        while time.monotonic() < deadline:
            listed = xtbox("vm", "snapshot", "v", "list", "--json")
            if listed.returncode == 0:
                break
            time.sleep(0.2)
        assert "half" not in listed.stdout and "old" in listed.stdout
    finally:
        xtbox("vm", "stop", "v")
        pid_file = folder / "vm.pid"
        if pid_file.exists():
            try:
                os.kill(json.loads(pid_file.read_text())["pid"], signal.SIGKILL)
            except (OSError, ValueError, KeyError):
                pass
    assert not (folder / "snapshot-intent.json").exists()
    assert "rolled back" in (folder / "vm.log").read_text()
    with open_image(vm["hda"], readonly=True) as img:
        assert [s.name for s in img.snapshots] == ["old"]
