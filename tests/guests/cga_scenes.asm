; cga_scenes: a boot floppy of ours that draws known patterns in the CGA's modes, one scene
; at a time. After each scene it writes "S<n>" and a newline on the debug console (port E9h)
; and waits for a key, so the test can take the displayed frame and compare it with the image
; it derives from the definitions below. Checks the guest can make itself (pixels and
; characters read back, retrace counts) end the program through isa-debug-exit with the
; scene's number; after the last scene it exits with 0 (exit status 1).
;
; Scenes (tests/guests/test_cga_scenes.py holds the same definitions):
;  1  mode 4 by INT 10h, background blue (AH=0Bh BH=0 BL=1: intensity off); BIOS pixels
;     (AH=0Ch) colour ((x >> 3) + (y >> 3)) & 3 for x < 64, y < 40; line y = 50, x < 32:
;     colour 1 then XOR 83h (= 2); AH=0Dh reads back
;  2  direct writes in both banks: line y in 100..139, byte i < 20 = (7y + 3i) & FFh; then
;     3D9h = 30h (palette 1, intense, background black)
;  3  mode 5 by INT 10h, the scene 2 bytes again, 3D9h = 14h (intense, background red)
;  4  mode 6 by INT 10h, the scene 2 bytes again, AH=0Bh BH=0 BL=0Eh (yellow dots)
;  5  mode 4, text: AH=09h 'A' colour 3 x3 at row 2 col 5, AH=0Ah 0DBh colour 2 at row 3
;     col 0 (INT 1Fh's half of the font), AH=0Eh "Hi" colour 1 from row 4 col 0; AH=08h
;     reads 'A' back; then mode 6, AH=09h 'x' at row 10 col 70 (colour 1)
;  6  retrace-paced animation (mode 4): wait for each vertical retrace start, draw a
;     4-dot column of colour 3 at x = 4n on lines 0-7, until the BIOS tick count moved 9
;     times; then 16 retrace-to-retrace periods in PIT clocks (channel 0 latched at each
;     retrace start). "S6", the frame count (a byte), the 16 periods (words)
;  7  mode switch without the BIOS: from scene 6's frame, video off, CRTC programmed for
;     80x25 text, B800:0000 filled with 'G' on 1Eh, 3D8h = 29h, mid-frame (after retrace
;     end and 100 display-enable pulses)

BITS 16
CPU 8086
ORG 0x7C00

SECTORS equ 4

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7C00
    sti
    mov ax, 0x0200 + SECTORS
    mov bx, 0x7E00
    mov cx, 0x0002
    xor dh, dh
    int 0x13
    jc fail
    jmp scenes

; scene_done: "S" digit newline on E9h, then wait for a key
scene_done:
    mov al, 'S'
    out 0xE9, al
    mov al, [scene]
    add al, '0'
    out 0xE9, al
    mov al, 10
    out 0xE9, al
    xor ah, ah
    int 0x16
    ret

fail:
    mov al, 'F'
    out 0xE9, al
    mov al, [scene]
    add al, '0'
    out 0xE9, al
    mov al, 10
    out 0xE9, al
    mov al, [scene]
    out 0xF4, al
    cli
    hlt

scene: db 0
    times 510 - ($ - $$) db 0
    dw 0xAA55

scenes:
    ; ---- 1: mode 4, background, BIOS pixels, XOR, read back --------------------------------
    mov byte [scene], 1
    mov ax, 0x0004
    int 0x10
    mov ah, 0x0F
    int 0x10
    cmp ax, 0x2804                  ; 40 columns, mode 4
    jne fail
    mov ax, 0x0B00
    mov bx, 0x0001
    int 0x10
    xor dx, dx                      ; y
.s1_y:
    xor cx, cx                      ; x
.s1_x:
    mov al, cl
    shr al, 1
    shr al, 1
    shr al, 1
    mov bl, dl
    shr bl, 1
    shr bl, 1
    shr bl, 1
    add al, bl
    and al, 3
    mov ah, 0x0C
    int 0x10
    inc cx
    cmp cx, 64
    jb .s1_x
    inc dx
    cmp dx, 40
    jb .s1_y
    mov dx, 50
    xor cx, cx
.s1_xor:
    mov ax, 0x0C01
    int 0x10
    mov ax, 0x0C83
    int 0x10
    inc cx
    cmp cx, 32
    jb .s1_xor
    mov ah, 0x0D                    ; (9, 17): (1 + 2) & 3 = 3
    mov cx, 9
    mov dx, 17
    int 0x10
    cmp al, 3
    jne fail
    mov ah, 0x0D                    ; (5, 50): 2 after the XOR
    mov cx, 5
    mov dx, 50
    int 0x10
    cmp al, 2
    jne fail
    call scene_done

    ; ---- 2: direct writes in both banks; palette 1, intensity by port ---------------------
    mov byte [scene], 2
    call bank_pattern
    mov dx, 0x3D9
    mov al, 0x30
    out dx, al
    call scene_done

    ; ---- 3: mode 5 ---------------------------------------------------------------------
    mov byte [scene], 3
    mov ax, 0x0005
    int 0x10
    call bank_pattern
    mov dx, 0x3D9
    mov al, 0x14
    out dx, al
    call scene_done

    ; ---- 4: mode 6, foreground by AH=0Bh -------------------------------------------------
    mov byte [scene], 4
    mov ax, 0x0006
    int 0x10
    call bank_pattern
    mov ax, 0x0B00
    mov bx, 0x000E
    int 0x10
    call scene_done

    ; ---- 5: text in graphics modes -------------------------------------------------------
    mov byte [scene], 5
    mov ax, 0x0004
    int 0x10
    mov dx, 0x0205
    call cursor
    mov ax, 0x0941
    mov bx, 0x0003
    mov cx, 3
    int 0x10
    mov ah, 0x08                    ; read the 'A' back
    xor bh, bh
    int 0x10
    cmp al, 'A'
    jne fail
    mov dx, 0x0300
    call cursor
    mov ax, 0x0ADB
    mov bx, 0x0002
    mov cx, 1
    int 0x10
    mov dx, 0x0400
    call cursor
    mov ax, 0x0E48
    mov bx, 0x0001
    int 0x10
    mov ax, 0x0E69
    int 0x10
    call scene_done                 ; "S5" for the mode 4 frame, "S5" again for mode 6
    mov ax, 0x0006
    int 0x10
    mov dx, 0x0A46
    call cursor
    mov ax, 0x0978
    mov bx, 0x0001
    mov cx, 1
    int 0x10
    call scene_done

    ; ---- 6: retrace-paced animation ------------------------------------------------------
    mov byte [scene], 6
    mov ax, 0x0004
    int 0x10
    mov ax, 0xB800
    mov es, ax
    push ds
    mov ax, 0x40
    mov ds, ax
    mov bx, [0x6C]                  ; the BIOS tick count now
    add bx, 9
    pop ds
    xor di, di                      ; frames drawn
.s6_frame:
    call wait_retrace
    mov si, di                      ; draw column n (byte n: 4 dots of colour 3) on lines 0-7
    cmp si, 80
    jae .s6_count
    mov cx, 4
.s6_line:
    mov byte [es:si], 0xFF
    mov byte [es:si + 0x2000], 0xFF
    add si, 80
    loop .s6_line
.s6_count:
    inc di
    push ds
    mov ax, 0x40
    mov ds, ax
    mov ax, [0x6C]
    pop ds
    cmp ax, bx
    jb .s6_frame
    mov al, 0x34                    ; channel 0 in mode 2 (same 18.2 Hz tick): it counts
    out 0x43, al                    ; down by one a clock (mode 3 counts by two)
    xor al, al
    out 0x40, al
    out 0x40, al
    call wait_retrace
    call pit_now
    mov si, ax                      ; the previous retrace's count
    mov bx, periods
    mov cx, 16
.s6_period:
    call wait_retrace
    call pit_now
    sub si, ax                      ; the counter counts down (mod 65536)
    mov [bx], si
    add bx, 2
    mov si, ax
    loop .s6_period
    mov al, 'S'
    out 0xE9, al
    mov al, '6'
    out 0xE9, al
    mov ax, di
    out 0xE9, al
    mov si, periods
    mov cx, 32
.s6_send:
    lodsb
    out 0xE9, al
    loop .s6_send
    mov al, 10
    out 0xE9, al
    xor ah, ah
    int 0x16

    ; ---- 7: mode switch by the ports, mid-frame -----------------------------------------
    mov byte [scene], 7
    call wait_retrace
    mov dx, 0x3DA
.s7_vsync:                          ; to the end of vertical retrace
    in al, dx
    test al, 8
    jnz .s7_vsync
    mov cx, 100                     ; 100 active lines into the frame
.s7_line:
    in al, dx
    test al, 1
    jnz .s7_line
.s7_active:
    in al, dx
    test al, 1
    jz .s7_active
    loop .s7_line
    mov dx, 0x3D8
    mov al, 0x21                    ; video off (text, 80 columns)
    out dx, al
    mov dx, 0x3D4
    mov si, crtc_80x25
    xor bl, bl
.s7_crtc:
    mov al, bl
    out dx, al
    inc dx
    lodsb
    out dx, al
    dec dx
    inc bl
    cmp bl, 16
    jb .s7_crtc
    xor di, di
    mov ax, 0x1E47
    mov cx, 2000
    rep stosw
    mov dx, 0x3D8
    mov al, 0x29
    out dx, al
    call scene_done

    mov al, 0
    out 0xF4, al
    cli
    hlt

; bank_pattern: line y in 100..139, byte i < 20 = (7y + 3i) & FFh, straight into B800
bank_pattern:
    push es
    mov ax, 0xB800
    mov es, ax
    mov dx, 100                     ; y
.line:
    mov ax, dx                      ; di = (y & 1) * 2000h + (y >> 1) * 80
    shr ax, 1
    mov bl, 80
    mul bl
    mov di, ax
    test dx, 1
    jz .even
    add di, 0x2000
.even:
    mov al, dl                      ; al = 7y
    mov bl, 7
    mul bl
    mov cx, 20
.byte:
    stosb
    add al, 3
    loop .byte
    inc dx
    cmp dx, 140
    jb .line
    pop es
    ret

cursor:                             ; DX = row/column on page 0
    mov ah, 0x02
    xor bh, bh
    int 0x10
    ret

wait_retrace:                       ; to the start of the next vertical retrace
    push ax
    push dx
    mov dx, 0x3DA
.in:
    in al, dx
    test al, 8
    jnz .in
.out:
    in al, dx
    test al, 8
    jz .out
    pop dx
    pop ax
    ret

pit_now:                            ; AX = PIT channel 0's count (latched)
    mov al, 0x00
    out 0x43, al
    in al, 0x40
    mov ah, al
    in al, 0x40
    xchg al, ah
    ret

periods: times 16 dw 0
crtc_80x25: db 0x71, 0x50, 0x5A, 0x0A, 0x1F, 0x06, 0x19, 0x1C, 0x02, 0x07, 0x06, 0x07, 0, 0, 0, 0

    times 512 * (SECTORS + 1) - ($ - $$) db 0
    times 368640 - ($ - $$) db 0
