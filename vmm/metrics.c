// SPDX-License-Identifier: MIT
/* Metrics lines: Firecracker's groups where cvmm has the numbers, then cvmm's own group. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/error.h"
#include "vmm/log.h"
#include "vmm/metrics.h"
#include "vmm/vm.h"

static int metrics_fd = -1;
static uint64_t missed, fails;

int metrics_open(const char *path, struct error *e)
{
	int fd = log_open_output(path, "metrics_path", e);

	if (fd < 0)
		return fd;
	metrics_close();
	metrics_fd = fd;
	return 0;
}

void metrics_close(void)
{
	if (metrics_fd >= 0)
		close(metrics_fd);
	metrics_fd = -1;
}

bool metrics_enabled(void)
{
	return metrics_fd >= 0;
}

static void put(json_t *o, const char *key, uint64_t v)
{
	json_object_set_new(o, key, json_integer((json_int_t)v));
}

/* name_count / name_fails for one API counter. */
static void put_req(json_t *o, const char *name, const struct metrics_input *a, enum api_counter c)
{
	char key[48];

	snprintf(key, sizeof(key), "%s_count", name);
	put(o, key, a->counts[c]);
	snprintf(key, sizeof(key), "%s_fails", name);
	put(o, key, a->fails[c]);
}

static json_t *api_groups(json_t *line, const struct metrics_input *a)
{
	json_t *get = json_object(), *putg = json_object(), *patch = json_object();
	json_t *srv = json_object();

	put(srv, "process_startup_time_us", a->api_ready_us);
	put(srv, "process_startup_time_cpu_us", a->api_ready_cpu_us);
	put(srv, "sync_response_fails", 0);
	put(srv, "sync_vmm_send_timeout_count", 0);
	put(get, "instance_info_count", a->counts[API_CNT_INSTANCE_INFO]);
	put(get, "machine_cfg_count", a->counts[API_CNT_MACHINE_CFG_GET]);
	put(get, "vm_config_count", a->counts[API_CNT_VM_CONFIG_GET]);
	put(get, "vmm_version_count", a->counts[API_CNT_VERSION_GET]);
	put_req(putg, "actions", a, API_CNT_ACTIONS);
	put_req(putg, "boot_source", a, API_CNT_BOOT_SOURCE);
	put_req(putg, "drive", a, API_CNT_DRIVE_PUT);
	put_req(putg, "logger", a, API_CNT_LOGGER);
	put_req(putg, "machine_cfg", a, API_CNT_MACHINE_CFG_PUT);
	put_req(putg, "metrics", a, API_CNT_METRICS);
	put_req(putg, "network", a, API_CNT_NETWORK_PUT);
	put_req(putg, "vsock", a, API_CNT_VSOCK);
	put_req(putg, "entropy", a, API_CNT_ENTROPY);
	put_req(patch, "drive", a, API_CNT_DRIVE_PATCH);
	put_req(patch, "network", a, API_CNT_NETWORK_PATCH);
	put_req(patch, "machine_cfg", a, API_CNT_MACHINE_CFG_PATCH);
	put_req(patch, "vm", a, API_CNT_VM_PATCH);
	json_object_set_new(line, "api_server", srv);
	json_object_set_new(line, "get_api_requests", get);
	json_object_set_new(line, "put_api_requests", putg);
	json_object_set_new(line, "patch_api_requests", patch);
	return line;
}

/* Model counter name of a device (0 when it has none of that name). */
static uint64_t model(const struct device_counters *m, const char *name)
{
	for (unsigned i = 0; i < m->nr; i++)
		if (!strcmp(m->v[i].name, name))
			return m->v[i].value;
	return 0;
}

/* The sum of a device's model counters whose names start with prefix. */
static uint64_t model_sum(const struct device_counters *m, const char *prefix)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < m->nr; i++)
		if (!strncmp(m->v[i].name, prefix, strlen(prefix)))
			sum += m->v[i].value;
	return sum;
}

/* Firecracker's "net" group: the network devices' model counters, summed. */
enum net_sum { NS_RX_BYTES, NS_RX_PACKETS, NS_TX_BYTES, NS_TX_PACKETS, NS_RX_THROTTLED,
	       NS_TX_THROTTLED, NS_RX_DROPPED, NS_TX_MALFORMED, NS_EVENTS, NS__COUNT };

static const char *const net_sum_names[NS__COUNT] = {
	"rx_bytes_count", "rx_packets_count", "tx_bytes_count", "tx_packets_count",
	"rx_rate_limiter_throttled", "tx_rate_limiter_throttled", "rx_dropped",
	"tx_malformed_frames", "event_count",
};

