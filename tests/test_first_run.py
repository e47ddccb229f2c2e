"""The README's first run, as a new user meets it: a non-editable install, started from a
folder that holds the uncompiled source tree (the checkout). The VM process must import the
installed package, never the folder it was started from (engine/vmm/launch.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tracked_files() -> list[str]:
    r = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("not a git checkout")
    return [f for f in r.stdout.splitlines() if (ROOT / f).is_file()]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """A wheel built from a copy of the checkout, installed into a fresh venv; and that copy
    (a source tree without compiled modules, like a fresh clone)."""
    base = tmp_path_factory.mktemp("first-run")
    src = base / "checkout"
    for name in _tracked_files():
        target = src / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / name).read_bytes())
    wheels = base / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheels), str(src)], check=True, capture_output=True)
    venv = base / "venv"
    # The venv sees this environment's Textual etc.; xtbox itself comes only from the wheel.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True)
    wheel = next(wheels.glob("xtbox-*.whl"))
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
                    "--force-reinstall", str(wheel)], check=True, capture_output=True)
    for build in ("build", "xtbox.egg-info"):
        subprocess.run(["rm", "-rf", str(src / build)], check=True)
    return venv, src


@pytest.mark.slow
def test_installed_xtbox_starts_the_demo_vm_from_the_checkout_folder(installed, tmp_path):
    venv, checkout = installed
    assert (checkout / "engine" / "cpu" / "core.pyx").exists()
    assert not list((checkout / "engine" / "cpu").glob("core*.so"))   # nothing compiled here
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["XTBOX_HOME"] = str(tmp_path / "home")
    xtbox = str(venv / "bin" / "xtbox")

    def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([xtbox, *args], cwd=checkout, env=env, capture_output=True,
                              text=True, timeout=timeout)

    r = run("vm", "create", "demo", "--demo")
    assert r.returncode == 0, r.stderr
    r = run("vm", "start", "demo", "--headless")
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        r = run("vm", "expect", "demo", "xtbox>", "--timeout", "30")
        assert r.returncode == 0, r.stdout + r.stderr
        status = run("vm", "status", "demo")
        assert "running" in status.stdout, status.stdout + status.stderr
    finally:
        run("vm", "stop", "demo")
    log = (tmp_path / "home").rglob("*.log")
    assert not any("Traceback" in p.read_text(errors="replace") for p in log)
