; com9600.com: what `mode com1:9600,n,8,1` does, for tests that run real DOS (FreeDOS's MODE
; is not on its boot floppy): INT 14h AH=00h for COM1 at 9600 baud, no parity, 8 data bits,
; 1 stop bit (DOS itself opens its COM ports at 2400 baud).

BITS 16
CPU 8086
ORG 0x100

    mov ax, 0x00E3
    xor dx, dx
    int 0x14
    mov ax, 0x4C00
    int 0x21
