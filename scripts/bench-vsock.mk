# vsock benchmarks; add themselves to `bench` with a double-colon rule.  Informational only.
#   bench-vsock-inproc  the relay path in process (no VM): tests/bench/bench_vsock.c
#   bench-vsock         the above plus the test guest on /dev/kvm: scripts/bench_vsock.py
.PHONY: bench-vsock bench-vsock-inproc
bench:: bench-vsock

$(BUILD)/bench/bench-vsock: $(BUILD)/obj/tests/bench/bench_vsock.o \
		$(BUILD)/obj/tests/unit/vsock_fake.o $(BUILD)/libcvmm.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench-vsock-inproc: $(BUILD)/bench/bench-vsock
	@$(BUILD)/bench/bench-vsock

bench-vsock: bench-vsock-inproc $(BUILD)/cvmm guests kvm-runner
	@$(call KVM_RUN,bench-vsock) --item-timeout 3600 --item vsock "python3 scripts/bench_vsock.py \
		--cvmm $(BUILD)/cvmm --guest $(BUILD)/guest/cvmm-test.pvh.elf \
		--client $(BUILD)/bench/bench-vsock $(BENCH_VSOCK_ARGS)"
