/* SPDX-License-Identifier: MIT */
/*
 * A VM's whole description: what the command line, a config file or the API asked for.  Plain
 * data with owned strings; config_validate() checks all of it (values, combinations, limits from
 * the resource allocator, the files it names) before anything touches KVM.  vmm/cli.c parses into
 * it; nothing here knows about KVM, devices or threads.
 */
#ifndef CVMM_CONFIG_H
#define CVMM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/irq.h"

struct error;

#define CONFIG_MAX_VCPUS   254
#define CONFIG_MIN_MEM_MIB 16
#define CONFIG_MAX_MEM_MIB (1024 * 1024) /* 1 TiB */
#define CONFIG_ID_MAX      20  /* a drive id is the virtio-blk serial: 20 bytes */
#define CONFIG_PATH_MAX    4096
#define CONFIG_UDS_PATH_MAX 107 /* sun_path holds 108 bytes with the NUL */
#define CONFIG_CMDLINE_MAX 4095

enum serial_mode {
	SERIAL_STDIO,
	SERIAL_FILE,
	SERIAL_NONE,
};

enum blk_engine {
	BLK_ENGINE_SYNC,
	BLK_ENGINE_URING,
};

enum tee_kind {
	TEE_NONE,
	TEE_EMULATED,
	TEE_TDX,
	TEE_SNP,
};

#define DRIVE_POLL_US_DEFAULT 50
#define DRIVE_POLL_US_MAX     1000

/*
 * A token bucket of a rate limiter (devices/rate_limiter.h has the semantics): size tokens,
 * refilled in full every refill_time_ms, plus a one-time burst.  size 0: the bucket does not
 * limit.
 */
#define RL_MAX_TOKENS    (1ULL << 60)
#define RL_MAX_REFILL_MS (24ULL * 60 * 60 * 1000) /* one day */

struct rl_bucket_config {
	uint64_t size;           /* 0: no limit */
	uint64_t one_time_burst;
	uint64_t refill_time_ms; /* 1 .. RL_MAX_REFILL_MS when size > 0 */
};

/* One direction of a device: bytes and operations (frames, requests); all zero: no limit. */
struct rate_limit_config {
	struct rl_bucket_config bandwidth;
	struct rl_bucket_config ops;
};

struct drive_config {
	char *path;
	char *id;         /* NULL: none */
	bool read_only;
	enum blk_engine engine;
	unsigned poll_us; /* busy-poll the queue this long after the last request; 0: never */
	struct rate_limit_config rate; /* requests and their data bytes */
};

#define NET_MTU_DEFAULT 1500
#define NET_MTU_MIN     68
#define NET_MTU_MAX     65535
#define NET_ID_MAX      32

/* One virtio-net device over a TAP (docs/net.md).  config_net_init() gives the defaults. */
struct net_config {
	char *tap;      /* tap=NAME: the interface cvmm opens (or creates); NULL with fd */
	int fd;         /* fd=N: an open tap queue (inherited or passed); -1 with tap */
	char *mac;      /* "xx:xx:xx:xx:xx:xx"; NULL: random, locally administered */
	unsigned mtu;   /* NET_MTU_MIN .. NET_MTU_MAX */
	char *id;       /* names the device in messages and counters; NULL: the tap's name */
	struct rate_limit_config rx_rate; /* frames to the guest */
	struct rate_limit_config tx_rate; /* frames from the guest */
};

struct vsock_config {
	bool enabled;
	uint32_t guest_cid;
	char *uds_path;
};

/* SEV-SNP launch inputs (--tee snp); `cvmm measure` takes the same ones. */
struct snp_config {
	uint32_t vcpu_sig;       /* CPUID.1.EAX of the guest CPU (a VM defaults to the host's) */
	bool vcpu_sig_set;
	uint64_t guest_features; /* VMSA sev_features (INIT2 vmsa_features | SNP_ACTIVE) */
	bool guest_features_set;
	uint64_t policy;         /* LAUNCH_START guest policy (default SNP_POLICY_DEFAULT) */
	bool policy_set;
	uint8_t host_data[32];   /* LAUNCH_FINISH host_data, reported in attestation */
	bool host_data_set;
	char *id_block;          /* ID block file (96 bytes), with id_auth (4096 bytes) */
	char *id_auth;
};

/*
 * TDX launch inputs (--tee tdx).  Each MR value is 48 bytes (a SHA-384 sized value the TD report
 * carries unchanged); the attributes go to KVM_TDX_INIT_VM.
 */
#define CONFIG_TDX_MR_SIZE            48
#define CONFIG_TDX_DEFAULT_ATTRIBUTES (1ULL << 28) /* SEPT_VE_DISABLE */

