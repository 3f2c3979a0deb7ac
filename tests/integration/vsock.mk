# virtio-vsock with the test guest through the hybrid Unix socket (tests/integration/vsock_guest.sh).
INTEGRATION_ITEMS += --item vsock_guest \
	"CVMM=$(BUILD)/cvmm GUEST_DIR=$(BUILD)/guest bash tests/integration/vsock_guest.sh"
