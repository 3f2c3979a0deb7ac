# virtio-blk end to end with the test guest (both engines, both irqchip modes, file contents).
test-integration:: $(BUILD)/cvmm guests
	@CVMM=$(BUILD)/cvmm GUEST=$(BUILD)/guest/cvmm-test.pvh.elf bash tests/integration/blk_guest.sh
