// SPDX-License-Identifier: MIT
/*
 * `agent net-io`: virtio-net with a real Linux driver, against the tap L1 set up (its address
 * 10.0.2.1/24) and L1's busybox nc listening on port 5001:
 *   - the offloads the driver negotiated, from the sysfs `features` of the net device (what
 *     `ethtool -k` would show as on comes from these), must include checksums both ways, TSO4/6
 *     both ways, mergeable buffers, MAC, MTU and STATUS; ACCESS_PLATFORM with nested.net_bounce=1;
 *   - eth0 gets 10.0.2.2/24 (no DHCP), its MTU is nested.net_mtu (default 1500);
 *   - ping 10.0.2.1 answers;
 *   - nested.net_mib MiB (default 32) of random bytes go up with busybox nc (port 5001), then
 *     come down the other way: L2 listens on port 5002 and prints `L2: net down-ready`, L1
 *     connects and sends its file.  Both files' SHA-256 are printed (`L2: net up_sha256=`,
 *     `down_sha256=`): L1 compares them with its own.
 * Prints `L2: check net_*=ok|FAIL` lines; exit status 1 when a check failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/nested/agent/agent.h"

#define NET_ID        1
#define PEER          "10.0.2.1"
#define ADDR          "10.0.2.2/24"
#define UP_FILE       "/tmp/net-up"
#define DOWN_FILE     "/tmp/net-down"
#define DOWN_RC       "/tmp/net-down.rc"
#define HOLD_FIFO     "/tmp/net-hold"
#define LISTEN_PORT   5002
#define TRANSFER_S    600

static const struct {
	unsigned bit;
	const char *name;
	bool required;
} features[] = {
	{ 0, "csum", true },          { 1, "guest_csum", true },  { 3, "mtu", true },
	{ 5, "mac", true },           { 7, "guest_tso4", true },  { 8, "guest_tso6", true },
	{ 11, "host_tso4", true },    { 12, "host_tso6", true },  { 14, "host_ufo", false },
	{ 15, "mrg_rxbuf", true },    { 16, "status", true },     { 29, "event_idx", false },
	{ 32, "version_1", true },    { 33, "access_platform", false },
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Runs a shell command line (busybox); its exit status, or -1. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st < 0 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static bool sha256(const char *file, char out[65])
{
	char cmd[128];
	FILE *p;
	bool ok;

	snprintf(cmd, sizeof(cmd), "sha256sum %s", file);
	p = popen(cmd, "r");
	if (!p)
		return false;
	ok = fscanf(p, "%64s", out) == 1 && strlen(out) == 64;
	pclose(p);
	return ok;
}

static bool check_features(bool bounce)
{
	struct agent_vdev devs[16];
	int n = agent_virtio_devices(devs, 16);
	char missing[256] = "", names[512] = "";

	for (int i = 0; i < n; i++) {
		const char *f = devs[i].features;

		if (devs[i].id != NET_ID)
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(features); k++) {
			bool on = strlen(f) > features[k].bit && f[features[k].bit] == '1';
			bool want = features[k].required ||
				    (bounce && !strcmp(features[k].name, "access_platform"));
			char *list = on ? names : want ? missing : NULL;

			if (list)
				snprintf(list + strlen(list), (on ? sizeof(names) : sizeof(missing)) -
					 strlen(list), "%s%s", *list ? "," : "", features[k].name);
		}
		printf(AGENT_PREFIX "net %s features=%s\n", devs[i].name, names);
		return agent_check("net_offloads", !missing[0], "not negotiated: %s", missing);
	}
	return agent_check("net_offloads", false, "no virtio-net device");
}

/* Whether something listens on TCP port 5002 (busybox nc -l binds IPv6 when it can). */
static bool listening(void)
{
	static const char *const tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char buf[16384];

	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		char *line, *save = NULL;

		if (agent_read_file(tables[t], buf, sizeof(buf)) <= 0)
			continue;
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			unsigned port, state;

			if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", &port,
				   &state) == 2 && port == LISTEN_PORT && state == 0x0a)
				return true;
		}
	}
	return false;
}

static bool wait_for(bool (*cond)(void), double seconds)
{
	double end = now_s() + seconds;

	while (!cond()) {
		if (now_s() > end)
			return false;
		usleep(100000);
	}
	return true;
}

static bool down_done(void)
{
	struct stat st;

	return stat(DOWN_RC, &st) == 0 && st.st_size > 0;
}

int cmd_net_io(int argc, char **argv)
{
	uint64_t mib = 32, mtu = 1500, bounce = 0;
	char sum[65], buf[64];
	bool ok = true;
	double t0, t;
	int rc;

	agent_param_u64("net_mib", &mib);
	agent_param_u64("net_mtu", &mtu);
	agent_param_u64("net_bounce", &bounce);
	ok &= check_features(bounce);
	rc = run("ip link set eth0 mtu %llu up && ip addr add " ADDR " dev eth0",
		 (unsigned long long)mtu);
	ok &= agent_check("net_addr", rc == 0, "ip: status %d", rc);
	if (agent_read_file("/sys/class/net/eth0/mtu", buf, sizeof(buf)) > 0)
		ok &= agent_check("net_mtu", strtoull(buf, NULL, 10) == mtu, "eth0 mtu %s", buf);
	rc = run("ping -c 3 -W 10 " PEER " >/dev/null");
	ok &= agent_check("net_ping", rc == 0, "no answer from " PEER);
	if (!ok)
		return 1;

	rc = run("dd if=/dev/urandom of=" UP_FILE " bs=1M count=%llu 2>/dev/null",
		 (unsigned long long)mib);
	if (rc || !sha256(UP_FILE, sum))
		return agent_check("net_up", false, "cannot prepare %s", UP_FILE) ? 0 : 1;
	printf(AGENT_PREFIX "net up_sha256=%s bytes=%llu\n", sum, (unsigned long long)mib << 20);
	t0 = now_s();
	rc = run("timeout %d nc " PEER " 5001 <" UP_FILE, TRANSFER_S);
	t = now_s() - t0;
	ok &= agent_check("net_up", rc == 0, "nc: status %d", rc);
	printf(AGENT_PREFIX "net up %.1f s, %.1f MB/s\n", t, (double)(mib << 20) / t / 1e6);
	unlink(UP_FILE);

	/*
	 * Down: listen, then say so.  nc's stdin is a FIFO opened read-write: it never ends, so nc
	 * stops at the peer's end of data, not at ours.
	 */
	run("mkfifo " HOLD_FIFO " && (timeout %d nc -l -p 5002 <>" HOLD_FIFO " >" DOWN_FILE
	    "; echo $? >" DOWN_RC ") &", TRANSFER_S);
	if (!agent_check("net_listen", wait_for(listening, 10), "nc -l did not start"))
		return 1;
	printf(AGENT_PREFIX "net down-ready\n");
	t0 = now_s();
	ok &= agent_check("net_down", wait_for(down_done, TRANSFER_S + 10) &&
			  agent_read_file(DOWN_RC, buf, sizeof(buf)) > 0 && atoi(buf) == 0,
			  "nc -l did not end well");
	t = now_s() - t0;
	if (sha256(DOWN_FILE, sum))
		printf(AGENT_PREFIX "net down_sha256=%s %.1f s\n", sum, t);
	unlink(DOWN_FILE);
	return ok ? 0 : 1;
}
