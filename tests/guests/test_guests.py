"""Guest programs of ours, assembled from source, run through the real `xtbox run`."""

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def test_bios_services_guest_passes_every_check(tmp_path):
    image = tmp_path / "guest.img"                    # the guest writes to its own disk
    shutil.copy(HERE / "bios_services.img", image)
    r = subprocess.run([sys.executable, "-m", "tui.cli", "run", "--fda", str(image),
                        "--type", "a", "--type-after", "1.5", "--max-seconds", "20"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "all checks passed" in r.stdout, r.stdout + r.stderr
    assert r.returncode == 1                          # isa-debug-exit 0 -> (0 << 1) | 1
