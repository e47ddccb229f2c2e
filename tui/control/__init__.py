"""Clients of the VM processes: the manager API and the control-socket client."""
