# Memory, register and operand access. Included into core.pyx so that every helper inlines
# into the dispatch loop; all of them are nogil and touch only C data.
#
# Addressing follows the 8086 exactly: an offset wraps at 64 KiB inside its segment (a word at
# offset FFFF takes its high byte from offset 0 of the same segment) and the 20-bit physical
# address wraps at 1 MiB. Masking with 0xFFFFF makes an access outside the buffer impossible.

cdef inline uint32_t phys(uint16_t seg, uint16_t off) noexcept nogil:
    return ((<uint32_t>seg << 4) + off) & 0xFFFFF


cdef inline uint8_t rb(State* c, uint16_t seg, uint16_t off) noexcept nogil:
    return c.m[phys(seg, off)]


cdef inline uint16_t rw_at(State* c, uint32_t base, uint16_t off) noexcept nogil:
    """The word at offset `off` of the segment starting at physical `base` (segment << 4)."""
    cdef uint32_t a = (base + off) & 0xFFFFF
    cdef uint16_t v
    if off != 0xFFFF and a != 0xFFFFF:
        # Neither the offset nor the physical address wraps: one unaligned host load (x86
        # hosts are little-endian, like the 8086).
        memcpy(&v, c.m + a, 2)
        return v
    return c.m[a] | (<uint16_t>c.m[(base + <uint16_t>(off + 1)) & 0xFFFFF] << 8)


cdef inline uint16_t rw(State* c, uint16_t seg, uint16_t off) noexcept nogil:
    return rw_at(c, <uint32_t>seg << 4, off)


cdef inline void wb(State* c, uint16_t seg, uint16_t off, uint8_t v) noexcept nogil:
    cdef uint32_t a = phys(seg, off)
    # One unsigned compare covers [wp_start, wp_start + wp_len): ROM ignores writes.
    if a - c.wp_start < c.wp_len:
        return
    c.m[a] = v


cdef inline void ww(State* c, uint16_t seg, uint16_t off, uint16_t v) noexcept nogil:
    cdef uint32_t a = phys(seg, off)
    # No wrap, and both bytes outside the write-protected range (a + 1 below its start, or a
    # at or above its end): one host store.
    if off != 0xFFFF and a != 0xFFFFF and a + 1 - c.wp_start > c.wp_len:
        memcpy(c.m + a, &v, 2)
        return
    wb(c, seg, off, <uint8_t>v)
    wb(c, seg, <uint16_t>(off + 1), <uint8_t>(v >> 8))


cdef inline void set_sreg(State* c, int i, uint16_t v) noexcept nogil:
    """Every segment-register write goes through here: CS also moves the fetch base."""
    c.sregs[i] = v
    if i == S_CS:
        c.csb = <uint32_t>v << 4


cdef inline void set_cs(State* c, uint16_t v) noexcept nogil:
    set_sreg(c, S_CS, v)


cdef inline uint8_t fetch8(State* c) noexcept nogil:
    cdef uint8_t v = c.m[(c.csb + c.ip) & 0xFFFFF]
    c.ip += 1
    return v


cdef inline uint16_t fetch16(State* c) noexcept nogil:
    cdef uint16_t v = rw_at(c, c.csb, c.ip)
    c.ip += 2
    return v


cdef inline uint8_t* r8(State* c, int i) noexcept nogil:
    # AL CL DL BL AH CH DH BH: the low bytes of AX..BX for 0-3, the high bytes for 4-7. The
    # registers are stored little-endian (x86 hosts), so byte register i is one byte address,
    # with no branch on i.
    return (<uint8_t*>&c.regs[0]) + (((i & 3) << 1) | (i >> 2))


cdef inline uint16_t getr8(State* c, int i) noexcept nogil:
    return r8(c, i)[0]


cdef inline void setr8(State* c, int i, uint16_t v) noexcept nogil:
    r8(c, i)[0] = <uint8_t>v


cdef inline uint16_t getreg(State* c, int w, int i) noexcept nogil:
    if w:
        return c.regs[i]
    return getr8(c, i)


cdef inline void setreg(State* c, int w, int i, uint16_t v) noexcept nogil:
    if w:
        c.regs[i] = v
    else:
        setr8(c, i, v)


cdef inline uint16_t data_seg(State* c) noexcept nogil:
    """DS unless a segment-override prefix names another one."""
    return c.sregs[c.segmap[S_DS]]


cdef inline void reset_prefixes(State* c) noexcept nogil:
    c.segmap[0] = S_ES
    c.segmap[1] = S_CS
    c.segmap[2] = S_SS
    c.segmap[3] = S_DS
    c.rep = REP_NONE


