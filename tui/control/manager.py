"""The manager's API, for the CLI and the TUI alike: profiles, running VMs, snapshots, disks.

Plain Python with no Textual in it; running VMs are reached only through their control
sockets (tui/control/client.py)."""

from tui.control.inventory import list_disks
from tui.control.media import change_media
from tui.control.runtime import (
    command,
    connect,
    discard_state,
    expect,
    mouse,
    pause_vm,
    reset_vm,
    resume_vm,
    save_vm,
    screen,
    screen_png,
    start_vm,
    status,
    stop_vm,
    type_text,
)
from tui.control.snapshots import (
    delete_snapshot,
    list_snapshots,
    restore_snapshot,
    state_label,
    take_snapshot,
)
from tui.control.vms import (
    VMError,
    VMInfo,
    clone_vm,
    create_disk,
    create_vm,
    delete_vm,
    demo_base,
    list_vms,
    load,
    modify_vm,
    vm_info,
)

__all__ = ["VMError", "VMInfo", "change_media", "clone_vm", "command", "connect", "create_disk", "create_vm",
           "delete_snapshot", "delete_vm", "discard_state", "save_vm", "demo_base", "expect", "list_disks", "list_snapshots",
           "list_vms", "load", "modify_vm", "mouse", "pause_vm", "reset_vm", "restore_snapshot",
           "resume_vm", "screen", "screen_png", "start_vm", "state_label", "status", "stop_vm", "take_snapshot", "type_text",
           "vm_info"]
