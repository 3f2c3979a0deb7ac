# Integration tests.  Every fragment adds its tests to INTEGRATION_ITEMS (they need KVM: the KVM
# runner runs them on this machine's /dev/kvm or in the nested L1, tests/kvm/kvm.mk) or to
# INTEGRATION_HOST_ITEMS (no KVM needed: they run on this machine either way).
# CVMM_VECTORS: directory of the published measurement test vectors (default: tests/vectors with
# Debian's OVMF.fd).
INTEGRATION_HOST_ITEMS += --host-item measure "CVMM=$(BUILD)/cvmm bash tests/integration/test_measure.sh"

.PHONY: test-integration
test-integration: $(BUILD)/cvmm guests kvm-runner
	@$(call KVM_RUN,integration) $(INTEGRATION_HOST_ITEMS) $(INTEGRATION_ITEMS)
