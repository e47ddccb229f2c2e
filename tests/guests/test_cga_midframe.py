"""Mid-frame register changes through the whole PC: our guest (cga_midframe.asm) counts scan
lines on the status register and rewrites the mode and colour registers (and the CRTC start
address) at fixed lines of every frame; the displayed frame, sampled at any moment, must be
the image derived here from the guest's definitions, line for line and dot for dot."""

import shutil
from pathlib import Path

import pytest

from engine.machine import Machine, MachineConfig
from engine.screenshot import screen_png
from tests.guests.test_cga_scenes import read_png

HERE = Path(__file__).parent
PALETTE_0, PALETTE_1, BURST_OFF = (2, 4, 6), (3, 5, 7), (3, 4, 7)


def memory_byte(line: int, c: int, start_row: int = 0) -> int:
    """The byte the guest wrote for scan line ``line`` (bank line % 2, CRTC row line // 2)."""
    bank, row = line % 2, line // 2 + start_row
    return (5 * c + 3 * bank + row) & 0xFF


def expected_frame() -> list[list[int]]:
    """640 dots a line: the 320-dot lines drawn two dots a dot (the frame mixes widths)."""
    rows = []
    for y in range(200):
        if y < 50:
            bpp, pal = 2, (1, *PALETTE_0)
        elif y < 100:
            bpp, pal = 2, (4, *(c + 8 for c in PALETTE_1))
        elif y < 150:
            bpp, pal = 1, (0, 14)
        elif y < 180:
            bpp, pal = 2, (2, *BURST_OFF)
        else:
            rows.append([0] * 640)
            continue
        dots = []
        for c in range(80):
            value = memory_byte(y, c)
            for k in range(8 // bpp):
                dot = pal[(value >> (8 - bpp * (k + 1))) & ((1 << bpp) - 1)]
                dots += [dot] * (2 if bpp == 2 else 1)
        rows.append(dots)
    return rows


@pytest.fixture
def machine(tmp_path):
    image = tmp_path / "midframe.img"
    shutil.copy(HERE / "cga_midframe.img", image)
    m = Machine(MachineConfig(fda=str(image), deterministic=True))
    out = bytearray()
    m.debug_out = out.extend
    m.said = out
    yield m
    m.close()


def test_each_line_shows_the_registers_in_force_when_the_beam_drew_it(machine):
    expected = expected_frame()
    machine.run(instructions=250_000)
    assert b"R\n" in machine.said, bytes(machine.said)
    # Three samples at unrelated moments of the frame: the beam shows the same picture.
    for step in (0, 1_733, 2_917):
        machine.run(instructions=machine.cpu.instructions + step)
        width, height, rows, _plte = read_png(screen_png(machine.screen()))
        assert (width, height) == (640, 200)
        bad = [(y, x, rows[y][x], expected[y][x]) for y in range(200) for x in range(640)
               if rows[y][x] != expected[y][x]]
        assert not bad, f"{len(bad)} dots differ at step {step}, first (y, x, got, " \
            f"expected): {bad[:5]}"


def test_a_saved_machine_shows_the_same_mid_frame_picture(machine, tmp_path):
    """The beam log is part of the CGA's state: a machine resumed from the saved-state file
    shows the frame as the saved one did, and runs on into the same frames."""
    from engine.vmm import savestate
    machine.run(instructions=250_000)
    before = screen_png(machine.screen())
    state, _fit = savestate.decode(savestate.encode(machine.get_state(), {}))
    image = tmp_path / "resumed.img"
    shutil.copy(HERE / "cga_midframe.img", image)
    resumed = Machine(MachineConfig(fda=str(image), deterministic=True))
    try:
        assert screen_png(resumed.screen()) != before
        resumed.set_state(state)
        assert screen_png(resumed.screen()) == before
        for m in (machine, resumed):
            m.run(instructions=m.cpu.instructions + 7_001)
        assert screen_png(resumed.screen()) == screen_png(machine.screen())
        width, _h, rows, _p = read_png(screen_png(resumed.screen()))
        assert rows == expected_frame()
    finally:
        resumed.close()
