#!/bin/bash
# Host side of the nested harness: boots L1 (QEMU TCG with emulated AMD SVM) on the assembled
# initramfs, follows the runner's verdicts on L1's second serial port, and prints one PASS/FAIL
# line per scenario and a summary (test mode) or a boot-time table (bench mode).
#   run.sh --kernel VMLINUZ --initrd L1_INITRD --scenarios FILE [--mode test|bench|shell]
#          [--vmm cvmm|qemu] [--only a,b] [--runs N] [--smp N] [--timeout S] [--out DIR]
#          [--verbose]
# A watchdog covers L1 itself: TCG's SVM emulation occasionally wedges the whole L1 (no timer,
# no output).  L1 sends a heartbeat every 10 s; none for HEARTBEAT_LIMIT seconds, or no verdict in
# time, and L1 counts as wedged.  The item it was running gets a second chance in a fresh L1 (test mode) and the
# run resumes after it; an item that wedges L1 twice fails.
# A scenario that needs what the VMM under test lacks (only_vmm=) is reported as SKIP.
# Exit status: 0 when every selected scenario passed or was skipped (bench: when L1 finished),
# 1 otherwise.
set -uo pipefail

MODE=test VMM=cvmm ONLY=all RUNS=3 SMP=1 TIMEOUT=900 OUT=build/nested VERBOSE=0
KERNEL= INITRD= SCENARIOS=
BOOT_LIMIT=180  # L1 boot to its first item
ITEM_SLACK=${NESTED_ITEM_SLACK:-60}  # beyond an item's own limit
GAP_LIMIT=60    # from one item's verdict to the next item's start
HEARTBEAT_LIMIT=60
MAX_BOOTS=4     # test mode; bench mode allows 8
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
[ "$MODE" = bench ] && MAX_BOOTS=8

CONSOLE=$OUT/l1-console.log
# No THP in L1: khugepaged was the CPU caught in a soft lockup when L1 wedged.
APPEND="console=ttyS0 quiet transparent_hugepage=never nested.mode=$MODE nested.vmm=$VMM"
APPEND="$APPEND nested.only=$ONLY nested.runs=$RUNS nested.verbose=$VERBOSE"
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

declare -A VERDICT ATTEMPTS
BENCH=$OUT/bench.log
: >"$BENCH"
: >"$CONSOLE"
: >"$OUT/l1-qemu.err"
start=$(date +%s)
done_seen=0

now() { date +%s; }

console_tail()
{
	echo "nested: last lines of the L1 console ($CONSOLE):"
	tail -n "$1" "$CONSOLE" | tr -d '\r' | sed 's/^/       | /'
}

handle_line()
{
	local line=$1 name status detail vmm run ms idx limit
	case "$line" in
	"START "*)
		read -r _ idx name vmm limit <<<"$line"
		cur_idx=$idx cur_name=$name cur_vmm=$vmm
		deadline=$(($(now) + limit + ITEM_SLACK)) ;;
	"RESULT "*)
		read -r _ name status detail <<<"$line"
		[ "${ATTEMPTS[$name]:-0}" -gt 0 ] && detail="$detail (second attempt: L1 hung on the first)"
		VERDICT[$name]=$status
		[ -n "$cur_idx" ] && last_idx=$cur_idx
		cur_idx=
		deadline=$(($(now) + GAP_LIMIT))
		printf '%-4s nested/%-13s %s\n' "$status" "$name" "$detail" ;;
	"TAIL "*)
		line=${line#TAIL }
		printf '       | %s\n' "${line#* }" ;;
	"BENCH "*)
		echo "${line#BENCH }" >>"$BENCH"
		read -r _ name vmm run status ms _ <<<"$line"
		[ -n "$cur_idx" ] && last_idx=$cur_idx
		cur_idx=
		deadline=$(($(now) + GAP_LIMIT))
		echo "nested: bench $name $vmm run $run: $status, L2 init at $ms ms" ;;
	"INFO "*) echo "nested: ${line#INFO } ($(($(now) - start)) s)" ;;
	"ABORT "*) echo "nested: L1 aborted: ${line#ABORT }"; aborted=1 ;;
	ALIVE) alive_deadline=$(($(now) + HEARTBEAT_LIMIT)) ;;
	DONE)
		done_seen=1
		deadline=$(($(now) + GAP_LIMIT)) ;;
	esac
}

stop_l1()
{
	local qpid
	qpid=$(cat "$OUT/l1.pid" 2>/dev/null) || return
	kill "$qpid" 2>/dev/null
	for _ in 1 2 3 4 5; do
		kill -0 "$qpid" 2>/dev/null || return
		sleep 1
	done
	kill -KILL "$qpid" 2>/dev/null
}

