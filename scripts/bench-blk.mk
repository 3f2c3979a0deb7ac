# virtio-blk throughput and VMM CPU per request: cvmm (both engines) against QEMU's
# virtio-blk-device, the test guest's blkbench phases, a file in /dev/shm.  Informational only.
.PHONY: bench-blk
bench:: bench-blk

bench-blk: $(BUILD)/cvmm guests kvm-runner
	@$(call KVM_RUN,bench-blk) --item-timeout 3600 --item blk "python3 scripts/bench_blk.py \
		--cvmm $(BUILD)/cvmm --guest $(BUILD)/guest/cvmm-test.pvh.elf $(BENCH_BLK_ARGS)"
