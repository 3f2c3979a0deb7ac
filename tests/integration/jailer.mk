# cvmm-jailer as root (tests/jailer/jailer-test.sh): the jail a process gets, cgroup limits, and
# cvmm booting the test guest jailed.  `make test-jailer` runs it on this machine (as root; the
# cvmm boot needs /dev/kvm there).
JAILER_TEST = JAILER=$(BUILD)/cvmm-jailer PROBE=$(BUILD)/tests/jail-probe CVMM=$(BUILD)/cvmm \
	GUEST=$(BUILD)/guest/cvmm-test.pvh.elf bash tests/jailer/jailer-test.sh
INTEGRATION_ITEMS += --item jailer "$(JAILER_TEST)"

.PHONY: test-jailer
test-jailer: $(BUILD)/cvmm $(BUILD)/cvmm-jailer $(BUILD)/tests/jail-probe guests
	@$(JAILER_TEST)
test-integration: $(BUILD)/cvmm-jailer $(BUILD)/tests/jail-probe
