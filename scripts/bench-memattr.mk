# Attribute-map microbenchmark; adds itself to `bench` with a double-colon rule.  Informational only.
.PHONY: bench-memattr
bench:: bench-memattr

$(BUILD)/bench/bench-memattr: $(BUILD)/obj/tests/bench/bench_memattr.o $(BUILD)/libcvmm.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libcvmm.a $(LDLIBS)

bench-memattr: $(BUILD)/bench/bench-memattr
	@$(BUILD)/bench/bench-memattr
