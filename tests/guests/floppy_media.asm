; floppy_media: a boot floppy of ours that checks removable media through INT 13h directly:
; the change line (AH=15h, AH=16h and the "media changed" failure of the first transfer after
; a change), an empty drive's "not ready" (80h), a write-protected medium's 03h, and the
; drive parameters (AH=08h) following each medium. Drive B: starts empty; the host changes
; its medium while the guest waits for a key after each prompt:
;
;   "insert disk 1": a writable 720K image whose sector 1 starts with "MEDIA TEST DISK 1"
;   "insert disk 2": a read-only 1.2M image whose sector 1 starts with "MEDIA TEST DISK 2"
;   "eject":         the drive emptied
;
; The guest writes "WRITTEN BY THE GUEST" to disk 1's sector 2 and ends by printing
; "all media checks passed" (or "FAIL check NN") and halting.

BITS 16
CPU 8086
ORG 0x7C00

SECTORS equ 5                       ; this program's size on the disk

%include "guest.inc"

start:
    BOOT_SETUP
    LOAD_REST SECTORS - 1, fail
    jmp checks

; say: the NUL-terminated string at DS:SI on the screen (INT 10h teletype) and on the debug
; console (port E9h); fail: "FAIL check NN" (NN = [current]) the same way, then halt.
say:
    push ax
    push bx
.next:
    lodsb
    or al, al
    jz .done
    out 0xE9, al
    mov ah, 0x0E
    xor bx, bx
    int 0x10
    jmp .next
.done:
    pop bx
    pop ax
    ret

say_hex:                            ; AL as two hex digits
    push ax
    mov cl, 4
    shr al, cl
    call .digit
    pop ax
    and al, 0x0F
.digit:
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 7
.out:
    push ax
    out 0xE9, al
    mov ah, 0x0E
    xor bx, bx
    int 0x10
    pop ax
    ret

fail:
    mov si, fail_text
    call say
    mov al, [current]
    call say_hex
    mov si, newline
    call say
    cli
    hlt

current:   db 0
fail_text: db 13, 10, "FAIL check ", 0
newline:   db 13, 10, 0

    times 510 - ($ - $$) db 0
    dw 0xAA55

; ---- helpers -------------------------------------------------------------------------------
; read B:'s first sector (C0 H0 S1) into buffer; CF and AH as INT 13h leaves them
read_b:
    mov ax, 0x0201
    mov bx, buffer
    mov cx, 0x0001
    xor dh, dh
    mov dl, 1
    int 0x13
    ret

write_b:                            ; buffer to B:'s second sector (C0 H0 S2)
    mov ax, 0x0301
    mov bx, buffer
    mov cx, 0x0002
    xor dh, dh
    mov dl, 1
    int 0x13
    ret

change_line_b:                      ; AH=16h on B:
    mov ah, 0x16
    mov dl, 1
    int 0x13
    ret

params_b:                           ; AH=08h on B: (ES:DI changes: keep ES)
    push es
    mov ah, 0x08
    mov dl, 1
    int 0x13
    mov byte [table_spt], 0
    jc .out
    mov al, [es:di + 4]
    mov [table_spt], al
.out:
    pop es
    ret

prompt:                             ; say DS:SI, then wait for a key
    call say
    xor ah, ah
    int 0x16
    ret

same:                               ; compare CX bytes at SI and DI: ZF=1 when equal
    push es
    push ds
    pop es
    repe cmpsb
    pop es
    ret

