# --tee tdx where TDX is absent: the probe's one line and exit status, on KVM (local or the L1).
INTEGRATION_ITEMS += --item tdx_probe "CVMM=$(BUILD)/cvmm bash tests/integration/tdx_probe.sh"
