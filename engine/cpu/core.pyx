# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The 8086 CPU: an exact interpreter whose dispatch loop is plain C.

Why this shape: the loop (``run_loop``) works on a local copy of the C ``State`` struct and on
``uint8_t*`` RAM, so Cython emits straight C and the GIL is released while it runs. Being local,
the state cannot be aliased by the guest's memory stores, which lets the C compiler keep it in
registers. Python is re-entered only for port I/O and interrupt acknowledge (``cpu.io``,
``cpu.inta``), which are rare next to the instruction stream; the state is written back around
port I/O, because the BIOS services read and set registers from Python. Helpers are split by
concern into the ``.pxi`` files that are included below so that the C compiler can inline
them into the loop.
"""

cimport cython
from libc.string cimport memcmp, memcpy, memmove, memset
from libc.stdint cimport int8_t, int16_t, int32_t, uint8_t, uint16_t, uint32_t, uint64_t

cdef extern from *:
    """
    #define XT_FENCE() __atomic_thread_fence(__ATOMIC_SEQ_CST)
    """
    void XT_FENCE() nogil

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
        self.s.m = <uint8_t*>(<char*>self._ram)
        self.s.sig = &self.sig
        self.s.home = &self.s
        self.s.owner = <void*>self
        self.io = None
        self.inta = None
        self.pending_error = None
        self._snap = None
        self.s.wp_start = 0
        self.s.wp_len = 0
        self._reset_regs()

    cdef void _reset_regs(self):
        cdef int i
        for i in range(9):
            self.s.regs[i] = 0
        for i in range(4):
            self.s.sregs[i] = 0
        set_cs(&self.s, 0)
        self.s.ip = 0
        unpack_flags(&self.s, 0)
        self.sig.intr_line = 0
        self.sig.nmi_pending = 0
        self.sig.stop_req = 0
        self.sig.poll = 0
        self.sig.attn = 1
        self.s.shadow = 0
        self.s.halted = 0
        self.s.trap = 0
        reset_prefixes(&self.s)
        self.icount = 0
        self.poll_count = 0
        self.poll_last = 0
        self.poll_streak = 0
        self.poll_break = 0

    # ---- the test API ------------------------------------------------------------------
    @property
    def mem(self):
        """The 1,048,576 bytes of physical memory, writable in place."""
        return memoryview(self._ram)

    def set_reg(self, str name, int value):
        name = name.lower()
        value &= 0xFFFF
        self.sig.attn = 1
        if name in REG_NAMES:
            self.s.regs[REG_NAMES[name]] = value
        elif name in SREG_NAMES:
            set_sreg(&self.s, SREG_NAMES[name], value)
        elif name == "ip":
            self.s.ip = value
        elif name == "flags":
            unpack_flags(&self.s, value)
        elif name in BYTE_REG_NAMES:
            setr8(&self.s, BYTE_REG_NAMES[name], value)
        else:
            raise ValueError(f"unknown register {name!r}; expected one of "
                             "ax bx cx dx si di bp sp cs ds es ss ip flags or a byte register")

    def get_reg(self, str name):
        name = name.lower()
        if name in REG_NAMES:
            return self.s.regs[REG_NAMES[name]]
        if name in SREG_NAMES:
            return self.s.sregs[SREG_NAMES[name]]
        if name == "ip":
            return self.s.ip
        if name == "flags":
            return pack_flags(&self.s)
        if name in BYTE_REG_NAMES:
            return getr8(&self.s, BYTE_REG_NAMES[name])
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
        self.sig.attn = 1       # state may have been changed from Python since the last run
        self.s.left = n
        self.run_n = n
        with nogil:
            done = self.run_loop(n)
        self.run_n = 0
        if self.pending_error is not None:
            err, self.pending_error = self.pending_error, None
            raise err
        return done

    # ---- machine-facing API ------------------------------------------------------------
    def set_intr(self, level):
        """The 8259's INT output: a level the CPU samples between instructions."""
        self.sig.intr_line = 1 if level else 0
        self.sig.attn = 1

    # ---- idle polls (engine/idle.py reads these; the CPU only counts) -----------------------
    def note_poll(self):
        """An idle poll seen outside the instruction stream (the BIOS: a keyboard poll that
        found nothing). Counted at the next instruction boundary, like INT 28h."""
        self.sig.poll = 1
        self.sig.attn = 1

    @property
    def polls(self):
        """Idle polls so far: INT 28h, INT 2Fh AX=1680h and note_poll()."""
        return self.poll_count

    @property
    def last_poll(self):
        """The instruction count at the last idle poll."""
        return self.poll_last

    @property
    def poll_streak_length(self):
        """Consecutive idle polls that came at most ``poll_gap_limit`` instructions apart."""
        return self.poll_streak

    @property
    def poll_gap_limit(self):
        return self.poll_gap_limit

    @poll_gap_limit.setter
    def poll_gap_limit(self, value):
        self.poll_gap_limit = value

    @property
    def break_on_poll(self):
        """When set, run() returns at the boundary after each idle poll."""
        return bool(self.break_on_poll)

    @break_on_poll.setter
    def break_on_poll(self, value):
        self.break_on_poll = 1 if value else 0

    def take_poll_break(self):
        """Whether the last run() ended at an idle poll (break_on_poll); clears it."""
        cdef uint8_t b = self.poll_break
        self.poll_break = 0
        return bool(b)

    def same_place(self, int window=64):
        """Whether every register but IP equals its value at the previous call and IP is
        within ``window`` bytes of it: a loop that changes nothing may be spinning on memory
        only an interrupt can change (engine/idle.py then checks it properly). Remembers the
        registers for the next call. Costs a few dozen C comparisons."""
        cdef bint same = place_equal(&self.s, &self.place, window)
        place_save(&self.s, &self.place)
        return same

    def snapshot_memory(self):
        """Copy all of memory aside for memory_unchanged() (one memcpy)."""
        if self._snap is None:
            self._snap = bytearray(MEM_SIZE)
        memcpy(<uint8_t*>(<char*>self._snap), self.s.m, MEM_SIZE)

    def memory_unchanged(self):
        """Whether memory is byte for byte what snapshot_memory() copied (one memcmp)."""
        if self._snap is None:
            return False
        return memcmp(<uint8_t*>(<char*>self._snap), self.s.m, MEM_SIZE) == 0

    def nmi(self):
        self.sig.nmi_pending = 1
        self.sig.attn = 1

    @property
    def halted(self):
        return bool(self.s.halted)

    def wake(self):
        """End a HLT without an interrupt: our BIOS's timed waits (engine/bios/waits.py) halt
        until the hardware they poll could have moved, and the machine wakes them then."""
        self.s.halted = 0
        self.sig.attn = 1

    @property
    def instructions(self):
        """Instructions executed so far. Inside run() (a port handler, the BIOS) this counts
        up to the current instruction: the machine's clock derives time from it."""
        if self.run_n:
            return self.icount + (self.run_n - self.s.left)
        return self.icount

    def request_stop(self):
        """Stop ``run`` at the next instruction boundary. Safe from any thread."""
        self.sig.stop_req = 1
        XT_FENCE()              # pairs with the fence in the loop's slow path
        self.sig.attn = 1

    def write_protect(self, int start, int end):
        """Ignore guest writes to physical [start, end): the BIOS ROM."""
        if not (0 <= start <= end <= MEM_SIZE):
            raise ValueError(f"write-protect range {start:#x}-{end:#x} is outside 0-0x100000")
        self.s.wp_start = start
        self.s.wp_len = end - start

    def reset(self):
        """The 8086 reset state: CS=FFFF, IP=0, flags clear, other registers zero."""
        self._reset_regs()
        set_cs(&self.s, 0xFFFF)

    def get_state(self):
        state = {name: self.get_reg(name) for name in _STATE_REGS}
        state.update(intr=self.sig.intr_line, nmi_pending=self.sig.nmi_pending,
                     shadow=self.s.shadow, halted=self.s.halted, instructions=self.icount,
                     write_protect=[self.s.wp_start, self.s.wp_start + self.s.wp_len])
        return state

    def set_state(self, dict state):
        for name in _STATE_REGS:
            self.set_reg(name, state[name])
        self.sig.intr_line = state.get("intr", 0)
        self.sig.nmi_pending = state.get("nmi_pending", 0)
        self.s.shadow = state.get("shadow", 0)
        self.s.halted = state.get("halted", 0)
        self.icount = state.get("instructions", 0)
        start, end = state.get("write_protect", (0, 0))
        self.write_protect(start, end)
        self.sig.attn = 1

    # ---- the loop ------------------------------------------------------------------------
    cdef long run_loop(self, long n) noexcept nogil:
        cdef State st = self.s
        cdef State* c = &st
        cdef Signals* sig = &self.sig
        c.left = n                  # counting down: one decrement and test per instruction
        while c.left > 0:
            # One test on the common path: `attn` is clear unless something below may apply.
            if sig.attn:
                if c.trap:
                    # Single step: the trap follows the instruction unless it opened a shadow.
                    c.trap = 0
                    if not c.shadow:
                        interrupt(c, 1)
                if sig.stop_req:
                    sig.stop_req = 0
                    break
                if sig.poll:
                    sig.poll = 0
                    if self.count_poll(c, self.icount + <uint64_t>(n - c.left)):
                        break
                if c.shadow:
                    # MOV SS / POP SS / STI: no interrupt between it and the next instruction.
                    c.shadow = 0
                elif sig.nmi_pending:
                    sig.nmi_pending = 0
                    c.halted = 0
                    interrupt(c, 2)
                elif sig.intr_line and c.iflag:
                    c.halted = 0
                    interrupt(c, self.acknowledge())
                if c.halted:
                    break
                if c.tf:
                    # TF as this instruction starts: arm the trap, taken at the next boundary
                    # (or below, when the budget ends here); attn stays set for it.
                    c.trap = 1
                else:
                    sig.attn = c.shadow | sig.nmi_pending | c.halted | (sig.intr_line & c.iflag)
                    # request_stop() may run on another thread: it stores stop_req, fences,
                    # then sets attn; re-reading stop_req after our store means its attn
                    # cannot be lost.
                    XT_FENCE()
                    if sig.stop_req:
                        sig.attn = 1
            execute(c)
            c.left -= 1
        if c.trap:
            c.trap = 0
            if not c.shadow:
                interrupt(c, 1)
        self.s = st
        self.icount += n - c.left
        return n - c.left

    cdef bint count_poll(self, State* c, uint64_t at) noexcept nogil:
        """Record an idle poll at instruction count ``at``; whether run() should return. The
        streak grows only while polls come close together, each from the place and with the
        registers of one of the last POLL_PLACES polls: a loop of up to that many polls (DOS
        alternates INT 16h and INT 28h) that asks and does little else."""
        cdef int i
        cdef bint seen = False
        for i in range(POLL_PLACES):
            if place_equal(c, &self.poll_places[i], 0):
                seen = True
                break
        if seen and at - self.poll_last <= self.poll_gap_limit:
            self.poll_streak += 1
        else:
            self.poll_streak = 0
        self.poll_ring = (self.poll_ring + 1) % POLL_PLACES
        place_save(c, &self.poll_places[self.poll_ring])
        self.poll_last = at
        self.poll_count += 1
        if self.break_on_poll:
            self.poll_break = 1
            return True
        return False

    cdef uint8_t acknowledge(self) noexcept nogil:
        cdef int vector = 8
        with gil:
            if self.inta is not None:
                try:
                    vector = int(self.inta()) & 0xFF
                except BaseException as exc:
                    self._fail(exc)
        return <uint8_t>vector

    cdef void _fail(self, object exc):
        """A device callback raised: stop at the next boundary and raise it from run()."""
        self.pending_error = exc
        self.sig.stop_req = 1
        self.sig.attn = 1


