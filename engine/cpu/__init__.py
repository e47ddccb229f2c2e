"""The 8086 CPU.

Test API (external conformance harnesses drive it exactly like this)::

    cpu = CPU()                 # 1,048,576 bytes of zeroed RAM, no devices attached
    cpu.mem                     # writable buffer (memoryview), len 1,048,576
    cpu.set_reg("ax", 0x1234)   # ax bx cx dx si di bp sp cs ds es ss ip flags
    cpu.get_reg("flags")
    cpu.step()                  # one instruction: prefixes, a whole REP string op, INT 0 entry
    cpu.run(n) -> int           # up to n instructions; how many ran

Machine API: ``io`` (port_read(port, width) / port_write(port, value, width); None reads
0xFF), ``set_intr(level)`` + ``inta`` (() -> vector), ``nmi()``, ``halted``,
``request_stop()``, ``instructions``, ``write_protect(start, end)``, ``reset()``,
``get_state()`` / ``set_state()``.
"""

from engine.cpu.core import CPU

__all__ = ["CPU"]
