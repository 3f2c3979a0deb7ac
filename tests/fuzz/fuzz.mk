# libFuzzer targets.  Every tests/fuzz/fuzz_NAME.c is one target, linked against the library
# built with coverage instrumentation and ASan+UBSan.  Seeds live in tests/fuzz/corpus/fuzz_NAME/;
# the growing corpus and findings go to build/fuzz/.
#   make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="fuzz_a fuzz_b"]   longer runs, corpus kept
#   make fuzz-smoke [FUZZ_SMOKE_SECONDS=N]   every target for a short fixed time from its seeds
#                                            alone (CI); fails on any finding
# An input that runs longer than FUZZ_TIMEOUT seconds is a finding (a hang), as is a crash, a
# sanitizer report or running out of memory; the slowest legal input known, a firmware adding
# 1 GiB of MR.EXTEND pages, takes about 8 s here.  tests/fuzz/run.sh runs the targets.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_TIMEOUT ?= 25
FUZZ_MAX_LEN ?= 65536
FUZZ_BUILD   := build/fuzz
FUZZ_TARGETS ?= $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)
FUZZ_OBJS    := $(LIB_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=gnu11 -O1 -g $(WARN) -D_GNU_SOURCE -I. $(PKG_CFLAGS) -fno-strict-aliasing \
		-MMD -MP -DCVMM_VERSION=\"$(VERSION)\" $(FUZZ_SAN)

.PHONY: fuzz-build fuzz-smoke

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/libcvmm.a: $(FUZZ_OBJS)
	rm -f $@
	ar rcs $@ $^

# Targets that reach the VM link the recording KVM in place of the ioctl seam.
$(FUZZ_BUILD)/fuzz_api: FUZZ_EXTRA := tests/unit/kvm_recorder.c
# fuzz_blk drives the device through the unit tests' virtio harness and KVM stand-in.
$(FUZZ_BUILD)/fuzz_blk: FUZZ_EXTRA := tests/unit/virtio_harness.c tests/unit/kvm_recorder.c
# fuzz_launch reaches the device table, whose devices link the KVM seam: its stand-in.
$(FUZZ_BUILD)/fuzz_launch: FUZZ_EXTRA := tests/unit/kvm_recorder.c

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_BUILD)/libcvmm.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_EXTRA) $(FUZZ_BUILD)/libcvmm.a \
		$(LDLIBS) -o $@

# fuzz_net drives the whole device through the unit tests' virtio harness and KVM stand-in.
FUZZ_NET_SUPPORT := tests/unit/virtio_harness.c tests/unit/kvm_recorder.c
$(FUZZ_BUILD)/fuzz_net: tests/fuzz/fuzz_net.c $(FUZZ_NET_SUPPORT) $(FUZZ_BUILD)/libcvmm.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_NET_SUPPORT) $(FUZZ_BUILD)/libcvmm.a \
		$(LDLIBS) -o $@

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_BUILD)/corpus $(FUZZ_SECONDS) $(FUZZ_TIMEOUT) \
		$(FUZZ_MAX_LEN) $(FUZZ_TARGETS)

# From the seeds alone every time, so a CI run does not depend on what an earlier one found.
fuzz-smoke: $(FUZZ_BINS)
	@rm -rf $(FUZZ_BUILD)/smoke
	@bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_BUILD)/smoke $(FUZZ_SMOKE_SECONDS) \
		$(FUZZ_TIMEOUT) $(FUZZ_MAX_LEN) $(FUZZ_TARGETS)

-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
