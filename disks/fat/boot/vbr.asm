; xtbox boot sector of a FAT volume with no DOS on it yet (floppy or partition), the
; counterpart of DOS FORMAT's "Non-System disk or disk error" sector.
;
; Only the code from offset 3Eh on is used: disks/fat/mkfs.py puts the volume's own BPB in
; front of it (the placeholder here is zeros). DOS's SYS replaces the whole code and keeps
; the BPB. It prints a message, waits for a key and asks the BIOS to boot again (INT 19h), so
; the user can put a boot floppy in A: and go on. 8086 instructions only.
;
; Build: make -C disks/fat/boot (nasm -f bin); a test rebuilds it and compares.

        cpu     8086
        bits    16
        org     0x7C00

        jmp     short code
        nop
        times   0x3E - ($ - $$) db 0    ; OEM name, BPB and extended BPB: filled in by mkfs

code:
        cli
        xor     ax, ax
        mov     ss, ax
        mov     sp, 0x7C00
        mov     ds, ax
        sti
        cld
        mov     si, message
.print:
        lodsb
        test    al, al
        jz      .wait
        mov     ah, 0x0E
        mov     bx, 0x0007
        int     0x10
        jmp     .print
.wait:
        xor     ax, ax
        int     0x16
        int     0x19

message:
        db      13, 10, "This disk has no operating system (formatted by xtbox).", 13, 10
        db      "Insert a DOS boot floppy in A: and press a key to boot again.", 13, 10, 0

        times   510 - ($ - $$) db 0
        dw      0xAA55
