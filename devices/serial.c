// SPDX-License-Identifier: MIT
/*
 * 8250/16550A UART on COM1, enough for Linux's 8250 driver: interrupt-driven transmit (THRE) and
 * receive (RDA) with a 64-byte receive FIFO, loopback for the driver's probe, scratch register.
 * Transmission is instantaneous (THR is always empty again when the guest looks).  Input comes
 * from stdin through the event loop; when the FIFO is full cvmm stops reading until the guest
 * drains it, so nothing typed is lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "devices/serial.h"
#include "vmm/config.h"
#include "vmm/device_env.h"
#include "vmm/error.h"
#include "vmm/event_loop.h"
#include "vmm/exit_status.h"
#include "vmm/irq.h"
#include "vmm/layout.h"
#include "vmm/log.h"

#define UART_RX   0 /* DLAB=0: RBR (read) / THR (write); DLAB=1: DLL */
#define UART_IER  1 /* DLAB=1: DLM */
#define UART_IIR  2 /* read; FCR on write */
#define UART_LCR  3
#define UART_MCR  4
#define UART_LSR  5
#define UART_MSR  6
#define UART_SCR  7

#define IER_RDI   0x01
#define IER_THRI  0x02
#define IIR_NO_INT 0x01
#define IIR_THRI  0x02
#define IIR_RDI   0x04
#define IIR_FIFO  0xc0
#define FCR_FIFO_ENABLE 0x01
#define FCR_CLEAR_RX    0x02
#define LCR_DLAB  0x80
#define MCR_DTR   0x01
#define MCR_RTS   0x02
#define MCR_OUT1  0x04
#define MCR_OUT2  0x08
#define MCR_LOOP  0x10
#define LSR_DR    0x01
#define LSR_THRE  0x20
#define LSR_TEMT  0x40
#define MSR_CTS   0x10
#define MSR_DSR   0x20
#define MSR_RI    0x40
#define MSR_DCD   0x80

#define RX_FIFO_SIZE 64
#define ESCAPE_CHAR  0x01 /* Ctrl-A, then 'x': quit (interactive terminals only) */

struct serial {
	const struct device_env *env;
	pthread_mutex_t lock;
	int out_fd;
	int in_fd;
	int rx_kick_fd;       /* eventfd: the guest drained the FIFO, read input again */
	bool in_watched;
	bool rx_throttled;
	bool tty_raw;
	bool escape;
	struct termios saved_tio;

	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thri_pending;
	bool irq_level;
	uint8_t rx[RX_FIFO_SIZE];
	unsigned rx_head, rx_count;
	uint64_t tx_bytes;
	uint64_t out_max;       /* a regular output file grows to this many bytes; 0: no limit */
	uint64_t dropped_bytes; /* output past out_max */
};

static uint8_t compute_iir(const struct serial *s)
{
	uint8_t iir = IIR_NO_INT;

	if ((s->ier & IER_RDI) && s->rx_count)
		iir = IIR_RDI;
	else if ((s->ier & IER_THRI) && s->thri_pending)
		iir = IIR_THRI;
	if (s->fcr & FCR_FIFO_ENABLE)
		iir |= IIR_FIFO;
	return iir;
}

/* Lock held. */
static void update_irq(struct serial *s)
{
	bool level = !(compute_iir(s) & IIR_NO_INT);

	if (level == s->irq_level)
		return;
	s->irq_level = level;
	irq_set_level(s->env->irq, LAYOUT_COM1_IRQ, level);
}

static void rx_push(struct serial *s, uint8_t b)
{
	if (s->rx_count == RX_FIFO_SIZE)
		return; /* only loopback can overrun; input is throttled before this */
	s->rx[(s->rx_head + s->rx_count) % RX_FIFO_SIZE] = b;
	s->rx_count++;
}

static void tx_byte(struct serial *s, uint8_t b)
{
	if (s->mcr & MCR_LOOP) {
		rx_push(s, b);
	} else if (s->out_fd >= 0 && s->out_max && s->tx_bytes >= s->out_max) {
		/* The guest must not fill the host's disk: the rest is dropped, and counted. */
		if (!s->dropped_bytes++)
			log_warn("COM1: the console file reached %llu bytes (--limits serial_file_mib); "
				 "further output is dropped", (unsigned long long)s->out_max);
	} else if (s->out_fd >= 0) {
		while (write(s->out_fd, &b, 1) < 0 && errno == EINTR)
			;
		s->tx_bytes++;
	}
	s->thri_pending = true;
}

