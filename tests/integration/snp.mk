# --tee snp where KVM has no SNP: one line, exit 3 (tests/integration/snp_probe.sh).  The launch
# itself is shown against the recorded KVM (tests/unit/test_snp_launch.c, docs/snp.md).
INTEGRATION_ITEMS += --item snp_probe "CVMM=$(BUILD)/cvmm bash tests/integration/snp_probe.sh"
