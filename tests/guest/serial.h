/* SPDX-License-Identifier: MIT */
/* COM1 (8250/16550 at 0x3f8), polled output. */
#ifndef GUEST_SERIAL_H
#define GUEST_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COM1_PORT    0x3f8
#define UART_THR     0 /* write */
#define UART_IER     1
#define UART_IIR     2 /* read */
#define UART_FCR     2 /* write */
#define UART_LCR     3
#define UART_MCR     4
#define UART_LSR     5
#define UART_IER_THRI 0x02
#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT2 0x08
#define UART_LSR_DR   0x01
#define UART_LSR_THRE 0x20

void serial_init(void);
/* Writes n bytes as they are (lines end in a bare "\n"). */
void serial_write(const char *s, size_t n);
/* A byte the host sent, if one is waiting (one exit per call: poll sparingly). */
bool serial_read(uint8_t *c);

#endif
