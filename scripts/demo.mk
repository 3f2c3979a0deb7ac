# The first-run demo (README's first command): Debian's cloud kernel booted by cvmm from a
# virtio-blk root disk; the host runs a command in the guest through the hybrid vsock socket.
# Through the KVM runner: this machine's /dev/kvm, else the nested L1.
DEMO_OUT := $(BUILD)/demo

$(DEMO_OUT)/root.ext4: $(NESTED_KVER) $(NESTED_AGENT) scripts/demo/mkimages.sh \
		scripts/demo/initramfs-init scripts/demo/root-init
	@$(if $(Q),echo "  IMAGES  $(DEMO_OUT)")
	$(Q)bash scripts/demo/mkimages.sh $(NESTED_OUT) $(NESTED_AGENT) $(DEMO_OUT) >/dev/null

demo: $(BUILD)/cvmm kvm-runner $(DEMO_OUT)/root.ext4
	@$(call KVM_RUN,demo) --item demo "python3 scripts/demo_run.py --cvmm $(BUILD)/cvmm \
		--kernel $(KVM_L1_KERNEL) --initrd $(DEMO_OUT)/initrd.cpio.lz4 \
		--disk $(DEMO_OUT)/root.ext4"

.PHONY: demo
