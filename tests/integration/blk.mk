# virtio-blk end to end with the test guest (both engines, both irqchip modes, file contents).
INTEGRATION_ITEMS += --item blk_guest \
	"CVMM=$(BUILD)/cvmm GUEST=$(BUILD)/guest/cvmm-test.pvh.elf bash tests/integration/blk_guest.sh"
