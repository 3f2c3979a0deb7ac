# libFuzzer targets.  Every tests/fuzz/fuzz_NAME.c is one target, linked against the library
# built with coverage instrumentation and ASan+UBSan.  Seeds, if any, live in
# tests/fuzz/corpus/fuzz_NAME/; the growing corpus and crash artifacts go to build/fuzz/.
#   make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="fuzz_a fuzz_b"]
# Not part of CI: it runs for FUZZ_SECONDS per target.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN ?= 65536
FUZZ_BUILD   := build/fuzz
FUZZ_TARGETS ?= $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)
FUZZ_OBJS    := $(LIB_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=gnu11 -O1 -g $(WARN) -D_GNU_SOURCE -I. $(PKG_CFLAGS) -fno-strict-aliasing \
		-MMD -MP -DCVMM_VERSION=\"$(VERSION)\" $(FUZZ_SAN)

.PHONY: fuzz-build

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/libcvmm.a: $(FUZZ_OBJS)
	rm -f $@
	ar rcs $@ $^

# Targets that reach the VM link the recording KVM in place of the ioctl seam.
$(FUZZ_BUILD)/fuzz_api: FUZZ_EXTRA := tests/unit/kvm_recorder.c

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_BUILD)/libcvmm.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_EXTRA) $(FUZZ_BUILD)/libcvmm.a \
		$(LDLIBS) -o $@

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@for name in $(FUZZ_TARGETS); do \
		corpus=$(FUZZ_BUILD)/corpus/$$name; seeds=tests/fuzz/corpus/$$name; \
		mkdir -p $$corpus; [ -d $$seeds ] || seeds=; \
		echo "fuzz: $$name for $(FUZZ_SECONDS) s"; \
		if ! $(FUZZ_BUILD)/$$name -max_total_time=$(FUZZ_SECONDS) \
			-max_len=$(FUZZ_MAX_LEN) -artifact_prefix=$(FUZZ_BUILD)/$$name- \
			$$corpus $$seeds >$(FUZZ_BUILD)/$$name.log 2>&1; then \
			tail -n 40 $(FUZZ_BUILD)/$$name.log; \
			echo "fuzz: $$name FAILED (log: $(FUZZ_BUILD)/$$name.log)"; exit 1; \
		fi; \
		grep -E '^(#[0-9]+.*DONE|Done [0-9]+ runs)' $(FUZZ_BUILD)/$$name.log | tail -n 1; \
	done

-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
