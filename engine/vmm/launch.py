"""How a VM process is started: ``python -m engine.vmm`` without the caller's folder on
``sys.path``.

``python -m`` puts the current folder first on ``sys.path``. Started from the checkout (or any
folder holding an ``engine/``, ``disks/`` or ``tui/``), the VM would import that uncompiled
source tree instead of the installed package and die on ``engine.cpu.core``. So every VM
process runs with ``-P`` (Python 3.11+: no unsafe path prepended) and, for older Pythons and
belt and braces, in the VM's own folder, which xtbox owns and which holds no packages. The
package itself is found through ``PYTHONPATH`` pointing at the caller's own copy (see
``child_env``), so the VM runs exactly the xtbox that started it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def vmm_command(folder: Path, *args: str) -> list[str]:
    """The argv of ``python -m engine.vmm FOLDER ARGS``, safe from the current folder."""
    safe = ["-P"] if sys.version_info >= (3, 11) else []
    return [sys.executable, *safe, "-m", "engine.vmm", str(folder), *args]


def child_env() -> dict[str, str]:
    """The environment of a VM process: this copy of xtbox first on its path."""
    env = dict(os.environ)
    root = str(PACKAGE_ROOT)
    rest = env.get("PYTHONPATH")
    env["PYTHONPATH"] = root + (os.pathsep + rest if rest else "")
    return env
