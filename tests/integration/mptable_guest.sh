#!/bin/bash
# acpi=off guests (Kata's fc driver boots them so): the test guest finds its CPUs, the IOAPIC and
# every virtio-mmio device's interrupt source through cvmm's MP table, brings up the APs, gets
# COM1's interrupt, and every device (virtio-blk, vsock, rng) delivers an interrupt on the pin the
# MP table names.  Both irqchip modes, 1 and 4 vCPUs; the same device interrupts with ACPI too.
set -u
CVMM=${CVMM:-build/cvmm}
GUEST_DIR=${GUEST_DIR:-build/guest}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

truncate -s 1M "$tmp/d0" "$tmp/d1"
devices=(--drive "path=$tmp/d0" --drive "path=$tmp/d1" --vsock "cid=5,uds=$tmp/v.sock" --rng)

run() { # run NAME REGEX CVMM_ARGS... -- GUEST_ARGS
	local name=$1 regex=$2 out status args=()
	shift 2
	while [ "$1" != "--" ]; do args+=("$1"); shift; done
	shift
	out=$(timeout 120 "$CVMM" --kernel "$GUEST_DIR/cvmm-test.pvh.elf" --mem-mib 256 "${args[@]}" \
		--cmdline "$*" 2>&1 </dev/null)
	status=$?
	if [ "$status" -eq 0 ] && grep -Eq "$regex" <<<"$out"; then
		pass=$((pass + 1))
		grep -E "^PASS (mptable|devirq)" <<<"$out" | head -2 | sed "s/^/  $name: /"
	else
		echo "FAIL: $name (status $status, want /$regex/):"
		grep -E "FAIL|RESULT|error" <<<"$out" | head -10 | sed 's/^/    /'
		fail=$((fail + 1))
	fi
}

for irqchip in kernel split; do
	for n in 1 4; do
		run "acpi=off $irqchip ${n}vcpu" '^RESULT: 7/7 PASS' --irqchip $irqchip --vcpus $n \
			"${devices[@]}" -- acpi=off cvmmtest.mem_mib=256 cvmmtest.vcpus=$n \
			cvmmtest.expect_devices=4 cvmmtest.only=memmap,mptable,devices,smp,irq,devirq,ring0
	done
	run "acpi $irqchip devirq" '^RESULT: 4/4 PASS' --irqchip $irqchip --vcpus 2 "${devices[@]}" \
		-- cvmmtest.vcpus=2 cvmmtest.expect_devices=4 cvmmtest.only=madt-cpus,devices,irq,devirq
done
# The check can fail: a CPU count the MP table does not have.
out=$(timeout 60 "$CVMM" --kernel "$GUEST_DIR/cvmm-test.pvh.elf" --vcpus 2 --cmdline \
	"acpi=off cvmmtest.vcpus=3 cvmmtest.only=mptable" 2>&1 </dev/null)
if grep -q "^FAIL mptable: .*expected 3 CPUs" <<<"$out"; then pass=$((pass + 1)); else
	fail=$((fail + 1)); echo "FAIL: a wrong CPU count passed: $out"; fi

echo "mptable_guest: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
