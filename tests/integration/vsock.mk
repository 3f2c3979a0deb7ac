# virtio-vsock with the test guest through the hybrid Unix socket (tests/integration/vsock_guest.sh).
test-integration:: $(BUILD)/cvmm guests
	@CVMM=$(BUILD)/cvmm GUEST_DIR=$(BUILD)/guest bash tests/integration/vsock_guest.sh
