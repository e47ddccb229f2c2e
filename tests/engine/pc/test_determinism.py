"""Deterministic mode: time from instructions only, so a machine saved at instruction N and
restored runs to M exactly as one that never stopped (RAM, registers, devices, screen)."""

import shutil
from pathlib import Path

import pytest

from engine.demo import demo_disk_path
from engine.machine import Machine, MachineConfig

GUESTS = Path(__file__).resolve().parents[2] / "guests"


def machine(image: Path) -> Machine:
    return Machine(MachineConfig(fda=str(image), deterministic=True))


def observed(m: Machine) -> tuple:
    state = m.get_state()
    return (state["cpu"], state["ram"], state["devices"], state["clock"],
            m.text_screen().text_lines())


def run_to(image: Path, count: int, keys: str, key_at: int) -> Machine:
    """A fresh machine run to instruction ``count``, ``keys`` typed at ``key_at``."""
    m = machine(image)
    if keys:
        m.run(instructions=key_at)
        m.type_text(keys)
    m.run(instructions=count)
    return m


def replay_matches(image: Path, n: int, total: int, keys: str = "", key_at: int = 0) -> tuple:
    """(observed after an uninterrupted run to ``total``, observed after a run to ``n``,
    saved, restored in a new machine, run to ``total``; the saved state). ``keys`` are
    typed at instruction ``key_at`` in both."""
    straight = run_to(image, total, keys, key_at)
    want = observed(straight)
    straight.close()
    first = run_to(image, n, keys, key_at)
    saved = first.get_state()
    first.close()
    second = machine(image)
    try:
        second.set_state(saved)
        second.run(instructions=total)
        got = observed(second)
    finally:
        second.close()
    return want, got, saved


def counter(tmp_path: Path, name: str = "counter.img") -> Path:
    image = tmp_path / name               # never the committed image: drives open writable
    shutil.copy(GUESTS / "counter.img", image)
    return image


def test_counting_guest_replays_exactly_from_a_saved_state(tmp_path):
    want, got, _ = replay_matches(counter(tmp_path), 400_000, 900_000)
    assert got[0] == want[0]                       # registers
    assert got[1] == want[1]                       # all of RAM
    assert got[2] == want[2] and got[3] == want[3]
    assert got[4] == want[4] and got[4][1] != "count 0000000000"


def test_demo_shell_with_keys_in_flight_replays_exactly(tmp_path):
    overlay = tmp_path / "demo.qcow2"
    from disks import create_image
    create_image(overlay, backing=str(demo_disk_path()), allow_outside_backing=True)
    # The shell is at its prompt after 5,000 instructions; the save falls while the typed
    # keys are still queued on the host side.
    want, got, saved = replay_matches(overlay, 8_500, 40_000, keys="echo replay\nmem\n",
                                      key_at=8_000)
    assert saved["devices"]["keyboard"]["queue"]
    assert got == want
    assert "replay" in want[4] and any("KiB" in line for line in want[4])


def test_same_inputs_same_run(tmp_path):
    a, b = machine(counter(tmp_path, "a.img")), machine(counter(tmp_path, "b.img"))
    try:
        a.run(instructions=250_000)
        b.run(instructions=250_000)
        assert observed(a) == observed(b)
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("mode", ["1", "2", "3", "4", "6"])
def test_a_guest_waiting_without_hlt_replays_exactly(tmp_path, mode):
    """The idle_waits guest polling INT 16h, calling INT 28h/2Fh or watching the tick count
    (engine/idle.py would find each idle): in deterministic mode a replay from a state saved
    mid-wait ends exactly as the uninterrupted run (before, the detector's time skips fell at
    slice ends, which a restored run places elsewhere)."""
    image = tmp_path / "idle_waits.img"
    shutil.copy(GUESTS / "idle_waits.img", image)
    want, got, _ = replay_matches(image, 400_000, 1_500_000, keys=mode, key_at=100_000)
    assert got[0] == want[0]                       # registers
    assert got[1] == want[1]                       # all of RAM
    assert got[2:] == want[2:]
