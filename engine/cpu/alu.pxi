# Arithmetic and logic with the 8086's flag results. `w` selects the width: 0 byte, 1 word.
# Flags are computed eagerly into the unpacked flag bytes; parity uses the compiler builtin.

cdef extern from *:
    int __builtin_parity(unsigned int) nogil


cdef inline void set_szp(State* c, int w, uint32_t r) noexcept nogil:
    if w:
        r &= 0xFFFF
        c.sf = (r >> 15) & 1
    else:
        r &= 0xFF
        c.sf = (r >> 7) & 1
    c.zf = r == 0
    c.pf = not __builtin_parity(r & 0xFF)


cdef inline uint16_t alu_add(State* c, int w, uint32_t a, uint32_t b, uint32_t carry) noexcept nogil:
    cdef uint32_t r = a + b + carry
    cdef uint32_t top = 0x8000 if w else 0x80
    c.cf = (r >> (16 if w else 8)) & 1
    c.af = ((a ^ b ^ r) >> 4) & 1
    c.of = ((r ^ a) & (r ^ b) & top) != 0
    set_szp(c, w, r)
    return <uint16_t>(r & (0xFFFF if w else 0xFF))


cdef inline uint16_t alu_sub(State* c, int w, uint32_t a, uint32_t b, uint32_t borrow) noexcept nogil:
    cdef uint32_t r = a - b - borrow
    cdef uint32_t top = 0x8000 if w else 0x80
    c.cf = (r >> (16 if w else 8)) & 1
    c.af = ((a ^ b ^ r) >> 4) & 1
    c.of = ((a ^ b) & (a ^ r) & top) != 0
    set_szp(c, w, r)
    return <uint16_t>(r & (0xFFFF if w else 0xFF))


cdef inline uint16_t alu_logic(State* c, int w, uint32_t r) noexcept nogil:
    c.cf = 0
    c.of = 0
    c.af = 0
    set_szp(c, w, r)
    return <uint16_t>r


cdef inline uint16_t alu(State* c, int op, int w, uint16_t a, uint16_t b) noexcept nogil:
    """The eight group-1 operations: ADD OR ADC SBB AND SUB XOR CMP (CMP returns a)."""
    if op == 0:
        return alu_add(c, w, a, b, 0)
    elif op == 1:
        return alu_logic(c, w, a | b)
    elif op == 2:
        return alu_add(c, w, a, b, c.cf)
    elif op == 3:
        return alu_sub(c, w, a, b, c.cf)
    elif op == 4:
        return alu_logic(c, w, a & b)
    elif op == 5:
        return alu_sub(c, w, a, b, 0)
    elif op == 6:
        return alu_logic(c, w, a ^ b)
    alu_sub(c, w, a, b, 0)
    return a


cdef inline uint16_t alu_inc(State* c, int w, uint16_t a) noexcept nogil:
    cdef uint8_t cf = c.cf
    cdef uint16_t r = alu_add(c, w, a, 1, 0)
    c.cf = cf
    return r


cdef inline uint16_t alu_dec(State* c, int w, uint16_t a) noexcept nogil:
    cdef uint8_t cf = c.cf
    cdef uint16_t r = alu_sub(c, w, a, 1, 0)
    c.cf = cf
    return r


cdef inline uint16_t alu_shift(State* c, int op, int w, uint16_t v, uint32_t count) noexcept nogil:
    """Group 2 (D0-D3): ROL ROR RCL RCR SHL SHR SETMO SAR, one bit at a time as the 8086's
    microcode does, so a count above the width (CL is not masked on the 8086) and the flags
    of the last step come out as on the chip. A count of 0 changes nothing, flags included."""
    cdef uint32_t bits = 16 if w else 8
    cdef uint32_t top = 1u << (bits - 1)
    cdef uint32_t mask = (top << 1) - 1
    cdef uint32_t r = v & mask
    cdef uint32_t old, bit
    if count == 0:
        return v
    if op == 6:
        # SETMO/SETMOC (undocumented): the result is all ones.
        r = mask
        c.cf = 0
        c.of = 0
        c.af = 0
        set_szp(c, w, r)
        return <uint16_t>r
    while count:
        count -= 1
        old = r
        if op == 0:      # ROL
            bit = (r & top) != 0
            r = ((r << 1) | bit) & mask
            c.cf = bit
            c.of = ((r & top) != 0) ^ c.cf
        elif op == 1:    # ROR
            bit = r & 1
            r = (r >> 1) | (bit * top)
            c.cf = bit
            c.of = ((r ^ (r << 1)) & top) != 0
        elif op == 2:    # RCL
            bit = (r & top) != 0
            r = ((r << 1) | c.cf) & mask
            c.cf = bit
            c.of = ((r & top) != 0) ^ c.cf
        elif op == 3:    # RCR
            bit = r & 1
            r = (r >> 1) | (c.cf * top)
            c.cf = bit
            c.of = ((r ^ (r << 1)) & top) != 0
        elif op == 4:    # SHL/SAL
            c.cf = (r & top) != 0
            r = (r << 1) & mask
            c.of = ((r & top) != 0) ^ c.cf
            c.af = (r >> 4) & 1
        elif op == 5:    # SHR
            c.cf = r & 1
            r = r >> 1
            c.of = (old & top) != 0
            c.af = 0
        else:            # SAR (op 7)
            c.cf = r & 1
            r = (r >> 1) | (r & top)
            c.of = 0
            c.af = 0
    if op >= 4:
        set_szp(c, w, r)
    return <uint16_t>r
