# The memory table of `make bench` (informational only): the attribute-map microbenchmark
# (in-process) and the nested part, conversion round trips and bounce overhead measured with the
# test guest in the nested harness's L1 (bench-nested-memory, tests/nested/nested.mk).
.PHONY: bench-memattr bench-memory
bench:: bench-memory

bench-memory: bench-memattr bench-nested-memory

$(BUILD)/bench/bench-memattr: $(BUILD)/obj/tests/bench/bench_memattr.o $(BUILD)/libcvmm.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libcvmm.a $(LDLIBS)

bench-memattr: $(BUILD)/bench/bench-memattr
	@$(BUILD)/bench/bench-memattr
