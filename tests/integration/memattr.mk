# --tee emulated on the local /dev/kvm (double-colon: other fragments add their own).
test-integration:: $(BUILD)/cvmm
	@CVMM=$(BUILD)/cvmm bash tests/integration/tee_emulated.sh
