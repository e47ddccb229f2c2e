"""SIGKILL a writer at random moments of guest writes mixed with snapshot create/apply/delete
(one create in two with a VM state),
commit and rebase on a chain (tests/disks/crash_harness.py): afterwards `qemu-img check` finds
every image clean or only leaking (or dirty, and clean once our open has repaired it), our
repair leaves it clean, and every view — top, each of its snapshots and VM states, both bases — is the
state after the last completed operation or after the one in flight.

The default run has a few hundred kill points; ``XTBOX_CRASH_POINTS=N`` runs N of them
(``XTBOX_CRASH_POINTS=1200 python -m pytest tests/disks/test_crash.py -s`` for the long
run; ``-s`` prints where the kills landed).
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from collections import Counter

import pytest

from disks import open_image
from disks.ops import check_image
from tests.disks import crash_harness as h
from tests.disks.conftest import QEMU_IMG, qemu_check

POINTS = int(os.environ.get("XTBOX_CRASH_POINTS", "200"))
KILLS_PER_SCENARIO = 5
OPS_PER_SCENARIO = 16


def _check_images(folder: str, images: list[str], stats: Counter, where: str) -> bool:
    """qemu-img check (and our repair where needed) on each image; True if one was repaired."""
    repaired = False
    for name in images:
        path = os.path.join(folder, name)
        if h.is_dirty(path):
            stats["dirty, repaired by our open"] += 1
            repaired = True
            open_image(path).close()
            assert not h.is_dirty(path), f"{where}: {name} still dirty after our open"
            if QEMU_IMG:
                r = qemu_check(path)
                assert r.returncode == 0, f"{where}: {name} after our repair:\n{r.stdout}"
            continue
        status = qemu_check(path).returncode if QEMU_IMG else None
        assert status in (None, 0, 3), f"{where}: qemu-img check says {name} is corrupt:\n" \
            + qemu_check(path).stdout
        if status == 3 or status is None:
            result = check_image(path, repair=True)
            assert result.clean, f"{where}: our repair of {name} left {result}"
            repaired = repaired or result.repaired
            if status == 3:
                stats["leaks, repaired"] += 1
                r = qemu_check(path)
                assert r.returncode == 0, f"{where}: {name} after our repair:\n{r.stdout}"
    return repaired


def _one_kill(folder: str, cs: int, ops: list[tuple], states: list[dict], k: int, torn: bool,
              delay: float | None, point: int, stats: Counter) -> None:
    h.make_chain(folder, cs)
    done, _count = h.kill_child(folder, ops, k, torn, delay, point)
    in_flight = ops[done][0] if done < len(ops) else "nothing"
    stats[f"in {in_flight}"] += 1
    where = f"kill point {point} (cluster {cs}, {done} ops done, in {in_flight}, k={k})"
    got, _backing = h.read_views(folder)
    after = states[done + 1] if done < len(ops) else None
    problem = h.mismatch(got, states[done], after, in_flight in ("write", "commit"))
    assert problem is None, f"{where}: {problem}"
    # Only a commit writes the bases (the dry run checked them after each whole scenario).
    images = ["top.qcow2"] + (["base0.qcow2", "base1.qcow2"] if in_flight == "commit" else [])
    if _check_images(folder, images, stats, where):
        again, _backing = h.read_views(folder)
        changed = [name for name in got if again.get(name) != got[name]]
        assert not changed and set(again) == set(got), f"{where}: the repair changed {changed}"


@pytest.fixture
def folder_root(tmp_path):
    """A folder in memory where there is one: a kill is not a power cut, so what the page
    cache holds is what counts, and fsync on a shared disk would only slow the test."""
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        root = tempfile.mkdtemp(prefix="xtbox-crash-", dir="/dev/shm")
        yield root
        shutil.rmtree(root, ignore_errors=True)
    else:
        yield str(tmp_path)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_sigkill_anywhere_leaves_every_view_whole(folder_root):
    stats: Counter = Counter()
    scenarios = -(-POINTS // KILLS_PER_SCENARIO)
    points = 0
    for scen in range(scenarios):
        cs = (512, 4096, 65536)[scen % 3]
        ops = h.scenario(scen, OPS_PER_SCENARIO)
        folder = os.path.join(folder_root, f"scenario{scen}")
        os.mkdir(folder)
        # The dry run: the whole scenario, unkilled, must give the model's final state; it
        # also counts the image writes and syncs the kill points are drawn from.
        bases = h.make_chain(folder, cs)
        t0 = time.monotonic()
        done, total = h.kill_child(folder, ops, 1 << 30, False, None, scen)
        duration = time.monotonic() - t0
        assert done == len(ops)
        states = h.states(cs, bases, ops)
        got, _backing = h.read_views(folder)
        assert h.mismatch(got, states[-1], None, False) is None, f"scenario {scen} unkilled"
        _check_images(folder, ["top.qcow2", "base0.qcow2", "base1.qcow2"], stats,
                      f"scenario {scen} unkilled")
        for j in range(KILLS_PER_SCENARIO):
            if points == POINTS:
                break
            rng = random.Random(points)
            if j == KILLS_PER_SCENARIO - 1 and scen % 2:
                stats["timed"] += 1
                _one_kill(folder, cs, ops, states, 0, False, rng.uniform(0, duration), points,
                          stats)
            else:
                torn = rng.random() < 0.3
                stats["injected, torn write" if torn else "injected"] += 1
                _one_kill(folder, cs, ops, states, rng.randrange(1, total + 1), torn, None,
                          points, stats)
            points += 1
    print(f"\n{points} kill points: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.items())))
    # The kills must land inside every kind of operation, or the test proves little.
    for kind in ("write", "create", "apply", "delete", "commit", "rebase"):
        assert stats[f"in {kind}"] > 0 or POINTS < 100, f"no kill landed in {kind}: {stats}"
