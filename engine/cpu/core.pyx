# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The 8086 CPU: an exact interpreter whose dispatch loop is plain C.

Why this shape: the loop (``run_loop``/``exec_one``) touches only C fields of this final class
and ``uint8_t*`` RAM, so Cython emits straight C and the GIL is released while it runs. Python
is re-entered only for port I/O and interrupt acknowledge (``cpu.io``, ``cpu.inta``), which are
rare next to the instruction stream. Helpers are split by concern into the ``.pxi`` files that
are included below so that the C compiler can inline them into the loop.
"""

cimport cython
from libc.stdint cimport int8_t, int16_t, int32_t, uint8_t, uint16_t, uint32_t, uint64_t

include "access.pxi"
include "alu.pxi"
include "muldiv.pxi"
include "strings.pxi"
include "execute.pxi"

REG_NAMES = {"ax": 0, "cx": 1, "dx": 2, "bx": 3, "sp": 4, "bp": 5, "si": 6, "di": 7}
SREG_NAMES = {"es": 0, "cs": 1, "ss": 2, "ds": 3}
BYTE_REG_NAMES = {"al": 0, "cl": 1, "dl": 2, "bl": 3, "ah": 4, "ch": 5, "dh": 6, "bh": 7}
_STATE_REGS = ("ax", "bx", "cx", "dx", "si", "di", "bp", "sp", "cs", "ds", "es", "ss", "ip",
               "flags")


@cython.final
cdef class CPU:
    """An 8086 with 1 MiB of RAM. See engine/cpu/__init__.py for the public contract."""

    def __cinit__(self):
        self._ram = bytearray(MEM_SIZE)
        self.m = <uint8_t*>(<char*>self._ram)
        self.io = None
        self.inta = None
        self.pending_error = None
        self.wp_start = 0
        self.wp_len = 0
        self._reset_regs()

    cdef void _reset_regs(self):
        cdef int i
        for i in range(8):
            self.regs[i] = 0
        for i in range(4):
            self.sregs[i] = 0
        self.ip = 0
        unpack_flags(self, 0)
        self.intr_line = 0
        self.nmi_pending = 0
        self.shadow = 0
        self.halted_ = 0
        self.stop_req = 0
        self.seg_ovr = -1
        self.rep = REP_NONE
        self.icount = 0

    # ---- the test API ------------------------------------------------------------------
    @property
    def mem(self):
        """The 1,048,576 bytes of physical memory, writable in place."""
        return memoryview(self._ram)

    def set_reg(self, str name, int value):
        name = name.lower()
        value &= 0xFFFF
        if name in REG_NAMES:
            self.regs[REG_NAMES[name]] = value
        elif name in SREG_NAMES:
            self.sregs[SREG_NAMES[name]] = value
        elif name == "ip":
            self.ip = value
        elif name == "flags":
            unpack_flags(self, value)
        elif name in BYTE_REG_NAMES:
            setr8(self, BYTE_REG_NAMES[name], value)
        else:
            raise ValueError(f"unknown register {name!r}; expected one of "
                             "ax bx cx dx si di bp sp cs ds es ss ip flags or a byte register")

    def get_reg(self, str name):
        name = name.lower()
        if name in REG_NAMES:
            return self.regs[REG_NAMES[name]]
        if name in SREG_NAMES:
            return self.sregs[SREG_NAMES[name]]
        if name == "ip":
            return self.ip
        if name == "flags":
            return pack_flags(self)
        if name in BYTE_REG_NAMES:
            return getr8(self, BYTE_REG_NAMES[name])
        raise ValueError(f"unknown register {name!r}; expected one of "
                         "ax bx cx dx si di bp sp cs ds es ss ip flags or a byte register")

    def step(self):
        """Execute one instruction (prefixes included, a REP string op to completion, a divide
        error through its INT 0 entry). Returns 1, or 0 when halted with nothing to wake it."""
        return self.run(1)

    def run(self, long n):
        """Run up to ``n`` instructions; return how many ran. Returns early when halted with no
        interrupt to take, or when ``request_stop()`` was called."""
        cdef long done
        if n <= 0:
            return 0
        with nogil:
            done = self.run_loop(n)
        if self.pending_error is not None:
            err, self.pending_error = self.pending_error, None
            raise err
        return done

    # ---- machine-facing API ------------------------------------------------------------
    def set_intr(self, level):
        """The 8259's INT output: a level the CPU samples between instructions."""
        self.intr_line = 1 if level else 0

    def nmi(self):
        self.nmi_pending = 1

    @property
    def halted(self):
        return bool(self.halted_)

    @property
    def instructions(self):
        return self.icount

    def request_stop(self):
        self.stop_req = 1

    def write_protect(self, int start, int end):
        """Ignore guest writes to physical [start, end): the BIOS ROM."""
        if not (0 <= start <= end <= MEM_SIZE):
            raise ValueError(f"write-protect range {start:#x}-{end:#x} is outside 0-0x100000")
        self.wp_start = start
        self.wp_len = end - start

    def reset(self):
        """The 8086 reset state: CS=FFFF, IP=0, flags clear, other registers zero."""
        self._reset_regs()
        self.sregs[S_CS] = 0xFFFF

    def get_state(self):
        state = {name: self.get_reg(name) for name in _STATE_REGS}
        state.update(intr=self.intr_line, nmi_pending=self.nmi_pending, shadow=self.shadow,
                     halted=self.halted_, instructions=self.icount,
                     write_protect=[self.wp_start, self.wp_start + self.wp_len])
        return state

    def set_state(self, dict state):
        for name in _STATE_REGS:
            self.set_reg(name, state[name])
        self.intr_line = state.get("intr", 0)
        self.nmi_pending = state.get("nmi_pending", 0)
        self.shadow = state.get("shadow", 0)
        self.halted_ = state.get("halted", 0)
        self.icount = state.get("instructions", 0)
        start, end = state.get("write_protect", (0, 0))
        self.write_protect(start, end)

    # ---- the loop ------------------------------------------------------------------------
    cdef long run_loop(self, long n) noexcept nogil:
        cdef long done = 0
        cdef uint8_t trap
        while done < n:
            # One test on the common path: nothing pending, not halted, no stop requested.
            if (self.stop_req | self.shadow | self.nmi_pending | self.halted_
                    | (self.intr_line & self.iflag)):
                if self.stop_req:
                    self.stop_req = 0
                    break
                if self.shadow:
                    # MOV SS / POP SS / STI: no interrupt between it and the next instruction.
                    self.shadow = 0
                elif self.nmi_pending:
                    self.nmi_pending = 0
                    self.halted_ = 0
                    self.interrupt(2)
                elif self.intr_line and self.iflag:
                    self.halted_ = 0
                    self.interrupt(self.acknowledge())
                if self.halted_:
                    break
            trap = self.tf
            execute(self)
            done += 1
            if trap and not self.shadow:
                self.interrupt(1)
        self.icount += done
        return done

    cdef void interrupt(self, uint8_t vector) noexcept nogil:
        push(self, pack_flags(self))
        self.iflag = 0
        self.tf = 0
        push(self, self.sregs[S_CS])
        push(self, self.ip)
        self.ip = rw(self, 0, <uint16_t>(vector * 4))
        self.sregs[S_CS] = rw(self, 0, <uint16_t>(vector * 4 + 2))

    cdef uint8_t acknowledge(self) noexcept nogil:
        cdef int vector = 8
        with gil:
            if self.inta is not None:
                try:
                    vector = int(self.inta()) & 0xFF
                except BaseException as exc:
                    self.pending_error = exc
                    self.stop_req = 1
        return <uint8_t>vector

    cdef uint16_t port_in(self, uint16_t port, int width) noexcept nogil:
        cdef uint32_t value = 0xFFFF
        with gil:
            if self.io is not None:
                try:
                    value = int(self.io.port_read(port, width))
                except BaseException as exc:
                    self.pending_error = exc
                    self.stop_req = 1
        return <uint16_t>(value & (0xFFFF if width == 2 else 0xFF))

    cdef void port_out(self, uint16_t port, uint16_t value, int width) noexcept nogil:
        with gil:
            if self.io is not None:
                try:
                    self.io.port_write(port, value, width)
                except BaseException as exc:
                    self.pending_error = exc
                    self.stop_req = 1

    cdef void exec_one(self) noexcept nogil:
        execute(self)
