; A partition boot sector of ours that reports what the MBR handed it (disks/fat/boot/mbr.asm):
; the boot drive in DL, DS:SI at the partition's table entry (status byte 80h), and where it
; was loaded. The test puts its code after the partition's own BPB (from offset 3Eh on).
; Reports on the debug console (port E9h), then ends through isa-debug-exit (port F4h) with 0.

        cpu     8086
        bits    16
        org     0x7C00

        jmp     short code
        nop
        times   0x3E - ($ - $$) db 0    ; the partition's BPB goes here

code:
        mov     bp, si                  ; keep DS:SI (the table entry) and DL
        mov     bh, dl
        xor     ax, ax
        mov     es, ax
        mov     di, text
        call    puts
        mov     al, bh                  ; DL
        call    hex8
        mov     di, text_si
        call    puts
        mov     ax, bp                  ; SI
        xchg    al, ah
        call    hex8
        mov     ax, bp
        call    hex8
        mov     di, text_status
        call    puts
        mov     al, [bp]                ; the entry's status byte, through DS
        call    hex8
        mov     al, 10
        out     0xE9, al
        xor     al, al
        out     0xF4, al
.halt:
        hlt
        jmp     .halt

puts:                                   ; ES:DI -> zero-ended text, to the debug port
        mov     al, [es:di]
        test    al, al
        jz      .done
        out     0xE9, al
        inc     di
        jmp     puts
.done:
        ret

hex8:                                   ; AL as two hex digits
        push    ax
        mov     cl, 4
        shr     al, cl
        call    .digit
        pop     ax
        and     al, 0x0F
.digit:
        and     al, 0x0F
        add     al, '0'
        cmp     al, '9'
        jbe     .out
        add     al, 'A' - '9' - 1
.out:
        out     0xE9, al
        ret

text:           db      "vbr-probe DL=", 0
text_si:        db      " SI=", 0
text_status:    db      " status=", 0

        times   510 - ($ - $$) db 0
        dw      0xAA55
