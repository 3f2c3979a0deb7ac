#!/bin/bash
# Host side of the nested harness: boots L1 (QEMU TCG with emulated AMD SVM) on the assembled
# initramfs, follows the runner's verdicts on L1's second serial port, and prints one PASS/FAIL
# line per scenario and a summary (test mode) or a boot-time table (bench mode).
#   run.sh --kernel VMLINUZ --initrd L1_INITRD --scenarios FILE [--mode test|bench|shell]
#          [--vmm cvmm|qemu] [--only a,b] [--runs N] [--smp N] [--timeout S] [--out DIR]
#          [--verbose]
# Exit status: 0 when every selected scenario passed (bench: when L1 finished), 1 otherwise.
set -uo pipefail

MODE=test VMM=cvmm ONLY=all RUNS=3 SMP=2 TIMEOUT=900 OUT=build/nested VERBOSE=0
KERNEL= INITRD= SCENARIOS=
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) KERNEL=$2; shift ;;
	--initrd) INITRD=$2; shift ;;
	--scenarios) SCENARIOS=$2; shift ;;
	--mode) MODE=$2; shift ;;
	--vmm) VMM=$2; shift ;;
	--only) ONLY=${2:-all}; shift ;;
	--runs) RUNS=$2; shift ;;
	--smp) SMP=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	--out) OUT=$2; shift ;;
	--verbose) VERBOSE=1 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$KERNEL" ] && [ -n "$INITRD" ] && [ -n "$SCENARIOS" ] ||
	{ echo "run.sh: --kernel, --initrd and --scenarios are required" >&2; exit 2; }
case "$VMM" in cvmm | qemu) ;; *) echo "run.sh: --vmm cvmm|qemu" >&2; exit 2 ;; esac

CONSOLE=$OUT/l1-console.log
APPEND="console=ttyS0 quiet nested.mode=$MODE nested.vmm=$VMM nested.only=$ONLY"
APPEND="$APPEND nested.runs=$RUNS nested.verbose=$VERBOSE"
L1=(qemu-system-x86_64 -machine q35,accel=tcg -cpu EPYC,+svm -m 2048 -smp "$SMP" -nographic
	-no-reboot -kernel "$KERNEL" -initrd "$INITRD")

if [ "$MODE" = shell ]; then
	echo "nested: L1 shell on this terminal after the scenarios; verdicts in $OUT/results.log"
	exec "${L1[@]}" -serial mon:stdio -serial "file:$OUT/results.log" \
		-append "$APPEND nested.shell=1"
fi

# Scenarios the runner should report on, in order.
mapfile -t EXPECTED < <(grep -v '^[[:space:]]*#' "$SCENARIOS" | grep '|' |
	awk -F'|' '{ gsub(/[[:space:]]/, "", $1); print $1 }' |
	{ if [ "$ONLY" = all ]; then cat; else grep -Fx -f <(tr ',' '\n' <<<"$ONLY"); fi; })
if [ "${#EXPECTED[@]}" -eq 0 ]; then
	echo "nested: no scenario selected (--only $ONLY)" >&2
	exit 1
fi

declare -A VERDICT
BENCH=$OUT/bench.log
: >"$BENCH"
done_seen=0
start=$(date +%s)
echo "nested: booting L1 (TCG, $SMP vCPUs), $MODE with L2 VMM $VMM; L1 console in $CONSOLE"
while IFS= read -r line; do
	line=${line%$'\r'}
	case "$line" in
	"RESULT "*)
		read -r _ name status detail <<<"$line"
		VERDICT[$name]=$status
		printf '%-4s nested/%-12s %s\n' "$status" "$name" "$detail" ;;
	"TAIL "*)
		line=${line#TAIL }
		printf '       | %s\n' "${line#* }" ;;
	"BENCH "*)
		echo "${line#BENCH }" >>"$BENCH"
		read -r _ name vmm run status ms _ <<<"$line"
		echo "nested: bench $name $vmm run $run: $status, L2 init at $ms ms" ;;
	"INFO "*) echo "nested: ${line#INFO } ($(($(date +%s) - start)) s)" ;;
	"ABORT "*) echo "nested: L1 aborted: ${line#ABORT }" ;;
	DONE) done_seen=1 ;;
	esac
done < <(timeout -k 10 "$TIMEOUT" "${L1[@]}" -monitor none -serial "file:$CONSOLE" \
	-serial stdio -append "$APPEND" </dev/null 2>"$OUT/l1-qemu.err")
elapsed=$(($(date +%s) - start))

if [ "$done_seen" != 1 ]; then
	echo "nested: L1 stopped before the runner finished (after $elapsed s; limit $TIMEOUT s)"
	echo "nested: last lines of the L1 console ($CONSOLE):"
	tail -n 30 "$CONSOLE" 2>/dev/null | tr -d '\r' | sed 's/^/       | /'
	sed 's/^/       | /' "$OUT/l1-qemu.err" 2>/dev/null
fi

if [ "$MODE" = bench ]; then
	[ "$done_seen" = 1 ] || exit 1
	echo
	echo "L2 boot time: VMM exec to the L2 init's first line, median of $RUNS runs (ms, in L1)"
	printf '%-14s %10s %10s %12s\n' scenario cvmm qemu cvmm/qemu
	for name in "${EXPECTED[@]}"; do
		awk -v n="$name" '
			function median(a, k,   i, j, t) {
				for (i = 1; i <= k; i++)
					for (j = i + 1; j <= k; j++)
						if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
				return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
			}
			$1 == n && $4 == "PASS" && $2 == "cvmm" { c[++nc] = $5 }
			$1 == n && $4 == "PASS" && $2 == "qemu" { q[++nq] = $5 }
			END {
				cm = nc ? sprintf("%d", median(c, nc)) : "FAIL"
				qm = nq ? sprintf("%d", median(q, nq)) : "FAIL"
				r = nc && nq ? sprintf("%.2f", median(c, nc) / median(q, nq)) : "-"
				printf "%-14s %10s %10s %12s\n", n, cm, qm, r
			}' "$BENCH"
	done
	echo "nested: bench finished in $elapsed s (raw runs in $BENCH)"
	exit 0
fi

passed=0 failed=0
for name in "${EXPECTED[@]}"; do
	case "${VERDICT[$name]:-}" in
	PASS) passed=$((passed + 1)) ;;
	FAIL) failed=$((failed + 1)) ;;
	*)
		failed=$((failed + 1))
		printf '%-4s nested/%-12s %s\n' FAIL "$name" "no verdict (L1 did not finish)" ;;
	esac
done
echo "nested: $passed passed, $failed failed, L2 VMM $VMM, $elapsed s in total"
[ "$failed" -eq 0 ]