static uint8_t read_msr(const struct serial *s)
{
	uint8_t msr = 0;

	if (!(s->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	/* Loopback wires the modem outputs back to the inputs. */
	if (s->mcr & MCR_RTS)
		msr |= MSR_CTS;
	if (s->mcr & MCR_DTR)
		msr |= MSR_DSR;
	if (s->mcr & MCR_OUT1)
		msr |= MSR_RI;
	if (s->mcr & MCR_OUT2)
		msr |= MSR_DCD;
	return msr;
}

static void serial_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct serial *s = opaque;
	bool dlab;
	uint8_t v = is_write ? data[0] : 0;
	bool kick = false;

	if (len != 1) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&s->lock);
	dlab = s->lcr & LCR_DLAB;
	if (is_write) {
		switch (offset) {
		case UART_RX:
			if (dlab)
				s->dll = v;
			else
				tx_byte(s, v);
			break;
		case UART_IER:
			if (dlab) {
				s->dlm = v;
			} else {
				/* Enabling THRI while THR is empty raises the interrupt at once. */
				if ((v & IER_THRI) && !(s->ier & IER_THRI))
					s->thri_pending = true;
				s->ier = v & 0x0f;
			}
			break;
		case UART_IIR:
			s->fcr = v & 0xc9;
			if (v & FCR_CLEAR_RX) {
				s->rx_count = 0;
				kick = s->rx_throttled;
			}
			break;
		case UART_LCR:
			s->lcr = v;
			break;
		case UART_MCR:
			s->mcr = v & 0x1f;
			break;
		case UART_SCR:
			s->scr = v;
			break;
		}
	} else {
		switch (offset) {
		case UART_RX:
			if (dlab) {
				v = s->dll;
			} else if (s->rx_count) {
				v = s->rx[s->rx_head];
				s->rx_head = (s->rx_head + 1) % RX_FIFO_SIZE;
				s->rx_count--;
				kick = s->rx_count == 0 && s->rx_throttled;
			}
			break;
		case UART_IER:
			v = dlab ? s->dlm : s->ier;
			break;
		case UART_IIR:
			v = compute_iir(s);
			if ((v & 0x0f) == IIR_THRI)
				s->thri_pending = false;
			break;
		case UART_LCR:
			v = s->lcr;
			break;
		case UART_MCR:
			v = s->mcr;
			break;
		case UART_LSR:
			v = LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
			break;
		case UART_MSR:
			v = read_msr(s);
			break;
		case UART_SCR:
			v = s->scr;
			break;
		}
		data[0] = v;
	}
	if (kick)
		s->rx_throttled = false;
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	if (kick) {
		uint64_t one = 1;

		if (write(s->rx_kick_fd, &one, sizeof(one)) < 0) {
			/* counter full: a kick is pending anyway */
		}
	}
}

/* Event loop: move input into the FIFO while it has room. */
static void serial_read_input(struct serial *s)
{
	uint8_t buf[RX_FIFO_SIZE];
	ssize_t n;
	size_t room;

	pthread_mutex_lock(&s->lock);
	room = RX_FIFO_SIZE - s->rx_count;
	if (room == 0) {
		s->rx_throttled = true;
		pthread_mutex_unlock(&s->lock);
		return;
	}
	n = read(s->in_fd, buf, room);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		/* End of input: stop watching it. */
		pthread_mutex_unlock(&s->lock);
		ev_loop_del(s->env->loop, s->in_fd);
		s->in_watched = false;
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (s->tty_raw && s->escape) {
			s->escape = false;
			if (buf[i] == 'x' || buf[i] == 'X') {
				pthread_mutex_unlock(&s->lock);
				device_request_stop(s->env, VM_EXIT_OK, NULL);
				return;
			}
			if (buf[i] != ESCAPE_CHAR)
				rx_push(s, ESCAPE_CHAR);
		} else if (s->tty_raw && buf[i] == ESCAPE_CHAR) {
			s->escape = true;
			continue;
		}
		rx_push(s, buf[i]);
	}
	if (s->rx_count == RX_FIFO_SIZE)
		s->rx_throttled = true;
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static void serial_input_ready(void *opaque, int fd, uint32_t events)
{
	serial_read_input(opaque);
}

