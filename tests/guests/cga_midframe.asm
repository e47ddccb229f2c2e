; cga_midframe: a boot floppy of ours that changes the CGA's mode and colour registers in
; the middle of every frame, paced on the status register (3DAh), as raster effects do.
; tests/guests/test_cga_midframe.py derives the expected frame from the definitions here.
;
; Memory (mode 4 set by INT 10h, then written directly): bank b (0 even lines, 1 odd),
; CRTC row r (0..101), byte c (0..79) of the row = (5c + 3b + r) & FFh.
;
; Every frame, from the end of vertical retrace (line 240):
;   3D8h = 0Ah, 3D9h = 01h          320 dots, palette 0, background blue    lines   0..49
;   in the blank after line 49:  3D9h = 34h (palette 1, intense, background red)  50..99
;   in the blank after line 99:  3D8h = 1Ah (640 dots), 3D9h = 0Eh (yellow)      100..149
;   in the blank after line 149: 3D8h = 0Eh (320 dots, burst off), 3D9h = 02h
;                                (background green)                               150..179
;   in the blank after line 169: CRTC start address = 40 (a page flip in mid-frame: the
;                                6845 takes it at the next frame's start, so lines
;                                170..179 still show rows 85..89)
;   in the blank after line 179: 3D8h = 06h (video off)                           180..199
;   at the end of vertical retrace: start address 0 again, so no frame ever starts at 40
; After the first 4 frames it writes "R" and a newline on the debug port (E9h), once.

BITS 16
CPU 8086
ORG 0x7C00

%include "guest.inc"

start:
    BOOT_SETUP
    mov ax, 0x0004
    int 0x10
    mov ax, 0xB800
    mov es, ax
    cld
    xor di, di
    xor bl, bl                      ; bank b * 3
.bank:
    xor dl, dl                      ; row r
.row:
    xor cx, cx                      ; byte c
.byte:
    mov al, cl
    mov ah, 5
    mul ah
    add al, bl
    add al, dl
    stosb
    inc cx
    cmp cx, 80
    jb .byte
    inc dl
    cmp dl, 102
    jb .row
    mov di, 0x2000
    add bl, 3
    cmp bl, 3
    je .bank

    mov bp, 4                       ; frames before "R"
frame:
    mov dx, 0x3DA
.vs_in:                             ; to the start of vertical retrace...
    in al, dx
    test al, 8
    jz .vs_in
.vs_out:                            ; ...and its end
    in al, dx
    test al, 8
    jnz .vs_out
    mov dx, 0x3D8
    mov al, 0x0A
    out dx, al
    inc dx
    mov al, 0x01
    out dx, al
    mov dx, 0x3D4                   ; start address 0
    mov al, 12
    out dx, al
    inc dx
    xor al, al
    out dx, al
    dec dx
    mov al, 13
    out dx, al
    inc dx
    xor al, al
    out dx, al
    mov dx, 0x3DA
.top:                               ; line 0's display enable
    in al, dx
    test al, 1
    jnz .top
    mov cx, 50
    call blanks                     ; in the blank after line 49
    mov dx, 0x3D9
    mov al, 0x34
    out dx, al
    mov cx, 50
    call blanks_3da                 ; after line 99
    mov dx, 0x3D8
    mov al, 0x1A
    out dx, al
    inc dx
    mov al, 0x0E
    out dx, al
    mov cx, 50
    call blanks_3da                 ; after line 149
    mov dx, 0x3D8
    mov al, 0x0E
    out dx, al
    inc dx
    mov al, 0x02
    out dx, al
    mov cx, 20
    call blanks_3da                 ; after line 169
    mov dx, 0x3D4
    mov al, 13
    out dx, al
    inc dx
    mov al, 40
    out dx, al
    mov cx, 10
    call blanks_3da                 ; after line 179
    mov dx, 0x3D8
    mov al, 0x06
    out dx, al
    dec bp
    jnz frame
    mov al, 'R'
    out 0xE9, al
    mov al, 10
    out 0xE9, al
    jmp frame

; blanks: with DX = 3DAh and the beam in a line's display, return in the horizontal blank
; that ends the CX-th line from here (on its first clocks: nothing is spent after it)
blanks_3da:
    mov dx, 0x3DA
.active:                            ; the next line's display
    in al, dx
    test al, 1
    jnz .active
blanks:
.wait:
    in al, dx
    test al, 1
    jz .wait
    dec cx
    jz .done
.next:
    in al, dx
    test al, 1
    jnz .next
    jmp .wait
.done:
    ret

    times 510 - ($ - $$) db 0
    dw 0xAA55
    times 368640 - ($ - $$) db 0
