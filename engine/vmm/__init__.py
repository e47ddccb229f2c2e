"""The VM host side: profiles, the VM process (VMM) and its control server.

A running VM is its own process (``python -m engine.vmm FOLDER``), like VirtualBox's VM
processes, so a guest or emulator fault can never take the manager down and a VM keeps
running when the CLI or TUI that started it exits. Clients speak JSON lines over a Unix
socket in the VM's folder (see protocol.py); tui/control/ holds those clients.
"""
