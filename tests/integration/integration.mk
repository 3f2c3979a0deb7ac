# Integration tests: each adds itself to test-integration with a double-colon rule.
# CVMM_VECTORS: directory of the published measurement test vectors (default: beside the
# repository if present, else tests/vectors with Debian's OVMF.fd).
test-integration:: $(BUILD)/cvmm
	@CVMM=$(BUILD)/cvmm bash tests/integration/test_measure.sh
