; floppy_geometry: a boot sector of ours that checks the BIOS's view of the diskette it booted
; from against the disk's own BPB. The test formats an image of each IBM PC format with mtools
; (160K ... 2.88M), keeps the BPB mformat wrote (bytes 3-61) and puts this code around it, and
; writes "LAST SECTOR" at the start of the disk's last sector. Reports on the debug console
; (port E9h); ends through isa-debug-exit (port F4h) with 0 when every check passed, else the
; number of the first failing check.

BITS 16
CPU 8086
ORG 0x7C00

bpb_sectors  equ 0x7C00 + 0x13      ; total sectors (word)
bpb_spt      equ 0x7C00 + 0x18
bpb_heads    equ 0x7C00 + 0x1A

%include "guest.inc"

    jmp short start
    nop
    times 0x3E - ($ - $$) db 0      ; the BPB: the test keeps mformat's

start:
    BOOT_SETUP
    ; cylinders = total / (spt * heads)
    mov ax, [bpb_spt]
    mul byte [bpb_heads]
    mov bx, ax
    mov ax, [bpb_sectors]
    xor dx, dx
    div bx
    mov [cylinders], ax

    CHECK 1                         ; AH=08h: the BPB's geometry, two drives
    push es
    mov ah, 0x08
    xor dl, dl
    int 0x13
    jc fail
    mov [drive_type], bl
    mov al, [es:di + 4]             ; the parameter table's sectors per track
    mov [table_spt], al
    mov [table_at], di
    pop es
    mov al, cl
    and al, 0x3F
    cmp al, [bpb_spt]
    jne fail
    mov al, ch
    inc ax
    cmp al, [cylinders]
    jne fail
    inc dh
    cmp dh, [bpb_heads]
    jne fail
    cmp dl, 2
    jne fail

    CHECK 2                         ; the drive type of the format (IBM's numbering)
    mov al, 1                       ; 40 cylinders: a 360K drive
    cmp byte [cylinders], 40
    je .type
    mov al, 3                       ; 9 sectors on 80: 720K
    cmp byte [bpb_spt], 9
    je .type
    mov al, 2                       ; 15: 1.2M
    cmp byte [bpb_spt], 15
    je .type
    mov al, 4                       ; 18: 1.44M
    cmp byte [bpb_spt], 18
    je .type
    mov al, 6                       ; 36: 2.88M
.type:
    cmp al, [drive_type]
    jne fail

    CHECK 3                         ; the parameter table fits, and INT 1Eh is A:'s
    mov al, [table_spt]
    cmp al, [bpb_spt]
    jne fail
    mov ax, [table_at]
    cmp ax, [0x1E * 4]
    jne fail

    CHECK 4                         ; the medium is established in the BIOS data area
    test byte [0x490], 0x10
    jz fail

    CHECK 5                         ; the last sector reads, and holds the test's marker
    call last_sector
    mov ax, 0x0201
    int 0x13
    jc fail
    cmp word [buffer], "LA"
    jne fail
    cmp word [buffer + 9], "OR"
    jne fail

    CHECK 6                         ; it writes too
    mov word [buffer], "OK"
    call last_sector
    mov ax, 0x0301
    int 0x13
    jc fail

    CHECK 7                         ; one sector past the track: "sector not found"
    call last_sector
    inc cl
    mov ax, 0x0201
    int 0x13
    FAILS_WITH 0x04

    mov al, "+"
    out 0xE9, al
    xor al, al
    out 0xF4, al
    cli
    hlt

last_sector:                        ; CX, DX for the last sector of the disk, ES:BX = buffer
    mov ch, [cylinders]
    dec ch
    mov cl, [bpb_spt]
    mov dh, [bpb_heads]
    dec dh
    xor dl, dl
    mov bx, buffer
    ret

fail:
    mov al, "-"
    out 0xE9, al
    mov al, [current]
    out 0xF4, al
    cli
    hlt

current:    db 0
drive_type: db 0
table_spt:  db 0
table_at:   dw 0
cylinders:  dw 0
    times 510 - ($ - $$) db 0
    dw 0xAA55
buffer:
