# Integration tests of the VM core: bad input, how a VM ends, booting the test guest.
# Bad input is answered before KVM is opened: the same on any machine, so it runs here.
INTEGRATION_HOST_ITEMS += --host-item cli_errors "CVMM=$(BUILD)/cvmm bash tests/integration/cli_errors.sh"
INTEGRATION_ITEMS += --item lifecycle "CVMM=$(BUILD)/cvmm bash tests/integration/lifecycle.sh"
INTEGRATION_ITEMS += --item guest_boot \
	"CVMM=$(BUILD)/cvmm GUEST_DIR=$(BUILD)/guest bash tests/integration/guest_boot.sh"