static void serial_rx_kick(void *opaque, int fd, uint32_t events)
{
	struct serial *s = opaque;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0)
		return;
	if (s->in_watched)
		serial_read_input(s);
}

static void serial_destroy(void *opaque)
{
	struct serial *s = opaque;

	if (s->tty_raw)
		tcsetattr(s->in_fd, TCSANOW, &s->saved_tio);
	if (s->in_watched)
		ev_loop_del(s->env->loop, s->in_fd);
	if (s->rx_kick_fd >= 0) {
		ev_loop_del(s->env->loop, s->rx_kick_fd);
		close(s->rx_kick_fd);
	}
	if (s->out_fd > STDERR_FILENO)
		close(s->out_fd);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void setup_stdin(struct serial *s)
{
	struct termios tio;
	int flags;

	s->in_fd = STDIN_FILENO;
	flags = fcntl(s->in_fd, F_GETFL);
	if (flags < 0)
		return;
	/* epoll refuses regular files such as </dev/null: then there is simply no input. */
	if (ev_loop_add(s->env->loop, s->in_fd, EPOLLIN | EPOLLET, serial_input_ready, s))
		return;
	fcntl(s->in_fd, F_SETFL, flags | O_NONBLOCK);
	s->in_watched = true;
	if (isatty(s->in_fd) && tcgetattr(s->in_fd, &s->saved_tio) == 0) {
		tio = s->saved_tio;
		cfmakeraw(&tio);
		tio.c_oflag |= OPOST | ONLCR; /* keep our own stderr lines readable */
		if (tcsetattr(s->in_fd, TCSANOW, &tio) == 0)
			s->tty_raw = true;
	}
}

static void serial_counters(void *opaque, struct device_counters *out)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	device_counters_add(out, "tx_bytes", s->tx_bytes);
	device_counters_add(out, "dropped_bytes", s->dropped_bytes);
	pthread_mutex_unlock(&s->lock);
}

int serial_create(const struct device_env *env, enum serial_mode mode, const char *path,
		  uint64_t file_max, struct device *out, struct error *e)
{
	struct serial *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	pthread_mutex_init(&s->lock, NULL);
	s->env = env;
	s->out_fd = -1;
	s->in_fd = -1;
	s->rx_kick_fd = -1;

	if (mode == SERIAL_FILE) {
		struct stat st;

		s->out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (s->out_fd < 0) {
			ret = error_set(e, ERROR_INPUT, errno, "--serial file:%s: %s", path,
					strerror(errno));
			goto fail;
		}
		/* FIFOs and terminals do not grow; files do. */
		if (fstat(s->out_fd, &st) == 0 && S_ISREG(st.st_mode))
			s->out_max = file_max;
	} else if (mode == SERIAL_STDIO) {
		s->out_fd = STDOUT_FILENO;
		s->rx_kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (s->rx_kick_fd < 0) {
			ret = error_set(e, ERROR_HOST, errno, "serial: cannot create an eventfd: %s",
					strerror(errno));
			goto fail;
		}
		ret = ev_loop_add(env->loop, s->rx_kick_fd, EPOLLIN, serial_rx_kick, s);
		if (ret) {
			error_set(e, ERROR_HOST, ret, "serial: cannot watch input: %s", strerror(-ret));
			goto fail;
		}
		setup_stdin(s);
	}
	/* With --serial none the UART still exists (the guest may probe it); output is dropped. */

	ret = device_map(env, env->pio, LAYOUT_COM1_PORT, 8, serial_io, s, "com1");
	if (ret) {
		error_set(e, ERROR_HOST, ret, "serial: cannot map COM1: %s", strerror(-ret));
		goto fail;
	}
	*out = (struct device){
		.name = "com1",
		.opaque = s,
		.destroy = serial_destroy,
		.counters = serial_counters,
	};
	return 0;
fail:
	serial_destroy(s);
	return ret;
}

static int serial_device_create(const struct device_env *env, const struct vm_config *cfg,
				unsigned i, struct device *out, struct error *e)
{
	return serial_create(env, cfg->serial, cfg->serial_path,
			     (uint64_t)cfg->limits.serial_file_mib << 20, out, e);
}

const struct device_kind serial_device = {
	.name = "com1",
	.create = serial_device_create,
};
