# The memory table of `make bench` (informational only): the attribute-map microbenchmark
# (in-process), then conversion round trips and bounce overhead with guests
# (scripts/bench_memory.py).
.PHONY: bench-memattr bench-memory bench-memory-guests
bench:: bench-memory

bench-memory: bench-memattr bench-memory-guests

# Conversions and bounce overhead with guests (test guest and Debian Linux), through the KVM
# runner: this machine's /dev/kvm (where hypercalls return), else the nested L1.
bench-memory-guests: $(BUILD)/cvmm guests kvm-runner $(HOST_HVSOCK) $(NESTED_L2_RD)
	@$(call KVM_RUN,bench-memory) --item-timeout 5400 --item memory "python3 \
		scripts/bench_memory.py --cvmm $(BUILD)/cvmm --guest $(BUILD)/guest/cvmm-test.pvh.elf \
		--hvsock $(HOST_HVSOCK) --l2-kernel $(KVM_L1_KERNEL) --l2-initrd $(NESTED_L2_RD) \
		$(BENCH_MEMORY_ARGS)"

$(BUILD)/bench/bench-memattr: $(BUILD)/obj/tests/bench/bench_memattr.o $(BUILD)/libcvmm.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libcvmm.a $(LDLIBS)

bench-memattr: $(BUILD)/bench/bench-memattr
	@$(BUILD)/bench/bench-memattr
