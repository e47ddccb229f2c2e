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


def test_uart_fifos_and_modem_lines_survive_the_file_format(tmp_path):
    """Through encode/decode (JSON, base64), not only get/set_state: COM1 in loopback
    with bytes in the receive FIFO, modem control lines and an interrupt pending."""
    image = tmp_path / "c.img"
    shutil.copy(COUNTER, image)
    m = Machine(MachineConfig(fda=str(image), deterministic=True, serial=["loopback"]))
    m.run(instructions=50_000)
    out = m.bus.port_write
    out(0x3FB, 0x80, 1)                   # DLAB: 1200 baud
    out(0x3F8, 96, 1)
    out(0x3F9, 0, 1)
    out(0x3FB, 0x03, 1)                   # 8N1
    out(0x3FA, 0xC7, 1)                   # FIFOs on, trigger 14
    out(0x3FC, 0x1B, 1)                   # DTR, RTS, OUT2, internal loopback
    out(0x3F9, 0x0F, 1)                   # every interrupt
    for ch in b"in flight":
        out(0x3F8, ch, 1)
    m.run(instructions=m.cpu.instructions + 3_000)
    before = m.get_state()
    uart = before["devices"]["com1"]
    assert len(uart["rx"]) > 1 and uart["mcr"] == 0x1B and uart["_irq_level"]
    back, _fit = savestate.decode(savestate.encode(before, FIT))
    twin = tmp_path / "twin.img"
    shutil.copy(COUNTER, twin)
    other = Machine(MachineConfig(fda=str(twin), deterministic=True, serial=["loopback"]))
    try:
        other.set_state(back)
        assert other.get_state()["devices"]["com1"] == uart
        target = m.cpu.instructions + 40_000
        for machine in (m, other):
            machine.run(instructions=target)
        assert other.get_state()["devices"]["com1"] == m.get_state()["devices"]["com1"]
        assert other.bus.port_read(0x3FE, 1) == m.bus.port_read(0x3FE, 1)   # modem status
    finally:
        m.close()
        other.close()
