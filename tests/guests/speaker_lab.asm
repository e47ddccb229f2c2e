; speaker_lab: a boot floppy of ours that plays known sounds on the PC speaker.
;
; Times come from the PIT itself (channel 0, which the BIOS runs in mode 3 with count 0: the
; latched count falls by 2 every input clock, so (previous - current) / 2 is the clocks
; elapsed, across reloads too), so they are exact at any CPU speed:
;   1. 440 Hz (count 2712) from channel 2 for 300 ms        (port 61h bits 0 and 1 set)
;   2. 200 ms of silence
;   3. 1000 Hz (count 1193) for 150 ms
;   4. 200 ms of silence
;   5. 600 Hz played by hand for 250 ms: GATE2 low, the program toggles bit 1 every 994
;      clocks (PWM, as sampled-sound programs drive the cone)
;   6. 200 ms of silence
; then "played" on the debug console (port E9h) and a key loop (INT 16h): 'q' ends the
; program (isa-debug-exit 0: exit status 1), 'm' plays a tune of eight 2-tick notes timed by
; the BIOS tick with the CPU halted in between (music as a game plays it), any other key a
; 50 ms 1000 Hz beep; each answered with "beep", "tune" on the console.

BITS 16
CPU 8086
ORG 0x7C00

%include "guest.inc"

TICKS   equ 0x046C

start:
    BOOT_SETUP
    LOAD_REST 2, $
    jmp main

puts:                               ; SI -> the debug console
    lodsb
    or al, al
    jz .done
    out 0xE9, al
    jmp puts
.done:
    ret

read_pit:                           ; AX = channel 0's count, latched
    xor al, al
    out 0x43, al
    in al, 0x40
    mov ah, al
    in al, 0x40
    xchg al, ah
    ret

; wait CX milliseconds of PIT time (1193 clocks each, the 0.18 left over added every 5 ms)
wait_ms:
    push bx
    push dx
    push si
    push di
    call read_pit
    mov si, ax
    mov di, 1193
    xor bx, bx
.poll:
    call read_pit
    mov dx, si
    sub dx, ax
    mov si, ax
    shr dx, 1
    sub di, dx
    jg .poll
.ms_done:
    add di, 1193
    inc bx
    cmp bx, 5
    jne .count
    xor bx, bx
    inc di
.count:
    loop .check
    pop di
    pop si
    pop dx
    pop bx
    ret
.check:
    cmp di, 0
    jle .ms_done
    jmp .poll

tone_on:                            ; BX = channel 2 count
    mov al, 0xB6
    out 0x43, al
    mov ax, bx
    out 0x42, al
    mov al, ah
    out 0x42, al
    in al, 0x61
    or al, 0x03
    out 0x61, al
    ret

tone_off:
    in al, 0x61
    and al, 0xFC
    out 0x61, al
    ret

    times 510 - ($ - $$) db 0
    dw 0xAA55

; ---- sector 2 on --------------------------------------------------------------------------
main:
    mov bx, 2712
    call tone_on
    mov cx, 300
    call wait_ms
    call tone_off
    mov cx, 200
    call wait_ms
    mov bx, 1193
    call tone_on
    mov cx, 150
    call wait_ms
    call tone_off
    mov cx, 200
    call wait_ms
    call pwm
    mov cx, 200
    call wait_ms
    mov si, played_text
    call puts
.keys:
    xor ah, ah
    int 0x16
    cmp al, 'q'
    je .quit
    cmp al, 'm'
    je .tune
    mov bx, 1193
    call tone_on
    mov cx, 50
    call wait_ms
    call tone_off
    mov si, beep_text
    call puts
    jmp .keys
.tune:
    call tune
    mov si, tune_text
    call puts
    jmp .keys
.quit:
    xor al, al
    out 0xF4, al
    cli
    hlt

; 600 Hz by hand for 250 ms: bit 1 toggled every 994 clocks (half a period), GATE2 low
pwm:
    in al, 0x61
    and al, 0xFC
    out 0x61, al
    mov bp, 300                     ; half periods: 150 periods, 250 ms
    call read_pit
    mov si, ax
    mov di, 994
.poll:
    call read_pit
    mov dx, si
    sub dx, ax
    mov si, ax
    shr dx, 1
    sub di, dx
    jg .poll
    add di, 994
    cmp di, -994                    ; more than a half period late (the host was away):
    jge .toggle                     ; drop the backlog rather than toggle in a burst
    mov di, 994
.toggle:
    in al, 0x61
    xor al, 0x02
    out 0x61, al
    dec bp
    jnz .poll
    and al, 0xFC
    out 0x61, al
    ret

; eight notes of two ticks each, the CPU halted while a note sounds
tune:
    mov si, notes
.note:
    lodsw
    or ax, ax
    jz .end
    mov bx, ax
    call tone_on
    mov cx, 2
    mov ax, [TICKS]
.wait:
    sti
    hlt
    cmp ax, [TICKS]
    je .wait
    mov ax, [TICKS]
    loop .wait
    jmp .note
.end:
    jmp tone_off

notes:       dw 4560, 4063, 3619, 3416, 3043, 2711, 2415, 2280, 0   ; C4 D E F G A B C5
played_text: db "played", 10, 0
beep_text:   db "beep", 10, 0
tune_text:   db "tune", 10, 0
    times 512 * 3 - ($ - $$) db 0
    times 368640 - 512 * 3 db 0
