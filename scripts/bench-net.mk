# virtio-net throughput, small-frame rate and VMM CPU per frame, both directions: cvmm against
# QEMU's virtio-net-device (vhost=off, and vhost=on where /dev/vhost-net exists) on the same tap,
# the test guest's netbench phases (scripts/bench_net.py).  L1 gets two vCPUs when it nests: the
# frame sender and the VMM run side by side, as they would on a host.
.PHONY: bench-net
bench:: bench-net

bench-net: $(BUILD)/cvmm guests kvm-runner $(HOST_NETPEER)
	@$(call KVM_RUN,bench-net) --smp 2 --item-timeout 3600 --item net "python3 \
		scripts/bench_net.py --cvmm $(BUILD)/cvmm --guest $(BUILD)/guest/cvmm-test.pvh.elf \
		--netpeer $(HOST_NETPEER) $(BENCH_NET_ARGS)"
