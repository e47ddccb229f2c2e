; cga_text: a boot floppy of ours that prints text in CGA graphics modes through the BIOS,
; for the text read back from graphics frames (`xtbox vm expect`, text screenshots):
;   mode 4, background blue (AH=0Bh), a diagonal of colour 3 dots (AH=0Ch) on lines
;   100..149 as a picture beside the text; "MODE 4 HELLO" in colour 2 at row 5 col 3
;   (AH=0Eh), "ZZZ" in colour 1 at row 6 col 0 (AH=09h CX=3); wait for a key;
;   mode 6, foreground yellow (AH=0Bh BL=0Eh), "MODE 6 WORLD" at row 12 col 60 (AH=0Eh);
;   wait for a key; halt.

BITS 16
CPU 8086
ORG 0x7C00

%include "guest.inc"

start:
    BOOT_SETUP
    mov ax, 0x0004
    int 0x10
    mov ah, 0x0B
    mov bx, 0x0001
    int 0x10
    mov dx, 100                     ; the picture: dot (y + 60, y) for y in 100..149
.dot:
    mov cx, dx
    add cx, 60
    mov ax, 0x0C03
    int 0x10
    inc dx
    cmp dx, 150
    jb .dot
    mov dx, 0x0503
    call cursor
    mov si, msg4
    mov bl, 2
    call print
    mov dx, 0x0600
    call cursor
    mov ax, 0x095A                  ; 'Z'
    mov bx, 0x0001
    mov cx, 3
    int 0x10
    xor ah, ah
    int 0x16
    mov ax, 0x0006
    int 0x10
    mov ah, 0x0B
    mov bx, 0x000E
    int 0x10
    mov dx, 0x0C3C
    call cursor
    mov si, msg6
    mov bl, 1
    call print
    xor ah, ah
    int 0x16
.halt:
    hlt
    jmp .halt

cursor:                             ; DX = row/column on page 0
    mov ah, 0x02
    xor bh, bh
    int 0x10
    ret

print:                              ; DS:SI = zero-terminated text, BL = colour
    lodsb
    or al, al
    jz .end
    mov ah, 0x0E
    xor bh, bh
    int 0x10
    jmp print
.end:
    ret

msg4: db "MODE 4 HELLO", 0
msg6: db "MODE 6 WORLD", 0

    times 510 - ($ - $$) db 0
    dw 0xAA55
    times 368640 - ($ - $$) db 0
