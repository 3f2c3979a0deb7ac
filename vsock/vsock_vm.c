// SPDX-License-Identifier: MIT
/* Adding the vsock device to a VM. */
#include <string.h>
#include <sys/resource.h>

#include "devices/virtio/virtio.h"
#include "vmm/log.h"
#include "vmm/vm.h"
#include "vsock/vsock.h"

/* Every connection holds an fd; the usual soft limit of 1024 would cap them below the mux's. */
static void raise_fd_limit(void)
{
	struct rlimit r;
	rlim_t want = VSOCK_MAX_CONNS + 512;

	if (getrlimit(RLIMIT_NOFILE, &r) < 0 || r.rlim_cur >= want)
		return;
	r.rlim_cur = r.rlim_max < want ? r.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &r) < 0 || r.rlim_cur < want)
		log_warn("--vsock: open-file limit %lu allows fewer than %d connections",
			 (unsigned long)r.rlim_cur, VSOCK_MAX_CONNS);
}

int virtio_vsock_create(struct vm *vm, const struct vsock_config *cfg)
{
	struct virtio_dev_params params;
	struct virtio_dev *vdev;
	struct vsock_dev *d;
	int err;

	raise_fd_limit();
	err = vsock_dev_open(cfg, &vm->loop, &d);
	if (err < 0) {
		log_error("--vsock: cannot listen on %s: %s", cfg->uds_path, strerror(-err));
		return err;
	}
	vsock_dev_params(d, &params);
	err = virtio_mmio_create_on_vm(vm, &params, &vdev);
	if (err < 0) {
		vsock_dev_destroy(d);
		return err;
	}
	vsock_dev_attach(d, vdev);
	err = vm_register_device(vm, &(struct vm_device){
		.name = params.name,
		.opaque = d,
		.stop = vsock_dev_stop,
		.destroy = vsock_dev_destroy,
	});
	if (err < 0) {
		log_error("%s: cannot register the device: %s", params.name, strerror(-err));
		vsock_dev_destroy(d);
	}
	return err;
}
