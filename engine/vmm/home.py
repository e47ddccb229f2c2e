"""Where xtbox keeps its VMs and settings: one data folder, overridable for tests and scripts.

``XTBOX_HOME`` wins over the platform's user data folder (platformdirs), so a test or a CI job
can work in a private tree without touching the user's VMs.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from disks import backing


def data_home() -> Path:
    override = os.environ.get("XTBOX_HOME")
    home = Path(override).expanduser() if override else Path(platformdirs.user_data_dir("xtbox"))
    home.mkdir(parents=True, exist_ok=True)
    # Images here are xtbox's own (demo bases, linked clones' bases, temporary overlays):
    # their backing links open without --allow-outside-backing (disks/backing.py).
    backing.trust(home)
    return home


def vms_dir() -> Path:
    """One folder per VM: ``vms/<name>/vm.toml`` plus the VM's own disks."""
    path = data_home() / "vms"
    path.mkdir(exist_ok=True)
    return path


def bases_dir() -> Path:
    """Read-only base images shared by many VMs' overlays (the demo disk, linked clones)."""
    path = data_home() / "bases"
    path.mkdir(exist_ok=True)
    return path


def settings_path() -> Path:
    """The TUI's settings file (the TUI owns its keys)."""
    return data_home() / "settings.toml"
