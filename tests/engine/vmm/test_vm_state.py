"""The state a VM process reports while its machine is not running: its control server answers
before machine.run() has begun, and then the VM is starting, which is running for whoever asks
(a restore must be refused), never "stopped"."""

from __future__ import annotations

from engine.vmm.process import VMHost
from tui.control import manager


def test_a_vm_whose_machine_has_not_started_is_running(tmp_path, monkeypatch):
    monkeypatch.setenv("XTBOX_HOME", str(tmp_path / "home"))
    manager.create_vm("early", demo=True)
    host = VMHost(manager.vm_info("early").profile)
    try:
        assert host.machine.state == "stopped"            # machine.run() has not begun
        assert host.public_state()["state"] == "running"
        host.machine_done = True                          # machine.run() has returned
        assert host.public_state()["state"] == "stopping"
    finally:
        host.machine.close()
        host.server.close()
