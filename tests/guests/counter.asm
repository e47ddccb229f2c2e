; counter: a boot floppy of ours that counts timer ticks on the screen, for the save-state
; tests. Row 0 is a title; row 1 reads "count NNNNNNNNNN", the number of BIOS timer ticks
; (INT 08h, 18.2 a second) it has seen since it booted, held in RAM. A resumed machine must
; show the count it was saved with and go on from there: a restart would start again at 0,
; lost time or a stopped clock would show as a gap or a standstill.

BITS 16
CPU 8086
ORG 0x7C00

%include "guest.inc"

start:
    BOOT_SETUP
    mov ax, 0x0003                  ; 80x25 colour text, cleared
    int 0x10
    mov ax, 0xB800
    mov es, ax
    mov si, title
    xor di, di
    call puts
    mov si, label
    mov di, 160
    call puts
    call show

next_tick:
    mov ax, [0x046C]                ; BIOS tick count, low word
.wait:
    hlt                             ; sleep until the next interrupt
    cmp ax, [0x046C]
    je .wait
    add word [count], 1
    adc word [count + 2], 0
    call show
    jmp next_tick

; Write the 32-bit count in decimal, ten digits, right-aligned at row 1, columns 6-15.
show:
    mov ax, [count]
    mov dx, [count + 2]
    mov di, 160 + 2 * 16
    mov bx, 10
    mov cx, 10
.digit:
    push ax                         ; dx:ax / 10, in two 16-bit steps
    mov ax, dx
    xor dx, dx
    div bx
    mov si, ax                      ; high quotient
    pop ax
    div bx                          ; low quotient in ax, the digit in dx
    add dl, '0'
    mov dh, 0x07
    sub di, 2
    mov [es:di], dx
    mov dx, si
    loop .digit
    ret

puts:
    lodsb
    or al, al
    jz .done
    mov ah, 0x07
    stosw
    jmp puts
.done:
    ret

title db 'xtbox counter: one count per timer tick', 0
label db 'count ', 0
count dd 0

times 510 - ($ - $$) db 0
dw 0xAA55
times 368640 - ($ - $$) db 0