static void net_add(uint64_t sum[NS__COUNT], const struct device_counters *m, uint64_t kicks)
{
	sum[NS_RX_BYTES] += model(m, "rx_bytes");
	sum[NS_RX_PACKETS] += model(m, "rx_frames");
	sum[NS_TX_BYTES] += model(m, "tx_bytes");
	sum[NS_TX_PACKETS] += model(m, "tx_frames");
	sum[NS_RX_THROTTLED] += model(m, "rx_bandwidth_throttled") + model(m, "rx_ops_throttled");
	sum[NS_TX_THROTTLED] += model(m, "tx_bandwidth_throttled") + model(m, "tx_ops_throttled");
	sum[NS_RX_DROPPED] += model_sum(m, "rx_dropped_");
	sum[NS_TX_MALFORMED] += model_sum(m, "tx_dropped_");
	sum[NS_EVENTS] += kicks;
}

static json_t *device_json(const struct virtio_counters *c, const struct device_counters *m)
{
	json_t *d = json_object();
	uint64_t bad = 0;

	for (unsigned i = 0; i < VIRTQ_ERR__COUNT; i++)
		bad += c->bad_chain[i];
	put(d, "kicks", c->kicks);
	put(d, "chains", c->chains);
	put(d, "used", c->used);
	put(d, "interrupts", c->interrupts);
	put(d, "interrupts_suppressed", c->interrupts_suppressed);
	put(d, "config_interrupts", c->config_interrupts);
	put(d, "resets", c->resets);
	put(d, "needs_reset", c->needs_reset);
	put(d, "bad_chains", bad);
	put(d, "private_dma_refused", c->bad_chain[VIRTQ_ERR_DESC_PRIVATE]);
	for (unsigned i = 0; i < m->nr; i++)
		put(d, m->v[i].name, m->v[i].value);
	return d;
}

/*
 * Firecracker's block and uart groups from the devices' own counters (I/O errors included), and
 * the port devices' counters (com1: output dropped at its file limit) in cvmm.devices.
 */
static void device_sums(json_t *devs, json_t *block, json_t *uart, const struct vm_counters *c)
{
	uint64_t rd = 0, wr = 0, fl = 0, rb = 0, wb = 0, bad = 0, io_fails = 0;

	for (unsigned i = 0; i < c->nr_virtio; i++) {
		const struct device_counters *m = &c->virtio[i].model;

		if (!strstr(c->virtio[i].name, "blk"))
			continue;
		rd += model(m, "reads");
		wr += model(m, "writes");
		fl += model(m, "flushes");
		rb += model(m, "bytes_read");
		wb += model(m, "bytes_written");
		bad += model(m, "bad_request");
		io_fails += model(m, "read_errors") + model(m, "write_errors") +
			    model(m, "flush_errors") + model(m, "discard_errors");
	}
	put(block, "read_count", rd);
	put(block, "write_count", wr);
	put(block, "flush_count", fl);
	put(block, "read_bytes", rb);
	put(block, "write_bytes", wb);
	put(block, "invalid_reqs_count", bad);
	put(block, "execute_fails", io_fails);
	for (unsigned i = 0; i < c->nr_other; i++) {
		const struct device_counters *m = &c->other[i].c;
		json_t *d = json_object();

		for (unsigned k = 0; k < m->nr; k++)
			put(d, m->v[k].name, m->v[k].value);
		json_object_set_new(devs, c->other[i].name, d);
		if (!strcmp(c->other[i].name, "com1")) {
			put(uart, "write_count", model(m, "tx_bytes"));
			put(uart, "missed_write_count", model(m, "dropped_bytes"));
		}
	}
}

/* Exits by kind into exits; the conversions into conv, each name after prefix. */
static void put_vm(json_t *exits, json_t *conv, const char *prefix, const struct vm_counters *c)
{
	static const char *const names[] = { "to_shared", "to_private", "pages_to_shared",
					     "pages_to_private", "rejected" };
	const uint64_t vals[] = { c->conversions.to_shared, c->conversions.to_private,
				  c->conversions.pages_to_shared, c->conversions.pages_to_private,
				  c->conversions.rejected };
	char key[64];

	put(exits, "exits_io", c->exits_io);
	put(exits, "exits_mmio", c->exits_mmio);
	put(exits, "exits_hypercall", c->exits_hypercall);
	put(exits, "exits_memory_fault", c->exits_memory_fault);
	put(exits, "exits_other", c->exits_other);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(key, sizeof(key), "%s%s", prefix, names[i]);
		put(conv, key, vals[i]);
	}
}

