# Benchmarks: each adds itself to `bench` with a double-colon rule.  Informational only.
.PHONY: bench-measure

bench:: bench-measure

bench-measure: $(BUILD)/cvmm
	@bash scripts/bench-measure.sh $(BUILD)/cvmm

.PHONY: bench-boot
bench:: bench-boot

# Boots guests: through the KVM runner (local /dev/kvm, else the nested L1).
bench-boot: $(BUILD)/cvmm guests kvm-runner
	@$(call KVM_RUN,bench-boot) --item-timeout 3600 --item boot "python3 scripts/bench_boot.py \
		--cvmm $(BUILD)/cvmm --floor $(KVM_PROBE) --guest $(BUILD)/guest/cvmm-test.pvh.elf \
		$(BENCH_BOOT_ARGS)"
