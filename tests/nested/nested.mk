# Nested-KVM harness: real Debian Linux guests (L2) under a VMM running inside a QEMU TCG machine
# with emulated AMD SVM (L1).  See docs/nested-harness.md.
#   make test-nested [L2_VMM=cvmm|qemu] [NESTED_ONLY=name,name] [NESTED_VERBOSE=1]
#   make test-nested-tools                                agent, vmrun and hvsock checks, on the host
#   make bench-nested [NESTED_RUNS=N] [NESTED_ONLY=...]   cvmm vs QEMU microvm boot times
#   make nested-shell                                     L1 shell after the scenarios
# Downloads (Debian packages) and assembled archives are cached in NESTED_OUT.

NESTED_SRC     := tests/nested
NESTED_OUT     ?= build/nested
L2_VMM         ?= cvmm
NESTED_ONLY    ?= all
NESTED_RUNS    ?= 3
NESTED_SMP     ?= 1
NESTED_TIMEOUT ?= 900
# bench-nested boots every scenario 2 x NESTED_RUNS times: ~25 min for 3 runs of 10 scenarios.
NESTED_BENCH_TIMEOUT ?= 3000
NESTED_VERBOSE ?= 0

# The guest agent and vmrun: static and plain in the images (NESTED_OUT/bin); in BUILD/nested-bin
# with the build's compiler and sanitizers for the host checks (make asan-style runs included).
NESTED_CFLAGS  := -std=gnu11 -O2 $(WARN) -D_GNU_SOURCE -I.
NESTED_SRCS_AGENT := $(wildcard $(NESTED_SRC)/agent/*.c)
NESTED_HDRS_AGENT := $(wildcard $(NESTED_SRC)/agent/*.h)
NESTED_AGENT   := $(NESTED_OUT)/bin/agent
NESTED_VMRUN   := $(NESTED_OUT)/bin/vmrun
NESTED_HVSOCK  := $(NESTED_OUT)/bin/hvsock
NESTED_NETPEER := $(NESTED_OUT)/bin/netpeer
HOST_AGENT     := $(BUILD)/nested-bin/agent
HOST_VMRUN     := $(BUILD)/nested-bin/vmrun
HOST_HVSOCK    := $(BUILD)/nested-bin/hvsock
# netpeer, the tap side of the test guest's virtio-net checks, also serves the integration test
# and bench-net on the host (or in the KVM runner's L1, which sees the host's files).
HOST_NETPEER   := $(BUILD)/nested-bin/netpeer
NESTED_TESTGUEST := $(BUILD)/guest/cvmm-test.pvh.elf
ifeq ($(SAN),1)
HOST_TOOL_FLAGS := -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
endif
NESTED_KVER    := $(NESTED_OUT)/kernel-version
NESTED_VMLINUX := $(NESTED_OUT)/vmlinux
NESTED_L2_RD   := $(NESTED_OUT)/l2-initrd.cpio.lz4
NESTED_L1_RD   := $(NESTED_OUT)/l1.cpio.lz4
NESTED_QEMU_RD := $(NESTED_OUT)/l1-qemu.cpio.lz4
NESTED_FULL_RD := $(NESTED_OUT)/l1-full.cpio.lz4
NESTED_MKRD    := NESTED=$(NESTED_OUT) bash $(NESTED_SRC)/mkinitramfs.sh

# The host builds are part of `all`, so gcc, clang and sanitizer builds all compile them.
all: $(HOST_AGENT) $(HOST_VMRUN) $(HOST_HVSOCK) $(HOST_NETPEER)

$(NESTED_AGENT): $(NESTED_SRCS_AGENT) $(NESTED_HDRS_AGENT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(NESTED_CFLAGS) -static -s -o $@ $(NESTED_SRCS_AGENT)

$(NESTED_VMRUN): $(NESTED_SRC)/l1/vmrun.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(NESTED_CFLAGS) -static -s -o $@ $<

$(NESTED_HVSOCK): $(NESTED_SRC)/l1/hvsock.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(NESTED_CFLAGS) -static -s -o $@ $<

$(NESTED_NETPEER): $(NESTED_SRC)/l1/netpeer.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(NESTED_CFLAGS) -static -s -o $@ $<

$(HOST_NETPEER): $(NESTED_SRC)/l1/netpeer.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(NESTED_CFLAGS) $(HOST_TOOL_FLAGS) -o $@ $<

$(HOST_HVSOCK): $(NESTED_SRC)/l1/hvsock.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(NESTED_CFLAGS) $(HOST_TOOL_FLAGS) -o $@ $<

$(HOST_AGENT): $(NESTED_SRCS_AGENT) $(NESTED_HDRS_AGENT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(NESTED_CFLAGS) $(HOST_TOOL_FLAGS) -o $@ $(NESTED_SRCS_AGENT)

$(HOST_VMRUN): $(NESTED_SRC)/l1/vmrun.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(NESTED_CFLAGS) $(HOST_TOOL_FLAGS) -o $@ $<

$(NESTED_KVER): $(NESTED_SRC)/fetch.sh
	@$(if $(Q),echo "  FETCH   Debian packages")
	$(Q)bash $< $(NESTED_OUT)

$(NESTED_VMLINUX): $(NESTED_KVER) $(NESTED_SRC)/extract-vmlinux.sh
	@$(if $(Q),echo "  VMLINUX $@")
	$(Q)bash $(NESTED_SRC)/extract-vmlinux.sh $(NESTED_OUT)/root/boot/vmlinuz-$$(cat $<) $@

$(NESTED_L2_RD): $(NESTED_KVER) $(NESTED_AGENT) $(NESTED_SRC)/l2/init $(NESTED_SRC)/mkinitramfs.sh
	@$(if $(Q),echo "  CPIO    $@")
	$(Q)AGENT=$(NESTED_AGENT) $(NESTED_MKRD) l2 $@

$(NESTED_L1_RD): $(NESTED_KVER) $(BUILD)/cvmm $(NESTED_VMRUN) $(NESTED_HVSOCK) $(NESTED_NETPEER) \
		$(NESTED_TESTGUEST) \
		$(NESTED_AGENT) \
		$(NESTED_L2_RD) $(NESTED_VMLINUX) \
		$(NESTED_SRC)/l1/init $(NESTED_SRC)/l1/runner.sh \
		$(NESTED_SRC)/scenarios \
		$(NESTED_SRC)/mkinitramfs.sh
	@$(if $(Q),echo "  CPIO    $@")
	$(Q)CVMM=$(BUILD)/cvmm VMRUN=$(NESTED_VMRUN) HVSOCK=$(NESTED_HVSOCK) AGENT=$(NESTED_AGENT) \
		NETPEER=$(NESTED_NETPEER) \
		TESTGUEST=$(NESTED_TESTGUEST) VMLINUX=$(NESTED_VMLINUX) \
		L2_INITRD=$(NESTED_L2_RD) $(NESTED_MKRD) l1 $@

$(NESTED_QEMU_RD): $(NESTED_KVER) $(NESTED_SRC)/mkinitramfs.sh
	@$(if $(Q),echo "  CPIO    $@")
	$(Q)$(NESTED_MKRD) qemu $@

# The kernel takes concatenated cpio archives: QEMU rides along when a run needs it.
$(NESTED_FULL_RD): $(NESTED_L1_RD) $(NESTED_QEMU_RD)
	$(Q)cat $^ >$@.tmp && mv $@.tmp $@

NESTED_RUN = bash $(NESTED_SRC)/run.sh --kernel $(NESTED_OUT)/root/boot/vmlinuz-$$(cat $(NESTED_KVER)) \
	--scenarios $(NESTED_SRC)/scenarios --out $(NESTED_OUT) --only $(NESTED_ONLY) \
	--smp $(NESTED_SMP) --timeout $(NESTED_TIMEOUT) $(if $(filter 1,$(NESTED_VERBOSE)),--verbose)

# The guest agent's verdicts on prepared /proc and /sys trees, vmrun's deadline and marker
# handling, hvsock against a fake cvmm socket: a few seconds on the build host, no L1.
test-nested-tools: $(HOST_AGENT) $(HOST_VMRUN) $(HOST_HVSOCK)
	@bash $(NESTED_SRC)/agent-test.sh $(HOST_AGENT)
	@bash $(NESTED_SRC)/vmrun-test.sh $(HOST_VMRUN)
	@bash $(NESTED_SRC)/hvsock-test.sh $(HOST_HVSOCK)

ifeq ($(L2_VMM),qemu)
test-nested: test-nested-tools $(NESTED_FULL_RD)
	@$(NESTED_RUN) --mode test --vmm qemu --initrd $(NESTED_FULL_RD)
else
test-nested: test-nested-tools $(NESTED_L1_RD)
	@$(NESTED_RUN) --mode test --vmm $(L2_VMM) --initrd $(NESTED_L1_RD)
endif

bench-nested: $(NESTED_FULL_RD)
	@$(NESTED_RUN) --mode bench --runs $(NESTED_RUNS) --timeout $(NESTED_BENCH_TIMEOUT) \
		--initrd $(NESTED_FULL_RD)

nested-shell: $(NESTED_FULL_RD)
	@$(NESTED_RUN) --mode shell --vmm $(L2_VMM) --initrd $(NESTED_FULL_RD)

.PHONY: nested-shell test-nested-tools
