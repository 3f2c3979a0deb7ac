# Benchmarks: each adds itself to `bench` with a double-colon rule.  Informational only.
.PHONY: bench-measure

bench:: bench-measure

bench-measure: $(BUILD)/cvmm
	@bash scripts/bench-measure.sh $(BUILD)/cvmm
