# Integration tests of the VM core on /dev/kvm (double-colon: other fragments add their own).
.PHONY: test-integration
test-integration:: $(BUILD)/cvmm guests
	@CVMM=$(BUILD)/cvmm bash tests/integration/cli_errors.sh
	@CVMM=$(BUILD)/cvmm bash tests/integration/lifecycle.sh
	@CVMM=$(BUILD)/cvmm GUEST_DIR=$(BUILD)/guest bash tests/integration/guest_boot.sh
