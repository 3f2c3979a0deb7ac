// SPDX-License-Identifier: MIT
/* A TD on the recording KVM (see td_fixture.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/input_files.h"
#include "tests/unit/kvm_recorder.h"
#include "tests/unit/td_fixture.h"
#include "vmm/digest.h"
#include "vmm/kvm_api.h"
#include "vmm/util.h"

#define SIG KVM_CPUID_FLAG_SIGNIFCANT_INDEX

const struct kvm_cpuid_entry2 td_supported_cpuid[] = {
	{ .function = 1, .eax = 0x806f8, .ebx = 0x800, .ecx = 0xf7fa3203, .edx = 0x178bfbff },
	{ .function = 0, .eax = 0x1f, .ebx = 0x756e6547, .ecx = 0x6c65746e, .edx = 0x49656e69 },
	{ .function = 7, .index = 0, .flags = SIG, .eax = 2, .ebx = 0xf1bf07ab, .ecx = 0x1b415f6e,
	  .edx = 0xbc040010 },
	{ .function = 0xd, .index = 1, .flags = SIG, .eax = 0x1f },
	{ .function = 0x80000008, .eax = 0x3934, .ebx = 0x200 },
};
const unsigned td_supported_cpuid_nent = ARRAY_SIZE(td_supported_cpuid);

/* The configurable bits: for 0x80000008 KVM reports EAX[23:16] all ones (the GPAW field). */
static const struct kvm_cpuid_entry2 td_caps_cpuid[TD_CAPS_NENT] = {
	{ .function = 1, .eax = 0x0fff3fff, .ecx = 0x31fe3fff, .edx = 0xb8d3fbff },
	{ .function = 7, .index = 0, .flags = SIG, .ebx = 0xdc2fe7ff, .ecx = 0x02417f5e,
	  .edx = 0x00040010 },
	{ .function = 0xd, .index = 1, .flags = SIG, .eax = 0xe },
	{ .function = 0x80000008, .eax = 0xff00ff },
	/* leaves KVM does not report here: left out of INIT_VM */
	{ .function = 0x14, .flags = SIG }, { .function = 0x1c }, { .function = 0x1d },
	{ .function = 0x1e }, { .function = 0x20 }, { .function = 0x21 }, { .function = 0x23 },
	{ .function = 0x24 }, { .function = 0x25 }, { .function = 0x26 }, { .function = 0x27 },
	{ .function = 0x28 }, { .function = 0x29 }, { .function = 0x2a }, { .function = 0x2b },
	{ .function = 0x2c },
};

void td_kvm(int no_gpaw_leaf)
{
	struct kvm_cpuid_entry2 caps[TD_CAPS_NENT];
	unsigned n = 0;

	for (unsigned i = 0; i < TD_CAPS_NENT; i++)
		if (!no_gpaw_leaf || td_caps_cpuid[i].function != 0x80000008)
			caps[n++] = td_caps_cpuid[i];
	rec_reset();
	rec_set_result("kvm_check_extension", 1);
	rec_set_cap(KVM_CAP_VM_TYPES, (1 << CVMM_KVM_X86_DEFAULT_VM) | (1 << CVMM_KVM_X86_TDX_VM));
	rec_set_cap(KVM_CAP_EXIT_HYPERCALL, 1 << KVM_HC_MAP_GPA_RANGE_NR);
	rec_set_cap(KVM_CAP_MEMORY_ATTRIBUTES, CVMM_KVM_MEMORY_ATTRIBUTE_PRIVATE);
	rec_set_supported_cpuid(td_supported_cpuid, td_supported_cpuid_nent);
	rec_tdx_set_caps(TD_CAPS_ATTRS, TD_CAPS_XFAM, TD_CAPS_USER_R11, caps, n);
}

void td_dir_init(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/cvmm-td-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

void td_dir_free(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

void td_config(struct vm_config *cfg, const char *path, const struct fw_image_layout *l)
{
	struct fw_image img;

	fw_image_build(&img, l);
	input_write_file(path, img.data, img.len);
	fw_image_free(&img);
	config_init(cfg);
	cfg->tee = TEE_TDX;
	config_set_string(&cfg->firmware, path, "--firmware", NULL);
	cfg->vcpus = 2;
	cfg->mem_mib = 64;
	cfg->serial = SERIAL_NONE;
}

void td_write_bzimage(const char *path, size_t len)
{
	uint8_t *k = calloc(1, len);

	assert_non_null(k);
	for (size_t i = 0; i < len; i++)
		k[i] = (uint8_t)(i * 7 + 3);
	k[0x1f1] = 4;                       /* setup_sects */
	memcpy(k + 0x202, "HdrS", 4);
	k[0x206] = 0x0f;                    /* boot protocol 2.15 */
	k[0x207] = 0x02;
	k[0x211] = 1;                       /* LOADED_HIGH */
	input_write_file(path, k, len);
	free(k);
}

static int has_published_sha(const char *path)
{
	static const char want[] = "7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773";
	uint8_t *data, sum[32];
	char hex[65];
	size_t len;

	if (read_whole_file(path, &data, &len))
		return 0;
	assert_int_equal(digest_oneshot(DIGEST_SHA256, data, len, sum), 0);
	free(data);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", sum[i]);
	return !strcmp(hex, want);
}

const char *td_debian_ovmf(void)
{
	static char path[4200];
	const char *dirs[] = { getenv("CVMM_VECTORS"), "../shared/vectors" };

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (!dirs[i])
			continue;
		snprintf(path, sizeof(path), "%s/debian-ovmf-2022.11-6+deb12u2.fd", dirs[i]);
		if (has_published_sha(path))
			return path;
	}
	snprintf(path, sizeof(path), "/usr/share/ovmf/OVMF.fd");
	return has_published_sha(path) ? path : NULL;
}