; ---- the checks ----------------------------------------------------------------------------
checks:
    CHECK 1                         ; AH=15h: both drives are diskettes with a change line
    mov ah, 0x15
    xor dl, dl
    int 0x13
    jc fail
    cmp ah, 0x02
    jne fail
    mov ah, 0x15
    mov dl, 1
    int 0x13
    jc fail
    cmp ah, 0x02
    jne fail

    CHECK 2                         ; ... and there is no third diskette drive
    mov ah, 0x15
    mov dl, 2
    int 0x13
    cmp ah, 0x00
    jne fail

    CHECK 3                         ; A: has not changed since the boot
    mov ah, 0x16
    xor dl, dl
    int 0x13
    jc fail
    cmp ah, 0
    jne fail

    CHECK 4                         ; the empty B: shows its change line
    call change_line_b
    FAILS_WITH 0x06

    CHECK 5                         ; reading the empty B: is "not ready" (time-out), twice
    call read_b
    FAILS_WITH 0x80
    call read_b
    FAILS_WITH 0x80
    mov ah, 0x01                    ; and the last status says so
    mov dl, 1
    int 0x13
    cmp ah, 0x80
    jne fail

    CHECK 6                         ; the empty drive's parameters: a 1.44M drive, 2 drives
    call params_b
    jc fail
    cmp bl, 4
    jne fail
    cmp cx, 0x4F12
    jne fail
    cmp dx, 0x0102
    jne fail
    cmp byte [table_spt], 18
    jne fail

    mov si, insert_1
    call prompt

    CHECK 7                         ; the change line is active, and stays so until a transfer
    call change_line_b
    FAILS_WITH 0x06
    call change_line_b
    FAILS_WITH 0x06

    CHECK 8                         ; the first read fails once: "media changed"
    call read_b
    FAILS_WITH 0x06

    CHECK 9                         ; ... which cleared the change line
    call change_line_b
    jc fail
    cmp ah, 0
    jne fail

    CHECK 10                        ; now the new disk reads
    call read_b
    jc fail
    cmp al, 1
    jne fail
    mov si, buffer
    mov di, marker_1
    mov cx, marker_len
    call same
    jne fail

    CHECK 11                        ; AH=08h follows the medium: a 720K drive, INT 1Eh-style table
    call params_b
    jc fail
    cmp bl, 3
    jne fail
    cmp cx, 0x4F09
    jne fail
    cmp dh, 1
    jne fail
    cmp byte [table_spt], 9
    jne fail

    CHECK 12                        ; the medium is established in the BIOS data area (40:91h)
    cmp byte [0x491], 0x97
    jne fail

    CHECK 13                        ; disk 1 is writable
    mov si, written
    mov di, buffer
    mov cx, written_len
    rep movsb
    call write_b
    jc fail

    mov si, insert_2
    call prompt

    CHECK 14                        ; the change is seen again, then disk 2 reads
    call change_line_b
    FAILS_WITH 0x06
    call read_b
    FAILS_WITH 0x06
    call read_b
    jc fail
    mov si, buffer
    mov di, marker_2
    mov cx, marker_len
    call same
    jne fail

    CHECK 15                        ; disk 2 is write-protected: writes and formats get 03h
    call write_b
    FAILS_WITH 0x03
    mov ax, 0x050F
    mov bx, buffer
    mov cx, 0x0001
    xor dh, dh
    mov dl, 1
    int 0x13
    FAILS_WITH 0x03

    CHECK 16                        ; a 1.2M medium: a 1.2M drive, 15 sectors per track
    call params_b
    jc fail
    cmp bl, 2
    jne fail
    cmp cx, 0x4F0F
    jne fail
    cmp byte [table_spt], 15
    jne fail

    mov si, eject
    call prompt

    CHECK 17                        ; ejected: change line, then "not ready" for good
    call change_line_b
    FAILS_WITH 0x06
    call read_b
    FAILS_WITH 0x80
    call read_b
    FAILS_WITH 0x80
    call change_line_b
    FAILS_WITH 0x06

    CHECK 18                        ; the empty drive keeps its last medium's type
    call params_b
    jc fail
    cmp bl, 2
    jne fail

    CHECK 19                        ; A: saw none of it
    mov ah, 0x16
    xor dl, dl
    int 0x13
    jc fail

    CHECK 20                        ; AH=18h (media type for format): the table for 40x9
    push es
    mov ah, 0x18
    mov cx, 0x2709
    xor dl, dl
    int 0x13
    mov al, [es:di + 4]
    pop es
    jc fail
    cmp ah, 0
    jne fail
    cmp al, 9
    jne fail

    CHECK 21                        ; ... no format has 19 sectors on 80 tracks: 0Ch
    push es
    mov ah, 0x18
    mov cx, 0x4F13
    xor dl, dl
    int 0x13
    pop es
    FAILS_WITH 0x0C

    CHECK 22                        ; ... and the empty B: is not ready for a format
    push es
    mov ah, 0x18
    mov cx, 0x2709
    mov dl, 1
    int 0x13
    pop es
    FAILS_WITH 0x80

    mov si, pass_text
    call say
    cli
    hlt

insert_1:   db "insert disk 1 in B: and press a key", 13, 10, 0
insert_2:   db "insert disk 2 in B: and press a key", 13, 10, 0
eject:      db "eject B: and press a key", 13, 10, 0
pass_text:  db "all media checks passed", 13, 10, 0
marker_1:   db "MEDIA TEST DISK 1"
marker_len  equ $ - marker_1
marker_2:   db "MEDIA TEST DISK 2"
written:    db "WRITTEN BY THE GUEST"
written_len equ $ - written
table_spt:  db 0
buffer:     times 512 db 0
    times 512 * SECTORS - ($ - $$) db 0
    times 368640 - 512 * SECTORS db 0