# Effective-address tables, indexed by the r/m field: base register, index register (8 is the
# always-zero slot regs[8]) and default segment. A table look-up replaces a branch per r/m
# value, which the host cannot predict in mixed code.
cdef extern from *:
    """
    static const unsigned char XT_EA_BASE[8] = {3, 3, 5, 5, 6, 7, 5, 3};
    static const unsigned char XT_EA_INDEX[8] = {6, 7, 6, 7, 8, 8, 8, 8};
    static const unsigned char XT_EA_SEG[8] = {3, 3, 2, 2, 3, 3, 2, 3};
    """
    const uint8_t XT_EA_BASE[8]
    const uint8_t XT_EA_INDEX[8]
    const uint8_t XT_EA_SEG[8]


cdef inline void decode_modrm(State* c, ModRM* d) noexcept nogil:
    """Read the ModR/M byte and, for memory forms, its displacement and effective address."""
    cdef uint8_t modrm = fetch8(c)
    cdef uint16_t off
    cdef int seg
    cdef int rm = modrm & 7
    d.mod = modrm >> 6
    d.reg = (modrm >> 3) & 7
    d.rm = rm
    if d.mod == 3:
        return
    if d.mod == 0 and rm == 6:
        off = fetch16(c)
        seg = S_DS
    else:
        off = c.regs[XT_EA_BASE[rm]] + c.regs[XT_EA_INDEX[rm]]
        seg = XT_EA_SEG[rm]
        if d.mod == 1:
            off += <uint16_t><int16_t><int8_t>fetch8(c)
        elif d.mod == 2:
            off += fetch16(c)
    d.ea_seg = c.sregs[c.segmap[seg]]
    d.ea_off = off


cdef inline uint16_t get_rm(State* c, ModRM* d, int w) noexcept nogil:
    if d.mod == 3:
        return getreg(c, w, d.rm)
    if w:
        return rw(c, d.ea_seg, d.ea_off)
    return rb(c, d.ea_seg, d.ea_off)


cdef inline void set_rm(State* c, ModRM* d, int w, uint16_t v) noexcept nogil:
    if d.mod == 3:
        setreg(c, w, d.rm, v)
    elif w:
        ww(c, d.ea_seg, d.ea_off, v)
    else:
        wb(c, d.ea_seg, d.ea_off, <uint8_t>v)


cdef inline bint interrupt_waiting(State* c) noexcept nogil:
    """An NMI, or INTR with IF set: what a REP string instruction yields to between elements."""
    return c.sig.nmi_pending or (c.sig.intr_line and c.iflag)


cdef inline void push(State* c, uint16_t v) noexcept nogil:
    c.regs[R_SP] -= 2
    ww(c, c.sregs[S_SS], c.regs[R_SP], v)


cdef inline uint16_t pop(State* c) noexcept nogil:
    cdef uint16_t v = rw(c, c.sregs[S_SS], c.regs[R_SP])
    c.regs[R_SP] += 2
    return v


cdef inline uint16_t pack_flags(State* c) noexcept nogil:
    flush_flags(c)
    # Bits 12-15 and 1 read as 1 on the 8086; bits 3 and 5 as 0.
    return (0xF002 | c.cf | (c.pf << 2) | (c.af << 4) | (c.zf << 6) | (c.sf << 7)
            | (c.tf << 8) | (c.iflag << 9) | (c.df << 10) | (c.of << 11))


cdef inline void unpack_flags(State* c, uint16_t f) noexcept nogil:
    c.sig.attn = 1              # IF or TF may have been set
    c.cf = f & 1
    c.pf = (f >> 2) & 1
    c.af = (f >> 4) & 1
    c.zf = (f >> 6) & 1
    c.sf = (f >> 7) & 1
    c.tf = (f >> 8) & 1
    c.iflag = (f >> 9) & 1
    c.df = (f >> 10) & 1
    c.of = (f >> 11) & 1
    c.lazy = 0


cdef inline void interrupt(State* c, uint8_t vector) noexcept nogil:
    push(c, pack_flags(c))
    c.iflag = 0
    c.tf = 0
    push(c, c.sregs[S_CS])
    push(c, c.ip)
    c.ip = rw(c, 0, <uint16_t>(vector * 4))
    set_cs(c, rw(c, 0, <uint16_t>(vector * 4 + 2)))


# Port I/O leaves the loop for Python. The loop's registers are copied to the CPU object first
# (a BIOS service reads and sets them there) and copied back after. Copying by value keeps
# the loop's local state private, which is what lets the compiler keep it in registers.
cdef inline uint16_t port_in(State* c, uint16_t port, int width) noexcept nogil:
    cdef State* home = c.home
    cdef uint16_t v
    home[0] = c[0]
    v = port_in_python(home, port, width)
    c[0] = home[0]
    return v


cdef inline void port_out(State* c, uint16_t port, uint16_t value, int width) noexcept nogil:
    cdef State* home = c.home
    if port == POLL_PORT:
        # An empty keyboard poll in our ROM: a hint for engine/idle.py, as INT 28h is, and no
        # trip to Python (a game that polls between frames of work must not pay for it).
        c.sig.poll = 1
        c.sig.attn = 1
        return
    home[0] = c[0]
    port_out_python(home, port, value, width)
    c[0] = home[0]
