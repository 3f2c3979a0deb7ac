# Many sandboxes at once (scripts/bench_density.py): N VMs with 128 MiB, a disk and vsock each,
# up to the first guest byte; starts per second per core and memory beyond guest RAM, cvmm next
# to QEMU microvm.  Boots guests: through the KVM runner.  BENCH_DENSITY_ARGS="-n 64 --runs 5".
.PHONY: bench-density
bench:: bench-density

bench-density: $(BUILD)/cvmm guests kvm-runner
	@$(call KVM_RUN,bench-density) --item-timeout 3600 --item density "python3 \
		scripts/bench_density.py --cvmm $(BUILD)/cvmm \
		--guest $(BUILD)/guest/cvmm-test.pvh.elf $(BENCH_DENSITY_ARGS)"
