# The KVM runner (tests/kvm/kvm_run.py): every integration test and every benchmark that boots a
# guest runs through it, on this machine's /dev/kvm when a probe VM runs there, otherwise in the
# nested L1 (QEMU TCG with emulated SVM) with the host's file system shared over virtio-fs.
#   CVMM_KVM=local|nested     force one place
#   make test-runner          the runner's own tests (a fake standing in for the items)
KVM_PROBE   := $(BUILD)/kvm-probe
KVM_L1_RD   := $(NESTED_OUT)/runner.cpio.lz4
KVM_L1_KERNEL = $(NESTED_OUT)/root/boot/vmlinuz-$$(cat $(NESTED_KVER))
KVM_RUN_OUT ?= $(BUILD)/kvm-run

all: $(KVM_PROBE)

$(KVM_PROBE): tests/kvm/probe.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(BIN_LDFLAGS) -o $@ $<

$(KVM_L1_RD): $(NESTED_KVER) tests/kvm/l1-init $(NESTED_SRC)/mkinitramfs.sh
	@$(if $(Q),echo "  CPIO    $@")
	$(Q)$(NESTED_MKRD) runner $@

# What the runner needs on any machine: the probe, and the L1 pieces in case it must nest.
kvm-runner: $(KVM_PROBE) $(KVM_L1_RD)

# KVM_RUN LABEL, then `--item NAME COMMAND` words.
KVM_RUN = python3 tests/kvm/kvm_run.py --probe $(KVM_PROBE) --kernel $(KVM_L1_KERNEL) \
	--initrd $(KVM_L1_RD) --out $(KVM_RUN_OUT)/$(1) --label $(1)

test-runner: kvm-runner
	@KVM_RUN_KERNEL=$(KVM_L1_KERNEL) KVM_RUN_INITRD=$(KVM_L1_RD) bash tests/kvm/runner-test.sh

.PHONY: kvm-runner test-runner
