# Decode and execute one instruction. The opcode switch is written as an if/elif chain on a C
# integer, which Cython turns into a C `switch`. Each arm is short and calls the inline helpers
# of the other .pxi files, so this file reads as the 8086 opcode map.

cdef inline int condition(State* c, int cc) noexcept nogil:
    """Jcc condition codes 0-15 (O NO B NB Z NZ BE A S NS P NP L GE LE G)."""
    cdef int r
    cdef int k = cc >> 1
    if k == 0:
        r = lazy_of(c)
    elif k == 1:
        r = c.cf
    elif k == 2:
        r = lazy_zf(c)
    elif k == 3:
        r = c.cf | lazy_zf(c)
    elif k == 4:
        r = lazy_sf(c)
    elif k == 5:
        r = lazy_pf(c)
    elif k == 6:
        r = lazy_sf(c) != lazy_of(c)
    else:
        r = lazy_zf(c) | (lazy_sf(c) != lazy_of(c))
    return r ^ (cc & 1)


cdef inline void jump_short(State* c, int taken) noexcept nogil:
    cdef uint16_t rel = <uint16_t><int16_t><int8_t>fetch8(c)
    if taken:
        c.ip += rel


cdef inline void divide_error(State* c) noexcept nogil:
    # The 8086 pushes the address of the NEXT instruction (the 286 and later push the faulting one).
    interrupt(c, 0)


cdef inline void group3(State* c, int w) noexcept nogil:
    cdef ModRM d
    cdef uint16_t v, imm
    decode_modrm(c, &d)
    v = get_rm(c, &d, w)
    if d.reg < 2:              # TEST r/m, imm (reg 1 is an undocumented alias)
        imm = fetch16(c) if w else fetch8(c)
        alu_logic(c, w, v & imm)
    elif d.reg == 2:           # NOT
        set_rm(c, &d, w, ~v)
    elif d.reg == 3:           # NEG
        set_rm(c, &d, w, alu_sub(c, w, 0, v, 0))
    elif d.reg == 4:
        op_mul(c, w, v)
    elif d.reg == 5:
        op_imul(c, w, v)
    elif d.reg == 6:
        if op_div(c, w, v):
            divide_error(c)
    elif op_idiv(c, w, v):
        divide_error(c)


cdef inline void group5(State* c, int w) noexcept nogil:
    """FE/FF: INC DEC CALL CALLF JMP JMPF PUSH PUSH. FE /2-/7 are undefined on the 8086; we run
    them as the FF forms with a byte operand, which never leaves the 1 MiB space."""
    cdef ModRM d
    cdef uint16_t v, seg
    decode_modrm(c, &d)
    if d.reg == 0:
        set_rm(c, &d, w, alu_inc(c, w, get_rm(c, &d, w)))
    elif d.reg == 1:
        set_rm(c, &d, w, alu_dec(c, w, get_rm(c, &d, w)))
    elif d.reg == 2:
        v = get_rm(c, &d, w)
        push(c, c.ip)
        c.ip = v
    elif d.reg == 4:
        c.ip = get_rm(c, &d, w)
    elif d.reg == 3 or d.reg == 5:
        if d.mod == 3:
            # No memory operand: the 8086 uses whatever its address latch holds; we read from
            # offset 0 of the data segment, a defined and harmless choice.
            d.ea_seg = data_seg(c)
            d.ea_off = 0
        v = rw(c, d.ea_seg, d.ea_off)
        seg = rw(c, d.ea_seg, <uint16_t>(d.ea_off + 2))
        if d.reg == 3:
            push(c, c.sregs[S_CS])
            push(c, c.ip)
        set_cs(c, seg)
        c.ip = v
    else:
        v = get_rm(c, &d, w)
        if d.mod == 3 and d.rm == R_SP and w:
            v -= 2          # PUSH SP pushes the decremented SP on the 8086
        push(c, v)


