// SPDX-License-Identifier: MIT
/*
 * The bits of an i8042 keyboard controller that Linux uses: the status and command-byte
 * registers, the self tests, CPU reset through the controller (command 0xfe, or the output port's
 * reset line), which `reboot=k` uses (a reset stops the VM with status 0), and a keyboard that
 * only ever types Ctrl+Alt+Del (the API's SendCtrlAltDel, scan code set 2 as Firecracker sends
 * it), acknowledging the commands a keyboard driver sends while probing.  Bytes wait in a small
 * queue; each one in the output buffer raises ISA IRQ 1 when the command byte enables it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/i8042.h"
#include "vmm/device_env.h"
#include "vmm/error.h"
#include "vmm/exit_status.h"
#include "vmm/irq.h"
#include "vmm/layout.h"

#define STATUS_OBF     0x01
#define STATUS_SYSFLAG 0x04
#define CMD_READ_CCB   0x20
#define CMD_WRITE_CCB  0x60
#define CMD_AUX_DISABLE 0xa7
#define CMD_AUX_ENABLE 0xa8
#define CMD_SELF_TEST  0xaa
#define CMD_KBD_TEST   0xab
#define CMD_KBD_DISABLE 0xad
#define CMD_KBD_ENABLE 0xae
#define CMD_WRITE_OUTPUT 0xd1
#define CMD_PULSE_RESET 0xfe
#define CCB_KBD_INT      0x01
#define CCB_KBD_DISABLED 0x10
#define CCB_AUX_DISABLED 0x20
#define KBD_ACK          0xfa
#define KBD_RESET        0xff
#define KBD_GET_ID       0xf2
#define KBD_ECHO         0xee
#define KBD_IRQ          1
#define QUEUE_LEN        32

struct i8042 {
	const struct device_env *env;
	pthread_mutex_t lock;
	uint8_t ccb;
	uint8_t out;
	bool out_full;
	uint8_t pending; /* command waiting for its data byte */
	uint8_t status_sys;
	uint8_t queue[QUEUE_LEN]; /* bytes behind the output buffer */
	unsigned head, count;
	bool irq;                 /* the output buffer was filled: pulse IRQ 1 after unlocking */
};

/* The output buffer takes v, or v waits behind it (dropped when the queue is full). */
static void put_out(struct i8042 *k, uint8_t v)
{
	if (k->out_full) {
		if (k->count < QUEUE_LEN)
			k->queue[(k->head + k->count++) % QUEUE_LEN] = v;
		return;
	}
	k->out = v;
	k->out_full = true;
	k->irq = k->ccb & CCB_KBD_INT;
}

static void take_out(struct i8042 *k)
{
	k->out_full = false;
	if (k->count) {
		uint8_t v = k->queue[k->head];

		k->head = (k->head + 1) % QUEUE_LEN;
		k->count--;
		put_out(k, v);
	}
}

/* An edge on ISA IRQ 1 (outside the lock: the router may take its own). */
static void pulse_irq(struct i8042 *k)
{
	if (!k->env->irq)
		return;
	irq_set_level(k->env->irq, KBD_IRQ, true);
	irq_set_level(k->env->irq, KBD_IRQ, false);
}

/* A byte for the keyboard itself: the commands a driver probes with are acknowledged. */
static void keyboard_command(struct i8042 *k, uint8_t cmd)
{
	if (cmd == KBD_ECHO) {
		put_out(k, KBD_ECHO);
		return;
	}
	put_out(k, KBD_ACK);
	if (cmd == KBD_RESET) {
		put_out(k, 0xaa); /* self test passed */
	} else if (cmd == KBD_GET_ID) {
		put_out(k, 0xab); /* MF2 keyboard */
		put_out(k, 0x83);
	}
}

void i8042_send_ctrl_alt_del(struct i8042 *k)
{
	/* Set 2: Ctrl, Alt, Del pressed, then released in reverse. */
	static const uint8_t keys[] = { 0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0,
					0x71, 0xf0, 0x11, 0xf0, 0x14 };
	bool irq;

	pthread_mutex_lock(&k->lock);
	for (size_t i = 0; i < sizeof(keys); i++)
		put_out(k, keys[i]);
	irq = k->irq;
	k->irq = false;
	pthread_mutex_unlock(&k->lock);
	if (irq)
		pulse_irq(k);
}

