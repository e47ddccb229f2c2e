# Arithmetic and logic with the 8086's flag results. `w` selects the width: 0 byte, 1 word.
#
# Flags are lazy for the common ALU operations: ADD/ADC, SUB/SBB/CMP/NEG, the logic group,
# INC, DEC and the shifts record their operands, result and kind (`c.lazy`), and a flag is
# computed only when something reads it: a conditional jump reads one or two, most results
# are never read before the next ALU operation replaces them. CF is the exception: it costs
# one shift to set and is read often (ADC/SBB, INC/DEC keep it, JB/JA), so it is always in
# its byte. Every other writer of flags first calls `flush_flags`, which turns the record into
# the unpacked flag bytes (`c.lazy` = 0), and then works on the bytes as before; so every flag
# still comes out of the same formula.

cdef extern from *:
    int __builtin_parity(unsigned int) nogil

cdef enum:
    LZ_ADD = 1 << 1      # kinds are shifted left by one; bit 0 is the width
    LZ_SUB = 2 << 1
    LZ_LOGIC = 3 << 1
    LZ_INC = 4 << 1
    LZ_DEC = 5 << 1
    LZ_SHIFT = 6 << 1    # shifts: CF AF OF are in the flag bytes, SF ZF PF from the result


cdef inline uint8_t lazy_zf(State* c) noexcept nogil:
    if c.lazy:
        return (c.lz_r & (0xFFFF if c.lazy & 1 else 0xFF)) == 0
    return c.zf


cdef inline uint8_t lazy_sf(State* c) noexcept nogil:
    if c.lazy:
        return (c.lz_r >> (15 if c.lazy & 1 else 7)) & 1
    return c.sf


cdef inline uint8_t lazy_pf(State* c) noexcept nogil:
    if c.lazy:
        return not __builtin_parity(c.lz_r & 0xFF)
    return c.pf


cdef inline uint8_t lazy_af(State* c) noexcept nogil:
    cdef int k = c.lazy & ~1
    if k == 0 or k == LZ_SHIFT:
        return c.af
    if k == LZ_LOGIC:
        return 0
    return ((c.lz_a ^ c.lz_b ^ c.lz_r) >> 4) & 1


cdef inline uint8_t lazy_of(State* c) noexcept nogil:
    cdef int k = c.lazy & ~1
    cdef uint32_t top = 0x8000 if c.lazy & 1 else 0x80
    if k == 0 or k == LZ_SHIFT:
        return c.of
    if k == LZ_ADD or k == LZ_INC:
        return ((c.lz_r ^ c.lz_a) & (c.lz_r ^ c.lz_b) & top) != 0
    if k == LZ_SUB or k == LZ_DEC:
        return ((c.lz_a ^ c.lz_b) & (c.lz_a ^ c.lz_r) & top) != 0
    return 0


cdef inline void flush_flags(State* c) noexcept nogil:
    """Make the flag bytes current (before code that reads or sets them directly)."""
    if c.lazy:
        c.pf = lazy_pf(c)
        c.af = lazy_af(c)
        c.zf = lazy_zf(c)
        c.sf = lazy_sf(c)
        c.of = lazy_of(c)
        c.lazy = 0


cdef inline void set_szp(State* c, int w, uint32_t r) noexcept nogil:
    """SF ZF PF of a result, into the flag bytes (callers have flushed)."""
    if w:
        r &= 0xFFFF
        c.sf = (r >> 15) & 1
    else:
        r &= 0xFF
        c.sf = (r >> 7) & 1
    c.zf = r == 0
    c.pf = not __builtin_parity(r & 0xFF)


cdef inline uint16_t record(State* c, int kind, int w, uint32_t a, uint32_t b,
                            uint32_t r) noexcept nogil:
    """Note an arithmetic result for the lazy flags; return it cut to the width."""
    c.lz_a = a
    c.lz_b = b
    c.lz_r = r
    c.lazy = kind | w
    return <uint16_t>(r & (0xFFFF if w else 0xFF))


cdef inline uint16_t alu_add(State* c, int w, uint32_t a, uint32_t b, uint32_t carry) noexcept nogil:
    cdef uint32_t r = a + b + carry
    c.cf = (r >> (16 if w else 8)) & 1
    return record(c, LZ_ADD, w, a, b, r)


cdef inline uint16_t alu_sub(State* c, int w, uint32_t a, uint32_t b, uint32_t borrow) noexcept nogil:
    cdef uint32_t r = a - b - borrow
    c.cf = (r >> (16 if w else 8)) & 1
    return record(c, LZ_SUB, w, a, b, r)


cdef inline uint16_t alu_logic(State* c, int w, uint32_t r) noexcept nogil:
    c.cf = 0
    c.lz_r = r
    c.lazy = LZ_LOGIC | w
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
    return record(c, LZ_INC, w, a, 1, <uint32_t>a + 1)       # CF untouched


cdef inline uint16_t alu_dec(State* c, int w, uint16_t a) noexcept nogil:
    return record(c, LZ_DEC, w, a, 1, <uint32_t>a - 1)


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
    if op < 4:
        flush_flags(c)          # rotates set only CF and OF (and RCL/RCR read CF)
    if op == 6:
        # SETMO/SETMOC (undocumented): the result is all ones.
        r = mask
        c.cf = 0
        c.of = 0
        c.af = 0
        c.lz_r = r
        c.lazy = LZ_SHIFT | w
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
        c.lz_r = r
        c.lazy = LZ_SHIFT | w
    return <uint16_t>r
