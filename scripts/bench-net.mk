# virtio-net throughput, small-frame rate and VMM CPU per frame, both directions: cvmm against
# QEMU's virtio-net-device (vhost=off, and vhost=on where /dev/vhost-net exists) on the same tap,
# the test guest's netbench phases (scripts/bench_net.py).  BENCH_NET_SMP: the nested L1's vCPUs
# (1: guest, VMM and host side share one, so a phase's rate follows their total cost per frame).
BENCH_NET_SMP ?= 1
.PHONY: bench-net
bench:: bench-net

bench-net: $(BUILD)/cvmm guests kvm-runner $(HOST_NETPEER)
	@$(call KVM_RUN,bench-net) --smp $(BENCH_NET_SMP) --item-timeout 3600 --item net "python3 \
		scripts/bench_net.py --cvmm $(BUILD)/cvmm --guest $(BUILD)/guest/cvmm-test.pvh.elf \
		--netpeer $(HOST_NETPEER) $(BENCH_NET_ARGS)"
