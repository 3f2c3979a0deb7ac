# virtio-net end to end with the test guest: raw frames echoed through a tap in a network
# namespace the test creates and removes (tests/integration/net_guest.sh).
INTEGRATION_ITEMS += --item net_guest \
	"CVMM=$(BUILD)/cvmm GUEST=$(BUILD)/guest/cvmm-test.pvh.elf NETPEER=$(HOST_NETPEER) \
	bash tests/integration/net_guest.sh"

test-integration: $(HOST_NETPEER)
