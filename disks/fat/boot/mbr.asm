; xtbox master boot record: starts the active primary partition, as IBM's FDISK MBR does.
;
; The BIOS loads this sector at 0000:7C00 and jumps to it with DL = the boot drive (80h).
; We move ourselves to 0000:0600, find the one partition marked active (80h) in the table at
; offset 1BEh, read its first sector through INT 13h AH=02h with the CHS the entry gives
; (retrying after a reset, as floppy-era BIOSes need), check its 55AAh signature and jump to it
; at 0000:7C00 with DL = the boot drive and DS:SI = its table entry (what DOS boot sectors and
; chain loaders expect). 8086 instructions only; 440 bytes of code, the disk signature,
; then the partition table.
;
; Build: make -C disks/fat/boot (nasm -f bin); a test rebuilds it and compares.

        cpu     8086
        bits    16
        org     0x0600

TABLE   equ     0x07BE                  ; the partition table, once we have moved
LOADED  equ     0x7C00
RETRIES equ     5

start:
        cli
        xor     ax, ax
        mov     ss, ax
        mov     sp, LOADED
        mov     ds, ax
        mov     es, ax
        sti
        cld
        mov     si, LOADED
        mov     di, 0x0600
        mov     cx, 256
        rep     movsw
        jmp     0:moved

moved:
        mov     [drive], dl
        mov     si, TABLE
        mov     cx, 4
        xor     bx, bx                  ; the active entry found so far
.scan:
        mov     al, [si]
        cmp     al, 0x80
        je      .active
        test    al, al
        jnz     bad_table               ; a status byte must be 00h or 80h
        jmp     .next
.active:
        test    bx, bx
        jnz     bad_table               ; two active partitions
        mov     bx, si
.next:
        add     si, 16
        loop    .scan
        test    bx, bx
        jz      no_active
        mov     si, bx

        mov     di, RETRIES
.read:
        mov     bx, LOADED
        mov     dl, [drive]
        mov     dh, [si + 1]            ; head
        mov     cx, [si + 2]            ; sector (bits 0-5), cylinder (bits 6-7, 8-15)
        mov     ax, 0x0201              ; read one sector
        push    si
        push    di
        int     0x13
        pop     di
        pop     si
        jnc     .loaded
        xor     ax, ax                  ; reset the drive and try again
        mov     dl, [drive]
        int     0x13
        dec     di
        jnz     .read
        mov     si, msg_read
        jmp     fail

.loaded:
        cmp     word [LOADED + 510], 0xAA55
        jne     no_system
        mov     dl, [drive]
        jmp     0:LOADED                ; DS:SI -> the partition's table entry

bad_table:
        mov     si, msg_table
        jmp     fail
no_active:
        mov     si, msg_active
        jmp     fail
no_system:
        mov     si, msg_system

; Print the message at DS:SI, then wait for a key and try the next boot device (INT 18h;
; our BIOS and IBM's answer it with ROM BASIC's place: a retry of the boot).
fail:
        lodsb
        test    al, al
        jz      .wait
        mov     ah, 0x0E
        mov     bx, 0x0007
        int     0x10
        jmp     fail
.wait:
        xor     ax, ax
        int     0x16
        int     0x18
.halt:
        hlt
        jmp     .halt

drive:          db      0x80
msg_table:      db      "Invalid partition table", 13, 10, 0
msg_active:     db      "No active partition (make one active with FDISK)", 13, 10, 0
msg_read:       db      "Error loading the partition's boot sector", 13, 10, 0
msg_system:     db      "Missing operating system (run SYS C: from a DOS floppy)", 13, 10, 0

        times   440 - ($ - $$) db 0     ; the code ends here; what follows is data
        dd      0                       ; disk signature (Windows NT's; set by mkfs)
        dw      0
