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


cdef class CPU:
    # Registers in 8086 encoding order (AX CX DX BX SP BP SI DI) and segments (ES CS SS DS).
    cdef uint16_t regs[8]
    cdef uint16_t sregs[4]
    cdef uint16_t ip
    # Flags live unpacked: ALU code sets them without shifting or masking a word.
    cdef uint8_t cf, pf, af, zf, sf, tf, iflag, df, of
    cdef uint8_t* m
    cdef bytearray _ram
    cdef uint32_t wp_start, wp_len

    # Decode latches of the current instruction.
    cdef uint16_t insn_ip          # IP of the first prefix byte: where a REP resumes
    cdef int seg_ovr               # -1 or the overriding segment
    cdef int rep
    cdef int mod, reg, rm
    cdef uint16_t ea_seg, ea_off

    # Interrupt and run state.
    cdef uint8_t intr_line, nmi_pending, shadow, halted_, stop_req
    cdef uint64_t icount
    cdef public object io
    cdef public object inta
    cdef object pending_error

    cdef void _reset_regs(self)
    cdef void exec_one(self) noexcept nogil
    cdef long run_loop(self, long n) noexcept nogil
    cdef void interrupt(self, uint8_t vector) noexcept nogil
    cdef uint16_t port_in(self, uint16_t port, int width) noexcept nogil
    cdef void port_out(self, uint16_t port, uint16_t value, int width) noexcept nogil
    cdef uint8_t acknowledge(self) noexcept nogil
