# Benchmarks: each adds itself to `bench` with a double-colon rule.  Informational only.
.PHONY: bench-measure

bench:: bench-measure

bench-measure: $(BUILD)/cvmm
	@bash scripts/bench-measure.sh $(BUILD)/cvmm

.PHONY: bench-boot
bench:: bench-boot

bench-boot: $(BUILD)/cvmm guests
	@python3 scripts/bench_boot.py --cvmm $(BUILD)/cvmm --guest $(BUILD)/guest/cvmm-test.pvh.elf
