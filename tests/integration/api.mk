# The management API end to end: Kata's fc drivers' flows replayed with curl on the API socket, the
# test guest booted with acpi=off through the MP table, a real Linux guest managed through the API,
# and the command-line side on the host.
INTEGRATION_ITEMS += --item api_kata_fc \
	"CVMM=$(BUILD)/cvmm GUEST_DIR=$(BUILD)/guest bash tests/integration/api_kata_fc.sh"
INTEGRATION_ITEMS += --item api_runtime_rs \
	"CVMM=$(BUILD)/cvmm GUEST_DIR=$(BUILD)/guest bash tests/integration/api_runtime_rs.sh"
INTEGRATION_ITEMS += --item mptable_guest \
	"CVMM=$(BUILD)/cvmm GUEST_DIR=$(BUILD)/guest bash tests/integration/mptable_guest.sh"
# A real Linux guest (the nested harness's kernel, initramfs and agent) through the API.
INTEGRATION_ITEMS += --item api_linux "CVMM=$(BUILD)/cvmm NESTED=$(NESTED_OUT) bash tests/integration/api_linux.sh"
test-integration: $(NESTED_L2_RD)
INTEGRATION_HOST_ITEMS += --host-item api_cli "CVMM=$(BUILD)/cvmm bash tests/integration/api_cli.sh"
# Kata's Go clh driver (the Cloud Hypervisor API subset): an ordinary pod's L2 guest, and a TDX
# pod refused with the probe's line where there is no TDX.
INTEGRATION_ITEMS += --item api_kata_clh "CVMM=$(BUILD)/cvmm NESTED=$(NESTED_OUT) bash tests/integration/api_kata_clh.sh"
