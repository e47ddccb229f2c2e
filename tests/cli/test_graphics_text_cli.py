"""Text in CGA graphics modes through the real CLI: `xtbox vm expect` waits for what our
guest (tests/guests/cga_text.asm) prints with the BIOS in modes 4 and 6, and a text
screenshot shows it where it was drawn, the picture beside it read as blanks."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli.test_vm_cli import home, xtbox  # noqa: F401  (home is a fixture)

GUESTS = Path(__file__).resolve().parents[1] / "guests"


def test_expect_and_text_screenshot_read_bios_text_in_modes_4_and_6(home, tmp_path):  # noqa: F811
    image = tmp_path / "text.img"
    shutil.copy(GUESTS / "cga_text.img", image)
    xtbox("vm", "create", "gt", "--fda", str(image))
    xtbox("vm", "start", "gt", "--headless")
    try:
        xtbox("vm", "expect", "gt", "MODE 4 HELLO", "--timeout", "30")
        lines = xtbox("vm", "screenshot", "gt").stdout.split("\n")
        assert lines[5] == "   MODE 4 HELLO" and lines[6] == "ZZZ"
        assert all(line == "" for i, line in enumerate(lines[:25]) if i not in (5, 6))
        png = xtbox("vm", "screenshot", "gt", "--format", "png", "-o", str(tmp_path / "s.png"))
        assert png.returncode == 0 and (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"
        xtbox("vm", "type", "gt", " ")
        xtbox("vm", "expect", "gt", "MODE 6 WORLD", "--timeout", "30")
        lines = xtbox("vm", "screenshot", "gt").stdout.split("\n")
        assert lines[12] == " " * 60 + "MODE 6 WORLD"
        assert "MODE 4" not in "\n".join(lines)
        gone = xtbox("vm", "expect", "gt", "HELLO", "--timeout", "0.5", check=False)
        assert gone.returncode == 1
    finally:
        xtbox("vm", "stop", "gt", check=False)