# Boots L1 once, starting at item $1; returns when L1 exits or the watchdog kills it.
boot_l1()
{
	local from=$1 line partial= rc budget pid
	budget=$((TIMEOUT - ($(now) - start)))
	[ "$budget" -gt 30 ] || budget=30
	rm -f "$OUT/l1.pid"
	coproc L1PROC { exec timeout -k 10 "$budget" "${L1[@]}" -pidfile "$OUT/l1.pid" \
		-monitor none -chardev "file,id=con,path=$CONSOLE,append=on" -serial chardev:con \
		-serial stdio -append "$APPEND nested.from=$from" </dev/null 2>>"$OUT/l1-qemu.err"; }
	exec {l1_fd}<&"${L1PROC[0]}"
	pid=$L1PROC_PID
	cur_idx= hung=0
	deadline=$(($(now) + BOOT_LIMIT)) alive_deadline=$deadline
	while :; do
		if IFS= read -r -t 5 -u "$l1_fd" line; then
			line=$partial${line%$'\r'}
			partial=
			handle_line "$line"
		else
			rc=$?
			[ "$rc" -le 128 ] && break  # L1 exited
			partial=$partial$line
		fi
		if [ "$(now)" -ge "$deadline" ] || [ "$(now)" -ge "$alive_deadline" ]; then
			hung=1
			stop_l1
			break
		fi
	done
	wait "$pid" 2>/dev/null
	exec {l1_fd}<&-
}

echo "nested: booting L1 (TCG, $SMP vCPUs), $MODE with L2 VMM $VMM; L1 console in $CONSOLE"
from=1 boots=0 last_idx=0 aborted=0
while [ "$done_seen" != 1 ] && [ "$aborted" != 1 ] && [ "$boots" -lt "$MAX_BOOTS" ] &&
	[ $(($(now) - start)) -lt "$TIMEOUT" ]; do
	boots=$((boots + 1))
	boot_l1 "$from"
	[ "$done_seen" = 1 ] && break
	what="L1 stopped"
	[ "$hung" = 1 ] && what="L1 stopped responding"
	if [ -z "$cur_idx" ]; then
		echo "nested: $what outside any scenario after $(($(now) - start)) s"
		console_tail 20
		from=$((last_idx + 1))
		continue
	fi
	echo "nested: $what during $cur_name/$cur_vmm after $(($(now) - start)) s"
	console_tail 20
	if [ "$MODE" = test ] && [ "${ATTEMPTS[$cur_name]:-0}" -eq 0 ]; then
		ATTEMPTS[$cur_name]=1
		from=$cur_idx
		echo "nested: booting a fresh L1 to run $cur_name again"
		continue
	fi
	if [ "$MODE" = test ]; then
		VERDICT[$cur_name]=FAIL
		printf '%-4s nested/%-13s %s\n' FAIL "$cur_name" "$cur_vmm: L1 stopped responding twice"
	else
		echo "$cur_name $cur_vmm - HUNG -1 -1" >>"$BENCH"
	fi
	last_idx=$cur_idx
	from=$((cur_idx + 1))
	[ "$boots" -lt "$MAX_BOOTS" ] && echo "nested: booting a fresh L1 to go on after it"
done
elapsed=$(($(now) - start))
if [ "$done_seen" != 1 ]; then
	echo "nested: the runner did not finish ($boots L1 boots, $elapsed s; limit $TIMEOUT s)"
	sed 's/^/       | /' "$OUT/l1-qemu.err" | grep -v "TCG doesn't support" | tail -n 5
fi

if [ "$MODE" = bench ]; then
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
			$1 == n && $4 == "SKIP" { skip[$2] = 1 }
			END {
				cm = nc ? sprintf("%d", median(c, nc)) : skip["cvmm"] ? "skip" : "FAIL"
				qm = nq ? sprintf("%d", median(q, nq)) : skip["qemu"] ? "skip" : "FAIL"
				r = nc && nq ? sprintf("%.2f", median(c, nc) / median(q, nq)) : "-"
				printf "%-14s %10s %10s %12s\n", n, cm, qm, r
			}' "$BENCH"
	done
	echo "nested: bench finished in $elapsed s, $boots L1 boot(s) (raw runs in $BENCH)"
	[ "$done_seen" = 1 ]
	exit
fi

passed=0 failed=0 skipped=0
for name in "${EXPECTED[@]}"; do
	case "${VERDICT[$name]:-}" in
	PASS) passed=$((passed + 1)) ;;
	FAIL) failed=$((failed + 1)) ;;
	SKIP) skipped=$((skipped + 1)) ;;
	*)
		failed=$((failed + 1))
		printf '%-4s nested/%-13s %s\n' FAIL "$name" "no verdict (L1 did not get to it)" ;;
	esac
done
echo "nested: $passed passed, $failed failed, $skipped skipped, L2 VMM $VMM, $elapsed s in total," \
	"$boots L1 boot(s)"
[ "$failed" -eq 0 ]
