# The management API's start-up, next to QEMU's QMP (scripts/bench_api.py): exec -> control socket
# ready, and start request -> first guest byte.  Boots guests: through the KVM runner.
.PHONY: bench-api
bench:: bench-api

bench-api: $(BUILD)/cvmm guests kvm-runner
	@$(call KVM_RUN,bench-api) --item-timeout 3600 --item api "python3 scripts/bench_api.py \
		--cvmm $(BUILD)/cvmm --guest $(BUILD)/guest/cvmm-test.pvh.elf $(BENCH_API_ARGS)"
