#!/bin/bash
# How a VM ends: guest-requested exit status (--debug-exit only), poweroff and reset paths,
# signals, fatal guest errors; and what a running VM looks like from outside (vCPU thread names).
set -u
CVMM=${CVMM:-build/cvmm}
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# 32-bit code snippets (PVH entry: protected mode, flat segments).
OUT_X="66baf803 b058 ee"          # mov $0x3f8,%dx; mov $'X',%al; out %al,(%dx)
HALT="fa f4 ebfd"                 # cli; 1: hlt; jmp 1b
mk() { python3 "$here/mkguest.py" "$tmp/$1.elf" "$2"; }
mk exit42   "$OUT_X 66ba0105 b02a ee $HALT"   # debug-exit port 0x501 <- 42
mk exit0    "66ba0105 b000 ee $HALT"          # debug-exit <- 0
mk exit3off "66ba0105 b003 ee 66ba0006 b034 ee $HALT" # debug-exit <- 3, then ACPI poweroff
mk kbdreset "66ba6400 b0fe ee $HALT"          # i8042 command 0xfe: CPU reset
mk acpioff  "66ba0006 b034 ee $HALT"          # ACPI sleep control <- SLP_TYP 5 | SLP_EN
mk acpirst  "66ba0206 b001 ee $HALT"          # ACPI reset register <- 1
mk hold     "$OUT_X $HALT"                    # prints, then waits forever
mk triple   "0f0b"                            # ud2 with an empty IDT: triple fault

run() { # run NAME EXPECTED_STATUS [args...]
	local name=$1 want=$2 out status
	shift 2
	out=$(timeout 20 "$CVMM" --kernel "$tmp/$name.elf" --serial none "$@" 2>&1 </dev/null)
	status=$?
	if [ "$status" -eq "$want" ]; then ok; else bad "$name $*: status $status, want $want ($out)"; fi
	last_stderr=$out
}

for irqchip in kernel split; do
	run exit42 42 --irqchip $irqchip --debug-exit
	run exit0 0 --irqchip $irqchip --debug-exit
	run kbdreset 0 --irqchip $irqchip
	run acpioff 0 --irqchip $irqchip
	run acpirst 0 --irqchip $irqchip
done

# Without --debug-exit the port is not there: the guest cannot choose the status (3 would say
# "host failure"); its write is ignored and its poweroff ends the VM with 0.
run exit3off 0
run exit3off 3 --debug-exit

# The line names the faulting RIP where KVM keeps it (Intel); AMD's KVM resets the vCPU on a
# shutdown intercept, and then the line must say the registers are unavailable.
run triple 1
if grep -q "triple fault" <<<"$last_stderr" &&
   grep -Eq "rip=0x100000 cr0=0x|registers unavailable \(KVM reset the vCPU" <<<"$last_stderr" &&
   [ "$(grep -c '' <<<"$last_stderr")" -eq 1 ]; then ok; else bad "triple fault line: '$last_stderr'"; fi

# Serial output reaches the chosen file.
run exit42 42 --debug-exit --serial "file:$tmp/serial.log"
if [ "$(cat "$tmp/serial.log")" = "X" ]; then ok; else bad "serial file holds '$(cat "$tmp/serial.log")'"; fi

# SIGTERM / SIGINT stop a running VM cleanly with status 0; vCPU threads are named vcpuN.
for sig in TERM INT; do
	rm -f "$tmp/hold.log"
	"$CVMM" --kernel "$tmp/hold.elf" --vcpus 4 --serial "file:$tmp/hold.log" </dev/null &
	pid=$!
	for _ in $(seq 100); do [ -s "$tmp/hold.log" ] && break; sleep 0.05; done
	names=$(cat /proc/$pid/task/*/comm 2>/dev/null | grep '^vcpu' | sort | tr '\n' ' ')
	if [ "$names" = "vcpu0 vcpu1 vcpu2 vcpu3 " ]; then ok; else bad "vCPU thread names: '$names'"; fi
	kill -$sig $pid
	wait $pid
	status=$?
	pid=
	if [ "$status" -eq 0 ]; then ok; else bad "SIG$sig: status $status"; fi
done

# Every thread runs under its seccomp filter with NO_NEW_PRIVS, and a VM so confined still stops
# cleanly on SIGTERM; --no-seccomp turns the filters off.  (A sanitizer build cannot confine
# itself and says so: then no filter is expected.)
for mode in on off; do
	extra=()
	want=2
	[ $mode = off ] && extra=(--no-seccomp) && want=0
	rm -f "$tmp/hold.log"
	"$CVMM" --verbose "${extra[@]}" --kernel "$tmp/hold.elf" --vcpus 2 \
		--serial "file:$tmp/hold.log" </dev/null 2>"$tmp/hold.err" &
	pid=$!
	for _ in $(seq 100); do [ -s "$tmp/hold.log" ] && break; sleep 0.05; done
	grep -q "seccomp: off: sanitizer" "$tmp/hold.err" && want=0
	wrong=
	for t in /proc/$pid/task/*; do
		# (a thread that ended meanwhile is skipped)
		sc=$(awk '/^Seccomp:/ { print $2 }' "$t/status" 2>/dev/null) || continue
		nnp=$(awk '/^NoNewPrivs:/ { print $2 }' "$t/status" 2>/dev/null) || continue
		[ "$sc" = "$want" ] && { [ "$want" = 0 ] || [ "$nnp" = 1 ]; } ||
			wrong="$wrong $(cat "$t/comm")(seccomp $sc, nnp $nnp)"
	done
	if [ -z "$wrong" ]; then ok; else bad "seccomp $mode: threads$wrong"; fi
	kill -TERM $pid
	wait $pid
	status=$?
	pid=
	if [ "$status" -eq 0 ]; then ok; else bad "seccomp $mode: SIGTERM: status $status: $(cat "$tmp/hold.err")"; fi
done

echo "lifecycle: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
