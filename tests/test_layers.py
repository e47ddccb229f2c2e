"""The layers point one way: tui -> tui.control -> engine/disks. The engine and the disks never
import Textual; the TUI's screens and widgets reach the engine only through tui.control (plus
engine.errors and the VM runtime's profiles), never the CPU, chips, BIOS or machine."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MACHINE_INTERNALS = ("engine.cpu", "engine.chips", "engine.bios", "engine.machine",
                     "engine.video", "engine.drives", "engine.bus", "engine.serial")


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def modules(*folders: str) -> list[Path]:
    return sorted(p for f in folders for p in (ROOT / f).rglob("*.py"))


@pytest.mark.parametrize("path", modules("engine", "disks"), ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_and_disks_never_import_textual(path):
    assert not {m for m in imports(path) if m.split(".")[0] in ("textual", "tui")}


UI = [p for p in modules("tui") if p.relative_to(ROOT).parts[1] not in ("control", "cli")]


@pytest.mark.parametrize("path", UI, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_ui_reaches_the_engine_only_through_the_control_layer(path):
    bad = {m for m in imports(path) if m.startswith(MACHINE_INTERNALS)}
    assert not bad, f"{path.name} imports {sorted(bad)}: go through tui.control"