cdef bint place_equal(State* c, Place* p, int window) noexcept nogil:
    """Whether c's registers are those saved in p, IP within ``window`` bytes of p's."""
    cdef int i
    for i in range(8):
        if c.regs[i] != p.regs[i]:
            return False
    for i in range(4):
        if c.sregs[i] != p.sregs[i]:
            return False
    return pack_flags(c) == p.flags and abs(<int>c.ip - <int>p.ip) <= window


cdef void place_save(State* c, Place* p) noexcept nogil:
    cdef int i
    for i in range(8):
        p.regs[i] = c.regs[i]
    for i in range(4):
        p.sregs[i] = c.sregs[i]
    p.flags = pack_flags(c)
    p.ip = c.ip


cdef uint16_t port_in_python(State* home, uint16_t port, int width) noexcept nogil:
    """IN through the machine's Python port dispatch; `home` holds the current registers."""
    cdef uint32_t value = 0xFFFF
    with gil:
        cpu = <CPU>home.owner
        if cpu.io is not None:
            try:
                value = int(cpu.io.port_read(port, width))
            except BaseException as exc:
                cpu._fail(exc)
    return <uint16_t>(value & (0xFFFF if width == 2 else 0xFF))


cdef void port_out_python(State* home, uint16_t port, uint16_t value, int width) noexcept nogil:
    with gil:
        cpu = <CPU>home.owner
        if cpu.io is not None:
            try:
                cpu.io.port_write(port, value, width)
            except BaseException as exc:
                cpu._fail(exc)
