# The agent-sandbox policy with the test guest (tests/integration/sandbox.sh).
INTEGRATION_ITEMS += --item sandbox \
	"CVMM=$(BUILD)/cvmm GUEST=$(BUILD)/guest/cvmm-test.pvh.elf bash tests/integration/sandbox.sh"
