"""The saved-state file format (engine/vmm/savestate.py): a whole machine round-trips, and
damage, truncation and a foreign file are named, not misread."""

import shutil
from pathlib import Path

import pytest

from engine.machine import Machine, MachineConfig
from engine.vmm import savestate

COUNTER = Path(__file__).resolve().parents[2] / "guests" / "counter.img"


@pytest.fixture
def state(tmp_path):
    image = tmp_path / "c.img"
    shutil.copy(COUNTER, image)
    m = Machine(MachineConfig(fda=str(image), deterministic=True))
    m.type_text("queued")
    m.run(instructions=200_000)
    yield m.get_state()
    m.close()


FIT = savestate.fit_of(640, "cga", {})


def test_round_trip_keeps_every_byte(tmp_path, state):
    savestate.write(tmp_path, state, FIT)
    back, fit = savestate.read(tmp_path)
    assert back == state and fit == FIT
    assert isinstance(back["devices"]["keyboard"]["queue"], bytes)


@pytest.mark.parametrize("damage", ["truncate", "flip", "foreign", "version"])
def test_damage_is_named(tmp_path, state, damage):
    data = bytearray(savestate.encode(state, FIT))
    if damage == "truncate":
        data = data[:len(data) // 2]
    elif damage == "flip":
        data[len(data) // 2] ^= 0x40
    elif damage == "foreign":
        data[:8] = b"NOTASTAT"
    else:
        data[8] = 9
    (tmp_path / savestate.STATE_FILE).write_bytes(bytes(data))
    want = {"truncate": "damaged or truncated", "flip": "damaged or truncated",
            "foreign": "not an xtbox saved state", "version": "format version 9"}[damage]
    with pytest.raises(savestate.StateError, match=want):
        savestate.read(tmp_path)


def test_misfit_names_each_change(tmp_path):
    disk = tmp_path / "c.qcow2"
    disk.write_bytes(b"x")
    saved = savestate.fit_of(640, "cga", {"hda": str(disk)})
    now = savestate.fit_of(512, "mda", {"hdb": str(disk)}, mouse="com1")
    assert savestate.misfit(saved, now) == [
        "memory 640 KiB -> 512 KiB", "display adapter cga -> mda", "mouse none -> com1",
        f"hard disk hda removed (was {disk})", f"hard disk hdb added ({disk})"]
    assert savestate.misfit(saved, saved) == []


def test_a_hard_disk_resized_at_the_same_path_is_named(tmp_path):
    from disks import create_image
    disk = tmp_path / "c.qcow2"
    create_image(disk, 2 << 20)
    saved = savestate.fit_of(640, "cga", {"hda": str(disk)})
    disk.unlink()
    create_image(disk, 4 << 20)                  # another disk where the first one was
    assert savestate.misfit(saved, savestate.fit_of(640, "cga", {"hda": str(disk)})) == [
        f"hard disk hda {disk} resized from 2,097,152 to 4,194,304 bytes"]
    # The file growing as the guest writes is no change of the machine.
    from disks import open_image
    with open_image(disk) as img:
        img.write(0, b"x" * 300_000)
    grown = savestate.fit_of(640, "cga", {"hda": str(disk)})
    assert savestate.misfit(savestate.fit_of(640, "cga", {"hda": str(disk)}), grown) == []


def test_device_set_changes_are_named():
    assert savestate.device_misfit({"pic": {}, "mouse": {}}, ["pic", "lpt1"]) == [
        "device lpt1 added", "device mouse removed"]
    assert savestate.device_misfit({"pic": {}}, ["pic"]) == []
