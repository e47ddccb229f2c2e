# Memory, register and operand access. Included into core.pyx so that every helper inlines
# into the dispatch loop; all of them are nogil and touch only C data.
#
# Addressing follows the 8086 exactly: an offset wraps at 64 KiB inside its segment (a word at
# offset FFFF takes its high byte from offset 0 of the same segment) and the 20-bit physical
# address wraps at 1 MiB. Masking with 0xFFFFF makes an access outside the buffer impossible.

cdef inline uint32_t phys(uint16_t seg, uint16_t off) noexcept nogil:
    return ((<uint32_t>seg << 4) + off) & 0xFFFFF


cdef inline uint8_t rb(CPU c, uint16_t seg, uint16_t off) noexcept nogil:
    return c.m[phys(seg, off)]


cdef inline uint16_t rw(CPU c, uint16_t seg, uint16_t off) noexcept nogil:
    return c.m[phys(seg, off)] | (<uint16_t>c.m[phys(seg, <uint16_t>(off + 1))] << 8)


cdef inline void wb(CPU c, uint16_t seg, uint16_t off, uint8_t v) noexcept nogil:
    cdef uint32_t a = phys(seg, off)
    # One unsigned compare covers [wp_start, wp_start + wp_len): ROM ignores writes.
    if a - c.wp_start < c.wp_len:
        return
    c.m[a] = v


cdef inline void ww(CPU c, uint16_t seg, uint16_t off, uint16_t v) noexcept nogil:
    wb(c, seg, off, <uint8_t>v)
    wb(c, seg, <uint16_t>(off + 1), <uint8_t>(v >> 8))


cdef inline uint8_t fetch8(CPU c) noexcept nogil:
    cdef uint8_t v = c.m[phys(c.sregs[S_CS], c.ip)]
    c.ip += 1
    return v


cdef inline uint16_t fetch16(CPU c) noexcept nogil:
    cdef uint16_t v = rw(c, c.sregs[S_CS], c.ip)
    c.ip += 2
    return v


cdef inline uint8_t* r8(CPU c, int i) noexcept nogil:
    # AL CL DL BL AH CH DH BH: the low bytes of AX..BX for 0-3, the high bytes for 4-7. The
    # registers are stored little-endian (x86 hosts), so byte register i is one byte address,
    # with no branch on i.
    return (<uint8_t*>&c.regs[0]) + (((i & 3) << 1) | (i >> 2))


cdef inline uint16_t getr8(CPU c, int i) noexcept nogil:
    return r8(c, i)[0]


cdef inline void setr8(CPU c, int i, uint16_t v) noexcept nogil:
    r8(c, i)[0] = <uint8_t>v


cdef inline uint16_t getreg(CPU c, int w, int i) noexcept nogil:
    if w:
        return c.regs[i]
    return getr8(c, i)


cdef inline void setreg(CPU c, int w, int i, uint16_t v) noexcept nogil:
    if w:
        c.regs[i] = v
    else:
        setr8(c, i, v)


cdef inline uint16_t data_seg(CPU c) noexcept nogil:
    """DS unless a segment-override prefix names another one."""
    if c.seg_ovr >= 0:
        return c.sregs[c.seg_ovr]
    return c.sregs[S_DS]


cdef inline void decode_modrm(CPU c) noexcept nogil:
    """Read the ModR/M byte and, for memory forms, its displacement and effective address."""
    cdef uint8_t modrm = fetch8(c)
    cdef uint16_t off = 0
    cdef int seg = S_DS
    c.mod = modrm >> 6
    c.reg = (modrm >> 3) & 7
    c.rm = modrm & 7
    if c.mod == 3:
        return
    if c.rm == 0:
        off = c.regs[R_BX] + c.regs[R_SI]
    elif c.rm == 1:
        off = c.regs[R_BX] + c.regs[R_DI]
    elif c.rm == 2:
        off = c.regs[R_BP] + c.regs[R_SI]
        seg = S_SS
    elif c.rm == 3:
        off = c.regs[R_BP] + c.regs[R_DI]
        seg = S_SS
    elif c.rm == 4:
        off = c.regs[R_SI]
    elif c.rm == 5:
        off = c.regs[R_DI]
    elif c.rm == 6:
        if c.mod == 0:
            off = fetch16(c)
        else:
            off = c.regs[R_BP]
            seg = S_SS
    else:
        off = c.regs[R_BX]
    if c.mod == 1:
        off += <uint16_t><int16_t><int8_t>fetch8(c)
    elif c.mod == 2:
        off += fetch16(c)
    if c.seg_ovr >= 0:
        seg = c.seg_ovr
    c.ea_seg = c.sregs[seg]
    c.ea_off = off


cdef inline uint16_t get_rm(CPU c, int w) noexcept nogil:
    if c.mod == 3:
        return getreg(c, w, c.rm)
    if w:
        return rw(c, c.ea_seg, c.ea_off)
    return rb(c, c.ea_seg, c.ea_off)


cdef inline void set_rm(CPU c, int w, uint16_t v) noexcept nogil:
    if c.mod == 3:
        setreg(c, w, c.rm, v)
    elif w:
        ww(c, c.ea_seg, c.ea_off, v)
    else:
        wb(c, c.ea_seg, c.ea_off, <uint8_t>v)


cdef inline void push(CPU c, uint16_t v) noexcept nogil:
    c.regs[R_SP] -= 2
    ww(c, c.sregs[S_SS], c.regs[R_SP], v)


cdef inline uint16_t pop(CPU c) noexcept nogil:
    cdef uint16_t v = rw(c, c.sregs[S_SS], c.regs[R_SP])
    c.regs[R_SP] += 2
    return v


cdef inline uint16_t pack_flags(CPU c) noexcept nogil:
    # Bits 12-15 and 1 read as 1 on the 8086; bits 3 and 5 as 0.
    return (0xF002 | c.cf | (c.pf << 2) | (c.af << 4) | (c.zf << 6) | (c.sf << 7)
            | (c.tf << 8) | (c.iflag << 9) | (c.df << 10) | (c.of << 11))


cdef inline void unpack_flags(CPU c, uint16_t f) noexcept nogil:
    c.cf = f & 1
    c.pf = (f >> 2) & 1
    c.af = (f >> 4) & 1
    c.zf = (f >> 6) & 1
    c.sf = (f >> 7) & 1
    c.tf = (f >> 8) & 1
    c.iflag = (f >> 9) & 1
    c.df = (f >> 10) & 1
    c.of = (f >> 11) & 1
