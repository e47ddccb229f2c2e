# MUL/IMUL/DIV/IDIV (group 3) and the BCD adjusts. Division returns 1 for a divide error; the
# caller raises INT 0 with the IP of the next instruction, as the 8086 does.
#
# Quirk kept on purpose: a REP/REPNE prefix in front of IMUL or IDIV negates the product or
# quotient on the 8086 (the microcode reuses the sign latch the prefix sets).

cdef inline void mul_flags(State* c, int w, uint32_t high_nonzero, uint32_t low) noexcept nogil:
    c.cf = high_nonzero != 0
    c.of = c.cf
    set_szp(c, w, low)


cdef inline void op_mul(State* c, int w, uint16_t src) noexcept nogil:
    cdef uint32_t r
    flush_flags(c)
    if w:
        r = <uint32_t>c.regs[R_AX] * src
        c.regs[R_AX] = <uint16_t>r
        c.regs[R_DX] = <uint16_t>(r >> 16)
        mul_flags(c, 1, r >> 16, r)
    else:
        r = (c.regs[R_AX] & 0xFF) * (src & 0xFF)
        c.regs[R_AX] = <uint16_t>r
        mul_flags(c, 0, r >> 8, r)
    c.zf = 0


cdef inline void op_imul(State* c, int w, uint16_t src) noexcept nogil:
    cdef int32_t r
    flush_flags(c)
    if w:
        r = <int32_t><int16_t>c.regs[R_AX] * <int32_t><int16_t>src
        if c.rep != REP_NONE:
            r = -r
        c.regs[R_AX] = <uint16_t>r
        c.regs[R_DX] = <uint16_t>(<uint32_t>r >> 16)
        mul_flags(c, 1, r != <int16_t>r, <uint32_t>r)
    else:
        r = <int32_t><int8_t>(c.regs[R_AX] & 0xFF) * <int32_t><int8_t>(src & 0xFF)
        if c.rep != REP_NONE:
            r = -r
        c.regs[R_AX] = <uint16_t>r
        mul_flags(c, 0, r != <int8_t>r, <uint32_t>r)
    c.zf = 0


cdef inline int op_div(State* c, int w, uint16_t src) noexcept nogil:
    cdef uint32_t a, q
    if src == 0:
        return 1
    if w:
        a = (<uint32_t>c.regs[R_DX] << 16) | c.regs[R_AX]
        q = a / src
        if q > 0xFFFF:
            return 1
        c.regs[R_DX] = <uint16_t>(a % src)
        c.regs[R_AX] = <uint16_t>q
    else:
        src &= 0xFF
        if src == 0:
            return 1
        a = c.regs[R_AX]
        q = a / src
        if q > 0xFF:
            return 1
        c.regs[R_AX] = <uint16_t>(((a % src) << 8) | q)
    return 0


cdef inline int op_idiv(State* c, int w, uint16_t src) noexcept nogil:
    cdef int32_t a, b, q, r
    if w:
        a = <int32_t>((<uint32_t>c.regs[R_DX] << 16) | c.regs[R_AX])
        b = <int16_t>src
    else:
        a = <int16_t>c.regs[R_AX]
        b = <int8_t>(src & 0xFF)
    if b == 0:
        return 1
    q = a / b
    r = a % b
    if w:
        if q > 0x7FFF or q < -0x7FFF:
            return 1
    elif q > 0x7F or q < -0x7F:
        return 1
    if c.rep != REP_NONE:
        q = -q
    if w:
        c.regs[R_AX] = <uint16_t>q
        c.regs[R_DX] = <uint16_t>r
    else:
        c.regs[R_AX] = <uint16_t>(((r & 0xFF) << 8) | (q & 0xFF))
    return 0


cdef inline void op_daa(State* c) noexcept nogil:
    flush_flags(c)
    cdef uint16_t al = c.regs[R_AX] & 0xFF
    cdef uint16_t old_al = al
    cdef uint8_t old_cf = c.cf
    cdef uint8_t old_af = c.af
    if (al & 0x0F) > 9 or c.af:
        al += 6
        c.af = 1
    else:
        c.af = 0
    # The 8086 compares against 9Fh, not 99h, when AF was set (documented on real silicon).
    if old_al > (0x9F if old_af else 0x99) or old_cf:
        al += 0x60
        c.cf = 1
    else:
        c.cf = 0
    setr8(c, 0, al)
    set_szp(c, 0, al)


cdef inline void op_das(State* c) noexcept nogil:
    flush_flags(c)
    cdef uint16_t al = c.regs[R_AX] & 0xFF
    cdef uint16_t old_al = al
    cdef uint8_t old_cf = c.cf
    cdef uint8_t old_af = c.af
    if (al & 0x0F) > 9 or c.af:
        al -= 6
        c.af = 1
    else:
        c.af = 0
    if old_al > (0x9F if old_af else 0x99) or old_cf:
        al -= 0x60
        c.cf = 1
    else:
        c.cf = 0
    setr8(c, 0, al)
    set_szp(c, 0, al)


cdef inline void op_aaa_aas(State* c, int subtract) noexcept nogil:
    """AAA/AAS as the 8086 does them: AL and AH adjusted separately (no carry from AL into AH,
    unlike the 286's AX +/- 106h)."""
    flush_flags(c)
    cdef uint16_t al = c.regs[R_AX] & 0xFF
    cdef uint16_t ah = c.regs[R_AX] >> 8
    if (al & 0x0F) > 9 or c.af:
        if subtract:
            al -= 6
            ah -= 1
        else:
            al += 6
            ah += 1
        c.af = 1
        c.cf = 1
    else:
        c.af = 0
        c.cf = 0
    set_szp(c, 0, al)
    c.regs[R_AX] = ((ah & 0xFF) << 8) | (al & 0x0F)


cdef inline int op_aam(State* c, uint8_t base) noexcept nogil:
    flush_flags(c)
    cdef uint16_t al = c.regs[R_AX] & 0xFF
    if base == 0:
        # The divider aborts after its first step: the flags read as those of a zero result.
        set_szp(c, 0, 0)
        return 1
    c.regs[R_AX] = ((al / base) << 8) | (al % base)
    set_szp(c, 0, al % base)
    return 0


cdef inline void op_aad(State* c, uint8_t base) noexcept nogil:
    cdef uint16_t al = c.regs[R_AX] & 0xFF
    cdef uint16_t ah = c.regs[R_AX] >> 8
    # The 8086 computes AL + AH*base with its adder, so the flags are those of that addition.
    cdef uint16_t r = alu_add(c, 0, al, <uint8_t>(ah * base), 0)
    c.regs[R_AX] = r & 0xFF
