"""The floors only point down: tui -> tui.control -> engine/disks. A VM must run headless,
without Textual; the disks know nothing of the PC; the TUI's screens and widgets reach the
engine only through tui.control (plus engine.errors and the VM runtime's profiles), never the
CPU, chips, BIOS or machine."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"engine": ("tui", "textual"), "disks": ("tui", "textual", "engine")}
MACHINE_INTERNALS = ("engine.cpu", "engine.chips", "engine.bios", "engine.machine",
                     "engine.video", "engine.drives", "engine.bus", "engine.serial")


def _imports(path: Path) -> set[str]:
    """Absolute module names a file imports."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_lower_floors_never_import_upper_ones():
    offenders = []
    for package, banned in FORBIDDEN.items():
        for path in (ROOT / package).rglob("*.py"):
            bad = {m.split(".")[0] for m in _imports(path)} & set(banned)
            if bad:
                offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_the_ui_reaches_the_engine_only_through_the_control_layer():
    offenders = []
    for path in (ROOT / "tui").rglob("*.py"):
        if path.relative_to(ROOT).parts[1] in ("control", "cli"):
            continue
        bad = {m for m in _imports(path) if m.startswith(MACHINE_INTERNALS)}
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []
