"""Standalone XT-class chips: each knows nothing of the PC; the machine wires them.

Contract (see /work/interfaces.md §2): ``PORTS``, ``read(port, width=1)``, ``write(port, value,
width=1)``, ``tick(now)``, ``next_event(now)``, ``reset()``, ``get_state()``/``set_state()``,
and output wires that are plain callables set by the machine. Time is virtual, in PIT input
clocks (``engine.chips.base.PIT_HZ`` per second).
"""