struct tdx_config {
	uint64_t attributes;
	bool attributes_set;
	uint8_t mrconfigid[CONFIG_TDX_MR_SIZE];
	uint8_t mrowner[CONFIG_TDX_MR_SIZE];
	uint8_t mrownerconfig[CONFIG_TDX_MR_SIZE];
	bool mr_set;         /* any of the three was given */
	char *quote_service; /* unix:PATH or vsock:CID:PORT; NULL: none */
};

struct vm_config {
	char *kernel;
	char *initrd;
	char *cmdline;
	char *firmware;
	unsigned vcpus;
	uint64_t mem_mib;
	enum serial_mode serial;
	char *serial_path;
	enum irqchip_mode irqchip;
	bool irqchip_set;       /* given explicitly (TDX needs split; the default follows the TEE) */
	bool boot_timer;
	struct drive_config *drives;
	unsigned nr_drives;
	struct net_config *nets;
	unsigned nr_nets;
	struct vsock_config vsock;
	bool rng;               /* a virtio-rng device (--rng, the API's /entropy) */
	enum tee_kind tee;
	struct snp_config snp;
	struct tdx_config tdx;
	bool virtio_access_platform; /* developer option: devices offer ACCESS_PLATFORM, no checks */
	int verbose;
};

/* What config_validate() checks. */
enum config_check {
	CONFIG_CHECK_ALL = 0,
	/* `cvmm measure`: the payload and its inputs, not the files of devices or the console. */
	CONFIG_CHECK_MEASURE = 1,
	/*
	 * Everything but opening the payload files: for vm_create(), whose launch_inputs_build()
	 * opens and checks them right after (once, not twice), followed by
	 * launch_inputs_check_boot() for what only a VM needs of them.
	 */
	CONFIG_CHECK_NO_PAYLOAD = 2,
};

void config_init(struct vm_config *cfg);
void config_free(struct vm_config *cfg);

/* Replaces *dst with a copy of val (NULL clears it); usage error when val is too long. */
int config_set_string(char **dst, const char *val, const char *what, struct error *e);
/* Appends a copy of d (its strings duplicated). */
int config_add_drive(struct vm_config *cfg, const struct drive_config *d, struct error *e);
void config_drive_free(struct drive_config *d);
/* The defaults of a --net device: no backend yet (fd -1), MTU 1500, no MAC, id or limits. */
void config_net_init(struct net_config *n);
/* Appends a copy of n (its strings duplicated). */
int config_add_net(struct vm_config *cfg, const struct net_config *n, struct error *e);
/* Replaces *dst with a copy of n (dst keeps its old value when that fails). */
int config_set_net(struct net_config *dst, const struct net_config *n, struct error *e);
void config_net_free(struct net_config *n);
/* Parses "xx:xx:xx:xx:xx:xx" (hex digits, either case): 0, or -EINVAL. */
int config_parse_mac(const char *s, uint8_t mac[6]);

/* How many virtio devices the config asks for, and how many a VM can have. */
unsigned config_virtio_devices(const struct vm_config *cfg);
unsigned config_max_virtio_devices(void);

/*
 * Checks everything before any KVM call: each value and its limits, the combinations, the number
 * of devices against the resource allocator, and the files: the kernel, initrd and firmware are
 * opened and sniffed, drives opened the way the VM will open them, a tap given as fd=N checked to
 * be a tap queue (no file descriptor is kept open), the console file and the vsock socket's
 * directory checked.  One error line (class usage or input) naming the field.
 */
int config_validate(const struct vm_config *cfg, enum config_check check, struct error *e);

/*
 * A firmware boot (--tee tdx|snp with TDVF or OVMF) hands kernel, initrd and command line to the
 * firmware through fw_cfg: the kernel must be a bzImage the firmware can split and load, and kernel
 * and initrd must fit fw_cfg's items and guest RAM.  kernel holds the file's first bytes (at least
 * FW_CFG_LINUX_HEADER_LEN, all of a shorter file; NULL for an empty one), the sizes are the files'.
 * An input error naming the kernel.  config_validate() runs it on the files unless measuring
 * (`cvmm measure` predicts any payload); vm_create() on the bytes the launch inputs mapped.
 */
int config_check_firmware_kernel(const struct vm_config *cfg, const uint8_t *kernel,
				 uint64_t kernel_size, uint64_t initrd_size, struct error *e);

/* True for the TEE kinds whose payload goes through firmware and a launch plan. */
static inline bool config_tee_uses_firmware(const struct vm_config *cfg)
{
	return cfg->tee == TEE_TDX || cfg->tee == TEE_SNP;
}

static inline const char *config_tee_name(enum tee_kind tee)
{
	return tee == TEE_EMULATED ? "emulated" : tee == TEE_TDX ? "tdx" : tee == TEE_SNP ? "snp"
											 : "none";
}

#endif
