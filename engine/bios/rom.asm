; xtbox BIOS ROM (64 KiB at F000:0000). Our own code.
;
; Design: the ROM holds only what must run as guest code — the reset vector, an interrupt
; stub for each of the 256 vectors, the loops that wait (INT 16h), the timer's call of INT 1Ch
; and its EOI, and the fixed tables. Every service trap goes to the host through an OUT to a
; private port: the machine then reads and writes the CPU's registers and memory in Python
; (engine/bios/*.py), where the services are readable and testable, and the stub IRETs.
;
; Entry points sit at fixed offsets (engine/bios/layout.py names them).
;
; Trap ports:   E0h  generic vector stub (the vector is found from the stub's address)
;               E1h  INT 16h keyboard service (live CF=1: nothing yet, wait for a key)
;               E2h  INT 08h timer bookkeeping
;               E3h  power-on self test and bootstrap
;               E4h  a service waiting for hardware asks again (hw_wait below)
;               E5h  not a trap: an empty keyboard poll, which the CPU counts (in C) as an idle
;                    poll for engine/idle.py, as it counts INT 28h

BITS 16
CPU 8086
ORG 0

%define TRAP_VECTOR 0xE0
%define TRAP_INT16  0xE1
%define TRAP_INT08  0xE2
%define TRAP_POST   0xE3
%define TRAP_WAIT   0xE4
%define POLL_PORT   0xE5

    times 0xE000 - ($ - $$) db 0xFF

; ---- F000:E000 ------------------------------------------------------------------------------
; 256 stubs of 4 bytes: vector N's stub is at E000h + 4*N; its OUT leaves IP at E002h + 4*N.
vector_stubs:
%assign n 0
%rep 256
    out TRAP_VECTOR, al
    iret
    nop
%assign n n+1
%endrep

    times 0xE400 - ($ - $$) db 0xFF
; ---- F000:E400 INT 16h: the host answers; CF=1 in the live flags means "no key yet": wait for one ----
; AH=01h/11h (is a key waiting?) are answered here, in guest code (int16_peek).
int16_entry:
    cmp ah, 0x01
    je int16_peek
    cmp ah, 0x11
    je int16_peek
.host:
    out TRAP_INT16, al
    jnc .done
    sti
    hlt
    jmp .host
.done:
    iret

    times 0xE420 - ($ - $$) db 0xFF
; ---- F000:E420 INT 08h: the host keeps the tick count; then the user hook and the EOI ---------------
int08_entry:
    out TRAP_INT08, al
    int 0x1C
    push ax
    mov al, 0x20
    out 0x20, al
    pop ax
    iret

    times 0xE440 - ($ - $$) db 0xFF
; ---- F000:E440 INT 1Ch default and other do-nothing vectors -------------------------------
dummy_iret:
    iret

    times 0xE450 - ($ - $$) db 0xFF
; ---- F000:E450 nothing to boot: wait for interrupts forever --------------------------------
halt_loop:
    sti
    hlt
    jmp halt_loop

    times 0xE460 - ($ - $$) db 0xFF
; ---- F000:E460 POST: the host does the work and sets CS:IP to the boot sector (or halt_loop) --------
post:
    cli
    out TRAP_POST, al
    jmp halt_loop

    times 0xE480 - ($ - $$) db 0xFF
; ---- F000:E480 a service waiting for hardware (INT 14h's UART, INT 17h's printer) -----------
; The service's host half found the hardware not ready: it pointed IP here (its INT frame
; still on the stack) and armed a wake-up for when the hardware could have moved or its
; timeout ends (engine/bios/waits.py). Guest time runs meanwhile; the host answers CF=1 in the
; live flags while it still waits, and the IRET returns the service's result to the caller.
hw_wait:
    sti
    hlt
    out TRAP_WAIT, al
    jc hw_wait
    iret

    times 0xE490 - ($ - $$) db 0xFF
; ---- F000:E490 INT 09h saw Ctrl+Break: the host emptied the buffer and put a 0000h word in
; it; the user's break handler runs now, then the keyboard interrupt returns (IBM's KB_INT).
break_tail:
    int 0x1B
    iret

    times 0xE4A0 - ($ - $$) db 0xFF
; ---- F000:E4A0 INT 09h saw Pause (Ctrl+NumLock on the XT): hold, interrupts on, until the
; next key clears the hold bit in 40:18h (that key is not typed), as IBM's KB_INT does.
pause_tail:
    sti
    push ds
    push ax
    mov ax, 0x40
    mov ds, ax
.hold:
    hlt
    test byte [0x18], 0x08
    jnz .hold
    pop ax
    pop ds
    iret

    times 0xE4C0 - ($ - $$) db 0xFF
; ---- F000:E4C0 INT 16h AH=01h/11h, as IBM's KEYBOARD_IO answers them: ZF=1 no key; ZF=0 and
; AX = the next key, left in the buffer; RET 2 returns these flags (interrupts on). Guest code,
; not a trap: programs poll between frames of work, and a trip to the host for each poll would
; slow them. An empty poll is an OUT to POLL_PORT, which the CPU counts without a bus access.
int16_peek:
    sti
    push bx
    push ds
    mov bx, 0x40
    mov ds, bx
    cli
    mov bx, [0x1A]                 ; head
    cmp bx, [0x1C]                 ; tail
    jne .key
    sti
    out POLL_PORT, al
    pop ds
    pop bx
    retf 2
.key:
    mov ax, [bx]
    sti
    pop ds
    pop bx
    retf 2

; ---- F000:EF00: a diskette parameter table per format (160K ... 2.88M), filled at POST ------
; from engine/drives.py's format list; INT 1Eh and INT 13h AH=08h/18h point into it.
    times 0xEF00 - ($ - $$) db 0xFF
diskette_tables:
    times 8 * 11 db 0

; ---- F000:EFC7: the default (1.44M) diskette parameter table, at the IBM address ----------
    times 0xEFC7 - ($ - $$) db 0xFF
diskette_table:
    db 0xDF, 0x02, 0x25, 0x02, 0x12, 0x1B, 0xFF, 0x6C, 0xF6, 0x0F, 0x08

; ---- F000:F000: room for the fixed-disk parameter tables (INT 41h/46h), filled at POST -----
    times 0xF000 - ($ - $$) db 0xFF
fixed_disk_tables:
    times 32 db 0

; ---- F000:F0A4: the video parameter table (INT 1Dh): CRTC R0-R15 for each kind of mode -----
; The 6845 timings of the IBM adapters (Technical Reference): 40x25 and 80x25 text at 8
; scan lines a row, 320/640x200 graphics as 100 rows of 2 lines, 80x25 monochrome at 14.
    times 0xF0A4 - ($ - $$) db 0xFF
video_params:
    db 0x38, 0x28, 0x2D, 0x0A, 0x1F, 0x06, 0x19, 0x1C, 0x02, 0x07, 0x06, 0x07, 0, 0, 0, 0
    db 0x71, 0x50, 0x5A, 0x0A, 0x1F, 0x06, 0x19, 0x1C, 0x02, 0x07, 0x06, 0x07, 0, 0, 0, 0
    db 0x38, 0x28, 0x2D, 0x0A, 0x7F, 0x06, 0x64, 0x70, 0x02, 0x01, 0x06, 0x07, 0, 0, 0, 0
    db 0x61, 0x50, 0x52, 0x0F, 0x19, 0x06, 0x19, 0x19, 0x02, 0x0D, 0x0B, 0x0C, 0, 0, 0, 0

; ---- F000:F200: 8x8 glyphs of characters 80h-FFh (INT 1Fh points here) -------------------
; font8x8.bin is our own font (engine/chips/font8x8.py draws it; the Makefile writes it).
    times 0xF200 - ($ - $$) db 0xFF
font_high:
    incbin "font8x8.bin", 1024, 1024

; ---- F000:FA6E: 8x8 glyphs of characters 00h-7Fh, where programs expect the ROM font ------
    times 0xFA6E - ($ - $$) db 0xFF
font_low:
    incbin "font8x8.bin", 0, 1024

; ---- F000:FFF0: the reset vector, the BIOS date and the model byte ------------------------
    times 0xFFF0 - ($ - $$) db 0xFF
reset_vector:
    jmp 0xF000:post
    db "11/24/26"
    db 0x00
    db 0xFE                 ; PC/XT
    db 0x00

