"""The xtbox system VM: an 8086 CPU, XT-class chips, our BIOS, and the machine that wires them.

The engine never imports Textual or anything from tui/: a VM must run headless.
"""
