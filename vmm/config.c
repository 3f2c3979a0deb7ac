// SPDX-License-Identifier: MIT
/* The VM description: defaults, owned strings, and the one validation pass before KVM. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <net/if.h>

#include "boot/boot.h"
#include "boot/firmware.h"
#include "devices/fw_cfg.h"
#include "devices/tap.h"
#include "snp/snp_policy.h"
#include "tdx/qgs.h"
#include "vmm/config.h"
#include "vmm/error.h"
#include "vmm/memory.h"
#include "vmm/resources.h"
#include "vmm/util.h"

#define USAGE(...) error_set(e, ERROR_USAGE, EINVAL, __VA_ARGS__)

void config_init(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vcpus = 1;
	cfg->mem_mib = 256;
	cfg->serial = SERIAL_STDIO;
	cfg->irqchip = IRQCHIP_KERNEL;
	cfg->tee = TEE_NONE;
	cfg->snp.guest_features = 0x1;
	cfg->snp.policy = SNP_POLICY_DEFAULT;
	cfg->tdx.attributes = CONFIG_TDX_DEFAULT_ATTRIBUTES;
}

void config_drive_free(struct drive_config *d)
{
	free(d->path);
	free(d->id);
	d->path = d->id = NULL;
}

void config_net_init(struct net_config *n)
{
	memset(n, 0, sizeof(*n));
	n->fd = -1;
	n->mtu = NET_MTU_DEFAULT;
}

void config_net_free(struct net_config *n)
{
	free(n->tap);
	free(n->mac);
	free(n->id);
	n->tap = n->mac = n->id = NULL;
}

void config_free(struct vm_config *cfg)
{
	free(cfg->kernel);
	free(cfg->initrd);
	free(cfg->cmdline);
	free(cfg->firmware);
	free(cfg->serial_path);
	for (unsigned i = 0; i < cfg->nr_drives; i++)
		config_drive_free(&cfg->drives[i]);
	free(cfg->drives);
	for (unsigned i = 0; i < cfg->nr_nets; i++)
		config_net_free(&cfg->nets[i]);
	free(cfg->nets);
	free(cfg->vsock.uds_path);
	free(cfg->snp.id_block);
	free(cfg->snp.id_auth);
	free(cfg->tdx.quote_service);
	config_init(cfg);
}

int config_set_string(char **dst, const char *val, const char *what, struct error *e)
{
	char *copy = NULL;

	if (val) {
		if (strlen(val) > CONFIG_PATH_MAX)
			return USAGE("%s is too long (%zu bytes, at most %d)", what, strlen(val),
				     CONFIG_PATH_MAX);
		copy = strdup(val);
		if (!copy)
			return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	}
	free(*dst);
	*dst = copy;
	return 0;
}

int config_add_drive(struct vm_config *cfg, const struct drive_config *d, struct error *e)
{
	struct drive_config copy = *d, *grown;

	/* The allocator's limit is checked by config_validate(); this only bounds the array. */
	if (cfg->nr_drives >= RESOURCES_MAX_VIRTIO)
		return USAGE("at most %d virtio devices (drives, nets, vsock, rng) are supported",
			     RESOURCES_MAX_VIRTIO);
	copy.path = copy.id = NULL;
	if (config_set_string(&copy.path, d->path, "path", e) ||
	    config_set_string(&copy.id, d->id, "id", e)) {
		config_drive_free(&copy);
		return -e->errnum;
	}
	grown = realloc(cfg->drives, (cfg->nr_drives + 1) * sizeof(*grown));
	if (!grown) {
		config_drive_free(&copy);
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	}
	cfg->drives = grown;
	cfg->drives[cfg->nr_drives++] = copy;
	return 0;
}

/* A copy of n with its own strings. */
static int copy_net(struct net_config *copy, const struct net_config *n, struct error *e)
{
	*copy = *n;
	copy->tap = copy->mac = copy->id = NULL;
	if (config_set_string(&copy->tap, n->tap, "tap", e) ||
	    config_set_string(&copy->mac, n->mac, "mac", e) ||
	    config_set_string(&copy->id, n->id, "id", e)) {
		config_net_free(copy);
		return -e->errnum;
	}
	return 0;
}

