// SPDX-License-Identifier: MIT
/*
 * Every port access is a VM exit (tens of microseconds on some hosts), so: no baud-rate setup,
 * and with a 16550 FIFO up to 16 bytes are written per THR-empty poll (as Linux does).
 */
#include <stdbool.h>

#include "tests/guest/io.h"
#include "tests/guest/serial.h"

static unsigned int tx_burst = 1;

void serial_init(void)
{
	outb(COM1_PORT + UART_IER, 0);
	outb(COM1_PORT + UART_LCR, 0x03);	/* 8N1 */
	outb(COM1_PORT + UART_FCR, 0x07);	/* enable and clear the FIFOs */
	if ((inb(COM1_PORT + UART_IIR) & 0xc0) == 0xc0)
		tx_burst = 16;
}

/* Bounded: a UART that never reports THR empty must not hang the guest. */
#define THRE_POLL_LIMIT 100000

static void put_raw(char c, unsigned int *room)
{
	if (!*room) {
		for (int i = 0; i < THRE_POLL_LIMIT; i++)
			if (inb(COM1_PORT + UART_LSR) & UART_LSR_THRE)
				break;
		*room = tx_burst;
	}
	outb(COM1_PORT + UART_THR, (uint8_t)c);
	(*room)--;
}

void serial_write(const char *s, size_t n)
{
	unsigned int room = 0;

	for (size_t i = 0; i < n; i++)
		put_raw(s[i], &room);
}

bool serial_read(uint8_t *c)
{
	if (!(inb(COM1_PORT + UART_LSR) & UART_LSR_DR))
		return false;
	*c = inb(COM1_PORT + UART_THR); /* RBR, the same offset */
	return true;
}
