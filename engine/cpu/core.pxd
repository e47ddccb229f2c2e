# cython: language_level=3
"""C-level layout of the 8086 CPU: registers, flags and the per-instruction decode latches."""

from libc.stdint cimport int32_t, uint8_t, uint16_t, uint32_t, uint64_t

cdef enum:
    MEM_SIZE = 0x100000
    R_AX = 0
    R_CX = 1
    R_DX = 2
    R_BX = 3
    R_SP = 4
    R_BP = 5
    R_SI = 6
    R_DI = 7
    S_ES = 0
    S_CS = 1
    S_SS = 2
    S_DS = 3
    REP_NONE = 0
    REP_Z = 1      # F3: REP / REPE
    REP_NZ = 2     # F2: REPNE
    POLL_PLACES = 4  # idle polls remembered (see CPU.count_poll)
    POLL_PORT = 0xE5  # OUT here is an idle poll (our ROM's empty INT 16h AH=01h/11h): counted
                      # in C, never a bus access (engine/bios/layout.py POLL_PORT)


cdef struct Signals:
    # Written from outside the instruction stream (the PIC, other threads, Python callbacks),
    # so the loop reads them through a pointer and never caches them.
    uint8_t intr_line, nmi_pending, stop_req
    # An idle poll just happened (INT 28h, INT 2Fh AX=1680h, or an empty keyboard poll: our
    # ROM's OUT to POLL_PORT): the slow path counts it at the next boundary (engine/idle.py
    # decides).
    uint8_t poll
    # Non-zero when an interrupt, NMI, stop, halt, TF or shadow may need the slow path between
    # instructions: one test per instruction instead of six. Set conservatively by whatever
    # changes those; the slow path recomputes it exactly.
    uint8_t attn


cdef struct ModRM:
    # The decoded ModR/M operand of one instruction: a local of the instruction's code, so the
    # C compiler keeps it in registers and drops what the instruction does not use.
    int mod, reg, rm
    uint16_t ea_seg, ea_off


cdef struct State:
    # Registers in 8086 encoding order (AX CX DX BX SP BP SI DI) and segments (ES CS SS DS).
    # regs[8] is always 0: the "no index register" slot of the effective-address tables.
    uint16_t regs[9]
    uint16_t sregs[4]
    uint16_t ip
    uint32_t csb              # CS << 4, kept with CS (set_cs): instruction fetch adds it to IP
    # Flags live unpacked: ALU code sets them without shifting or masking a word.
    uint8_t cf, pf, af, zf, sf, tf, iflag, df, of
    # Lazy flags (see alu.pxi): when `lazy` is non-zero, PF AF ZF SF OF are those of the
    # recorded operation on lz_a, lz_b giving lz_r, not the bytes above (CF always is its byte).
    uint8_t lazy
    uint32_t lz_a, lz_b, lz_r
    uint8_t shadow, halted
    uint8_t trap              # a single-step trap armed for the end of this instruction
    uint8_t* m
    uint32_t wp_start, wp_len
    # Prefix latches of the current instruction.
    uint16_t insn_ip          # IP of the first prefix byte: where a REP resumes
    # The segment register used where the instruction's default is ES CS SS DS: the identity
    # unless a segment-override prefix maps SS and DS (the overridable defaults) to another.
    uint8_t segmap[4]
    int rep
    # Instructions still to run in this run() call, kept in the struct (not a loop local) so
    # that the copy written back around port I/O tells the machine's clock how far the slice
    # has come (``CPU.instructions`` is exact inside an IN/OUT).
    long left
    Signals* sig
    State* home               # the CPU object's own copy (the loop runs on a local one)
    void* owner               # the CPU object (borrowed), for the Python port handlers


cdef struct Place:
    # Registers saved to tell whether a loop came back unchanged (engine/idle.py).
    uint16_t regs[8]
    uint16_t sregs[4]
    uint16_t ip, flags


cdef class CPU:
    # The architectural state. The run loop copies it into a local variable and back: a
    # local whose address never escapes cannot be aliased by guest-memory stores, so the C
    # compiler keeps it in registers and stack slots instead of reloading it after each store.
    cdef State s
    cdef Signals sig
    cdef bytearray _ram
    cdef bytearray _snap      # memory_unchanged()'s reference copy
    cdef uint64_t icount
    cdef long run_n             # the budget of the run() in progress (0 outside run())
    cdef public object io
    cdef public object inta
    cdef object pending_error
    # Idle polls (see Signals.poll): how many, the instruction count at the last one, how many
    # consecutive ones came at most poll_gap_limit instructions apart, and whether run() returns
    # at the boundary after one (break_on_poll; poll_break says it did).
    cdef uint64_t poll_count, poll_last, poll_streak, poll_gap_limit
    cdef uint8_t break_on_poll, poll_break
    # The registers at the last same_place() call (the spin detector's cheap first test) and
    # at the last idle poll.
    cdef Place place
    cdef Place poll_places[POLL_PLACES]
    cdef int poll_ring

    cdef void _reset_regs(self)
    cdef long run_loop(self, long n) noexcept nogil
    cdef bint count_poll(self, State* c, uint64_t at) noexcept nogil
    cdef uint8_t acknowledge(self) noexcept nogil
    cdef void _fail(self, object exc)
