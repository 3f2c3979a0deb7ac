# Integration tests: each adds itself to test-integration with a double-colon rule.
# CVMM_VECTORS: directory of the published measurement test vectors (skipped when absent).
CVMM_VECTORS ?= ../shared/vectors

test-integration:: $(BUILD)/cvmm
	@CVMM=$(BUILD)/cvmm CVMM_VECTORS=$(CVMM_VECTORS) bash tests/integration/test_measure.sh