static void i8042_access(struct i8042 *k, uint16_t port, uint8_t *data, uint32_t len,
			 bool is_write)
{
	bool reset = false, irq;

	if (len != 1) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&k->lock);
	if (port == LAYOUT_I8042_PORT_CMD && !is_write) {
		data[0] = (k->out_full ? STATUS_OBF : 0) | k->status_sys;
	} else if (port == LAYOUT_I8042_PORT_DATA && !is_write) {
		data[0] = k->out;
		take_out(k);
	} else if (port == LAYOUT_I8042_PORT_CMD) {
		k->pending = 0;
		switch (data[0]) {
		case CMD_READ_CCB:
			put_out(k, k->ccb);
			break;
		case CMD_WRITE_CCB:
		case CMD_WRITE_OUTPUT:
			k->pending = data[0];
			break;
		case CMD_SELF_TEST:
			k->status_sys = STATUS_SYSFLAG;
			put_out(k, 0x55);
			break;
		case CMD_KBD_TEST:
			put_out(k, 0x00);
			break;
		case CMD_KBD_DISABLE:
			k->ccb |= CCB_KBD_DISABLED;
			break;
		case CMD_KBD_ENABLE:
			k->ccb &= ~CCB_KBD_DISABLED;
			break;
		case CMD_AUX_DISABLE:
			k->ccb |= CCB_AUX_DISABLED;
			break;
		case CMD_AUX_ENABLE:
			k->ccb &= ~CCB_AUX_DISABLED;
			break;
		default:
			/* 0xf0-0xff pulse output lines; bit 0 clear pulses CPU reset. */
			if (data[0] >= 0xf0 && !(data[0] & 1))
				reset = true;
			break;
		}
	} else if (port == LAYOUT_I8042_PORT_DATA) {
		if (k->pending == CMD_WRITE_CCB)
			k->ccb = data[0];
		else if (k->pending == CMD_WRITE_OUTPUT && !(data[0] & 1))
			reset = true;
		else if (!k->pending)
			keyboard_command(k, data[0]);
		k->pending = 0;
	}
	irq = k->irq;
	k->irq = false;
	pthread_mutex_unlock(&k->lock);
	if (irq)
		pulse_irq(k);
	if (reset)
		device_request_stop(k->env, VM_EXIT_OK, NULL);
}

static void i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			  bool is_write)
{
	i8042_access(opaque, LAYOUT_I8042_PORT_DATA, data, len, is_write);
}

static void i8042_cmd_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			 bool is_write)
{
	i8042_access(opaque, LAYOUT_I8042_PORT_CMD, data, len, is_write);
}

static void i8042_destroy(void *opaque)
{
	struct i8042 *k = opaque;

	pthread_mutex_destroy(&k->lock);
	free(k);
}

static int i8042_create(const struct device_env *env, const struct vm_config *cfg, unsigned i,
			struct device *out, struct error *e)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	int ret;

	if (!k)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	k->env = env;
	pthread_mutex_init(&k->lock, NULL);
	k->ccb = CCB_KBD_DISABLED | CCB_AUX_DISABLED;
	/* Two single ports: 0x61-0x63 belong to other legacy devices. */
	ret = device_map(env, env->pio, LAYOUT_I8042_PORT_DATA, 1, i8042_data_io, k, "i8042-data");
	if (!ret)
		ret = device_map(env, env->pio, LAYOUT_I8042_PORT_CMD, 1, i8042_cmd_io, k,
				 "i8042-cmd");
	if (ret) {
		i8042_destroy(k);
		return error_set(e, ERROR_HOST, ret, "i8042: cannot map its ports: %s",
				 strerror(-ret));
	}
	*out = (struct device){ .name = "i8042", .opaque = k, .destroy = i8042_destroy };
	return 0;
}

const struct device_kind i8042_device = {
	.name = "i8042",
	.create = i8042_create,
};
