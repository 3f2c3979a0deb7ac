# cvmm build.  `make` builds build/cvmm and the test guests; `make test` runs every test.
#
# Layout of the output:
#   build/cvmm               the VMM
#   build/libcvmm.a          everything but main() and the KVM ioctl seam (linked by unit tests)
#   build/tests/             unit-test binaries (cmocka), fuzz targets
#   build/guest/             freestanding test guests
# Variables: CC=clang to build with clang, SAN=1 for ASan+UBSan, BUILD=dir for another output dir.

CC      ?= gcc
BUILD   ?= build
SAN     ?= 0
OPT     ?= -O2

PKGS    := jansson liburing libcrypto uuid libseccomp
# libmicrohttpd (the API's HTTP server) is kept apart: Debian builds it with HTTPS, whose GnuTLS
# cannot be linked statically; the static cvmm links vmm/api_tls_off.c in GnuTLS's place.
API_PKG := libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(API_PKG) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) $(API_PKG) 2>/dev/null)
TEST_LIBS  := -lcmocka

# cvmm (and the start-up floor it is compared with, build/kvm-probe) are linked statically: no
# dynamic loader at exec (a large share of start-up where user space is slow, e.g. under
# emulation), one file to put in a jail.  STATIC=0 links them dynamically; sanitizer builds
# cannot be static.
STATIC  ?= $(if $(filter 1,$(SAN)),0,1)
BIN_LDFLAGS := $(if $(filter 1,$(STATIC)),-static)
BIN_LINK    := $(if $(filter 1,$(STATIC)),bash scripts/link-static.sh)
BIN_LIBS    := $(if $(filter 1,$(STATIC)),$(BUILD)/obj/vmm/api_tls_off.o -lmicrohttpd \
		 $(shell pkg-config --static --libs $(PKGS) 2>/dev/null),$(PKG_LIBS))

WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wmissing-prototypes \
           -Wstrict-prototypes -Wformat=2 -Wvla
CFLAGS  := -std=gnu11 $(OPT) -g $(WARN) -D_GNU_SOURCE -I. $(PKG_CFLAGS) -fno-strict-aliasing \
           -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS := $(EXTRA_LDFLAGS)
LDLIBS  := $(PKG_LIBS) -lpthread

ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CFLAGS  += -DCVMM_VERSION=\"$(VERSION)\"

# Every .c under these folders is part of the VMM.  main.c and the KVM ioctl seam are kept out of
# the library so unit tests can link the library against a recording fake of KVM instead.
SRC_DIRS  := vmm boot devices devices/virtio vsock tdx snp
ALL_SRCS  := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c))
SEAM_SRCS := vmm/kvm_api.c
MAIN_SRCS := vmm/main.c
# ... plus what the build generates: every seccomp program, compiled with libseccomp by a tool
# built from the allowlists (vmm/seccomp_prebuilt.h).
GEN_SECCOMP := $(BUILD)/gen/seccomp_prebuilt.c
LIB_SRCS  := $(filter-out $(SEAM_SRCS) $(MAIN_SRCS),$(ALL_SRCS)) $(GEN_SECCOMP)
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
SEAM_OBJS := $(SEAM_SRCS:%.c=$(BUILD)/obj/%.o)
MAIN_OBJS := $(MAIN_SRCS:%.c=$(BUILD)/obj/%.o)

# Unit tests: tests/unit/test_*.c, each its own cmocka binary, linked with the fake KVM seam.
UNIT_SRCS    := $(wildcard tests/unit/test_*.c)
UNIT_SUPPORT := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
UNIT_BINS    := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_SUPPORT_OBJS := $(UNIT_SUPPORT:%.c=$(BUILD)/obj/%.o)

.SECONDARY:

.PHONY: all test test-unit test-integration test-nested asan bench bench-nested fuzz clean \
	clang guests check-setup
all: $(BUILD)/cvmm guests

# V=1 shows the full commands.
Q := $(if $(filter 1,$(V)),,@)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# The generator runs on the build machine: plain flags, no sanitizer, libseccomp only.
GEN_SECCOMP_TOOL := $(BUILD)/tools/gen-seccomp-prebuilt
GEN_SECCOMP_SRCS := scripts/gen-seccomp-prebuilt.c vmm/seccomp_compile.c vmm/seccomp_lists.c
$(GEN_SECCOMP_TOOL): $(GEN_SECCOMP_SRCS) vmm/seccomp_compile.h vmm/seccomp_lists.h \
		vmm/seccomp_prebuilt.h vmm/kvm_uapi_ext.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) -std=gnu11 -O1 $(WARN) -D_GNU_SOURCE -I. $(GEN_SECCOMP_SRCS) \
		$(shell pkg-config --libs libseccomp 2>/dev/null) -o $@

$(GEN_SECCOMP): $(GEN_SECCOMP_TOOL)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$< >$@.tmp && mv $@.tmp $@

$(BUILD)/libcvmm.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/cvmm: $(MAIN_OBJS) $(SEAM_OBJS) $(BUILD)/libcvmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(BIN_LINK) $(CC) $(LDFLAGS) $(BIN_LDFLAGS) -o $@ $(MAIN_OBJS) $(SEAM_OBJS) \
		$(BUILD)/libcvmm.a $(BIN_LIBS) -lpthread

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(UNIT_SUPPORT_OBJS) $(BUILD)/libcvmm.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(UNIT_SUPPORT_OBJS) $(BUILD)/libcvmm.a $(LDLIBS) $(TEST_LIBS)

# Test guests, nested harness, KVM runner, fuzzers and benchmarks bring their own rules.  The
# nested harness comes first: the KVM runner builds its L1 from the same Debian packages.
include tests/nested/nested.mk
include $(filter-out tests/nested/nested.mk,$(sort $(wildcard tests/*/*.mk scripts/*.mk)))
include jailer/jailer.mk

test-unit: $(UNIT_BINS)
	@bash tests/run-unit.sh $(UNIT_BINS)
	@python3 scripts/check-includes.py

# Every layer, each timed (tests/layer.sh): unit tests, the KVM runner's own tests, the
# integration tests (local /dev/kvm or the nested L1, see tests/kvm/kvm.mk), real Linux guests in
# the nested harness.
LAYER = bash tests/layer.sh $(BUILD)/test-layers.log
SUBMAKE = $(MAKE) --no-print-directory
test: all
	@rm -f $(BUILD)/test-layers.log
	@$(LAYER) unit $(SUBMAKE) test-unit
	@$(LAYER) runner $(SUBMAKE) test-runner
	@$(LAYER) integration $(SUBMAKE) test-integration
	@$(LAYER) nested $(SUBMAKE) test-nested
	@$(LAYER) --summary

# The same unit and integration tests under ASan+UBSan, in a separate output directory.
ASAN_MAKE = $(SUBMAKE) BUILD=build/asan SAN=1 OPT=-O1
asan:
	@rm -f build/asan/test-layers.log
	@$(ASAN_MAKE) all
	@bash tests/layer.sh build/asan/test-layers.log asan-unit $(ASAN_MAKE) test-unit
	@bash tests/layer.sh build/asan/test-layers.log asan-integration $(ASAN_MAKE) test-integration
	@bash tests/layer.sh build/asan/test-layers.log asan-tools $(ASAN_MAKE) test-nested-tools
	@bash tests/layer.sh build/asan/test-layers.log --summary

# The whole tree must also build clean with clang.
clang:
	@$(MAKE) --no-print-directory BUILD=build/clang CC=clang all $(UNIT_BINS:$(BUILD)/%=build/clang/%)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
