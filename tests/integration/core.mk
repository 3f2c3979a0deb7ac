# Integration tests of the VM core on /dev/kvm (double-colon: other fragments add their own).
.PHONY: test-integration
test-integration:: $(BUILD)/cvmm
	@CVMM=$(BUILD)/cvmm bash tests/integration/cli_errors.sh
	@CVMM=$(BUILD)/cvmm bash tests/integration/lifecycle.sh