json_t *metrics_vm_counters(struct vm *vm)
{
	json_t *o = json_object(), *v = json_object();
	struct vm_counters c;

	if (!o || !v) {
		json_decref(o);
		json_decref(v);
		return NULL;
	}
	vm_get_counters(vm, &c);
	for (unsigned i = 0; i < c.nr_virtio; i++)
		json_object_set_new(o, c.virtio[i].name,
				    device_json(&c.virtio[i].c, &c.virtio[i].model));
	put_vm(v, v, "conversions_", &c);
	json_object_set_new(o, "vm", v);
	return o;
}

/* Firecracker's per-kind device groups (queue events) and cvmm's group. */
static void vm_groups(json_t *line, struct vm *vm)
{
	json_t *cvmm = json_object(), *devs = json_object(), *conv = json_object();
	json_t *block = json_object(), *vsock = json_object(), *rng = json_object();
	json_t *net = json_object(), *uart = json_object();
	uint64_t blk_kicks = 0, vsock_kicks = 0, rng_kicks = 0, refused = 0, net_sum[NS__COUNT] = { 0 };
	static struct vm_counters c; /* large; metrics lines come from one thread at a time */

	vm_get_counters(vm, &c);
	for (unsigned i = 0; i < c.nr_virtio; i++) {
		const struct virtio_counters *v = &c.virtio[i].c;

		json_object_set_new(devs, c.virtio[i].name, device_json(v, &c.virtio[i].model));
		refused += v->bad_chain[VIRTQ_ERR_DESC_PRIVATE];
		if (strstr(c.virtio[i].name, "blk")) {
			blk_kicks += v->kicks;
		} else if (strstr(c.virtio[i].name, "vsock")) {
			vsock_kicks += v->kicks;
		} else if (strstr(c.virtio[i].name, "rng")) {
			rng_kicks += v->kicks;
		} else if (strstr(c.virtio[i].name, "net")) {
			net_add(net_sum, &c.virtio[i].model, v->kicks);
		}
	}
	for (unsigned i = 0; i < NS__COUNT; i++)
		put(net, net_sum_names[i], net_sum[i]);
	put(block, "queue_event_count", blk_kicks);
	put(vsock, "queue_event_count", vsock_kicks);
	put(rng, "entropy_event_count", rng_kicks);
	put_vm(cvmm, conv, "", &c);
	json_object_set_new(cvmm, "conversions", conv);
	put(cvmm, "private_dma_refused", refused);
	device_sums(devs, block, uart, &c);
	json_object_set_new(cvmm, "devices", devs);
	json_object_set_new(line, "block", block);
	json_object_set_new(line, "net", net);
	json_object_set_new(line, "uart", uart);
	json_object_set_new(line, "vsock", vsock);
	json_object_set_new(line, "entropy", rng);
	json_object_set_new(line, "cvmm", cvmm);
}

char *metrics_line(const struct metrics_input *a)
{
	json_t *line = json_object(), *logger = json_object();
	struct timespec ts;
	char *s;

	if (!line || !logger) {
		json_decref(line);
		json_decref(logger);
		return NULL;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	put(line, "utc_timestamp_ms", (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
	api_groups(line, a);
	put(logger, "missed_log_count", log_missed_lines());
	put(logger, "missed_metrics_count", __atomic_load_n(&missed, __ATOMIC_RELAXED));
	put(logger, "metrics_fails", __atomic_load_n(&fails, __ATOMIC_RELAXED));
	json_object_set_new(line, "logger", logger);
	if (a->vm)
		vm_groups(line, a->vm);
	s = json_dumps(line, JSON_COMPACT);
	json_decref(line);
	return s;
}

int metrics_flush(const struct metrics_input *a)
{
	char *s;
	size_t len;
	ssize_t n;
	int ret = 0;

	if (metrics_fd < 0)
		return -EBADF;
	s = metrics_line(a);
	if (!s) {
		fails++;
		return -ENOMEM;
	}
	len = strlen(s);
	s[len] = '\n'; /* json_dumps leaves room: the NUL */
	n = write(metrics_fd, s, len + 1);
	if (n != (ssize_t)len + 1) {
		ret = n < 0 ? -errno : -EAGAIN;
		if (ret == -EAGAIN)
			missed++;
		else
			fails++;
	}
	free(s);
	return ret;
}