cdef inline void alu_block(State* c, uint8_t op) noexcept nogil:
    """00-3F where (op & 7) < 6: ADD OR ADC SBB AND SUB XOR CMP in their six encodings."""
    cdef ModRM d
    cdef int aop = op >> 3
    cdef int k = op & 7
    cdef int w = k & 1
    cdef uint16_t r
    # Each width has its own copy of the code so that gcc folds `w` in the inlined ALU helpers.
    if k < 4:
        decode_modrm(c, &d)
        if w:
            if k & 2:
                r = alu(c, aop, 1, c.regs[d.reg], get_rm(c, &d, 1))
                if aop != 7:
                    c.regs[d.reg] = r
            else:
                r = alu(c, aop, 1, get_rm(c, &d, 1), c.regs[d.reg])
                if aop != 7:
                    set_rm(c, &d, 1, r)
        elif k & 2:
            r = alu(c, aop, 0, getr8(c, d.reg), get_rm(c, &d, 0))
            if aop != 7:
                setr8(c, d.reg, r)
        else:
            r = alu(c, aop, 0, get_rm(c, &d, 0), getr8(c, d.reg))
            if aop != 7:
                set_rm(c, &d, 0, r)
    elif k == 4:
        r = alu(c, aop, 0, c.regs[R_AX] & 0xFF, fetch8(c))
        setr8(c, 0, r)
    else:
        c.regs[R_AX] = alu(c, aop, 1, c.regs[R_AX], fetch16(c))


cdef inline void group1(State* c, uint8_t op) noexcept nogil:
    """80-83: the eight ALU operations on r/m with an immediate (82 is an alias of 80, 83
    sign-extends a byte)."""
    cdef ModRM d
    cdef int w = op & 1
    cdef uint16_t v, t
    decode_modrm(c, &d)
    v = get_rm(c, &d, w)
    if op == 0x81:
        t = fetch16(c)
    elif op == 0x83:
        t = <uint16_t><int16_t><int8_t>fetch8(c)
    else:
        t = fetch8(c)
    t = alu(c, d.reg, w, v, t)
    if d.reg != 7:
        set_rm(c, &d, w, t)


cdef inline void group2(State* c, uint8_t op) noexcept nogil:
    """D0-D3: shifts and rotates by 1 or by CL."""
    cdef ModRM d
    cdef int w = op & 1
    cdef uint16_t v
    decode_modrm(c, &d)
    v = get_rm(c, &d, w)
    set_rm(c, &d, w, alu_shift(c, d.reg, w, v, 1 if op < 0xD2 else c.regs[R_CX] & 0xFF))