int config_add_net(struct vm_config *cfg, const struct net_config *n, struct error *e)
{
	struct net_config copy, *grown;

	/* As for drives: the allocator's limit is config_validate()'s. */
	if (cfg->nr_nets >= RESOURCES_MAX_VIRTIO)
		return USAGE("at most %d virtio devices (drives, nets, vsock, rng) are supported",
			     RESOURCES_MAX_VIRTIO);
	if (copy_net(&copy, n, e))
		return -e->errnum;
	grown = realloc(cfg->nets, (cfg->nr_nets + 1) * sizeof(*grown));
	if (!grown) {
		config_net_free(&copy);
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	}
	cfg->nets = grown;
	cfg->nets[cfg->nr_nets++] = copy;
	return 0;
}

int config_set_net(struct net_config *dst, const struct net_config *n, struct error *e)
{
	struct net_config copy;

	if (copy_net(&copy, n, e))
		return -e->errnum;
	config_net_free(dst);
	*dst = copy;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int config_parse_mac(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return -EINVAL;
	for (unsigned i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

unsigned config_virtio_devices(const struct vm_config *cfg)
{
	return cfg->nr_drives + cfg->nr_nets + (cfg->vsock.enabled ? 1 : 0) + (cfg->rng ? 1 : 0);
}

unsigned config_max_virtio_devices(void)
{
	return RESOURCES_MAX_VIRTIO;
}

/* A file the user names: exists, is of the wanted type, can be opened as the VM will. */
static int check_file(const char *what, const char *path, int flags, bool allow_blockdev,
		      struct error *e)
{
	struct stat st;
	int fd;

	/* The type first, so that a directory gets the same message whatever the mode. */
	if (stat(path, &st) < 0)
		return error_set(e, ERROR_INPUT, errno, "%s %s: %s", what, path, strerror(errno));
	if (!(S_ISREG(st.st_mode) || (allow_blockdev && S_ISBLK(st.st_mode))))
		return error_set(e, ERROR_INPUT, EINVAL, "%s %s: not a regular file%s", what, path,
				 allow_blockdev ? " or block device" : "");
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return error_set(e, ERROR_INPUT, errno, "%s %s: cannot open%s: %s", what, path,
				 (flags & O_ACCMODE) == O_RDWR ? " read-write" : "",
				 strerror(errno));
	close(fd);
	return 0;
}

/* The directory a file will be created in exists and is writable. */
static int check_parent_dir(const char *what, const char *path, struct error *e)
{
	char copy[CONFIG_PATH_MAX + 1];
	struct stat st;
	const char *dir;

	snprintf(copy, sizeof(copy), "%s", path);
	dir = dirname(copy);
	if (stat(dir, &st) < 0)
		return error_set(e, ERROR_INPUT, errno, "%s %s: directory %s: %s", what, path, dir,
				 strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return error_set(e, ERROR_INPUT, ENOTDIR, "%s %s: %s is not a directory", what,
				 path, dir);
	if (access(dir, W_OK | X_OK) < 0)
		return error_set(e, ERROR_INPUT, errno, "%s %s: cannot create files in %s: %s",
				 what, path, dir, strerror(errno));
	return 0;
}

static int validate_machine(const struct vm_config *cfg, struct error *e)
{
	if (cfg->vcpus == 0 || cfg->vcpus > CONFIG_MAX_VCPUS)
		return USAGE("--vcpus: %u vCPUs requested; between 1 and %d are supported",
			     cfg->vcpus, CONFIG_MAX_VCPUS);
	if (cfg->mem_mib < CONFIG_MIN_MEM_MIB)
		return USAGE("--mem-mib: %llu MiB is too little memory; at least %d MiB are needed",
			     (unsigned long long)cfg->mem_mib, CONFIG_MIN_MEM_MIB);
	if (cfg->mem_mib > CONFIG_MAX_MEM_MIB)
		return USAGE("--mem-mib: %llu MiB is more than the supported %d MiB",
			     (unsigned long long)cfg->mem_mib, CONFIG_MAX_MEM_MIB);
	if (cfg->tee == TEE_TDX && cfg->irqchip_set && cfg->irqchip != IRQCHIP_SPLIT)
		return USAGE("--tee tdx needs --irqchip split (a TD has no in-kernel IOAPIC)");
	if (cfg->serial == SERIAL_FILE && (!cfg->serial_path || !*cfg->serial_path))
		return USAGE("--serial file: needs a path");
	return 0;
}

static int validate_tdx(const struct vm_config *cfg, struct error *e)
{
	const struct tdx_config *t = &cfg->tdx;
	struct qgs_addr addr;

	if (cfg->tee != TEE_TDX && (t->attributes_set || t->mr_set || t->quote_service))
		return USAGE("--tdx-attributes, --mrconfigid, --mrowner, --mrownerconfig and "
			     "--quote-service apply to --tee tdx only");
	if (t->quote_service && qgs_addr_parse(t->quote_service, &addr, e))
		return -EINVAL;
	return 0;
}

static int validate_snp_options(const struct vm_config *cfg, struct error *e)
{
	const struct snp_config *snp = &cfg->snp;

	if (cfg->tee != TEE_SNP) {
		if (snp->policy_set || snp->host_data_set || snp->id_block || snp->id_auth)
			return USAGE("--snp-policy, --host-data, --snp-id-block and --snp-id-auth "
				     "apply to --tee snp only");
		return 0;
	}
	if (!(snp->guest_features & SNP_GUEST_FEATURE_SNP_ACTIVE))
		return USAGE("--guest-features 0x%llx: bit 0 (SNP active) must be set; KVM always "
			     "sets it", (unsigned long long)snp->guest_features);
	if (!snp->id_block != !snp->id_auth)
		return USAGE("--snp-id-block and --snp-id-auth go together");
	if ((snp->id_block && !*snp->id_block) || (snp->id_auth && !*snp->id_auth))
		return USAGE("--snp-id-block/--snp-id-auth: empty path");
	return snp_policy_check(snp->policy, e);
}

static int validate_payload_options(const struct vm_config *cfg, struct error *e)
{
	bool fw_tee = config_tee_uses_firmware(cfg);
	int ret;

	if (cfg->kernel && !*cfg->kernel)
		return USAGE("--kernel: empty path");
	if (cfg->initrd && !*cfg->initrd)
		return USAGE("--initrd: empty path");
	if (cfg->firmware && !*cfg->firmware)
		return USAGE("--firmware: empty path");
	if (fw_tee && !cfg->firmware)
		return USAGE("--tee %s needs --firmware PATH", config_tee_name(cfg->tee));
	if (!fw_tee && cfg->firmware)
		return USAGE("--firmware applies to --tee tdx and --tee snp only");
	if (!cfg->kernel && !fw_tee)
		return USAGE("--kernel PATH is required");
	if (!cfg->kernel && (cfg->initrd || cfg->cmdline))
		return USAGE("--initrd and --cmdline need --kernel");
	if (cfg->cmdline && strlen(cfg->cmdline) > CONFIG_CMDLINE_MAX)
		return USAGE("--cmdline is %zu bytes, longer than the %d a guest can be given",
			     strlen(cfg->cmdline), CONFIG_CMDLINE_MAX);
	if (cfg->tee != TEE_SNP && (cfg->snp.vcpu_sig_set || cfg->snp.guest_features_set))
		return USAGE("--vcpu-sig and --guest-features apply to --tee snp only");
	ret = validate_tdx(cfg, e);
	return ret ? ret : validate_snp_options(cfg, e);
}

int config_check_firmware_kernel(const struct vm_config *cfg, const uint8_t *kernel,
				 uint64_t kernel_size, uint64_t initrd_size, struct error *e)
{
	static const uint8_t present;
	struct guest_mem layout;
	struct fw_cfg_linux lb;
	int ret;

	guest_mem_layout(&layout, cfg->mem_mib << 20);
	if (kernel_size + initrd_size > layout.ram_size)
		return error_set(e, ERROR_INPUT, E2BIG,
				 "kernel %s and initrd: %llu bytes, more than the %llu MiB of "
				 "guest RAM the firmware can load them into", cfg->kernel,
				 (unsigned long long)(kernel_size + initrd_size),
				 (unsigned long long)cfg->mem_mib);
	lb = (struct fw_cfg_linux){
		.kernel = kernel,
		.kernel_len = (size_t)kernel_size,
		.initrd = cfg->initrd ? &present : NULL, /* only its presence is looked at */
		.initrd_len = (size_t)initrd_size,
		.cmdline = cfg->cmdline,
		.initrd_limit = layout.regions[0].size,
	};
	ret = fw_cfg_linux_check(&lb);
	if (ret == -ENOEXEC)
		return error_set(e, ERROR_INPUT, ENOEXEC,
				 "kernel %s: not a bzImage the firmware can load (the firmware "
				 "boots the kernel's EFI stub from its setup header)%s",
				 cfg->kernel, cfg->initrd ? ", or too old for an initrd" : "");
	if (ret)
		return error_set(e, ERROR_INPUT, -ret,
				 "kernel %s: kernel or initrd too large for the firmware (fw_cfg "
				 "items hold less than 4 GiB; the initrd must fit below %llu MiB)",
				 cfg->kernel, (unsigned long long)(layout.regions[0].size >> 20));
	return 0;
}

/* config_check_firmware_kernel() on the files: only the kernel's header is read. */
static int validate_firmware_payload(const struct vm_config *cfg, struct error *e)
{
	uint8_t hdr[FW_CFG_LINUX_HEADER_LEN];
	struct stat k, rd = { .st_size = 0 };
	int fd, ret;

	if (cfg->initrd && stat(cfg->initrd, &rd) < 0)
		return error_set(e, ERROR_INPUT, errno, "initrd %s: %s", cfg->initrd,
				 strerror(errno));
	fd = open(cfg->kernel, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &k) < 0) {
		ret = error_set(e, ERROR_INPUT, errno, "kernel %s: %s", cfg->kernel,
				strerror(errno));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	ret = pread_exact(fd, hdr, MIN(sizeof(hdr), (size_t)k.st_size), 0);
	close(fd);
	if (ret)
		return error_set(e, ERROR_INPUT, ret, "kernel %s: %s", cfg->kernel, strerror(-ret));
	return config_check_firmware_kernel(cfg, hdr, (uint64_t)k.st_size, (uint64_t)rd.st_size,
					    e);
}

/* Opens and sniffs what the guest boots from, as the launch will. */
static int validate_payload_files(const struct vm_config *cfg, enum config_check check,
				  struct error *e)
{
	int ret;

	if (config_tee_uses_firmware(cfg)) {
		struct fw_table t;
		uint8_t *fw = NULL;
		size_t len = 0;

		/* The firmware loads the kernel itself: it only has to be a readable file here. */
		ret = read_whole_file(cfg->firmware, &fw, &len);
		if (ret)
			return error_set(e, ERROR_INPUT, ret, "firmware %s: %s", cfg->firmware,
					 ret == -EINVAL ? "not a regular file" : strerror(-ret));
		ret = fw_table_parse(&t, fw, len, e);
		free(fw);
		if (ret) {
			error_prefix(e, "firmware %s: ", cfg->firmware);
			return ret;
		}
		if (cfg->kernel && (ret = check_file("kernel", cfg->kernel, O_RDONLY, false, e)))
			return ret;
		if (cfg->initrd && (ret = check_file("initrd", cfg->initrd, O_RDONLY, false, e)))
			return ret;
		/* `cvmm measure` predicts any payload; a VM must also be able to boot it. */
		if (cfg->kernel && check != CONFIG_CHECK_MEASURE)
			return validate_firmware_payload(cfg, e);
	} else {
		struct boot_kernel k;
		struct boot_initrd rd;
		struct guest_mem layout;

		guest_mem_layout(&layout, cfg->mem_mib << 20);
		ret = boot_kernel_open(&k, cfg->kernel, &layout, e);
		if (ret)
			return ret;
		ret = boot_initrd_open(&rd, cfg->initrd, &k, &layout, e);
		boot_initrd_close(&rd);
		boot_kernel_close(&k);
		if (ret)
			return ret;
	}
	return 0;
}

/* One bucket of a rate limit: within the limiter's range, a refill time exactly with a size. */
static int validate_bucket(const char *what, const char *name, const struct rl_bucket_config *b,
			   struct error *e)
{
	if (b->size > RL_MAX_TOKENS || b->one_time_burst > RL_MAX_TOKENS)
		return USAGE("%s: %s: size and burst are at most 2^60", what, name);
	if (b->size && (!b->refill_time_ms || b->refill_time_ms > RL_MAX_REFILL_MS))
		return USAGE("%s: %s: refill time %llu ms: expected 1 to %llu", what, name,
			     (unsigned long long)b->refill_time_ms,
			     (unsigned long long)RL_MAX_REFILL_MS);
	if (!b->size && (b->refill_time_ms || b->one_time_burst))
		return USAGE("%s: %s: a refill time or burst needs a size", what, name);
	return 0;
}

static int validate_rate(const char *what, const struct rate_limit_config *r, struct error *e)
{
	int ret = validate_bucket(what, "bw", &r->bandwidth, e);

	return ret ? ret : validate_bucket(what, "ops", &r->ops, e);
}

static int validate_drives(const struct vm_config *cfg, enum config_check check, struct error *e)
{
	struct stat seen[RESOURCES_MAX_VIRTIO];
	char what[CONFIG_PATH_MAX + 32];

	for (unsigned i = 0; i < cfg->nr_drives; i++) {
		const struct drive_config *d = &cfg->drives[i];
		int ret;

		if (!d->path || !*d->path)
			return USAGE("--drive %u: path=PATH is required", i + 1);
		if (d->id && (!*d->id || strlen(d->id) > CONFIG_ID_MAX))
			return USAGE("--drive %s: id must be 1 to %d characters", d->path,
				     CONFIG_ID_MAX);
		if (d->poll_us > DRIVE_POLL_US_MAX)
			return USAGE("--drive %s: poll_us=%u: expected 0 to %d", d->path, d->poll_us,
				     DRIVE_POLL_US_MAX);
		for (unsigned j = 0; j < i; j++)
			if (d->id && cfg->drives[j].id && !strcmp(d->id, cfg->drives[j].id))
				return USAGE("--drive: id %s is used twice", d->id);
		snprintf(what, sizeof(what), "--drive %s: rate", d->path);
		ret = validate_rate(what, &d->rate, e);
		if (ret)
			return ret;
		if (check == CONFIG_CHECK_MEASURE)
			continue;
		ret = check_file("--drive", d->path, d->read_only ? O_RDONLY : O_RDWR, true, e);
		if (ret)
			return ret;
		if (stat(d->path, &seen[i]) < 0)
			return error_set(e, ERROR_INPUT, errno, "--drive %s: %s", d->path,
					 strerror(errno));
		/* A block device's size is the kernel's business (multiples of its block size). */
		if (S_ISREG(seen[i].st_mode) && seen[i].st_size % 512)
			return error_set(e, ERROR_INPUT, EINVAL,
					 "--drive %s: size %lld is not a multiple of 512 bytes", d->path,
					 (long long)seen[i].st_size);
		for (unsigned j = 0; j < i; j++)
			if (seen[j].st_dev == seen[i].st_dev && seen[j].st_ino == seen[i].st_ino)
				return USAGE("--drive %s: the same file as drive %u (%s)", d->path,
					     j + 1, cfg->drives[j].path);
	}
	return 0;
}

/* What the kernel takes as an interface name: no '/', ':' or whitespace, not "." or "..". */
static bool ifname_ok(const char *s)
{
	if (!*s || strlen(s) >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '/' || c == ':' || isspace(c) || !isprint(c))
			return false;
	}
	return true;
}

/* The device's own values; name says which --net it is ("tap=NAME" or "fd=N"). */
static int validate_net_values(const struct net_config *n, const char *name, struct error *e)
{
	char what[64];
	uint8_t mac[6];
	int ret;

	if (n->tap && !ifname_ok(n->tap))
		return USAGE("--net %s: not an interface name (1 to %d characters, no '/', ':' or "
			     "spaces)", name, IFNAMSIZ - 1);
	if (!n->tap && n->fd < 3)
		return USAGE("--net %s: standard input, output or error is not a tap", name);
	if (n->mac) {
		if (config_parse_mac(n->mac, mac))
			return USAGE("--net %s: mac=%s: expected xx:xx:xx:xx:xx:xx", name, n->mac);
		if (mac[0] & 1)
			return USAGE("--net %s: mac=%s is a multicast address", name, n->mac);
		if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
			return USAGE("--net %s: mac=%s is all zeroes", name, n->mac);
	}
	if (n->mtu < NET_MTU_MIN || n->mtu > NET_MTU_MAX)
		return USAGE("--net %s: mtu=%u: expected %d to %d", name, n->mtu, NET_MTU_MIN,
			     NET_MTU_MAX);
	if (n->id && (!*n->id || strlen(n->id) > NET_ID_MAX))
		return USAGE("--net %s: id must be 1 to %d characters", name, NET_ID_MAX);
	snprintf(what, sizeof(what), "--net %s: rx_rate", name);
	ret = validate_rate(what, &n->rx_rate, e);
	if (ret)
		return ret;
	snprintf(what, sizeof(what), "--net %s: tx_rate", name);
	return validate_rate(what, &n->tx_rate, e);
}

/* Two devices on one tap, one fd, one id or one MAC address. */
static int validate_net_pair(const struct net_config *a, const struct net_config *b,
			     const char *name, struct error *e)
{
	if (a->tap && b->tap && !strcmp(a->tap, b->tap))
		return USAGE("--net %s: the tap is used twice", name);
	if (!a->tap && !b->tap && a->fd == b->fd)
		return USAGE("--net %s: the fd is used twice", name);
	if (a->id && b->id && !strcmp(a->id, b->id))
		return USAGE("--net %s: id %s is used twice", name, a->id);
	if (a->mac && b->mac && !strcasecmp(a->mac, b->mac))
		return USAGE("--net %s: mac %s is used twice", name, a->mac);
	return 0;
}

static int validate_nets(const struct vm_config *cfg, enum config_check check, struct error *e)
{
	for (unsigned i = 0; i < cfg->nr_nets; i++) {
		const struct net_config *n = &cfg->nets[i];
		char name[IFNAMSIZ + 8], ifname[IFNAMSIZ];
		int ret;

		if (!n->tap == (n->fd < 0))
			return USAGE("--net %u: exactly one of tap=NAME or fd=N is required", i + 1);
		if (n->tap)
			snprintf(name, sizeof(name), "tap=%.*s", IFNAMSIZ, n->tap);
		else
			snprintf(name, sizeof(name), "fd=%d", n->fd);
		ret = validate_net_values(n, name, e);
		for (unsigned j = 0; j < i && !ret; j++)
			ret = validate_net_pair(n, &cfg->nets[j], name, e);
		if (ret)
			return ret;
		if (check == CONFIG_CHECK_MEASURE)
			continue;
		/* What the device will open, checked without keeping anything open. */
		ret = n->tap ? tap_check_tun(e) : tap_check_fd(n->fd, ifname, e);
		if (ret) {
			error_prefix(e, "--net %s: ", name);
			return ret;
		}
	}
	return 0;
}

static int validate_vsock(const struct vm_config *cfg, enum config_check check, struct error *e)
{
	const struct vsock_config *v = &cfg->vsock;
	struct stat st;
	int ret;

	if (!v->enabled)
		return 0;
	if (v->guest_cid < 3 || v->guest_cid == UINT32_MAX)
		return USAGE("--vsock: cid=%u: guest CIDs start at 3 (0-2 are reserved)",
			     v->guest_cid);
	if (!v->uds_path || !*v->uds_path)
		return USAGE("--vsock: uds=PATH is required");
	/* Connections to port P of the host go to PATH_P: leave room for the suffix. */
	if (strlen(v->uds_path) > CONFIG_UDS_PATH_MAX - 11)
		return USAGE("--vsock: uds path is longer than a Unix socket path may be (%d bytes "
			     "with the _PORT suffix)", CONFIG_UDS_PATH_MAX);
	if (check == CONFIG_CHECK_MEASURE)
		return 0;
	ret = check_parent_dir("--vsock", v->uds_path, e);
	if (ret)
		return ret;
	if (lstat(v->uds_path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return error_set(e, ERROR_INPUT, EEXIST,
				 "--vsock %s: exists and is not a socket (cvmm will not replace it)",
				 v->uds_path);
	return 0;
}

static int validate_serial(const struct vm_config *cfg, struct error *e)
{
	struct stat st;

	if (cfg->serial != SERIAL_FILE)
		return 0;
	if (stat(cfg->serial_path, &st) == 0) {
		if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
			return error_set(e, ERROR_INPUT, EINVAL,
					 "--serial file:%s: not a file, FIFO or character device",
					 cfg->serial_path);
		if (access(cfg->serial_path, W_OK) < 0)
			return error_set(e, ERROR_INPUT, errno, "--serial file:%s: %s",
					 cfg->serial_path, strerror(errno));
		return 0;
	}
	return check_parent_dir("--serial file:", cfg->serial_path, e);
}

int config_validate(const struct vm_config *cfg, enum config_check check, struct error *e)
{
	unsigned nr_virtio = config_virtio_devices(cfg);
	int ret;

	ret = validate_machine(cfg, e);
	if (!ret)
		ret = validate_payload_options(cfg, e);
	if (ret)
		return ret;
	if (nr_virtio > RESOURCES_MAX_VIRTIO)
		return USAGE("%u virtio devices requested (drives, nets, vsock, rng); a VM has room "
			     "for %d", nr_virtio, RESOURCES_MAX_VIRTIO);
	ret = validate_drives(cfg, check, e);
	if (!ret)
		ret = validate_nets(cfg, check, e);
	if (!ret)
		ret = validate_vsock(cfg, check, e);
	if (!ret && check != CONFIG_CHECK_MEASURE)
		ret = validate_serial(cfg, e);
	if (!ret && check != CONFIG_CHECK_NO_PAYLOAD)
		ret = validate_payload_files(cfg, check, e);
	return ret;
}
