# String instructions (MOVS CMPS STOS LODS SCAS) with REP/REPE/REPNE.
#
# The source is DS:SI (a segment override applies), the destination always ES:DI. A repeated
# instruction runs to completion inside one step unless an interrupt (NMI, or INTR with IF=1)
# is pending between iterations: then IP goes back to the first prefix byte, so that after the
# handler's IRET the instruction resumes with all its prefixes and the remaining CX. (A real
# 8086 returns to the last prefix only and so forgets a segment override in front of REP; we
# resume correctly, which is what software of the time assumed.)

cdef inline void string_once(State* c, uint8_t op, int w, uint16_t step) noexcept nogil:
    cdef uint16_t a, b
    if op == 0xA4 or op == 0xA5:          # MOVS
        if w:
            ww(c, c.sregs[S_ES], c.regs[R_DI], rw(c, data_seg(c), c.regs[R_SI]))
        else:
            wb(c, c.sregs[S_ES], c.regs[R_DI], rb(c, data_seg(c), c.regs[R_SI]))
        c.regs[R_SI] += step
        c.regs[R_DI] += step
    elif op == 0xA6 or op == 0xA7:        # CMPS: [SI] - [DI]
        if w:
            a = rw(c, data_seg(c), c.regs[R_SI])
            b = rw(c, c.sregs[S_ES], c.regs[R_DI])
        else:
            a = rb(c, data_seg(c), c.regs[R_SI])
            b = rb(c, c.sregs[S_ES], c.regs[R_DI])
        alu_sub(c, w, a, b, 0)
        c.regs[R_SI] += step
        c.regs[R_DI] += step
    elif op == 0xAA or op == 0xAB:        # STOS
        if w:
            ww(c, c.sregs[S_ES], c.regs[R_DI], c.regs[R_AX])
        else:
            wb(c, c.sregs[S_ES], c.regs[R_DI], <uint8_t>c.regs[R_AX])
        c.regs[R_DI] += step
    elif op == 0xAC or op == 0xAD:        # LODS
        if w:
            c.regs[R_AX] = rw(c, data_seg(c), c.regs[R_SI])
        else:
            setr8(c, 0, rb(c, data_seg(c), c.regs[R_SI]))
        c.regs[R_SI] += step
    else:                                 # SCAS: AL/AX - [DI]
        if w:
            b = rw(c, c.sregs[S_ES], c.regs[R_DI])
        else:
            b = rb(c, c.sregs[S_ES], c.regs[R_DI])
        alu_sub(c, w, getreg(c, w, R_AX), b, 0)
        c.regs[R_DI] += step


cdef inline int rep_block(State* c, uint8_t op, int w) noexcept nogil:
    """REP MOVS / REP STOS going up, done as one host copy or fill when that is exactly what
    the iterations would do: no offset or address wraps, no ROM in the destination, a MOVS
    source that the copy cannot overwrite before reading it (the fill idiom, destination one
    byte above the source, must repeat byte by byte), and no interrupt waiting (which would be
    taken between iterations). Returns 0 to leave it to the loop."""
    cdef uint32_t n = c.regs[R_CX]
    cdef uint32_t size = n << w
    cdef uint32_t di = c.regs[R_DI]
    cdef uint32_t si = c.regs[R_SI]
    cdef uint32_t dst, src, i
    cdef uint16_t v
    if interrupt_waiting(c):
        return 0
    dst = phys(c.sregs[S_ES], <uint16_t>di)
    if di + size > 0x10000 or dst + size > MEM_SIZE:
        return 0
    if dst + size > c.wp_start and dst < c.wp_start + c.wp_len:
        return 0
    if op == 0xA4 or op == 0xA5:
        src = phys(data_seg(c), <uint16_t>si)
        if si + size > 0x10000 or src + size > MEM_SIZE or (src < dst < src + size):
            return 0
        memmove(c.m + dst, c.m + src, size)
        c.regs[R_SI] = <uint16_t>(si + size)
    elif w:
        v = c.regs[R_AX]
        for i in range(n):
            memcpy(c.m + dst + 2 * i, &v, 2)
    else:
        memset(c.m + dst, <uint8_t>c.regs[R_AX], size)
    c.regs[R_DI] = <uint16_t>(di + size)
    c.regs[R_CX] = 0
    return 1


cdef inline void string_op(State* c, uint8_t op) noexcept nogil:
    cdef int w = op & 1
    cdef uint16_t step = (2 if w else 1)
    cdef int compares = op == 0xA6 or op == 0xA7 or op == 0xAE or op == 0xAF
    if c.df:
        step = <uint16_t>(-step)
    if c.rep == REP_NONE:
        string_once(c, op, w, step)
        return
    if (op == 0xA4 or op == 0xA5 or op == 0xAA or op == 0xAB) and not c.df and rep_block(c, op, w):
        return
    while c.regs[R_CX] != 0:
        string_once(c, op, w, step)
        c.regs[R_CX] -= 1
        if compares:
            if c.rep == REP_Z and not lazy_zf(c):
                return
            if c.rep == REP_NZ and lazy_zf(c):
                return
        if c.regs[R_CX] != 0 and interrupt_waiting(c):
            c.ip = c.insn_ip
            return