cdef inline void execute(State* c) noexcept nogil:
    cdef ModRM d
    cdef uint8_t op
    cdef int w
    cdef uint16_t v, t, off
    cdef int prefixes = 0
    # Between instructions the segment map is the identity and rep REP_NONE; prefixes set them
    # and they are reset after every instruction (two stores, cheaper than testing whether a
    # prefix was seen). Prefixes are cases of the same switch: they record their effect and
    # fetch again. A segment made only of prefixes (hostile code) is cut off after 64 K of
    # them so one step always ends.
    while True:
        op = fetch8(c)
        # One `switch` on the opcode: every arm tests `op` against one constant (Cython turns
        # such a chain into a C switch; a range test anywhere in it would turn it back into
        # if/else). Hot opcode families get one arm per opcode, each calling the inline
        # helper with a constant, so the C compiler specialises it: no second dispatch on the
        # ALU operation, width, direction or condition code at run time.
        if op == 0x00:
            alu_block(c, 0x00)
        elif op == 0x01:
            alu_block(c, 0x01)
        elif op == 0x02:
            alu_block(c, 0x02)
        elif op == 0x03:
            alu_block(c, 0x03)
        elif op == 0x04:
            alu_block(c, 0x04)
        elif op == 0x05:
            alu_block(c, 0x05)
        elif op == 0x08:
            alu_block(c, 0x08)
        elif op == 0x09:
            alu_block(c, 0x09)
        elif op == 0x0A:
            alu_block(c, 0x0A)
        elif op == 0x0B:
            alu_block(c, 0x0B)
        elif op == 0x0C:
            alu_block(c, 0x0C)
        elif op == 0x0D:
            alu_block(c, 0x0D)
        elif op == 0x10:
            alu_block(c, 0x10)
        elif op == 0x11:
            alu_block(c, 0x11)
        elif op == 0x12:
            alu_block(c, 0x12)
        elif op == 0x13:
            alu_block(c, 0x13)
        elif op == 0x14:
            alu_block(c, 0x14)
        elif op == 0x15:
            alu_block(c, 0x15)
        elif op == 0x18:
            alu_block(c, 0x18)
        elif op == 0x19:
            alu_block(c, 0x19)
        elif op == 0x1A:
            alu_block(c, 0x1A)
        elif op == 0x1B:
            alu_block(c, 0x1B)
        elif op == 0x1C:
            alu_block(c, 0x1C)
        elif op == 0x1D:
            alu_block(c, 0x1D)
        elif op == 0x20:
            alu_block(c, 0x20)
        elif op == 0x21:
            alu_block(c, 0x21)
        elif op == 0x22:
            alu_block(c, 0x22)
        elif op == 0x23:
            alu_block(c, 0x23)
        elif op == 0x24:
            alu_block(c, 0x24)
        elif op == 0x25:
            alu_block(c, 0x25)
        elif op == 0x28:
            alu_block(c, 0x28)
        elif op == 0x29:
            alu_block(c, 0x29)
        elif op == 0x2A:
            alu_block(c, 0x2A)
        elif op == 0x2B:
            alu_block(c, 0x2B)
        elif op == 0x2C:
            alu_block(c, 0x2C)
        elif op == 0x2D:
            alu_block(c, 0x2D)
        elif op == 0x30:
            alu_block(c, 0x30)
        elif op == 0x31:
            alu_block(c, 0x31)
        elif op == 0x32:
            alu_block(c, 0x32)
        elif op == 0x33:
            alu_block(c, 0x33)
        elif op == 0x34:
            alu_block(c, 0x34)
        elif op == 0x35:
            alu_block(c, 0x35)
        elif op == 0x38:
            alu_block(c, 0x38)
        elif op == 0x39:
            alu_block(c, 0x39)
        elif op == 0x3A:
            alu_block(c, 0x3A)
        elif op == 0x3B:
            alu_block(c, 0x3B)
        elif op == 0x3C:
            alu_block(c, 0x3C)
        elif op == 0x3D:
            alu_block(c, 0x3D)
        elif op == 0x06 or op == 0x0E or op == 0x16 or op == 0x1E:
            push(c, c.sregs[op >> 3])
        elif op == 0x07 or op == 0x0F or op == 0x1F:
            # 0F is POP CS on the 8086.
            set_sreg(c, op >> 3, pop(c))
        elif op == 0x17:
            c.sregs[S_SS] = pop(c)
            c.shadow = 1
            c.sig.attn = 1
        elif op == 0x27:
            op_daa(c)
        elif op == 0x2F:
            op_das(c)
        elif op == 0x37:
            op_aaa_aas(c, 0)
        elif op == 0x3F:
            op_aaa_aas(c, 1)
        elif op in (0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47):
            c.regs[op & 7] = alu_inc(c, 1, c.regs[op & 7])
        elif op in (0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F):
            c.regs[op & 7] = alu_dec(c, 1, c.regs[op & 7])
        elif op in (0x50, 0x51, 0x52, 0x53, 0x55, 0x56, 0x57):
            push(c, c.regs[op & 7])
        elif op == 0x54:
            push(c, c.regs[R_SP] - 2)      # PUSH SP pushes the decremented SP on the 8086
        elif op in (0x58, 0x59, 0x5A, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F):
            c.regs[op & 7] = pop(c)
        elif op == 0x70:
            jump_short(c, condition(c, 0x0))
        elif op == 0x71:
            jump_short(c, condition(c, 0x1))
        elif op == 0x72:
            jump_short(c, condition(c, 0x2))
        elif op == 0x73:
            jump_short(c, condition(c, 0x3))
        elif op == 0x74:
            jump_short(c, condition(c, 0x4))
        elif op == 0x75:
            jump_short(c, condition(c, 0x5))
        elif op == 0x76:
            jump_short(c, condition(c, 0x6))
        elif op == 0x77:
            jump_short(c, condition(c, 0x7))
        elif op == 0x78:
            jump_short(c, condition(c, 0x8))
        elif op == 0x79:
            jump_short(c, condition(c, 0x9))
        elif op == 0x7A:
            jump_short(c, condition(c, 0xA))
        elif op == 0x7B:
            jump_short(c, condition(c, 0xB))
        elif op == 0x7C:
            jump_short(c, condition(c, 0xC))
        elif op == 0x7D:
            jump_short(c, condition(c, 0xD))
        elif op == 0x7E:
            jump_short(c, condition(c, 0xE))
        elif op == 0x7F:
            jump_short(c, condition(c, 0xF))
        # 60-6F are undocumented aliases of 70-7F on the 8086.
        elif op == 0x60:
            jump_short(c, condition(c, 0x0))
        elif op == 0x61:
            jump_short(c, condition(c, 0x1))
        elif op == 0x62:
            jump_short(c, condition(c, 0x2))
        elif op == 0x63:
            jump_short(c, condition(c, 0x3))
        elif op == 0x64:
            jump_short(c, condition(c, 0x4))
        elif op == 0x65:
            jump_short(c, condition(c, 0x5))
        elif op == 0x66:
            jump_short(c, condition(c, 0x6))
        elif op == 0x67:
            jump_short(c, condition(c, 0x7))
        elif op == 0x68:
            jump_short(c, condition(c, 0x8))
        elif op == 0x69:
            jump_short(c, condition(c, 0x9))
        elif op == 0x6A:
            jump_short(c, condition(c, 0xA))
        elif op == 0x6B:
            jump_short(c, condition(c, 0xB))
        elif op == 0x6C:
            jump_short(c, condition(c, 0xC))
        elif op == 0x6D:
            jump_short(c, condition(c, 0xD))
        elif op == 0x6E:
            jump_short(c, condition(c, 0xE))
        elif op == 0x6F:
            jump_short(c, condition(c, 0xF))
        elif op == 0x80:
            group1(c, 0x80)
        elif op == 0x81:
            group1(c, 0x81)
        elif op == 0x82:
            group1(c, 0x82)
        elif op == 0x83:
            group1(c, 0x83)
        elif op == 0x84 or op == 0x85:
            w = op & 1
            decode_modrm(c, &d)
            alu_logic(c, w, get_rm(c, &d, w) & getreg(c, w, d.reg))
        elif op == 0x86 or op == 0x87:
            w = op & 1
            decode_modrm(c, &d)
            v = get_rm(c, &d, w)
            set_rm(c, &d, w, getreg(c, w, d.reg))
            setreg(c, w, d.reg, v)
        elif op == 0x88:
            decode_modrm(c, &d)
            set_rm(c, &d, 0, getr8(c, d.reg))
        elif op == 0x89:
            decode_modrm(c, &d)
            set_rm(c, &d, 1, c.regs[d.reg])
        elif op == 0x8A:
            decode_modrm(c, &d)
            setr8(c, d.reg, get_rm(c, &d, 0))
        elif op == 0x8B:
            decode_modrm(c, &d)
            c.regs[d.reg] = get_rm(c, &d, 1)
        elif op == 0x8C:
            decode_modrm(c, &d)
            set_rm(c, &d, 1, c.sregs[d.reg & 3])
        elif op == 0x8D:
            decode_modrm(c, &d)
            if d.mod != 3:
                c.regs[d.reg] = d.ea_off
        elif op == 0x8E:
            decode_modrm(c, &d)
            set_sreg(c, d.reg & 3, get_rm(c, &d, 1))     # MOV CS is legal on the 8086
            if (d.reg & 3) == S_SS:
                c.shadow = 1
                c.sig.attn = 1
        elif op == 0x8F:
            decode_modrm(c, &d)
            v = pop(c)
            set_rm(c, &d, 1, v)
        elif op in (0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97):
            v = c.regs[op & 7]
            c.regs[op & 7] = c.regs[R_AX]
            c.regs[R_AX] = v
        elif op == 0x98:
            c.regs[R_AX] = <uint16_t><int16_t><int8_t>(c.regs[R_AX] & 0xFF)
        elif op == 0x99:
            c.regs[R_DX] = 0xFFFF if c.regs[R_AX] & 0x8000 else 0
        elif op == 0x9A:
            off = fetch16(c)
            v = fetch16(c)
            push(c, c.sregs[S_CS])
            push(c, c.ip)
            set_cs(c, v)
            c.ip = off
        elif op == 0x9B:
            pass                       # WAIT: the TEST pin is always active
        elif op == 0x9C:
            push(c, pack_flags(c))
        elif op == 0x9D:
            unpack_flags(c, pop(c))
        elif op == 0x9E:
            v = c.regs[R_AX] >> 8
            flush_flags(c)                 # SAHF leaves OF
            c.cf = v & 1
            c.pf = (v >> 2) & 1
            c.af = (v >> 4) & 1
            c.zf = (v >> 6) & 1
            c.sf = (v >> 7) & 1
        elif op == 0x9F:
            setr8(c, 4, pack_flags(c) & 0xFF)
        elif op == 0xA0:
            setr8(c, 0, rb(c, data_seg(c), fetch16(c)))
        elif op == 0xA1:
            c.regs[R_AX] = rw(c, data_seg(c), fetch16(c))
        elif op == 0xA2:
            wb(c, data_seg(c), fetch16(c), <uint8_t>c.regs[R_AX])
        elif op == 0xA3:
            ww(c, data_seg(c), fetch16(c), c.regs[R_AX])
        elif op == 0xA4:
            string_op(c, 0xA4)
        elif op == 0xA5:
            string_op(c, 0xA5)
        elif op == 0xA6:
            string_op(c, 0xA6)
        elif op == 0xA7:
            string_op(c, 0xA7)
        elif op == 0xAA:
            string_op(c, 0xAA)
        elif op == 0xAB:
            string_op(c, 0xAB)
        elif op == 0xAC:
            string_op(c, 0xAC)
        elif op == 0xAD:
            string_op(c, 0xAD)
        elif op == 0xAE:
            string_op(c, 0xAE)
        elif op == 0xAF:
            string_op(c, 0xAF)
        elif op == 0xA8:
            alu_logic(c, 0, c.regs[R_AX] & fetch8(c) & 0xFF)
        elif op == 0xA9:
            alu_logic(c, 1, c.regs[R_AX] & fetch16(c))
        elif op in (0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7):
            setr8(c, op & 7, fetch8(c))
        elif op in (0xB8, 0xB9, 0xBA, 0xBB, 0xBC, 0xBD, 0xBE, 0xBF):
            c.regs[op & 7] = fetch16(c)
        elif op == 0xC0 or op == 0xC2:
            off = fetch16(c)
            c.ip = pop(c)
            c.regs[R_SP] += off
        elif op == 0xC1 or op == 0xC3:
            c.ip = pop(c)
        elif op == 0xC4 or op == 0xC5:
            decode_modrm(c, &d)
            if d.mod == 3:
                d.ea_seg = data_seg(c)
                d.ea_off = 0
            c.regs[d.reg] = rw(c, d.ea_seg, d.ea_off)
            c.sregs[S_ES if op == 0xC4 else S_DS] = rw(c, d.ea_seg, <uint16_t>(d.ea_off + 2))
        elif op == 0xC6:
            decode_modrm(c, &d)
            set_rm(c, &d, 0, fetch8(c))
        elif op == 0xC7:
            decode_modrm(c, &d)
            set_rm(c, &d, 1, fetch16(c))
        elif op == 0xC8 or op == 0xCA:
            off = fetch16(c)
            c.ip = pop(c)
            set_cs(c, pop(c))
            c.regs[R_SP] += off
        elif op == 0xC9 or op == 0xCB:
            c.ip = pop(c)
            set_cs(c, pop(c))
        elif op == 0xCC:
            interrupt(c, 3)
        elif op == 0xCD:
            v = fetch8(c)
            if v == 0x28 or (v == 0x2F and c.regs[R_AX] == 0x1680):
                # DOS idle / release time slice: a hint engine/idle.py weighs (no effect here)
                c.sig.poll = 1
                c.sig.attn = 1
            interrupt(c, <uint8_t>v)
        elif op == 0xCE:
            if lazy_of(c):
                interrupt(c, 4)
        elif op == 0xCF:
            c.ip = pop(c)
            set_cs(c, pop(c))
            unpack_flags(c, pop(c))
        elif op == 0xD0:
            group2(c, 0xD0)
        elif op == 0xD1:
            group2(c, 0xD1)
        elif op == 0xD2:
            group2(c, 0xD2)
        elif op == 0xD3:
            group2(c, 0xD3)
        elif op == 0xD4:
            if op_aam(c, fetch8(c)):
                divide_error(c)
        elif op == 0xD5:
            op_aad(c, fetch8(c))
        elif op == 0xD6:
            setr8(c, 0, 0xFF if c.cf else 0)     # SALC (undocumented)
        elif op == 0xD7:
            setr8(c, 0, rb(c, data_seg(c), <uint16_t>(c.regs[R_BX] + (c.regs[R_AX] & 0xFF))))
        elif op in (0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF):
            decode_modrm(c, &d)                       # ESC: no coprocessor; only the operand is decoded
        elif op == 0xE0:
            c.regs[R_CX] -= 1
            jump_short(c, c.regs[R_CX] != 0 and not lazy_zf(c))
        elif op == 0xE1:
            c.regs[R_CX] -= 1
            jump_short(c, c.regs[R_CX] != 0 and lazy_zf(c))
        elif op == 0xE2:
            c.regs[R_CX] -= 1
            jump_short(c, c.regs[R_CX] != 0)
        elif op == 0xE3:
            jump_short(c, c.regs[R_CX] == 0)
        elif op == 0xE4 or op == 0xE5:
            w = op & 1
            v = port_in(c, fetch8(c), 1 + w)
            setreg(c, w, R_AX, v)
        elif op == 0xE6 or op == 0xE7:
            w = op & 1
            v = fetch8(c)
            port_out(c, v, getreg(c, w, R_AX), 1 + w)
        elif op == 0xE8:
            v = fetch16(c)
            push(c, c.ip)
            c.ip += v
        elif op == 0xE9:
            v = fetch16(c)
            c.ip += v
        elif op == 0xEA:
            off = fetch16(c)
            v = fetch16(c)
            set_cs(c, v)
            c.ip = off
        elif op == 0xEB:
            jump_short(c, 1)
        elif op == 0xEC or op == 0xED:
            w = op & 1
            setreg(c, w, R_AX, port_in(c, c.regs[R_DX], 1 + w))
        elif op == 0xEE or op == 0xEF:
            w = op & 1
            port_out(c, c.regs[R_DX], getreg(c, w, R_AX), 1 + w)
        elif op == 0xF4:
            c.halted = 1
            c.sig.attn = 1
        elif op == 0xF5:
            flush_flags(c)
            c.cf ^= 1
        elif op == 0xF6:
            group3(c, 0)
        elif op == 0xF7:
            group3(c, 1)
        elif op == 0xF8:
            flush_flags(c)
            c.cf = 0
        elif op == 0xF9:
            flush_flags(c)
            c.cf = 1
        elif op == 0xFA:
            c.iflag = 0
        elif op == 0xFB:
            c.iflag = 1
            c.shadow = 1
            c.sig.attn = 1
        elif op == 0xFC:
            c.df = 0
        elif op == 0xFD:
            c.df = 1
        elif op == 0xFE:
            group5(c, 0)
        elif op == 0xFF:
            group5(c, 1)
        elif op == 0x26 or op == 0x2E or op == 0x36 or op == 0x3E:
            if prefixes == 0:
                c.insn_ip = c.ip - 1
            c.segmap[S_SS] = (op >> 3) & 3
            c.segmap[S_DS] = (op >> 3) & 3
            prefixes += 1
            if prefixes < 0x10000:
                continue
        elif op == 0xF2 or op == 0xF3:
            if prefixes == 0:
                c.insn_ip = c.ip - 1
            c.rep = REP_NZ if op == 0xF2 else REP_Z
            prefixes += 1
            if prefixes < 0x10000:
                continue
        elif op == 0xF0 or op == 0xF1:
            if prefixes == 0:
                c.insn_ip = c.ip - 1
            prefixes += 1                       # LOCK (F1 is its alias): no effect here
            if prefixes < 0x10000:
                continue
        break
    reset_prefixes(c)
